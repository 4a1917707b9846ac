//! Both directions of a call, wired together.

use voxline_core::Result;
use voxline_jitter::{Inserted, JitterError, PullInfo};

use crate::config::PipelineConfig;
use crate::receive::{ReceivePath, ReceiveStats};
use crate::send::{SendPath, SendStats};

/// Statistics of both directions.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CallStats {
    /// Microphone to network.
    pub send: SendStats,
    /// Network to loudspeaker.
    pub receive: ReceiveStats,
}

/// One call's audio: a [`ReceivePath`] whose loudspeaker frames also feed the
/// [`SendPath`]'s echo canceller as its reference, so the echo of what is played is removed
/// from what is sent.
///
/// Every 10 ms: [`render`](Self::render) the loudspeaker frame, [`capture`](Self::capture)
/// the microphone frame, then send what [`poll_packet`](Self::poll_packet) returns; insert
/// packets from the network with [`receive_packet`](Self::receive_packet) as they arrive.
/// Times are the caller's clock in ms (sans-IO: the pipeline reads no clock).
#[derive(Debug)]
pub struct Call {
    send: SendPath,
    receive: ReceivePath,
}

impl Call {
    /// Builds both paths from one configuration; errors name the bad setting.
    pub fn new(config: &PipelineConfig) -> Result<Self> {
        Ok(Self {
            send: SendPath::new(config)?,
            receive: ReceivePath::new(config)?,
        })
    }

    /// Samples in one 10 ms frame at the device rate (capture and render alike).
    #[must_use]
    pub fn frame_len(&self) -> usize {
        self.send.frame_len()
    }

    /// A packet from the network, arrived at `arrival_ms`.
    pub fn receive_packet(
        &mut self,
        bytes: &[u8],
        arrival_ms: f64,
    ) -> Result<Inserted, JitterError> {
        self.receive.insert_packet(bytes, arrival_ms)
    }

    /// The next loudspeaker frame, played from `now_ms`; it is also handed to the echo
    /// canceller as the reference.
    pub fn render(&mut self, now_ms: f64, out: &mut [f32]) -> Result<PullInfo> {
        let info = self.receive.process(now_ms, out)?;
        self.send.analyze_render(out)?;
        Ok(info)
    }

    /// The next microphone frame.
    pub fn capture(&mut self, mic: &[f32]) -> Result<()> {
        self.send.process_capture(mic)
    }

    /// The oldest packet ready to send (valid until the next call on this `Call`).
    pub fn poll_packet(&mut self) -> Option<&[u8]> {
        self.send.poll_packet()
    }

    /// The send path (taps, stage access).
    #[must_use]
    pub fn send_path(&self) -> &SendPath {
        &self.send
    }

    /// The receive path.
    #[must_use]
    pub fn receive_path(&self) -> &ReceivePath {
        &self.receive
    }

    /// Statistics of both directions.
    #[must_use]
    pub fn stats(&self) -> CallStats {
        CallStats {
            send: self.send.stats(),
            receive: self.receive.stats(),
        }
    }

    /// Forgets everything (a new call on the same devices).
    pub fn reset(&mut self) {
        self.send.reset();
        self.receive.reset();
    }
}
