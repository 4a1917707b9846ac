//! Audio device I/O for the voxline voice engine.
//!
//! A voice engine processes 10 ms frames on its own thread, while the sound card's input and
//! output callbacks run on theirs, in bursts of whatever size the driver likes, each on its
//! own clock. This crate joins the two worlds:
//!
//! * [`duplex_rings`]: lock-free single-producer/single-consumer rings ([`rtrb`]) between the
//!   callbacks ([`CaptureSide`], [`RenderSide`]: convert, down-/up-mix, push/pop, count — no
//!   lock, no allocation) and the processing thread ([`ProcessingSide`]: 10 ms mono frames).
//! * [`FillController`]: keeps each ring's fill level near a target, dropping or inserting a
//!   few cross-faded samples ([`splice`]) so that the delay never grows and the output never
//!   starves while the device clocks drift apart; counts under/overruns and estimates the
//!   drift in ppm.
//! * [`sample`]: device sample formats (f32, f64, i8/16/32, u8/16/32) and channel mapping.
//! * With the cargo feature `device`: `DuplexDevice`, a full-duplex driver over [cpal] with
//!   separate input and output streams, device selection by name, rate negotiation and stream
//!   errors reported to the processing thread.
//!
//! Everything but the `device` module is pure and runs (and is tested) without a sound card.
//!
//! [cpal]: https://docs.rs/cpal

#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod control;
#[cfg(feature = "device")]
mod device;
mod error;
mod rings;
pub mod sample;
pub mod splice;

pub use control::{Correction, FillConfig, FillController};
#[cfg(feature = "device")]
pub use device::{list_devices, DeviceInfo, DuplexConfig, DuplexDevice};
pub use error::IoError;
pub use rings::{
    duplex_rings, CaptureSide, DirectionStats, IoStats, ProcessingSide, RenderSide, RingConfig,
};
pub use splice::splice;
