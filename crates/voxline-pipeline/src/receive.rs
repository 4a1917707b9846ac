//! The receive path: RTP packets in, loudspeaker frames out.

use voxline_core::{Error, Latency, Result, SampleRate};
use voxline_frontend::Resampler;
use voxline_jitter::{FrameKind, Inserted, JitterBuffer, JitterError, JitterStats, PullInfo};

use crate::config::PipelineConfig;
use crate::level::SmoothedLevel;

/// Statistics of a [`ReceivePath`], cumulative since construction unless stated otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReceiveStats {
    /// Frames played.
    pub frames: u64,
    /// Frames of received audio played unchanged.
    pub normal_frames: u64,
    /// Frames shortened (the buffer was catching up) or lengthened (it was building delay).
    pub stretched_frames: u64,
    /// Frames that were wholly or partly concealed (lost or late packets).
    pub concealed_frames: u64,
    /// Frames of comfort noise (the sender is in DTX).
    pub comfort_noise_frames: u64,
    /// Frames of silence before the first packet was due.
    pub silence_frames: u64,
    /// Loudspeaker level (smoothed over about 100 ms), dBFS.
    pub output_level_dbfs: f32,
    /// The jitter buffer's statistics: packets received, lost, late, invalid, delays, ...
    pub jitter: JitterStats,
}

/// RTP packets in (with their arrival times), 10 ms loudspeaker frames out: the adaptive
/// jitter buffer with G.711 decoding, time-stretching and voxline's packet-loss concealer,
/// then resampling from 8 kHz to the device rate.
///
/// [`insert_packet`](Self::insert_packet) each packet as it arrives;
/// [`process`](Self::process) every 10 ms for the next loudspeaker frame. No call allocates
/// after construction.
pub struct ReceivePath {
    jitter: JitterBuffer,
    resampler: Option<Resampler>,
    narrow: Vec<f32>,
    device_frame: usize,
    level: SmoothedLevel,
    stats: ReceiveStats,
}

impl core::fmt::Debug for ReceivePath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReceivePath")
            .field("device_frame", &self.device_frame)
            .finish_non_exhaustive()
    }
}

impl ReceivePath {
    /// Builds the receive path; every buffer is allocated here. Errors name the bad setting.
    pub fn new(config: &PipelineConfig) -> Result<Self> {
        config.validate()?;
        let jitter = JitterBuffer::new(config.jitter.clone())?;
        let resampler = if config.device_rate == SampleRate::Hz8000 {
            None
        } else {
            Some(Resampler::new(SampleRate::Hz8000, config.device_rate)?)
        };
        Ok(Self {
            narrow: vec![0.0; jitter.frame_len()],
            jitter,
            resampler,
            device_frame: config.device_rate.samples_per_10ms(),
            level: SmoothedLevel::default(),
            stats: ReceiveStats::default(),
        })
    }

    /// Samples in one 10 ms loudspeaker frame (at the device rate).
    #[must_use]
    pub fn frame_len(&self) -> usize {
        self.device_frame
    }

    /// Inserts an RTP packet (PCMU, PCMA or comfort noise) that arrived at receiver time
    /// `arrival_ms`. A malformed or unsupported packet is refused with the reason, counted in
    /// [`JitterStats::packets_invalid`], and changes nothing else.
    pub fn insert_packet(
        &mut self,
        bytes: &[u8],
        arrival_ms: f64,
    ) -> Result<Inserted, JitterError> {
        self.jitter.insert_rtp(bytes, arrival_ms)
    }

    /// Produces the loudspeaker frame to be played from receiver time `now_ms` (`out` is
    /// [`frame_len`](Self::frame_len) samples). Call it every 10 ms.
    pub fn process(&mut self, now_ms: f64, out: &mut [f32]) -> Result<PullInfo> {
        if out.len() != self.device_frame {
            return Err(Error::FrameLength {
                expected: self.device_frame,
                actual: out.len(),
            });
        }
        let info = self.jitter.pull(now_ms, &mut self.narrow)?;
        match self.resampler.as_mut() {
            Some(r) => r.process(&self.narrow, out)?,
            None => out.copy_from_slice(&self.narrow),
        }
        self.level.update(out);
        let s = &mut self.stats;
        s.frames += 1;
        match info.kind {
            FrameKind::Normal => s.normal_frames += 1,
            FrameKind::Accelerated | FrameKind::Decelerated => s.stretched_frames += 1,
            FrameKind::Concealed => s.concealed_frames += 1,
            FrameKind::ComfortNoise => s.comfort_noise_frames += 1,
            FrameKind::Silence => s.silence_frames += 1,
        }
        Ok(info)
    }

    /// The latest frame as the jitter buffer produced it, at 8 kHz.
    #[must_use]
    pub fn last_narrowband(&self) -> &[f32] {
        &self.narrow
    }

    /// Statistics, including the jitter buffer's.
    #[must_use]
    pub fn stats(&self) -> ReceiveStats {
        ReceiveStats {
            output_level_dbfs: self.level.dbfs(),
            jitter: self.jitter.stats(),
            ..self.stats
        }
    }

    /// Fixed delay added after the jitter buffer (resampling to the device rate), in ms. The
    /// jitter buffer's own delay adapts to the network: see [`JitterStats::current_delay_ms`].
    #[must_use]
    pub fn latency_ms(&self) -> f32 {
        self.resampler.as_ref().map_or(0.0, |r| {
            (r.latency_exact() * 1000.0 / f64::from(r.to_rate().hz())) as f32
        })
    }

    /// Forgets every packet and all state (a new call).
    pub fn reset(&mut self) {
        self.jitter.reset();
        if let Some(r) = self.resampler.as_mut() {
            r.reset();
        }
        self.level = SmoothedLevel::default();
        self.stats = ReceiveStats::default();
    }
}

impl Latency for ReceivePath {
    /// The resampler's delay in device samples (the jitter buffer's adaptive delay aside).
    fn latency_samples(&self) -> usize {
        self.resampler.as_ref().map_or(0, Latency::latency_samples)
    }
}
