//! Adaptive jitter buffer of voxline: the receive side of a call between the network and the
//! loudspeaker.
//!
//! Packets arrive late, early, twice, out of order or never; [`JitterBuffer`] takes them with
//! their arrival time ([`JitterBuffer::insert`], [`JitterBuffer::insert_rtp`]) and hands out
//! continuous audio, 10 ms per [`JitterBuffer::pull`], with as little delay as the network
//! allows. Its target delay is a quantile of recent packet transit times (a sliding window,
//! as WebRTC NetEq's delay manager keeps a histogram); it reaches the target by
//! pitch-synchronous time-stretching of speech ([`TimeStretcher`], WSOLA-style, as NetEq's
//! accelerate and preemptive expand), freely during comfort noise, and by waiting (with
//! concealment) when a packet is late rather than dropping it. Missing audio goes to a
//! [`Concealer`] (by default voxline's own, which interpolates a gap from both sides when the
//! packet after it is already buffered); [`JitterStats`] reports in webrtc-stats terms.
//!
//! Sans-IO: no threads, no clocks (every time is an argument, in ms of the receiver's clock),
//! no allocation after construction.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buffer;
mod conceal;
mod config;
mod delay;
pub mod replay;
mod stats;
mod stretch;

pub use buffer::{
    FrameKind, Inserted, JitterBuffer, JitterError, PacketHeader, Payload, Played, PullInfo,
};
pub use conceal::Concealer;
pub use config::JitterConfig;
pub use stats::JitterStats;
pub use stretch::{StretchOutcome, TimeStretcher};
pub use voxline_plc::VoxlineConcealer;
