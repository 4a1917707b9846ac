//! The send path: microphone frames in, G.711 RTP packets out.

use voxline_aec::{EchoCanceller, EchoCancellerStats};
use voxline_core::{Error, Latency, Result, SampleRate};
use voxline_frontend::convert::f32_to_i16_slice;
use voxline_frontend::{HighPassFilter, Resampler};
use voxline_ns::NoiseSuppressor;
use voxline_rtp::{G711Packetizer, PacketizerConfig};

use crate::config::PipelineConfig;
use crate::level::{power_dbfs, SmoothedLevel};
use crate::queue::PacketQueue;

/// The call's rate on the wire (G.711).
const WIRE_RATE: SampleRate = SampleRate::Hz8000;

/// Statistics of a [`SendPath`], cumulative since construction unless stated otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SendStats {
    /// Capture frames processed.
    pub frames: u64,
    /// Microphone level (smoothed over about 100 ms), dBFS.
    pub capture_level_dbfs: f32,
    /// Level of the audio sent, after every stage (smoothed), dBFS.
    pub output_level_dbfs: f32,
    /// NaN or infinite capture samples, replaced by silence.
    pub non_finite_samples: u64,
    /// Samples beyond full scale that saturated in the 16-bit conversion before G.711.
    pub clipped_samples: u64,
    /// The echo canceller's statistics (estimated delay, ERLE, drift, ...), when it is on.
    pub echo: Option<EchoCancellerStats>,
    /// The noise suppressor's speech probability for the latest frame (a VAD), when it is on.
    pub speech_probability: Option<f32>,
    /// The noise suppressor's estimate of the background noise level, dBFS, when it is on.
    pub noise_level_dbfs: Option<f32>,
    /// The noise suppressor's long-term speech-to-noise estimate, dB, when it is on.
    pub snr_db: Option<f32>,
    /// RTP packets produced.
    pub packets_sent: u64,
    /// Packets dropped because the queue was full (not polled in time).
    pub packets_dropped: u64,
}

/// The audio of the latest frame at three points of the send path, for monitoring and for
/// writing each stage's output (e.g. the demo's WAV files).
#[derive(Debug, Clone, Copy)]
pub struct SendTaps<'a> {
    /// After the input filter and the echo canceller, at the processing rate.
    pub after_echo: &'a [f32],
    /// After the noise suppressor, at the processing rate.
    pub after_noise: &'a [f32],
    /// What was encoded, at 8 kHz, before G.711 quantisation.
    pub encoded: &'a [f32],
}

/// Capture (microphone) frames in, RTP packets out: resampling to the processing rate, DC
/// removal or high-pass, echo cancellation against the render signal, noise suppression,
/// resampling to 8 kHz, G.711 encoding and RTP packetisation.
///
/// Call [`analyze_render`](Self::analyze_render) with each 10 ms frame that goes to the
/// loudspeaker and [`process_capture`](Self::process_capture) with each 10 ms microphone
/// frame, both at the device rate; take the packets with [`poll_packet`](Self::poll_packet).
/// No call allocates after construction.
pub struct SendPath {
    device_frame: usize,
    proc_frame: usize,
    capture_resampler: Option<Resampler>,
    render_resampler: Option<Resampler>,
    wire_resampler: Option<Resampler>,
    high_pass: Option<HighPassFilter>,
    echo: Option<EchoCanceller>,
    noise: Option<NoiseSuppressor>,
    packetizer: G711Packetizer,
    queue: PacketQueue,
    work: Vec<f32>,
    after_echo: Vec<f32>,
    after_noise: Vec<f32>,
    render: Vec<f32>,
    wire: Vec<f32>,
    pcm: Vec<i16>,
    capture_level: SmoothedLevel,
    output_level: SmoothedLevel,
    frames: u64,
    non_finite: u64,
    clipped: u64,
    packets: u64,
    latency_8k: usize,
}

impl core::fmt::Debug for SendPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SendPath")
            .field("device_frame", &self.device_frame)
            .field("proc_frame", &self.proc_frame)
            .field("echo_canceller", &self.echo.is_some())
            .field("noise_suppressor", &self.noise.is_some())
            .finish_non_exhaustive()
    }
}

fn resampler(from: SampleRate, to: SampleRate) -> Result<Option<Resampler>> {
    Ok(if from == to {
        None
    } else {
        Some(Resampler::new(from, to)?)
    })
}

impl SendPath {
    /// Builds the send path; every buffer is allocated here. Errors name the bad setting.
    pub fn new(config: &PipelineConfig) -> Result<Self> {
        config.validate()?;
        let device = config.device_rate;
        let proc = config.processing_rate;
        let capture_resampler = resampler(device, proc)?;
        let wire_resampler = resampler(proc, WIRE_RATE)?;
        let echo = match &config.echo_canceller {
            Some(settings) => Some(EchoCanceller::new(config.echo_config(settings))?),
            None => None,
        };
        let render_resampler = if echo.is_some() {
            resampler(device, proc)?
        } else {
            None
        };
        let noise = match config.noise_suppressor {
            Some(ns) => Some(NoiseSuppressor::new(proc, ns)?),
            None => None,
        };
        let high_pass = match config.high_pass {
            Some(f) => Some(HighPassFilter::new(proc, f)?),
            None => None,
        };
        // Algorithmic delay in 8 kHz samples: each resampler's and the suppressor's.
        let proc_to_wire = f64::from(WIRE_RATE.hz()) / f64::from(proc.hz());
        let mut latency = 0.0;
        if let Some(r) = &capture_resampler {
            latency += r.latency_exact() * proc_to_wire;
        }
        if let Some(n) = &noise {
            latency += n.latency_samples() as f64 * proc_to_wire;
        }
        if let Some(r) = &wire_resampler {
            latency += r.latency_exact();
        }
        let packetizer = G711Packetizer::new(PacketizerConfig {
            law: config.law,
            ptime: config.ptime,
            ssrc: config.ssrc,
            initial_sequence: config.initial_sequence,
            initial_timestamp: config.initial_timestamp,
        });
        let proc_frame = proc.samples_per_10ms();
        let wire_frame = WIRE_RATE.samples_per_10ms();
        Ok(Self {
            device_frame: device.samples_per_10ms(),
            proc_frame,
            capture_resampler,
            render_resampler,
            wire_resampler,
            high_pass,
            echo,
            noise,
            packetizer,
            queue: PacketQueue::new(config.packet_queue),
            work: vec![0.0; proc_frame],
            after_echo: vec![0.0; proc_frame],
            after_noise: vec![0.0; proc_frame],
            render: vec![0.0; proc_frame],
            wire: vec![0.0; wire_frame],
            pcm: vec![0; wire_frame],
            capture_level: SmoothedLevel::default(),
            output_level: SmoothedLevel::default(),
            frames: 0,
            non_finite: 0,
            clipped: 0,
            packets: 0,
            latency_8k: latency.round() as usize,
        })
    }

    /// Samples in one 10 ms capture or render frame (at the device rate).
    #[must_use]
    pub fn frame_len(&self) -> usize {
        self.device_frame
    }

    /// Feeds the echo canceller one 10 ms frame of what the loudspeaker plays (device rate).
    /// Without an echo canceller it only checks the length.
    pub fn analyze_render(&mut self, render: &[f32]) -> Result<()> {
        self.check(render.len())?;
        let Some(echo) = self.echo.as_mut() else {
            return Ok(());
        };
        match self.render_resampler.as_mut() {
            Some(r) => {
                r.process(render, &mut self.render)?;
                echo.analyze_render(&self.render)
            }
            None => echo.analyze_render(render),
        }
    }

    /// Processes one 10 ms microphone frame (device rate); any packet it completes waits in
    /// the queue for [`poll_packet`](Self::poll_packet).
    pub fn process_capture(&mut self, capture: &[f32]) -> Result<()> {
        self.check(capture.len())?;
        self.frames += 1;
        self.non_finite += capture.iter().filter(|x| !x.is_finite()).count() as u64;
        self.capture_level.update(capture);
        match self.capture_resampler.as_mut() {
            Some(r) => r.process(capture, &mut self.work)?,
            None => {
                for (w, &x) in self.work.iter_mut().zip(capture) {
                    *w = voxline_core::sanitize(x);
                }
            }
        }
        if let Some(h) = self.high_pass.as_mut() {
            h.process(&mut self.work);
        }
        match self.echo.as_mut() {
            Some(echo) => echo.process_capture(&self.work, &mut self.after_echo)?,
            None => self.after_echo.copy_from_slice(&self.work),
        }
        match self.noise.as_mut() {
            Some(ns) => ns.process(&self.after_echo, &mut self.after_noise)?,
            None => self.after_noise.copy_from_slice(&self.after_echo),
        }
        match self.wire_resampler.as_mut() {
            Some(r) => r.process(&self.after_noise, &mut self.wire)?,
            None => self.wire.copy_from_slice(&self.after_noise),
        }
        self.output_level.update(&self.wire);
        self.clipped += self.wire.iter().filter(|x| x.abs() > 1.0).count() as u64;
        f32_to_i16_slice(&self.wire, &mut self.pcm)?;
        let slot = self.queue.next_slot();
        match self.packetizer.push_10ms(&self.pcm, slot) {
            Ok(Some(len)) => {
                self.queue.commit(len);
                self.packets += 1;
            }
            Ok(None) => {}
            // Lengths are fixed at construction and the slot fits the longest packet.
            Err(e) => return Err(Error::InvalidConfig(format!("packetizer: {e}"))),
        }
        Ok(())
    }

    /// As [`analyze_render`](Self::analyze_render) then
    /// [`process_capture`](Self::process_capture): the loudspeaker and microphone frames of
    /// the same 10 ms.
    pub fn process(&mut self, render: &[f32], capture: &[f32]) -> Result<()> {
        self.analyze_render(render)?;
        self.process_capture(capture)
    }

    /// Takes the oldest packet waiting to be sent (valid until the next call on this path).
    pub fn poll_packet(&mut self) -> Option<&[u8]> {
        self.queue.pop()
    }

    /// Packets waiting in the queue.
    #[must_use]
    pub fn queued_packets(&self) -> usize {
        self.queue.len()
    }

    /// The latest frame's audio after the echo canceller, after the noise suppressor and as
    /// encoded.
    #[must_use]
    pub fn taps(&self) -> SendTaps<'_> {
        SendTaps {
            after_echo: &self.after_echo,
            after_noise: &self.after_noise,
            encoded: &self.wire,
        }
    }

    /// The echo canceller, when it is on (read-only: its settings and statistics).
    #[must_use]
    pub fn echo_canceller(&self) -> Option<&EchoCanceller> {
        self.echo.as_ref()
    }

    /// The noise suppressor, when it is on (read-only: gains, noise estimate, VAD).
    #[must_use]
    pub fn noise_suppressor(&self) -> Option<&NoiseSuppressor> {
        self.noise.as_ref()
    }

    /// Statistics of every stage.
    #[must_use]
    pub fn stats(&self) -> SendStats {
        let noise_level = self.noise.as_ref().map(|ns| {
            let bins = ns.noise_power();
            let mean = bins.iter().sum::<f32>() / bins.len().max(1) as f32;
            power_dbfs(mean)
        });
        SendStats {
            frames: self.frames,
            capture_level_dbfs: self.capture_level.dbfs(),
            output_level_dbfs: self.output_level.dbfs(),
            non_finite_samples: self.non_finite,
            clipped_samples: self.clipped,
            echo: self.echo.as_ref().map(EchoCanceller::stats),
            speech_probability: self.noise.as_ref().map(NoiseSuppressor::speech_probability),
            noise_level_dbfs: noise_level,
            snr_db: self.noise.as_ref().map(NoiseSuppressor::snr_estimate_db),
            packets_sent: self.packets,
            packets_dropped: self.queue.dropped(),
        }
    }

    /// Algorithmic delay from microphone to the encoded audio, in ms (resampling and noise
    /// suppression; packetisation adds up to one packet on top, see
    /// [`PipelineConfig::ptime`]).
    #[must_use]
    pub fn latency_ms(&self) -> f32 {
        self.latency_8k as f32 / 8.0
    }

    /// Forgets all audio and adaptation (a new call); statistics restart and queued packets
    /// are dropped. Packet numbering continues.
    pub fn reset(&mut self) {
        for r in [
            self.capture_resampler.as_mut(),
            self.render_resampler.as_mut(),
            self.wire_resampler.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            r.reset();
        }
        if let Some(h) = self.high_pass.as_mut() {
            h.reset();
        }
        if let Some(e) = self.echo.as_mut() {
            e.reset();
        }
        if let Some(n) = self.noise.as_mut() {
            n.reset();
        }
        self.queue.clear();
        self.capture_level = SmoothedLevel::default();
        self.output_level = SmoothedLevel::default();
        self.frames = 0;
        self.non_finite = 0;
        self.clipped = 0;
        self.packets = 0;
    }

    fn check(&self, len: usize) -> Result<()> {
        if len == self.device_frame {
            Ok(())
        } else {
            Err(Error::FrameLength {
                expected: self.device_frame,
                actual: len,
            })
        }
    }
}

impl Latency for SendPath {
    /// Algorithmic delay in samples at 8 kHz (the encoded audio's rate), without packetisation.
    fn latency_samples(&self) -> usize {
        self.latency_8k
    }
}
