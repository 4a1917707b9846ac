//! voxline's own concealer: no added delay, LPC-based pitch extrapolation, a merge into the
//! next good frame, and a fade into comfort noise at the background level instead of hard
//! silence.
//!
//! At the start of a loss the last 20 ms of played audio are analysed once:
//!
//! 1. **Spectral envelope**: LPC of order 10 (8 kHz) or 16 (higher rates) by the
//!    autocorrelation method (Hann window, lag window, white-noise correction) and
//!    Levinson-Durbin; the history is inverse-filtered to its residual (excitation).
//! 2. **Pitch**: normalised cross-correlation of the signal with itself over lags of 2.5 to
//!    15 ms, coarse on a 4 kHz decimated copy, refined at full rate; the shortest lag whose
//!    correlation is within 10 % of the best is taken, so octave errors are avoided.
//! 3. **Synthesis**: the last pitch cycle of the residual (above 8 kHz: averaged with the one
//!    before, and only below 3.8 kHz, with noise at half the residual's level above) is
//!    repeated through the LPC synthesis filter whose memory is the real history, so the
//!    waveform continues without a click.
//! 4. **Level**: the extrapolated speech loses 30 % of its level per 10 ms down to half, holds
//!    until 60 ms, and is gone by 150 ms; from 60 ms comfort noise fades in: white noise
//!    shaped by the LPC envelope of the background (tracked on quiet received frames) at the
//!    background level (a slow-rise, fast-fall floor of the frame RMS). A long loss sounds like
//!    the line's own background, not a dropout.
//! 5. **Merge**: the first received frame after a loss is crossfaded (raised cosine, 3 ms at
//!    8 kHz, 5 ms above) from the continuing concealment into the real audio.
//!
//! **Gap interpolation** (`PacketLossConcealer::conceal_gap`): when the audio after a gap of
//! up to 60 ms is already known (a jitter buffer holding the next packets), the same analysis
//! runs a second time on that audio, time-reversed, and extrapolates backwards into the gap;
//! the forward and backward extrapolations are crossfaded linearly across the gap, which then
//! meets the following audio exactly (no merge needed).
//!
//! The constants were chosen by PESQ (`tools/eval/plc_eval.py`): mixing random excitation into
//! the speech part, growing the repeated cycle to 2-3 periods, longer crossfades and a
//! correlation-aligned warp of the merge all measured worse and are not used.
//!
//! Simplifications, stated plainly: no lookahead, so the merge cannot time-align the real audio
//! to the concealment as NetEq's merge does (it only crossfades); the comfort noise is
//! stationary (one envelope, one level) for the whole loss.

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
/// Merge crossfade into the first good frame, ms (8 kHz).
const MERGE_MS: usize = 3;
/// The same above 8 kHz.
const WIDEBAND_MERGE_MS: usize = 5;
/// Weight of the last pitch cycle against the one before it in the repeated excitation, above
/// 8 kHz (1.0 = last cycle only, as at 8 kHz).
const WIDEBAND_LAST_CYCLE_WEIGHT: f32 = 0.5;
/// Above 8 kHz, the repeated excitation is kept below this frequency, noise fills above.
const SPLIT_HZ: f32 = 3800.0;
/// Level of the noise that replaces the residual above 3.8 kHz, relative to the residual's.
const WIDEBAND_HIGH_NOISE: f32 = 0.5;

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
    /// The pitch cycle of the residual that is repeated.
    cycle: Vec<f32>,
    period: usize,
    residual_rms: f32,
    /// Speech synthesis filter memory (most recent last).
    speech_mem: Vec<f32>,
    /// Background synthesis filter memory.
    noise_mem: Vec<f32>,
    /// Samples concealed in the current loss (0 = not in a loss).
    position: usize,
    cycle_pos: usize,
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
    /// Band split at 4 kHz for rates above 8 kHz: low-pass for the periodic excitation and
    /// high-pass for the noise that replaces it above 4 kHz (coefficients b0 b1 b2 a1 a2).
    split_lp: [f32; 5],
    split_hp: [f32; 5],
    lp_state: [f32; 2],
    hp_state: [f32; 2],
    /// RMS of the residual above 4 kHz (0 at 8 kHz).
    high_rms: f32,
    wideband: bool,
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
        let order = if rate == SampleRate::Hz8000 { 10 } else { 16 };
        let max_period = MAX_PITCH_MS * per_ms;
        let min_period = per_ms * 5 / 2;
        let analysis = ANALYSIS_MS * per_ms;
        let history_len = (3 * max_period + order).max(analysis + order) + frame;
        Self {
            per_ms,
            order,
            min_period,
            max_period,
            history: vec![0.0; history_len],
            filled: 0,
            lpc: vec![0.0; order + 1],
            residual: vec![0.0; history_len],
            cycle: vec![0.0; max_period],
            period: max_period,
            residual_rms: 0.0,
            speech_mem: vec![0.0; order],
            noise_mem: vec![0.0; order],
            position: 0,
            cycle_pos: 0,
            floor_rms: 0.0,
            bg_lpc: vec![0.0; order + 1],
            bg_gain: 0.0,
            have_bg: false,
            block_energy: 0.0,
            block_count: 0,
            block_len: rate.samples_per_10ms(),
            rng: Xorshift32::new(0x9E37_79B9),
            split_lp: butterworth(rate, SPLIT_HZ, false),
            split_hp: butterworth(rate, SPLIT_HZ, true),
            lp_state: [0.0; 2],
            hp_state: [0.0; 2],
            high_rms: 0.0,
            wideband: rate != SampleRate::Hz8000,
            windowed: vec![0.0; analysis],
            autocorr: vec![0.0; order + 1],
            levinson_tmp: vec![0.0; order + 1],
            decimated: vec![0.0; history_len],
            merge: vec![0.0; MERGE_MS.max(WIDEBAND_MERGE_MS) * per_ms],
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
    /// the best (see the module documentation).
    fn find_pitch(&mut self) -> usize {
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
        let score = |x: &[f32], lag: usize, w: usize| -> f32 {
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
        };
        let (lo, hi) = (self.min_period / d, self.max_period / d);
        let mut best = (hi, f32::MIN);
        for lag in lo.max(1)..=hi {
            let c = score(y, lag, window);
            if c > best.1 {
                best = (lag, c);
            }
        }
        // Prefer the shortest lag nearly as good (avoids picking two periods).
        for lag in lo.max(1)..best.0 {
            let c = score(y, lag, window);
            if c >= 0.9 * best.1 && c > 0.5 {
                let left = score(y, lag.saturating_sub(1).max(1), window);
                let right = score(y, lag + 1, window);
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
            let c = score(h, lag, w);
            if c > fine.1 {
                fine = (lag, c);
            }
        }
        fine.0
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
        let period = if silent || self.filled < 2 * self.max_period + order {
            self.max_period
        } else {
            self.find_pitch()
        };
        self.period = period;
        // Residual of the part of the history that is used: the last two periods (the
        // repeated cycle) and twice the analysis window (levels); the first `order` samples
        // of the history lack filter memory and are left at zero.
        let used = (2 * self.period).max(2 * analysis).min(n - order);
        self.residual[..n - used].fill(0.0);
        for i in n - used..n {
            let mut e = self.history[i];
            for j in 1..=order {
                e += self.lpc[j] * self.history[i - j];
            }
            self.residual[i] = e;
        }
        let tail = &self.residual[n - analysis..];
        self.residual_rms = (tail.iter().map(|e| e * e).sum::<f32>() / analysis as f32).sqrt();
        if self.wideband {
            // Residual energy above the split, for the noise that replaces it there.
            let mut st = [0.0f32; 2];
            let mut acc = 0.0f32;
            for (i, &e) in self.residual[n - 2 * analysis.min(n / 2)..]
                .iter()
                .enumerate()
            {
                let h = biquad(&self.split_hp, &mut st, e);
                if i >= analysis.min(n / 2) {
                    acc += h * h;
                }
            }
            self.high_rms = (acc / analysis.min(n / 2) as f32).sqrt();
            self.lp_state = [0.0; 2];
            self.hp_state = [0.0; 2];
        }
        // The repeated cycle: the residual's last period (above 8 kHz averaged with the one
        // before: components that are not periodic cancel, so it buzzes less; measured better
        // above 8 kHz only).
        let w = if self.wideband {
            WIDEBAND_LAST_CYCLE_WEIGHT
        } else {
            1.0
        };
        for i in 0..period {
            let last = self.residual[n - period + i];
            let prev = self.residual[n - 2 * period + i];
            self.cycle[i] = w * last + (1.0 - w) * prev;
        }
        self.cycle_pos = 0;
        for j in 0..order {
            self.speech_mem[j] = self.history[n - order + j];
            self.noise_mem[j] = 0.0;
        }
        self.position = 0;
    }

    fn excitation_at(&self, pos: usize) -> f32 {
        self.cycle[pos % self.period]
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
            let periodic = self.excitation_at(self.cycle_pos);
            self.cycle_pos += 1;
            let mut exc = speech_gain * periodic;
            if self.wideband {
                // Harmonics above 4 kHz repeat badly (they buzz): keep the periodic part below
                // 3.8 kHz and fill the band above with noise at part of the residual's level.
                let low = biquad(&self.split_lp, &mut self.lp_state, exc);
                let n = self.noise() * self.high_rms * speech_gain * WIDEBAND_HIGH_NOISE;
                let high = biquad(&self.split_hp, &mut self.hp_state, n);
                exc = low + high;
            }
            // Speech synthesis: y = exc - sum a_j y[n-j].
            let mut y = exc;
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

    /// Merge: a short raised-cosine crossfade from the continuing concealment into the real
    /// frame `out`. (Longer, pitch-long crossfades and a correlation-aligned time warp of the
    /// concealment were both measured worse by PESQ: two signals of different phase overlap
    /// for longer.)
    fn merge_into(&mut self, out: &mut [f32]) {
        let merge_ms = if self.wideband {
            WIDEBAND_MERGE_MS
        } else {
            MERGE_MS
        };
        let m = (merge_ms * self.per_ms).min(out.len());
        let mut ext = core::mem::take(&mut self.merge);
        self.synthesize(&mut ext[..m]);
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
