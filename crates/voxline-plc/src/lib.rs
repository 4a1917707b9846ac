//! Packet-loss concealment (PLC) for voxline: what the listener hears when a packet is lost.
//!
//! [`PacketLossConcealer`] takes the receive stream 10 ms at a time (or 20/30 ms, processed as
//! 10 ms frames): [`good`](PacketLossConcealer::good) for each received frame,
//! [`conceal`](PacketLossConcealer::conceal) for each lost one. Modes ([`PlcMode`]):
//!
//! - [`PlcMode::Voxline`] (default): voxline's own concealer, no added delay.
//! - [`PlcMode::AppendixI`]: ITU-T G.711 Appendix I, bit-exact with the reference at 8 kHz
//!   (3.75 ms delay), parameters scaled by the rate above 8 kHz.
//! - [`PlcMode::Zero`] and [`PlcMode::Repeat`]: the two baselines (silence insertion,
//!   repetition of the last frame), for evaluation.
//!
//! Sans-IO, 8/16/32/48 kHz, no allocation per frame, latency reported.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod appendix_i;
mod baseline;
mod voxline_mode;

use core::fmt;
use core::str::FromStr;

use voxline_core::{Error, Latency, Result, SampleRate};

pub use appendix_i::AppendixI;
pub use voxline_mode::{VoxlineConcealer, MAX_GAP_MS};

/// Which concealment algorithm a [`PacketLossConcealer`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlcMode {
    /// voxline's concealer: the default.
    #[default]
    Voxline,
    /// ITU-T G.711 Appendix I.
    AppendixI,
    /// Baseline: lost frames are silence.
    Zero,
    /// Baseline: a lost frame repeats the last received 10 ms frame.
    Repeat,
}

impl PlcMode {
    /// Every mode, in the order used by tables.
    pub const ALL: [PlcMode; 4] = [
        PlcMode::Zero,
        PlcMode::Repeat,
        PlcMode::AppendixI,
        PlcMode::Voxline,
    ];

    /// The mode's name on the command line: `voxline`, `appendix-i`, `zero`, `repeat`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PlcMode::Voxline => "voxline",
            PlcMode::AppendixI => "appendix-i",
            PlcMode::Zero => "zero",
            PlcMode::Repeat => "repeat",
        }
    }
}

impl fmt::Display for PlcMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown PLC mode '{0}' (use voxline, appendix-i, zero or repeat)")]
pub struct ParseModeError(pub String);

impl FromStr for PlcMode {
    type Err = ParseModeError;
    fn from_str(s: &str) -> core::result::Result<Self, ParseModeError> {
        PlcMode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseModeError(s.to_string()))
    }
}

/// One concealment algorithm working on 10 ms frames.
pub(crate) trait Engine {
    /// A received frame in, the frame to play out (delayed by `latency` samples).
    fn good(&mut self, input: &[f32], out: &mut [f32]);
    /// A lost frame: the frame to play out.
    fn conceal(&mut self, out: &mut [f32]);
    /// Output delay in samples.
    fn latency(&self) -> usize;
}

enum Inner {
    Voxline(Box<VoxlineConcealer>),
    AppendixI(Box<AppendixI>),
    Zero(baseline::Zero),
    Repeat(baseline::Repeat),
}

impl Inner {
    fn engine(&mut self) -> &mut dyn Engine {
        match self {
            Inner::Voxline(e) => e.as_mut(),
            Inner::AppendixI(e) => e.as_mut(),
            Inner::Zero(e) => e,
            Inner::Repeat(e) => e,
        }
    }
}

/// A packet-loss concealer for one stream: construct with a rate and a [`PlcMode`], then call
/// [`good`](Self::good) or [`conceal`](Self::conceal) for every frame in order.
pub struct PacketLossConcealer {
    rate: SampleRate,
    mode: PlcMode,
    frame: usize,
    latency: usize,
    inner: Inner,
    zeros: Vec<f32>,
}

impl fmt::Debug for PacketLossConcealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacketLossConcealer")
            .field("rate", &self.rate)
            .field("mode", &self.mode)
            .field("latency", &self.latency)
            .finish()
    }
}

impl PacketLossConcealer {
    /// A concealer for `rate` (8, 16, 32 or 48 kHz) running `mode`.
    pub fn new(rate: SampleRate, mode: PlcMode) -> Result<Self> {
        if rate == SampleRate::Hz44100 {
            return Err(Error::UnsupportedSampleRate(44_100));
        }
        let frame = rate.samples_per_10ms();
        let mut inner = match mode {
            PlcMode::Voxline => Inner::Voxline(Box::new(VoxlineConcealer::new(rate))),
            PlcMode::AppendixI => Inner::AppendixI(Box::new(AppendixI::new(rate))),
            PlcMode::Zero => Inner::Zero(baseline::Zero),
            PlcMode::Repeat => Inner::Repeat(baseline::Repeat::new(frame)),
        };
        let latency = inner.engine().latency();
        Ok(Self {
            rate,
            mode,
            frame,
            latency,
            inner,
            zeros: vec![0.0; frame],
        })
    }

    /// The sample rate.
    #[must_use]
    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// The algorithm.
    #[must_use]
    pub fn mode(&self) -> PlcMode {
        self.mode
    }

    /// Samples per 10 ms frame; `good` and `conceal` take any whole number of frames.
    #[must_use]
    pub fn frame_len(&self) -> usize {
        self.frame
    }

    fn check(&self, len: usize, other: usize) -> Result<()> {
        if len == 0 || !len.is_multiple_of(self.frame) || len > 3 * self.frame {
            return Err(Error::FrameLength {
                expected: self.frame,
                actual: len,
            });
        }
        if other != len {
            return Err(Error::FrameLength {
                expected: len,
                actual: other,
            });
        }
        Ok(())
    }

    /// A received frame (10, 20 or 30 ms): writes the audio to play into `out`, delayed by
    /// [`Latency::latency_samples`] (0 except for Appendix I). NaN/Inf input counts as 0.
    pub fn good(&mut self, input: &[f32], out: &mut [f32]) -> Result<()> {
        self.check(input.len(), out.len())?;
        let n = self.frame;
        for (i, o) in input.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            self.inner.engine().good(i, o);
        }
        Ok(())
    }

    /// A lost frame (10, 20 or 30 ms): writes the concealment into `out`.
    pub fn conceal(&mut self, out: &mut [f32]) -> Result<()> {
        self.check(out.len(), out.len())?;
        for o in out.chunks_exact_mut(self.frame) {
            self.inner.engine().conceal(o);
        }
        Ok(())
    }

    /// Conceals a whole gap (`out`, whole 10 ms frames, at most 60 ms) when the audio that
    /// follows it is already known (`next`: the received frames after the gap, ideally 30 ms
    /// or more), as a jitter buffer knows it when the next packet has arrived. The voxline mode
    /// interpolates across the gap from both sides; other modes, or a gap it cannot
    /// interpolate, conceal frame by frame as [`conceal`](Self::conceal) does. Returns whether
    /// the gap was interpolated.
    pub fn conceal_gap(&mut self, out: &mut [f32], next: &[f32]) -> Result<bool> {
        if out.is_empty() || !out.len().is_multiple_of(self.frame) {
            return Err(Error::FrameLength {
                expected: self.frame,
                actual: out.len(),
            });
        }
        if let Inner::Voxline(v) = &mut self.inner {
            if v.conceal_gap(out, next) {
                return Ok(true);
            }
        }
        for o in out.chunks_exact_mut(self.frame) {
            self.inner.engine().conceal(o);
        }
        Ok(false)
    }

    /// End of stream: pushes one silent good frame through the delay line and writes the last
    /// [`Latency::latency_samples`] samples of real output into `out[..latency]`; returns the
    /// number written (0 when there is no delay). `out` must hold at least one frame.
    pub fn flush(&mut self, out: &mut [f32]) -> Result<usize> {
        if out.len() < self.frame {
            return Err(Error::FrameLength {
                expected: self.frame,
                actual: out.len(),
            });
        }
        let zeros = core::mem::take(&mut self.zeros);
        self.inner.engine().good(&zeros, &mut out[..self.frame]);
        self.zeros = zeros;
        Ok(self.latency)
    }
}

impl Latency for PacketLossConcealer {
    fn latency_samples(&self) -> usize {
        self.latency
    }
}

/// Conceals a whole recording offline: `lost[k]` says whether 10 ms frame `k` is lost. The
/// output has the input's length and is aligned with it (the concealer's delay removed, as
/// the ITU-T reference tool does); a trailing partial frame is passed through unchanged.
pub fn conceal_recording(
    rate: SampleRate,
    mode: PlcMode,
    input: &[f32],
    lost: &[bool],
) -> Result<Vec<f32>> {
    conceal_recording_inner(rate, mode, input, lost, false)
}

/// Like [`conceal_recording`], but each gap of up to 60 ms is concealed knowing the received
/// audio after it ([`PacketLossConcealer::conceal_gap`]), as a jitter buffer that already holds
/// the next packet can.
pub fn conceal_recording_with_lookahead(
    rate: SampleRate,
    mode: PlcMode,
    input: &[f32],
    lost: &[bool],
) -> Result<Vec<f32>> {
    conceal_recording_inner(rate, mode, input, lost, true)
}

fn conceal_recording_inner(
    rate: SampleRate,
    mode: PlcMode,
    input: &[f32],
    lost: &[bool],
    lookahead: bool,
) -> Result<Vec<f32>> {
    let mut plc = PacketLossConcealer::new(rate, mode)?;
    let n = plc.frame_len();
    let delay = plc.latency_samples();
    let mut out = Vec::with_capacity(input.len() + n);
    let mut frame = vec![0.0f32; n];
    let whole = input.len() / n * n;
    let frames = whole / n;
    let is_lost = |k: usize| lost.get(k).copied().unwrap_or(false);
    let mut gap = vec![0.0f32; 6 * n];
    let mut k = 0;
    while k < frames {
        if is_lost(k) {
            let mut end = k;
            while end < frames && is_lost(end) {
                end += 1;
            }
            if lookahead && end - k <= 6 && end < frames {
                // The received audio after the gap, up to the next loss (at most 60 ms).
                let mut stop = end;
                while stop < frames && !is_lost(stop) && stop - end < 6 {
                    stop += 1;
                }
                let g = &mut gap[..(end - k) * n];
                plc.conceal_gap(g, &input[end * n..stop * n])?;
                out.extend_from_slice(g);
                k = end;
                continue;
            }
            plc.conceal(&mut frame)?;
        } else {
            plc.good(&input[k * n..(k + 1) * n], &mut frame)?;
        }
        out.extend_from_slice(&frame);
        k += 1;
    }
    if delay > 0 && whole > 0 {
        let written = plc.flush(&mut frame)?;
        out.extend_from_slice(&frame[..written]);
        out.drain(..delay);
    }
    out.extend_from_slice(&input[whole..]);
    Ok(out)
}
