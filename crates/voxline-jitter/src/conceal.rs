//! What the buffer plays when the audio it needs is missing.
//!
//! The [`Concealer`] trait is the seam where a packet-loss concealer plugs in: the buffer shows
//! it every sample it plays from real packets and asks it for samples when a packet is lost or
//! late. [`BasicConcealer`] is the built-in one: pitch-period repetition with a fade, in the
//! spirit of G.711 Appendix I but simplified (no overlap-add into the first good frame beyond
//! the buffer's own crossfade). A better concealer replaces it through the trait.

use voxline_core::SampleRate;

/// A packet-loss concealer as the jitter buffer drives it.
pub trait Concealer {
    /// Records samples that were played from real audio (the history to continue from).
    fn good(&mut self, samples: &[f32]);
    /// Fills `out` with samples continuing the history across a gap. Consecutive calls
    /// continue the same concealment event until [`resume`](Self::resume).
    fn conceal(&mut self, out: &mut [f32]);
    /// Real audio follows: the next `conceal` starts a new event.
    fn resume(&mut self);
}

/// Pitch-period repetition from the last 30 ms of history, full level for the first 10 ms
/// of a gap, then fading 20 % per 10 ms to silence after 60 ms.
#[derive(Debug, Clone)]
pub struct BasicConcealer {
    history: Vec<f32>,
    /// Number of valid samples at the end of `history`.
    filled: usize,
    period: usize,
    min_period: usize,
    max_period: usize,
    /// Samples concealed in the current event (0 = no event).
    position: usize,
    samples_per_10ms: usize,
    /// The repeated cycle (copied at the event start, with a quarter-period crossfade).
    cycle: Vec<f32>,
}

impl BasicConcealer {
    /// A concealer for `rate`; searches pitch periods of 2.5 to 15 ms.
    #[must_use]
    pub fn new(rate: SampleRate) -> Self {
        let per_ms = rate.hz() as usize / 1000;
        let max_period = 15 * per_ms;
        Self {
            history: vec![0.0; 3 * max_period],
            filled: 0,
            period: max_period,
            min_period: 5 * per_ms / 2,
            max_period,
            position: 0,
            samples_per_10ms: rate.samples_per_10ms(),
            cycle: vec![0.0; max_period],
        }
    }

    fn estimate_period(&self) -> usize {
        let h = &self.history;
        let n = h.len();
        let window = self.max_period;
        let tail = &h[n - window..];
        let mut best = (self.max_period, f32::MIN);
        for lag in self.min_period..=self.max_period {
            let other = &h[n - window - lag..n - lag];
            let (mut xy, mut yy) = (0.0f32, 0.0f32);
            for (a, b) in tail.iter().zip(other) {
                xy += a * b;
                yy += b * b;
            }
            let score = if yy > 0.0 { xy / yy.sqrt() } else { 0.0 };
            if score > best.1 {
                best = (lag, score);
            }
        }
        best.0
    }

    fn gain_at(&self, position: usize) -> f32 {
        // Full level for 10 ms, then -20 % per 10 ms, silent from 60 ms.
        let frames = position as f32 / self.samples_per_10ms as f32;
        (1.0 - 0.2 * (frames - 1.0).max(0.0)).max(0.0)
    }
}

impl Concealer for BasicConcealer {
    fn good(&mut self, samples: &[f32]) {
        let n = self.history.len();
        if samples.len() >= n {
            self.history.copy_from_slice(&samples[samples.len() - n..]);
        } else {
            self.history.copy_within(samples.len().., 0);
            self.history[n - samples.len()..].copy_from_slice(samples);
        }
        self.filled = (self.filled + samples.len()).min(n);
    }

    fn conceal(&mut self, out: &mut [f32]) {
        if self.position == 0 {
            self.period = if self.filled == self.history.len() {
                self.estimate_period()
            } else {
                self.max_period
            };
            // The last period of history; its end is crossfaded into the samples before the
            // period start (whose successor is the cycle start) over a quarter period, so the
            // cycle wraps around without a click.
            let n = self.history.len();
            let p = self.period;
            let fade = (p / 4).max(1);
            self.cycle[..p].copy_from_slice(&self.history[n - p..]);
            for i in 0..fade {
                let w = (i as f32 + 0.5) / fade as f32;
                self.cycle[p - fade + i] =
                    (1.0 - w) * self.history[n - fade + i] + w * self.history[n - p - fade + i];
            }
        }
        let p = self.period;
        for o in out.iter_mut() {
            let s = self.cycle[self.position % p];
            *o = s * self.gain_at(self.position);
            self.position += 1;
        }
    }

    fn resume(&mut self) {
        self.position = 0;
    }
}
