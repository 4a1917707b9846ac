//! Pitch-synchronous time-stretching of decoded audio (WSOLA-style), so the jitter buffer can
//! shorten or lengthen the audio waiting to be played without audible gaps or clicks.
//!
//! The idea, as in NetEq's "accelerate" and "preemptive expand" (implemented here from the
//! idea, not from any code): in voiced speech two consecutive pitch periods look alike, so one
//! period `T` can be removed (or one inserted) by cross-fading the period before the cut into
//! the period after it. The pitch is kept because `T` is the period itself; the waveform
//! stays continuous because the crossfade starts on one period and ends on the other.
//!
//! [`TimeStretcher`] decides whether and by how much a segment can be stretched:
//!
//! 1. **Guards.** Fewer than [`required_len`](TimeStretcher::required_len) samples (30 ms), or a
//!    NaN/infinity among them: nothing is done (`samples == 0`).
//! 2. **Quiet.** If the AC energy (mean square after removing the mean, so a DC offset does not
//!    count) of those 30 ms is below -50 dBFS (`1e-5`, full scale being 1.0), the segment is
//!    silence or low comfort noise and is stretched freely by `T = max_period` (15 ms), the
//!    biggest step; `quiet` is set.
//! 3. **Coarse pitch search** on a copy decimated to about 4 kHz by averaging blocks of
//!    `floor(rate / 4000)` samples (2 at 8 kHz, 11 at 44.1 kHz giving 4009 Hz, 12 at 48 kHz).
//!    For every decimated lag in 2.5..=15 ms it takes the correlation over a *fixed* window of
//!    15 ms (`y[0..W]` against `y[lag..lag+W]`). A fixed window covers at least one full period
//!    at every lag, so short lags are not favoured the way they are when each lag `T`
//!    compares only `T` samples (two short slices of a smooth signal always look alike). Among
//!    the local maxima within 0.05 of the best value the shortest lag wins: one pitch period
//!    rather than a multiple of it.
//! 4. **Fine search** at the full rate, `+-(D/2 + 2)` samples around the coarse lag times the
//!    decimation factor `D` (the coarse lag is only known to `D` samples): here the measure is
//!    the correlation between exactly the two slices that will be cross-faded, `x[0..T]` and
//!    `x[T..2T]`, and the best `T` is kept.
//! 5. **Decision.** Stretch by `T` if that correlation is at least 0.9 (voiced, periodic
//!    speech); otherwise (unvoiced or noisy speech, transitions) do nothing and let the caller
//!    try again on the next frame.
//!
//! Every correlation is Pearson's (means removed, normalised by both energies), so a DC offset
//! neither fakes periodicity nor hides it. The crossfade is a raised cosine over `T` samples
//! whose weight is exactly 1 on the first sample and would be exactly 0 one sample after the
//! last, so both joins are continuous. Work per call is bounded by the rate (about 30 000
//! five-sum correlation steps at 48 kHz, whatever the input), computed in `f64`, and
//! allocation-free: the decimated copy and the coarse correlations live in buffers sized by
//! [`TimeStretcher::new`].

use voxline_core::SampleRate;

/// Shortest pitch period searched, in microseconds (2.5 ms: a 400 Hz voice).
const MIN_PERIOD_US: usize = 2_500;
/// Longest pitch period searched, in microseconds (15 ms: a 67 Hz voice).
const MAX_PERIOD_US: usize = 15_000;
/// Target rate of the coarse search; the decimation factor is `floor(rate / this)`.
const COARSE_RATE_HZ: u32 = 4_000;
/// Minimum correlation of the two cross-faded periods for a voiced segment to be stretched.
const CORRELATION_THRESHOLD: f64 = 0.9;
/// AC mean square below which a segment counts as quiet: (-50 dBFS)^2 with full scale 1.0.
const QUIET_MEAN_SQUARE: f64 = 1e-5;
/// A coarse peak at a shorter lag within this much of the best one is preferred to it.
const PEAK_TOLERANCE: f64 = 0.05;

/// Result of one [`TimeStretcher::accelerate`] or [`TimeStretcher::decelerate`] attempt: how
/// many samples were removed or inserted and why, so the caller can update its bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StretchOutcome {
    /// Samples removed (accelerate) or inserted (decelerate); 0 means nothing was done.
    pub samples: usize,
    /// Correlation of the two periods that were (or would have been) cross-faded, in
    /// [-1, 1]; 0 when it could not be measured (too short, non-finite or constant input).
    pub correlation: f32,
    /// True when the segment was stretched because it is quiet (silence or comfort noise),
    /// by `max_period`, whatever its correlation.
    pub quiet: bool,
}

impl StretchOutcome {
    /// Nothing done and nothing measured.
    const NONE: StretchOutcome = StretchOutcome {
        samples: 0,
        correlation: 0.0,
        quiet: false,
    };
}

/// Removes or inserts one pitch period at the front of a block of decoded audio (WSOLA-style
/// time-stretching), so a jitter buffer can change its delay without audible artefacts.
#[derive(Debug, Clone)]
pub struct TimeStretcher {
    min_period: usize,
    max_period: usize,
    /// Decimation factor of the coarse search, `floor(rate / 4000)`.
    decimation: usize,
    /// Shortest and longest coarse lag, in decimated samples.
    coarse_min: usize,
    /// Decimated copy of the analysed samples: `2 * coarse_max` values.
    decimated: Box<[f64]>,
    /// Coarse correlation per lag `coarse_min..=coarse_max`.
    coarse_corr: Box<[f64]>,
}

impl TimeStretcher {
    /// A stretcher for audio at `rate`, searching periods of 2.5 ms ..= 15 ms (20..=120 samples
    /// at 8 kHz, 110..=661 at 44.1 kHz); all scratch memory is allocated here.
    #[must_use]
    pub fn new(rate: SampleRate) -> Self {
        let hz = rate.hz() as usize;
        let min_period = hz * MIN_PERIOD_US / 1_000_000;
        let max_period = hz * MAX_PERIOD_US / 1_000_000;
        let decimation = (rate.hz() / COARSE_RATE_HZ).max(1) as usize;
        let coarse_min = min_period.div_ceil(decimation);
        let coarse_max = max_period / decimation;
        TimeStretcher {
            min_period,
            max_period,
            decimation,
            coarse_min,
            decimated: vec![0.0; 2 * coarse_max].into_boxed_slice(),
            coarse_corr: vec![0.0; coarse_max - coarse_min + 1].into_boxed_slice(),
        }
    }

    /// Shortest period, in samples, that may be removed or inserted (2.5 ms).
    #[must_use]
    pub fn min_period(&self) -> usize {
        self.min_period
    }

    /// Longest period, in samples, that may be removed or inserted (15 ms); also the step
    /// used for quiet segments.
    #[must_use]
    pub fn max_period(&self) -> usize {
        self.max_period
    }

    /// Samples `accelerate`/`decelerate` look at: `2 * max_period` (30 ms); samples beyond it
    /// are never read or written. Shorter input limits the period to half its length (and is
    /// left alone below `2 * min_period`).
    #[must_use]
    pub fn required_len(&self) -> usize {
        2 * self.max_period
    }

    /// Tries to remove one period `T` from the front of `x` (`x.len() >= required_len()`).
    ///
    /// On success (`samples == T > 0`) `x[T..2T]` has been overwritten with a crossfade from
    /// `x[0..T]` (weight 1 -> 0) to `x[T..2T]` (0 -> 1); the caller then drops the first `T`
    /// samples, so the signal runs from `x[0]` seamlessly into the old `x[2T..]`. On failure
    /// (`samples == 0`) `x` is untouched.
    pub fn accelerate(&mut self, x: &mut [f32]) -> StretchOutcome {
        let outcome = self.analyse(x);
        let t = outcome.samples;
        if t > 0 {
            let (first, rest) = x.split_at_mut(t);
            for (i, (b, &a)) in rest[..t].iter_mut().zip(first.iter()).enumerate() {
                *b = mix(a, *b, fade_out_weight(i, t));
            }
        }
        outcome
    }

    /// Tries to insert one period `T` at the front of `x` (`x.len() >= required_len()`,
    /// `out.len() >= required_len()`).
    ///
    /// On success (`samples == T > 0`) `out[0..2T]` holds `x[0..T]` followed by a crossfade
    /// from `x[T..2T]` (weight 1 -> 0) to `x[0..T]` (0 -> 1); the caller replaces `x[0..T]`
    /// with `out[0..2T]`, so the signal gains `T` samples and runs seamlessly into the old
    /// `x[T..]`. On failure (`samples == 0`) `out` is untouched.
    pub fn decelerate(&mut self, x: &[f32], out: &mut [f32]) -> StretchOutcome {
        if out.len() < self.required_len() {
            return StretchOutcome::NONE;
        }
        let outcome = self.analyse(x);
        let t = outcome.samples;
        if t > 0 {
            out[..t].copy_from_slice(&x[..t]);
            for i in 0..t {
                out[t + i] = mix(x[t + i], x[i], fade_out_weight(i, t));
            }
        }
        outcome
    }

    /// Decides the period to remove or insert at the front of `x` (0 = leave it alone).
    fn analyse(&mut self, x: &[f32]) -> StretchOutcome {
        // Shorter input (a nearly empty jitter buffer) limits the period to half its length.
        let max_t = self.max_period.min(x.len() / 2);
        if max_t < self.min_period || max_t / self.decimation < self.coarse_min + 1 {
            return StretchOutcome::NONE;
        }
        let n = 2 * max_t;
        let x = &x[..n];
        if x.iter().any(|s| !s.is_finite()) {
            return StretchOutcome::NONE;
        }

        let (sum, sum_sq) = x.iter().fold((0.0f64, 0.0f64), |(s, q), &v| {
            let v = f64::from(v);
            (s + v, q + v * v)
        });
        let ac_mean_square = (sum_sq - sum * sum / n as f64) / n as f64;
        if ac_mean_square < QUIET_MEAN_SQUARE {
            let t = max_t;
            return StretchOutcome {
                samples: t,
                correlation: pearson(&x[..t], &x[t..2 * t]) as f32,
                quiet: true,
            };
        }

        let coarse = self.coarse_lag(x, max_t / self.decimation);
        let radius = self.decimation / 2 + 2;
        let centre = coarse * self.decimation;
        let lo = centre.saturating_sub(radius).max(self.min_period);
        let hi = (centre + radius).min(max_t);
        let (mut best_t, mut best_c) = (0, f64::NEG_INFINITY);
        for t in lo..=hi {
            let c = pearson(&x[..t], &x[t..2 * t]);
            if c > best_c {
                best_t = t;
                best_c = c;
            }
        }
        let correlation = best_c as f32;
        if best_c >= CORRELATION_THRESHOLD {
            StretchOutcome {
                samples: best_t,
                correlation,
                quiet: false,
            }
        } else {
            StretchOutcome {
                samples: 0,
                correlation,
                quiet: false,
            }
        }
    }

    /// Coarse period estimate, in decimated samples, on a correlation window of `coarse_max`
    /// decimated samples (15 ms when the input is long enough).
    fn coarse_lag(&mut self, x: &[f32], coarse_max: usize) -> usize {
        let d = self.decimation;
        for (y, block) in self.decimated.iter_mut().zip(x.chunks_exact(d)) {
            *y = block.iter().map(|&v| f64::from(v)).sum::<f64>() / d as f64;
        }
        let window = coarse_max;
        let y = &self.decimated;
        let (mut best, mut best_c) = (self.coarse_min, f64::NEG_INFINITY);
        let lags = coarse_max - self.coarse_min + 1;
        for (k, c) in self.coarse_corr[..lags].iter_mut().enumerate() {
            let lag = self.coarse_min + k;
            *c = pearson(&y[..window], &y[lag..lag + window]);
            if *c > best_c {
                best = lag;
                best_c = *c;
            }
        }
        // Prefer the fundamental: the first interior peak nearly as good as the best one.
        let corr = &self.coarse_corr[..lags];
        (1..best - self.coarse_min)
            .find(|&k| {
                corr[k] > corr[k - 1]
                    && corr[k] >= corr[k + 1]
                    && corr[k] >= best_c - PEAK_TOLERANCE
            })
            .map_or(best, |k| self.coarse_min + k)
    }
}

/// Raised-cosine fade-out weight of sample `i` of a crossfade over `len` samples: 1 at
/// `i = 0`, falling to 0 at `i = len` (one past the last sample).
fn fade_out_weight(i: usize, len: usize) -> f64 {
    0.5 * (1.0 + (core::f64::consts::PI * i as f64 / len as f64).cos())
}

/// `w * a + (1 - w) * b`, computed in `f64` so that finite inputs near `f32::MAX` stay finite.
fn mix(a: f32, b: f32, w: f64) -> f32 {
    (w * f64::from(a) + (1.0 - w) * f64::from(b)) as f32
}

/// Pearson correlation of two equally long slices, clamped to [-1, 1]; 0 if either slice is
/// (numerically) constant, where a correlation means nothing.
fn pearson<T: Copy + Into<f64>>(a: &[T], b: &[T]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    for (&p, &q) in a.iter().zip(b) {
        let (p, q): (f64, f64) = (p.into(), q.into());
        sa += p;
        sb += q;
        saa += p * p;
        sbb += q * q;
        sab += p * q;
    }
    let n = n as f64;
    let va = saa - sa * sa / n;
    let vb = sbb - sb * sb / n;
    // Variances lost in rounding against a large mean are treated as zero.
    if va <= saa * 1e-9 || vb <= sbb * 1e-9 {
        return 0.0;
    }
    let c = (sab - sa * sb / n) / (va * vb).sqrt();
    if c.is_finite() {
        c.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}
