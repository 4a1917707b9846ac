//! Shared vocabulary of the voxline voice engine.
//!
//! Every DSP crate of voxline (codec, front-end, jitter buffer, echo canceller, ...) speaks in the
//! terms defined here: the [`SampleRate`]s a VoIP engine meets, the [`FrameDuration`]s it
//! processes (10 ms, as WebRTC's audio processing module, and multiples for packetisation),
//! fixed-size [`AudioFrame`] buffers allocated once at construction, the [`Latency`] every stage
//! reports, and one [`Error`] type for invalid configuration and mismatched frames.
//!
//! The crate does no I/O and reads no clock.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod frame;
mod rate;
mod rng;
mod sample;

pub use error::{Error, Result};
pub use frame::AudioFrame;
pub use rate::{FrameDuration, SampleRate};
pub use rng::{SplitMix64, Xorshift32};
pub use sample::{sanitize, sanitize_slice};

/// A processing stage that delays its signal reports by how much, so a pipeline can add up
/// the end-to-end latency and align signals (for example the echo canceller's reference).
pub trait Latency {
    /// Algorithmic delay this stage adds, in samples at its output rate.
    fn latency_samples(&self) -> usize;
}
