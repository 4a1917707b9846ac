//! voxline's own concealer: no added delay, LPC-based pitch extrapolation with a fractional,
//! trend-following pitch period, a merge into the next good frame, and a fade into comfort
//! noise at the background level instead of hard silence.
//!
//! At the start of a loss the last 20-45 ms of played audio are analysed once:
//!
//! 1. **Spectral envelope**: LPC of order 10 (8 kHz) or 16 (higher rates) by the
//!    autocorrelation method (Hann window, lag window, white-noise correction) and
//!    Levinson-Durbin; the history is inverse-filtered to its residual (excitation).
//! 2. **Pitch**: normalised cross-correlation of the signal with itself over lags of 2.5 to
//!    15 ms, coarse on a 4 kHz decimated copy, refined at full rate; the shortest lag whose
//!    correlation is within 10 % of the best is taken, so octave errors are avoided. The lag is
//!    then refined to a fraction of a sample (parabola through the correlations around it), and
//!    measured a second time on a window ending 5 ms earlier: the difference is the pitch
//!    trend (intonation), which the concealment continues, by at most ±2 % of the period.
//! 3. **Synthesis**: the residual is continued periodically, `e[n] = e(n - T(n))`, with the
//!    fractional period `T(n)` read through an 8-tap windowed-sinc interpolator (as a CELP
//!    adaptive codebook does), and passed through the LPC synthesis filter whose memory is the
//!    real history, so the waveform continues without a click. The repeated cycle is the
//!    residual's last period (above 8 kHz averaged with the one before). How periodic the
//!    history was (the pitch correlation `c`) sets the mix: the power share `min(c / 0.8, 1)`
//!    is the periodic excitation, the rest white noise at the cycle's level, so unvoiced and
//!    weakly voiced sounds do not turn into a buzz. The periodic part is kept below 3 kHz
//!    (8 kHz rate) or 3.8 kHz (higher rates); noise at the residual's level there fills the
//!    band above (half that level above 8 kHz).
//! 4. **Level**: the extrapolated speech loses 30 % of its level per 10 ms down to half, holds
//!    until 60 ms, and is gone by 150 ms; from 60 ms comfort noise fades in: white noise
//!    shaped by the LPC envelope of the background (tracked on quiet received frames) at the
//!    background level (a slow-rise, fast-fall floor of the frame RMS). A long loss sounds like
//!    the line's own background, not a dropout.
//! 5. **Merge**: the first received frame after a loss is crossfaded (raised cosine) from the
//!    continuing concealment into the real audio. The crossfade is short (3 ms at 8 kHz, 5 ms
//!    above) when the continuation and the real audio disagree, and grows to the whole 10 ms
//!    frame as their normalised correlation over the first 5 ms rises from 0.3 to 0.9 (two
//!    signals in phase can be blended slowly; two out of phase would cancel).
//!
//! **Gap interpolation** (`PacketLossConcealer::conceal_gap`): when the audio after a gap of
//! up to 60 ms is already known (a jitter buffer holding the next packets), the same analysis
//! runs a second time on that audio, time-reversed, and extrapolates backwards into the gap;
//! the forward and backward extrapolations are crossfaded linearly across the gap, which then
//! meets the following audio exactly (no merge needed).
//!
//! The constants were chosen by PESQ (`tools/eval/plc_eval.py`). Measured worse and not used:
//! random excitation mixed into strongly voiced speech, repeating 2-3 periods (a fixed
//! minimum cycle length, or a cycle that grows during the loss), averaging cycles at 8 kHz,
//! merges longer than one frame or warped by correlation, a faster fade into comfort noise,
//! a voicing-dependent or energy-trend-dependent level schedule, and continuing the pitch
//! trend with the wrong sign (a control: the trend itself is what helps).
//!
//! Simplifications, stated plainly: no lookahead, so the merge cannot time-align the real audio
//! to the concealment as NetEq's merge does (it only chooses how long to crossfade); the
//! comfort noise is stationary (one envelope, one level) for the whole loss; the pitch trend
//! is linear.

use crate::Engine;
use voxline_core::{sanitize, SampleRate, Xorshift32};

/// Longest gap concealed by interpolation when the following audio is known, ms.
pub const MAX_GAP_MS: usize = 60;
/// Length of the analysis window, ms.
const ANALYSIS_MS: usize = 20;
/// Longest pitch period searched, ms.
const MAX_PITCH_MS: usize = 15;
/// The speech part starts fading out this far into a loss, ms.
const HOLD_MS: usize = 60;
/// The speech part is gone this far into a loss, ms.
const FADE_END_MS: usize = 150;
/// Comfort noise reaches its level this far into a loss, ms.
const NOISE_IN_MS: usize = 100;
/// Gain of the extrapolated speech falls by this much per 10 ms from the start of a loss ...
const GAIN_STEP_PER_10MS: f32 = 0.3;
/// ... down to this floor (before the fade-out after `HOLD_MS`).
const GAIN_FLOOR: f32 = 0.5;
/// Pitch correlation at and above which the excitation is purely periodic; below it the
/// periodic part's power share is `correlation / VOICED_CORR`, the rest is noise.
const VOICED_CORR: f32 = 0.8;
/// The pitch trend is the change of the period between the window ending now and the one
/// ending this much earlier, ms ...
const TREND_WINDOW_OFFSET_MS: usize = 5;
/// ... and the continued period departs from the last one by at most this fraction.
const TREND_MAX_DEVIATION: f32 = 0.02;
/// Shortest merge crossfade into the first good frame, ms (8 kHz) ...
const MERGE_MS: usize = 3;
/// ... the same above 8 kHz.
const WIDEBAND_MERGE_MS: usize = 5;
/// The merge correlation is measured over this much of the good frame, ms; below the low
/// correlation the crossfade is the shortest, above the high one it spans the whole frame.
const MERGE_CORR_MS: usize = 5;
const MERGE_CORR_LOW: f32 = 0.3;
const MERGE_CORR_HIGH: f32 = 0.9;
/// Weight of the last pitch cycle against the one before it in the repeated excitation, above
/// 8 kHz (1.0 = last cycle only, as at 8 kHz).
const WIDEBAND_LAST_CYCLE_WEIGHT: f32 = 0.5;
/// The periodic excitation is kept below this frequency at 8 kHz, noise fills above ...
const SPLIT_HZ: f32 = 3000.0;
/// ... and this one above 8 kHz.
const WIDEBAND_SPLIT_HZ: f32 = 3800.0;
/// Level of the noise that replaces the residual above the split, relative to the residual's
/// level there, at 8 kHz ...
const HIGH_NOISE: f32 = 1.0;
/// ... and above 8 kHz.
const WIDEBAND_HIGH_NOISE: f32 = 0.5;
/// Fractional delays of the interpolator, in steps of 1/`SINC_PHASES` sample.
const SINC_PHASES: usize = 64;

/// voxline's low-delay concealer (see the module documentation for the algorithm).
pub struct VoxlineConcealer {
    per_ms: usize,
    order: usize,
    min_period: usize,
    max_period: usize,
    /// The most recent output, oldest first.
    history: Vec<f32>,
    /// How many samples of `history` are real (the rest is initial silence).
    filled: usize,
    // --- analysis at the start of a loss ---
    lpc: Vec<f32>,
    residual: Vec<f32>,
    /// The pitch period at the loss start, samples (fractional) ...
    period: f32,
    /// ... and its change per sample (the pitch trend).
    slope: f32,
    /// Amplitude weights of the periodic excitation and of the noise mixed into it.
    periodic_weight: f32,
    noise_weight: f32,
    /// RMS of the repeated residual cycle (the level of the mixed-in noise).
    cycle_rms: f32,
    /// The excitation continued so far (a ring; `e[n] = e(n - T(n))`).
    ring: Vec<f32>,
    ring_pos: usize,
    /// Interpolator taps for every fractional delay (`SINC_PHASES` sets of 8).
    sinc: Vec<[f32; 8]>,
    /// Speech synthesis filter memory (most recent last).
    speech_mem: Vec<f32>,
    /// Background synthesis filter memory.
    noise_mem: Vec<f32>,
    /// Samples concealed in the current loss (0 = not in a loss).
    position: usize,
    // --- background tracking on good frames ---
    floor_rms: f32,
    bg_lpc: Vec<f32>,
    /// Residual RMS per unit of output RMS for the background envelope.
    bg_gain: f32,
    have_bg: bool,
    /// Energy and length of the 10 ms block being accumulated for the background tracker.
    block_energy: f32,
    block_count: usize,
    block_len: usize,
    rng: Xorshift32,
    /// Band split: low-pass for the periodic excitation and high-pass for the noise that
    /// replaces it above the split (coefficients b0 b1 b2 a1 a2).
    split_lp: [f32; 5],
    split_hp: [f32; 5],
    lp_state: [f32; 2],
    hp_state: [f32; 2],
    /// RMS of the residual above the split, and the share of it the noise there gets.
    high_rms: f32,
    high_noise: f32,
    last_cycle_weight: f32,
    merge_min: usize,
    // --- scratch ---
    windowed: Vec<f32>,
    autocorr: Vec<f64>,
    levinson_tmp: Vec<f64>,
    decimated: Vec<f32>,
    merge: Vec<f32>,
    /// Backward extrapolator for gaps whose following audio is known (see `conceal_gap`).
    backward: Option<Box<VoxlineConcealer>>,
    /// Scratch: the reversed following audio, and the backward extrapolation.
    reversed: Vec<f32>,
    back_out: Vec<f32>,
}

impl VoxlineConcealer {
    /// A concealer for `rate`; all memory is allocated here.
    #[must_use]
    pub fn new(rate: SampleRate) -> Self {
        let mut c = Self::single(rate);
        c.backward = Some(Box::new(Self::single(rate)));
        c
    }

    fn single(rate: SampleRate) -> Self {
        let per_ms = rate.hz() as usize / 1000;
        let frame = rate.samples_per_10ms();
        let narrow = rate == SampleRate::Hz8000;
        let order = if narrow { 10 } else { 16 };
        let max_period = MAX_PITCH_MS * per_ms;
        let min_period = per_ms * 5 / 2;
        let analysis = ANALYSIS_MS * per_ms;
        let history_len = (3 * max_period + order).max(analysis + order) + frame;
        let split = if narrow { SPLIT_HZ } else { WIDEBAND_SPLIT_HZ };
        Self {
            per_ms,
            order,
            min_period,
            max_period,
            history: vec![0.0; history_len],
            filled: 0,
            lpc: vec![0.0; order + 1],
            residual: vec![0.0; history_len],
            period: max_period as f32,
            slope: 0.0,
            periodic_weight: 1.0,
            noise_weight: 0.0,
            cycle_rms: 0.0,
            ring: vec![0.0; (max_period + 16).next_power_of_two()],
            ring_pos: 0,
            sinc: (0..SINC_PHASES)
                .map(|q| sinc_taps(q as f32 / SINC_PHASES as f32))
                .collect(),
            speech_mem: vec![0.0; order],
            noise_mem: vec![0.0; order],
            position: 0,
            floor_rms: 0.0,
            bg_lpc: vec![0.0; order + 1],
            bg_gain: 0.0,
            have_bg: false,
            block_energy: 0.0,
            block_count: 0,
            block_len: rate.samples_per_10ms(),
            rng: Xorshift32::new(0x9E37_79B9),
            split_lp: butterworth(rate, split, false),
            split_hp: butterworth(rate, split, true),
            lp_state: [0.0; 2],
            hp_state: [0.0; 2],
            high_rms: 0.0,
            high_noise: if narrow {
                HIGH_NOISE
            } else {
                WIDEBAND_HIGH_NOISE
            },
            last_cycle_weight: if narrow {
                1.0
            } else {
                WIDEBAND_LAST_CYCLE_WEIGHT
            },
            merge_min: if narrow { MERGE_MS } else { WIDEBAND_MERGE_MS } * per_ms,
            windowed: vec![0.0; analysis],
            autocorr: vec![0.0; order + 1],
            levinson_tmp: vec![0.0; order + 1],
            decimated: vec![0.0; history_len],
            merge: vec![0.0; frame],
            backward: None,
            reversed: vec![0.0; MAX_GAP_MS * per_ms + history_len],
            back_out: vec![0.0; MAX_GAP_MS * per_ms],
        }
    }

    fn push_history(&mut self, samples: &[f32]) {
        let n = self.history.len();
        let k = samples.len().min(n);
        self.history.copy_within(k.., 0);
        self.history[n - k..].copy_from_slice(&samples[samples.len() - k..]);
        self.filled = (self.filled + k).min(n);
    }

    fn noise(&mut self) -> f32 {
        // Uniform on [-1, 1] scaled to unit variance.
        self.rng.next_bipolar() * 1.732_050_8
    }

    /// LPC of `signal` (windowed) into `coefs` (a[0] = 1); returns the prediction error as a
    /// fraction of the signal power, or `None` for a silent signal.
    fn lpc_of(
        signal: &[f32],
        fs: f64,
        order: usize,
        windowed: &mut [f32],
        autocorr: &mut [f64],
        tmp: &mut [f64],
        coefs: &mut [f32],
    ) -> Option<f64> {
        let n = signal.len();
        for (i, (w, &x)) in windowed.iter_mut().zip(signal).enumerate() {
            let hann =
                0.5 - 0.5 * (2.0 * core::f32::consts::PI * (i as f32 + 0.5) / n as f32).cos();
            *w = x * hann;
        }
        for lag in 0..=order {
            let mut acc = 0.0f64;
            for i in lag..n {
                acc += f64::from(windowed[i]) * f64::from(windowed[i - lag]);
            }
            // Gaussian lag window (60 Hz bandwidth) against over-sharp resonances.
            let g = (-0.5 * (2.0 * core::f64::consts::PI * 60.0 * lag as f64 / fs).powi(2)).exp();
            autocorr[lag] = acc * g;
        }
        if autocorr[0] <= 1e-12 {
            return None;
        }
        autocorr[0] *= 1.0001; // white-noise correction (-40 dB)
                               // Levinson-Durbin.
        let mut a = [0.0f64; 17];
        a[0] = 1.0;
        let mut err = autocorr[0];
        for i in 1..=order {
            let mut acc = autocorr[i];
            for j in 1..i {
                acc += a[j] * autocorr[i - j];
            }
            let k = -acc / err;
            tmp[..=i].copy_from_slice(&a[..=i]);
            for j in 1..i {
                a[j] = tmp[j] + k * tmp[i - j];
            }
            a[i] = k;
            err *= 1.0 - k * k;
            if err <= 0.0 {
                return None;
            }
        }
        for (c, &v) in coefs.iter_mut().zip(&a[..=order]) {
            *c = v as f32;
        }
        Some(err / autocorr[0])
    }

    /// Pitch period of the history: the shortest lag whose normalised correlation is nearly
    /// the best (see the module documentation), and that correlation at full rate.
    fn find_pitch(&mut self) -> (usize, f32) {
        let h = &self.history;
        let n = h.len();
        // Coarse search on a ~4 kHz copy.
        let d = (self.per_ms / 4).max(1);
        let m = n / d;
        for (i, v) in self.decimated[..m].iter_mut().enumerate() {
            *v = h[n - m * d + i * d..n - m * d + (i + 1) * d]
                .iter()
                .sum::<f32>()
                / d as f32;
        }
        let y = &self.decimated[..m];
        let window = (self.max_period / d).min(m / 3);
        let (lo, hi) = (self.min_period / d, self.max_period / d);
        let mut best = (hi, f32::MIN);
        for lag in lo.max(1)..=hi {
            let c = norm_corr(y, lag, window);
            if c > best.1 {
                best = (lag, c);
            }
        }
        // Prefer the shortest lag nearly as good (avoids picking two periods).
        for lag in lo.max(1)..best.0 {
            let c = norm_corr(y, lag, window);
            if c >= 0.9 * best.1 && c > 0.5 {
                let left = norm_corr(y, lag.saturating_sub(1).max(1), window);
                let right = norm_corr(y, lag + 1, window);
                if c >= left && c >= right {
                    best = (lag, c);
                    break;
                }
            }
        }
        // Refine at full rate around the coarse lag.
        let centre = best.0 * d;
        let w = self.max_period.min(n / 3);
        let mut fine = (centre.clamp(self.min_period, self.max_period), f32::MIN);
        let span = d + 1;
        for lag in
            centre.saturating_sub(span).max(self.min_period)..=(centre + span).min(self.max_period)
        {
            let c = norm_corr(h, lag, w);
            if c > fine.1 {
                fine = (lag, c);
            }
        }
        fine
    }

    /// The best integer lag within `span` of `lag` on a window ending `offset` samples before
    /// the end of the history, refined to a fraction of a sample by a parabola through the
    /// normalised correlations at the lag and its two neighbours.
    fn refine_lag(&self, lag: usize, span: usize, offset: usize) -> f32 {
        let h = &self.history[..self.history.len() - offset];
        let w = self.max_period;
        let lo = lag.saturating_sub(span).max(self.min_period + 1);
        let hi = (lag + span).min(self.max_period - 1);
        if lo > hi {
            return lag as f32;
        }
        let mut best = (lag, f32::MIN);
        for l in lo..=hi {
            let c = norm_corr(h, l, w);
            if c > best.1 {
                best = (l, c);
            }
        }
        let l = best.0;
        let (a, b, c) = (norm_corr(h, l - 1, w), best.1, norm_corr(h, l + 1, w));
        let den = a - 2.0 * b + c;
        if den >= -1e-9 {
            return l as f32;
        }
        l as f32 + (0.5 * (a - c) / den).clamp(-0.5, 0.5)
    }

    fn start_loss(&mut self) {
        let n = self.history.len();
        let order = self.order;
        let analysis = self.windowed.len();
        self.lpc.fill(0.0);
        self.lpc[0] = 1.0;
        let silent = Self::lpc_of(
            &self.history[n - analysis..],
            (self.per_ms * 1000) as f64,
            order,
            &mut self.windowed,
            &mut self.autocorr,
            &mut self.levinson_tmp,
            &mut self.lpc,
        )
        .is_none();
        let (lag, voicing, period, slope) = if silent || self.filled < 2 * self.max_period + order {
            (self.max_period, 1.0, self.max_period as f32, 0.0)
        } else {
            let (lag, c) = self.find_pitch();
            let t = self.refine_lag(lag, 0, 0);
            // The same lag measured 5 ms earlier: the pitch trend per sample.
            let offset = TREND_WINDOW_OFFSET_MS * self.per_ms;
            let before = self.refine_lag(lag, 1 + lag / 20, offset);
            (lag, c, t, (t - before) / offset as f32)
        };
        self.period = period;
        self.slope = slope;
        let share = (voicing / VOICED_CORR).clamp(0.0, 1.0);
        self.periodic_weight = share.sqrt();
        self.noise_weight = (1.0 - share).sqrt();
        // Residual of the part of the history that is used: the last two periods (the
        // repeated cycle) and twice the analysis window (levels); the first `order` samples
        // of the history lack filter memory and are left at zero.
        let used = (2 * lag + 16).max(2 * analysis).min(n - order);
        self.residual[..n - used].fill(0.0);
        for i in n - used..n {
            let mut e = self.history[i];
            for j in 1..=order {
                e += self.lpc[j] * self.history[i - j];
            }
            self.residual[i] = e;
        }
        // Residual energy above the split, for the noise that replaces it there.
        let mut st = [0.0f32; 2];
        let mut acc = 0.0f32;
        let span = analysis.min(n / 2);
        for (i, &e) in self.residual[n - 2 * span..].iter().enumerate() {
            let h = biquad(&self.split_hp, &mut st, e);
            if i >= span {
                acc += h * h;
            }
        }
        self.high_rms = (acc / span as f32).sqrt();
        self.lp_state = [0.0; 2];
        self.hp_state = [0.0; 2];
        // The excitation ring: the residual history, whose last cycle (above 8 kHz averaged
        // with the one before: components that are not periodic cancel, so it buzzes less;
        // measured better above 8 kHz only) is what the periodic continuation repeats.
        let (d_int, taps) = self.delay_taps(period);
        let rl = self.ring.len();
        let start = n - rl;
        self.ring.copy_from_slice(&self.residual[start..]);
        let w = self.last_cycle_weight;
        let mut energy = 0.0;
        for i in rl - (d_int + 5).min(rl)..rl {
            let src = start + i;
            let mut prev = 0.0;
            for (k, h) in taps.iter().enumerate() {
                prev += h * self.residual[src + k - d_int - 4];
            }
            self.ring[i] = w * self.residual[src] + (1.0 - w) * prev;
            if i >= rl - d_int {
                energy += self.ring[i] * self.ring[i];
            }
        }
        self.cycle_rms = (energy / d_int as f32).sqrt();
        self.ring_pos = 0;
        for j in 0..order {
            self.speech_mem[j] = self.history[n - order + j];
            self.noise_mem[j] = 0.0;
        }
        self.position = 0;
    }

    /// Integer part and interpolator taps of a fractional delay `t` (quantised to
    /// 1/`SINC_PHASES` sample).
    fn delay_taps(&self, t: f32) -> (usize, [f32; 8]) {
        let mut d = t.floor() as usize;
        let mut q = ((t - d as f32) * SINC_PHASES as f32).round() as usize;
        if q >= SINC_PHASES {
            d += 1;
            q = 0;
        }
        (d, self.sinc[q])
    }

    /// Next sample of the periodic excitation: `e[n] = e(n - T(n))` with the period following
    /// the pitch trend (within `TREND_MAX_DEVIATION`).
    fn next_periodic(&mut self) -> f32 {
        let limit = TREND_MAX_DEVIATION * self.period;
        let t = (self.period + (self.slope * self.position as f32).clamp(-limit, limit))
            .clamp(self.min_period as f32, (self.max_period - 1) as f32);
        let (d, taps) = self.delay_taps(t);
        let mask = self.ring.len() - 1;
        let base = self.ring_pos + self.ring.len() - d - 4;
        let mut e = 0.0;
        for (k, h) in taps.iter().enumerate() {
            e += h * self.ring[(base + k) & mask];
        }
        self.ring[self.ring_pos] = e;
        self.ring_pos = (self.ring_pos + 1) & mask;
        e
    }

    fn synthesize(&mut self, out: &mut [f32]) {
        let order = self.order;
        let hold = HOLD_MS * self.per_ms;
        let fade_end = FADE_END_MS * self.per_ms;
        let noise_in = NOISE_IN_MS * self.per_ms;
        let step = 10 * self.per_ms;
        let bg_exc = if self.have_bg {
            self.floor_rms * self.bg_gain
        } else {
            0.0
        };
        for o in out.iter_mut() {
            let p = self.position;
            let level = (1.0 - GAIN_STEP_PER_10MS * p as f32 / step as f32).max(GAIN_FLOOR);
            let speech_gain = level
                * if p < hold {
                    1.0
                } else if p < fade_end {
                    1.0 - (p - hold) as f32 / (fade_end - hold) as f32
                } else {
                    0.0
                };
            let noise_gain = if p < hold {
                0.0
            } else {
                ((p - hold) as f32 / (noise_in - hold) as f32).min(1.0)
            };
            let mixed = self.noise() * self.cycle_rms * self.noise_weight;
            let periodic = self.next_periodic() * self.periodic_weight + mixed;
            // Harmonics high up repeat badly (they buzz): keep the periodic part below the
            // split and fill the band above with noise at (part of) the residual's level.
            let low = biquad(&self.split_lp, &mut self.lp_state, speech_gain * periodic);
            let n = self.noise() * self.high_rms * speech_gain * self.high_noise;
            let high = biquad(&self.split_hp, &mut self.hp_state, n);
            // Speech synthesis: y = exc - sum a_j y[n-j].
            let mut y = low + high;
            for j in 1..=order {
                y -= self.lpc[j] * self.speech_mem[order - j];
            }
            self.speech_mem.copy_within(1.., 0);
            self.speech_mem[order - 1] = sanitize(y);
            // Comfort noise through the background envelope.
            let mut z = noise_gain * bg_exc * self.noise();
            if self.have_bg {
                for j in 1..=order {
                    z -= self.bg_lpc[j] * self.noise_mem[order - j];
                }
            }
            self.noise_mem.copy_within(1.., 0);
            self.noise_mem[order - 1] = sanitize(z);
            *o = (y + z).clamp(-1.0, 1.0);
            self.position += 1;
        }
    }

    /// Merge: a raised-cosine crossfade from the continuing concealment into the real frame
    /// `out`, as long as the frame when the two agree (correlated over its first 5 ms) and
    /// as short as `merge_min` when they do not. (Fixed longer crossfades and a
    /// correlation-aligned time warp of the concealment were both measured worse by PESQ:
    /// two signals of different phase overlap for longer.)
    fn merge_into(&mut self, out: &mut [f32]) {
        let len = out.len().min(self.merge.len());
        let mut ext = core::mem::take(&mut self.merge);
        self.synthesize(&mut ext[..len]);
        let win = (MERGE_CORR_MS * self.per_ms).min(len);
        let (mut xy, mut xx, mut yy) = (0.0f32, 0.0f32, 0.0f32);
        for (a, b) in ext[..win].iter().zip(&out[..win]) {
            xy += a * b;
            xx += a * a;
            yy += b * b;
        }
        let c = if xx > 1e-12 && yy > 1e-12 {
            xy / (xx * yy).sqrt()
        } else {
            0.0
        };
        let f = ((c - MERGE_CORR_LOW) / (MERGE_CORR_HIGH - MERGE_CORR_LOW)).clamp(0.0, 1.0);
        let short = self.merge_min.min(len);
        let m = short + (f * (len - short) as f32) as usize;
        for (i, (o, &c)) in out.iter_mut().zip(&ext[..m]).enumerate() {
            let w = 0.5 - 0.5 * (core::f32::consts::PI * (i as f32 + 0.5) / m as f32).cos();
            *o = w * *o + (1.0 - w) * c;
        }
        self.merge = ext;
    }

    /// Tracks the background level and envelope on a received frame.
    /// Feeds played samples (any length) to the background tracker, which works on whole
    /// 10 ms blocks so that its level estimate does not depend on how the audio is chunked.
    fn track_background(&mut self, samples: &[f32]) {
        for &x in samples {
            self.block_energy += x * x;
            self.block_count += 1;
            if self.block_count == self.block_len {
                let rms = (self.block_energy / self.block_len as f32).sqrt();
                self.block_energy = 0.0;
                self.block_count = 0;
                self.update_background(rms);
            }
        }
    }

    /// One 10 ms block of level `rms` (the block is the newest part of the history).
    fn update_background(&mut self, rms: f32) {
        if self.floor_rms == 0.0 || rms < self.floor_rms {
            // Fast fall.
            self.floor_rms = if self.floor_rms == 0.0 {
                rms
            } else {
                0.5 * self.floor_rms + 0.5 * rms
            };
        } else {
            // Slow rise: about 3 dB per second.
            self.floor_rms *= 1.0035;
        }
        // Quiet blocks (near the floor) give the background's envelope.
        if rms > 0.0 && rms <= 2.0 * self.floor_rms {
            let analysis = self.windowed.len();
            let src = &self.history[self.history.len() - analysis..];
            let mut coefs = [0.0f32; 17];
            if let Some(err) = Self::lpc_of(
                src,
                (self.per_ms * 1000) as f64,
                self.order,
                &mut self.windowed,
                &mut self.autocorr,
                &mut self.levinson_tmp,
                &mut coefs[..=self.order],
            ) {
                self.bg_lpc.copy_from_slice(&coefs[..=self.order]);
                self.bg_gain = err.sqrt() as f32;
                self.have_bg = true;
            }
        }
    }
}

impl VoxlineConcealer {
    /// Records audio that was played from received packets (any length): the history the
    /// next concealment continues from. Ends a concealment in progress without a merge (the
    /// caller merges; see [`end_loss`](Self::end_loss)).
    pub fn observe(&mut self, samples: &[f32]) {
        self.position = 0;
        self.push_history(samples);
        self.track_background(samples);
    }

    /// Writes concealment continuing the history (any length); consecutive calls continue the
    /// same loss until [`end_loss`](Self::end_loss) or [`observe`](Self::observe).
    pub fn extrapolate(&mut self, out: &mut [f32]) {
        if self.position == 0 {
            self.start_loss();
        }
        self.synthesize(out);
        self.push_history(out);
    }

    /// Real audio follows: the next `extrapolate` starts a new loss.
    pub fn end_loss(&mut self) {
        self.position = 0;
    }

    /// Forgets all history (used for the backward extrapolator before each gap).
    fn clear(&mut self) {
        self.history.fill(0.0);
        self.filled = 0;
        self.position = 0;
        self.floor_rms = 0.0;
        self.have_bg = false;
        self.block_energy = 0.0;
        self.block_count = 0;
    }

    /// Conceals a whole gap of `out.len()` samples (at most `MAX_GAP_MS`) when the audio that
    /// follows it is already known, `next` (the frames after the gap, up to the next loss), as
    /// a jitter buffer knows it when the next packet has arrived. A forward extrapolation from
    /// the past and a backward one from `next` (the same analysis on time-reversed audio) are
    /// crossfaded across the gap, so the gap joins both sides without a merge. Returns `false`
    /// (and writes nothing) if the gap is too long or `next` too short to analyse.
    pub fn conceal_gap(&mut self, out: &mut [f32], next: &[f32]) -> bool {
        let gap = out.len();
        let need = 2 * self.max_period + self.order;
        if gap > self.back_out.len() || next.len() < need || self.backward.is_none() {
            return false;
        }
        // Backward: history = `next` reversed (latest last means earliest sample last).
        let take = next.len().min(self.history.len());
        for (r, &x) in self.reversed[..take]
            .iter_mut()
            .zip(next[..take].iter().rev())
        {
            *r = sanitize(x);
        }
        let mut back = match self.backward.take() {
            Some(b) => b,
            None => return false,
        };
        back.clear();
        back.push_history(&self.reversed[..take]);
        back.start_loss();
        back.synthesize(&mut self.back_out[..gap]);
        self.backward = Some(back);
        // Forward.
        if self.position == 0 {
            self.start_loss();
        }
        self.synthesize(out);
        for (i, o) in out.iter_mut().enumerate() {
            let w = (i as f32 + 0.5) / gap as f32;
            let b = self.back_out[gap - 1 - i];
            *o = (1.0 - w) * *o + w * b;
        }
        self.push_history(out);
        // The gap already ends on the following audio: no merge.
        self.position = 0;
        true
    }
}

impl Engine for VoxlineConcealer {
    fn good(&mut self, input: &[f32], out: &mut [f32]) {
        for (o, &i) in out.iter_mut().zip(input) {
            *o = sanitize(i);
        }
        if self.position > 0 {
            self.merge_into(out);
            self.position = 0;
        }
        self.push_history(out);
        self.track_background(out);
    }

    fn conceal(&mut self, out: &mut [f32]) {
        if self.position == 0 {
            self.start_loss();
        }
        self.synthesize(out);
        self.push_history(out);
    }

    fn latency(&self) -> usize {
        0
    }
}

/// Normalised cross-correlation of the last `w` samples of `x` with the same samples `lag`
/// earlier (0 for silence).
fn norm_corr(x: &[f32], lag: usize, w: usize) -> f32 {
    let end = x.len();
    let (mut xy, mut xx, mut yy) = (0.0f32, 0.0f32, 0.0f32);
    for i in end - w..end {
        let a = x[i];
        let b = x[i - lag];
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    if xx <= 1e-12 || yy <= 1e-12 {
        0.0
    } else {
        xy / (xx * yy).sqrt()
    }
}

/// Windowed-sinc interpolator (8 taps, Hann-windowed, normalised to unit DC gain) for a
/// delay of `d + frac` samples: the taps apply to the samples `d + 4 ... d - 3` back.
fn sinc_taps(frac: f32) -> [f32; 8] {
    let mut taps = [0.0f32; 8];
    let mut sum = 0.0;
    for (k, h) in taps.iter_mut().enumerate() {
        let u = 4.0 - k as f32 - frac;
        let sinc = if u.abs() < 1e-6 {
            1.0
        } else {
            (core::f32::consts::PI * u).sin() / (core::f32::consts::PI * u)
        };
        let window = 0.5 + 0.5 * (core::f32::consts::PI * u / 5.0).cos();
        *h = sinc * window;
        sum += *h;
    }
    for h in &mut taps {
        *h /= sum;
    }
    taps
}

/// Second-order Butterworth low- or high-pass at `fc` (bilinear transform), as
/// `[b0, b1, b2, a1, a2]`.
fn butterworth(rate: SampleRate, fc: f32, high: bool) -> [f32; 5] {
    let fs = rate.hz() as f32;
    let w0 = 2.0 * core::f32::consts::PI * fc.min(0.45 * fs) / fs;
    let (sin, cos) = w0.sin_cos();
    let alpha = sin / core::f32::consts::SQRT_2;
    let a0 = 1.0 + alpha;
    let (b0, b1) = if high {
        ((1.0 + cos) / 2.0, -(1.0 + cos))
    } else {
        ((1.0 - cos) / 2.0, 1.0 - cos)
    };
    [
        b0 / a0,
        b1 / a0,
        b0 / a0,
        -2.0 * cos / a0,
        (1.0 - alpha) / a0,
    ]
}

/// One sample through a transposed direct-form II biquad.
fn biquad(c: &[f32; 5], s: &mut [f32; 2], x: f32) -> f32 {
    let y = c[0] * x + s[0];
    s[0] = sanitize(c[1] * x - c[3] * y + s[1]);
    s[1] = sanitize(c[2] * x - c[4] * y);
    y
}
