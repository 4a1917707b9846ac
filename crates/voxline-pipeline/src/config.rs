//! The pipeline's configuration: rates, codec, packetisation and the settings of every stage,
//! validated at construction.

use voxline_core::{Error, FrameDuration, Result, SampleRate};
use voxline_frontend::FilterConfig;
use voxline_g711::Law;
use voxline_jitter::JitterConfig;
use voxline_ns::NsConfig;

/// Settings of the echo canceller stage (its rate is the pipeline's processing rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EchoSettings {
    /// Echo tail modelled after the bulk delay, 20 to 1000 ms.
    pub tail_ms: u32,
    /// Largest bulk delay between loudspeaker and microphone searched, 0 to 2000 ms.
    pub max_delay_ms: u32,
    /// Remove the residual (non-linear) echo after the linear filter.
    pub residual_suppression: bool,
    /// Deepest attenuation of the residual-echo suppressor, 10 to 80 dB.
    pub max_suppression_db: f32,
    /// Fill suppressed bands with comfort noise at the background level.
    pub comfort_noise: bool,
}

impl Default for EchoSettings {
    /// The echo canceller's own defaults: 250 ms tail, delays up to 1 s, 60 dB, comfort noise.
    fn default() -> Self {
        Self {
            tail_ms: 250,
            max_delay_ms: 1000,
            residual_suppression: true,
            max_suppression_db: 60.0,
            comfort_noise: true,
        }
    }
}

/// Everything a [`Call`](crate::Call), [`SendPath`](crate::SendPath) or
/// [`ReceivePath`](crate::ReceivePath) needs, checked when they are built. Start from [`PipelineConfig::new`] and change fields.
///
/// Rates: the audio device runs at `device_rate` (capture and render frames are 10 ms at that
/// rate); echo cancellation and noise suppression run at `processing_rate`; G.711 on the wire
/// is always 8 kHz. The pipeline resamples between them where they differ.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// Rate of the capture and render frames (the sound card's rate).
    pub device_rate: SampleRate,
    /// Rate of the echo canceller and noise suppressor: 8, 16, 32 or 48 kHz. 8 kHz (the
    /// default) is the call's own rate: the cheapest, and G.711 carries nothing above 4 kHz.
    pub processing_rate: SampleRate,
    /// G.711 law of outgoing packets (incoming packets may use either law).
    pub law: Law,
    /// Audio per outgoing packet: 10, 20 (default) or 30 ms.
    pub ptime: FrameDuration,
    /// SSRC of outgoing packets (RFC 3550 wants it random: the caller chooses it).
    pub ssrc: u32,
    /// Sequence number of the first outgoing packet.
    pub initial_sequence: u16,
    /// RTP timestamp of the first outgoing packet.
    pub initial_timestamp: u32,
    /// First send-path stage: DC removal (default) or a rumble high-pass; `None` turns it off.
    pub high_pass: Option<FilterConfig>,
    /// Echo canceller settings; `None` turns it off (e.g. a headset).
    pub echo_canceller: Option<EchoSettings>,
    /// Noise suppressor settings; `None` turns it off.
    pub noise_suppressor: Option<NsConfig>,
    /// Jitter buffer settings; its `rate` must be 8000 Hz (G.711).
    pub jitter: JitterConfig,
    /// Outgoing packets held for [`poll_packet`](crate::SendPath::poll_packet) before the
    /// oldest is dropped (and counted), 1 to 64.
    pub packet_queue: usize,
}

impl PipelineConfig {
    /// Defaults for a device at `device_rate`: processing at 8 kHz, mu-law, 20 ms packets,
    /// DC removal, echo canceller and noise suppressor on with their defaults.
    #[must_use]
    pub fn new(device_rate: SampleRate) -> Self {
        Self {
            device_rate,
            processing_rate: SampleRate::Hz8000,
            law: Law::Mu,
            ptime: FrameDuration::Ms20,
            ssrc: 0x766f_786c,
            initial_sequence: 0,
            initial_timestamp: 0,
            high_pass: Some(FilterConfig::DcRemoval),
            echo_canceller: Some(EchoSettings::default()),
            noise_suppressor: Some(NsConfig::default()),
            jitter: JitterConfig::default(),
            packet_queue: 8,
        }
    }

    /// Checks the pipeline's own settings and those of the jitter buffer and noise suppressor;
    /// the error names the offending one. (The echo canceller checks its settings when the
    /// send path builds it.)
    pub fn validate(&self) -> Result<()> {
        if self.processing_rate == SampleRate::Hz44100 {
            return Err(Error::InvalidConfig(
                "processing rate 44100 Hz is not supported (use 8000, 16000, 32000 or 48000; \
                 a 44.1 kHz device is resampled)"
                    .into(),
            ));
        }
        if self.jitter.rate != SampleRate::Hz8000 {
            return Err(Error::InvalidConfig(format!(
                "jitter buffer rate {} Hz: G.711 needs 8000 Hz",
                self.jitter.rate.hz()
            )));
        }
        self.jitter.validate()?;
        if !(1..=64).contains(&self.packet_queue) {
            return Err(Error::InvalidConfig(format!(
                "packet queue of {} packets is outside 1..=64",
                self.packet_queue
            )));
        }
        if let Some(ns) = &self.noise_suppressor {
            ns.validate()?;
        }
        Ok(())
    }

    /// The echo canceller's own configuration for `settings` at the processing rate.
    pub(crate) fn echo_config(&self, settings: &EchoSettings) -> voxline_aec::EchoCancellerConfig {
        voxline_aec::EchoCancellerConfig {
            sample_rate: self.processing_rate,
            tail_ms: settings.tail_ms,
            max_delay_ms: settings.max_delay_ms,
            residual_suppression: settings.residual_suppression,
            max_suppression_db: settings.max_suppression_db,
            comfort_noise: settings.comfort_noise,
        }
    }
}
