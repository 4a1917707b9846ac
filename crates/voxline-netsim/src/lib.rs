//! Deterministic network simulator for testing voxline's jitter buffer.
//!
//! A VoIP receiver sees packets arrive late, early, in bursts, out of order, twice or never, on
//! a clock that drifts from the sender's. This crate produces such arrival patterns
//! reproducibly: [`simulate`] sends a constant-rate packet stream through a [`NetworkConfig`]
//! of composable impairments (Bernoulli or Gilbert-Elliott loss, base delay with correlated
//! jitter and a Pareto tail, Wi-Fi stalls releasing bursts, route changes, reordering,
//! duplication, clock skew, optional FIFO ordering) and returns a [`Trace`] of send and arrival
//! times. Named [`Profile`]s give realistic conditions (`good`, `wifi`, `congested`, ...).
//! [`oracle_delay_ms`] computes in hindsight the smallest fixed playout delay meeting a
//! late-packet budget, the yardstick for a jitter buffer's adaptation.
//!
//! Everything is sans-IO and deterministic: no clock, no thread, no global state; the same
//! config, packet interval, duration and seed always give the same trace, bit for bit, from
//! the crate's own [`Rng`] (xoshiro256** seeded by SplitMix64). Traces are read and written as
//! JSON through `std::io` readers and writers or strings.
//!
//! ```
//! use voxline_netsim::{oracle_delay_ms, simulate, Profile};
//!
//! let config = Profile::by_name("wifi").unwrap();
//! let trace = simulate(&config, 20, 60.0, 42);
//! let stats = trace.stats();
//! assert_eq!(stats.packets, 3000);
//! // The fixed delay that plays all but 1 % of the arrived packets in time.
//! let d = oracle_delay_ms(&trace, 0.01).unwrap();
//! assert!(d >= 25.0);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod oracle;
mod profile;
mod rng;
mod sim;
mod trace;

pub use config::{
    ConfigError, DelayModel, Duplication, LossModel, NetworkConfig, ParetoTail, Reorder,
    RouteChange, StallModel, StepTime,
};
pub use oracle::{late_fraction_at, oracle_delay_ms};
pub use profile::Profile;
pub use rng::{Rng, SplitMix64};
pub use sim::{simulate, try_simulate};
pub use trace::{Trace, TraceEntry, TraceError, TraceStats};
