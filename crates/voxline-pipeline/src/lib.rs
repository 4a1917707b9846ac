//! The voxline call pipeline: the stages of the engine composed into the two directions of a
//! phone call, sans-IO, 10 ms at a time.
//!
//! * [`SendPath`]: microphone -> resampling to the processing rate -> DC removal or rumble
//!   high-pass -> echo canceller (with the loudspeaker signal as reference) -> noise
//!   suppressor -> resampling to 8 kHz -> G.711 -> RTP packets.
//! * [`ReceivePath`]: RTP packets -> adaptive jitter buffer (G.711 decoding, time-stretching,
//!   packet-loss concealment) -> resampling to the device rate -> loudspeaker.
//! * [`Call`]: both, with the loudspeaker frames wired into the echo canceller.
//!
//! One [`PipelineConfig`] says which stages run and with what settings; it is checked when a
//! path is built, and every buffer is allocated then: the per-frame calls allocate nothing,
//! take no lock, do no I/O, and read no clock (arrival and playout times are arguments).
//! Devices, threads and sockets belong to the caller (see `voxline-io` and the CLI).

mod call;
mod config;
mod level;
mod queue;
mod receive;
mod send;
pub mod simulate;

pub use call::{Call, CallStats};
pub use config::{EchoSettings, PipelineConfig};
pub use level::SILENCE_DBFS;
pub use queue::MAX_PACKET_LEN;
pub use receive::{ReceivePath, ReceiveStats};
pub use send::{SendPath, SendStats, SendTaps};

pub use voxline_core::{FrameDuration, SampleRate};
pub use voxline_frontend::FilterConfig;
pub use voxline_g711::Law;
pub use voxline_jitter::{FrameKind, Inserted, JitterConfig, JitterError, JitterStats, PullInfo};
pub use voxline_ns::NsConfig;
