//! Bulk-delay estimation between the render (loudspeaker) and capture (microphone) signals.
//!
//! Both signals are low-passed and decimated to 4 kHz, cut into 10 ms blocks (40 samples), and
//! the cross-spectrum between the newest capture block and each of the last ~100 render blocks
//! is averaged recursively: one cross-spectrum per 10 ms lag partition. Normalised by the
//! geometric mean of the two power spectra (the SCOT/PHAT weighting of generalised
//! cross-correlation), an inverse FFT of partition `p` gives the correlation at lags
//! `40 p .. 40 p + 39`. A few partitions are searched per frame, so one sweep over the whole
//! 0..max-delay range takes about 100 ms at a bounded cost per frame; a lag that wins
//! consecutive sweeps with a clear peak becomes the delay estimate.

use crate::fft::{RealFft, Spectrum};

/// Rate the estimator works at.
const DECIMATED_HZ: usize = 4000;
/// Samples per 10 ms block at the decimated rate.
const BLOCK: usize = DECIMATED_HZ / 100;
/// Recursive averaging of the cross- and power spectra per active block (time constant ~0.33 s).
const SMOOTHING: f32 = 0.97;
/// Partitions searched per frame.
const PARTITIONS_PER_FRAME: usize = 12;
/// A sweep's peak counts only when its square exceeds this many times the mean square
/// correlation over all lags searched.
const MIN_PEAK_TO_MEAN: f32 = 12.0;
/// Sweeps a new lag must win in a row before it replaces a locked estimate.
const SWEEPS_TO_SWITCH: u32 = 4;
/// A new lag's squared correlation must exceed the current lag's by this factor to count.
const SWITCH_MARGIN: f32 = 4.0;
/// Sweeps a lag must win in a row to give the first estimate.
const SWEEPS_TO_LOCK: u32 = 2;
/// Two sweep winners this close (decimated samples) are the same lag.
const SAME_LAG: usize = 3;
/// Mean square of a decimated block below which a signal counts as silent (about -65 dBFS).
const SILENCE: f32 = 3.0e-7;

/// A second-order IIR section (direct form I), for the anti-aliasing low-pass.
#[derive(Clone, Copy)]
struct Biquad {
    b: [f32; 3],
    a: [f32; 2],
    x: [f32; 2],
    y: [f32; 2],
}

impl Biquad {
    /// Butterworth-style low-pass section (RBJ cookbook) at `cutoff_hz` with quality `q`.
    fn low_pass(rate_hz: f32, cutoff_hz: f32, q: f32) -> Self {
        let w0 = 2.0 * std::f32::consts::PI * cutoff_hz / rate_hz;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        Self {
            b: [
                (1.0 - cos) / 2.0 / a0,
                (1.0 - cos) / a0,
                (1.0 - cos) / 2.0 / a0,
            ],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        // Flush what would decay into denormals once the input falls silent.
        let y = if y.abs() < 1e-20 { 0.0 } else { y };
        self.y = [y, self.y[0]];
        y
    }
}

/// Low-pass (4th order) and decimation of one signal to 4 kHz.
struct Decimator {
    factor: usize,
    sections: [Biquad; 2],
}

impl Decimator {
    fn new(rate_hz: usize) -> Self {
        let rate = rate_hz as f32;
        Self {
            factor: rate_hz / DECIMATED_HZ,
            sections: [
                Biquad::low_pass(rate, 1500.0, 0.541_196_1),
                Biquad::low_pass(rate, 1500.0, 1.306_563),
            ],
        }
    }

    /// Decimates one 10 ms frame into `out` (40 samples); returns its mean square.
    fn process(&mut self, frame: &[f32], out: &mut [f32]) -> f32 {
        let mut energy = 0.0;
        for (chunk, o) in frame.chunks_exact(self.factor).zip(out.iter_mut()) {
            let mut y = 0.0;
            for &x in chunk {
                y = self.sections[0].process(x);
                y = self.sections[1].process(y);
            }
            *o = y;
            energy += y * y;
        }
        energy / BLOCK as f32
    }
}

/// Finds the bulk delay from render to capture, 0 to a configured maximum.
pub(crate) struct DelayEstimator {
    factor: usize,
    partitions: usize,
    render_dec: Decimator,
    capture_dec: Decimator,
    render_prev: Vec<f32>,
    render_block: Vec<f32>,
    capture_block: Vec<f32>,
    window: Vec<f32>,
    fft: RealFft,
    /// Render spectra of the last `partitions` blocks (ring, newest at `head`).
    render_re: Vec<f32>,
    render_im: Vec<f32>,
    head: usize,
    /// Averaged cross-spectrum per lag partition.
    cross_re: Vec<f32>,
    cross_im: Vec<f32>,
    render_power: Vec<f32>,
    capture_power: Vec<f32>,
    capture_spec: Spectrum,
    scratch_spec: Spectrum,
    /// Per-bin SCOT weight of the current search.
    norm: Vec<f32>,
    corr: Vec<f32>,
    /// Blocks since the render signal was last active (saturating).
    render_silent_blocks: usize,
    /// Per render slot (same ring as `render_re`): whether its two-block window held any
    /// active render signal. Lags whose render block was silent are not averaged: silence
    /// carries no information about them, and decaying them while the near end talks alone
    /// would let noise at the few lags that still see old far-end speech win the search.
    render_active: Vec<bool>,
    /// Whether the previous render block was active.
    render_prev_active: bool,
    /// Number of averaged updates so far (saturating).
    updates: u32,
    sweep_next: usize,
    sweep_best: f32,
    sweep_best_lag: usize,
    sweep_sum: f32,
    sweep_count: usize,
    /// Correlation (squared) at the current estimate's lag in this sweep.
    sweep_current: f32,
    candidate_lag: usize,
    candidate_wins: u32,
    estimate: Option<usize>,
    changes: u64,
}

impl DelayEstimator {
    /// An estimator for signals at `rate_hz` (a multiple of 4000) and delays up to
    /// `max_delay_ms`.
    pub(crate) fn new(rate_hz: usize, max_delay_ms: usize) -> Self {
        let partitions = max_delay_ms.div_ceil(10) + 1;
        let fft = RealFft::new(2 * BLOCK);
        let bins = fft.bins();
        Self {
            factor: rate_hz / DECIMATED_HZ,
            partitions,
            render_dec: Decimator::new(rate_hz),
            capture_dec: Decimator::new(rate_hz),
            render_prev: vec![0.0; BLOCK],
            render_block: vec![0.0; BLOCK],
            capture_block: vec![0.0; BLOCK],
            window: vec![0.0; 2 * BLOCK],
            fft,
            render_re: vec![0.0; partitions * bins],
            render_im: vec![0.0; partitions * bins],
            head: 0,
            cross_re: vec![0.0; partitions * bins],
            cross_im: vec![0.0; partitions * bins],
            render_power: vec![0.0; bins],
            capture_power: vec![0.0; bins],
            capture_spec: Spectrum::zeros(bins),
            scratch_spec: Spectrum::zeros(bins),
            norm: vec![0.0; bins],
            corr: vec![0.0; 2 * BLOCK],
            render_silent_blocks: usize::MAX,
            render_active: vec![false; partitions],
            render_prev_active: false,
            updates: 0,
            sweep_next: 0,
            sweep_best: 0.0,
            sweep_best_lag: 0,
            sweep_sum: 0.0,
            sweep_count: 0,
            sweep_current: 0.0,
            candidate_lag: 0,
            candidate_wins: 0,
            estimate: None,
            changes: 0,
        }
    }

    /// The current delay estimate in samples at the input rate, once one has been found.
    pub(crate) fn delay_samples(&self) -> Option<usize> {
        self.estimate.map(|lag| lag * self.factor)
    }

    /// How many times the estimate has moved to a different lag (not counting refinements
    /// of a few samples).
    pub(crate) fn changes(&self) -> u64 {
        self.changes
    }

    /// Forgets everything learnt.
    pub(crate) fn reset(&mut self) {
        self.render_prev.fill(0.0);
        self.render_re.fill(0.0);
        self.render_im.fill(0.0);
        self.cross_re.fill(0.0);
        self.cross_im.fill(0.0);
        self.render_power.fill(0.0);
        self.capture_power.fill(0.0);
        self.render_silent_blocks = usize::MAX;
        self.render_active.fill(false);
        self.render_prev_active = false;
        self.updates = 0;
        self.sweep_next = 0;
        self.sweep_best = 0.0;
        self.sweep_sum = 0.0;
        self.sweep_count = 0;
        self.candidate_wins = 0;
        self.estimate = None;
    }

    /// Takes one 10 ms frame of each signal; returns true when the estimate changed.
    pub(crate) fn process(&mut self, render: &[f32], capture: &[f32]) -> bool {
        let bins = self.fft.bins();
        let render_energy = self.render_dec.process(render, &mut self.render_block);
        let capture_energy = self.capture_dec.process(capture, &mut self.capture_block);

        // Newest render block spectrum: FFT of [previous block, this block].
        self.window[..BLOCK].copy_from_slice(&self.render_prev);
        self.window[BLOCK..].copy_from_slice(&self.render_block);
        self.render_prev.copy_from_slice(&self.render_block);
        self.head = (self.head + 1) % self.partitions;
        self.fft.forward(&self.window, &mut self.scratch_spec);
        let at = self.head * bins;
        self.render_re[at..at + bins].copy_from_slice(&self.scratch_spec.re);
        self.render_im[at..at + bins].copy_from_slice(&self.scratch_spec.im);

        let active = render_energy > SILENCE;
        self.render_active[self.head] = active || self.render_prev_active;
        self.render_prev_active = active;
        self.render_silent_blocks = if active {
            0
        } else {
            self.render_silent_blocks.saturating_add(1)
        };
        // Average only while some render block in the searched range was active and the
        // microphone hears something: silence carries no delay information.
        if self.render_silent_blocks < self.partitions && capture_energy > SILENCE {
            self.update_cross_spectra();
        }
        if self.updates < 8 {
            return false;
        }
        self.search()
    }

    fn update_cross_spectra(&mut self) {
        let bins = self.fft.bins();
        self.window[..BLOCK].fill(0.0);
        self.window[BLOCK..].copy_from_slice(&self.capture_block);
        self.fft.forward(&self.window, &mut self.capture_spec);
        let a = SMOOTHING;
        let b = 1.0 - SMOOTHING;
        let newest = self.head * bins;
        // Zipped slices of one length (no bounds checks), so the loops vectorise whatever
        // the compiler decides to inline around them.
        let yr = &self.capture_spec.re[..bins];
        let yi = &self.capture_spec.im[..bins];
        for ((p, &r), &i) in self.capture_power[..bins].iter_mut().zip(yr).zip(yi) {
            *p = a * *p + b * (r * r + i * i);
        }
        let xr = &self.render_re[newest..newest + bins];
        let xi = &self.render_im[newest..newest + bins];
        for ((p, &r), &i) in self.render_power[..bins].iter_mut().zip(xr).zip(xi) {
            *p = a * *p + b * (r * r + i * i);
        }
        for p in 0..self.partitions {
            // Render block p blocks older than the newest.
            let slot = (self.head + self.partitions - p) % self.partitions;
            if !self.render_active[slot] {
                continue;
            }
            let xr = &self.render_re[slot * bins..(slot + 1) * bins];
            let xi = &self.render_im[slot * bins..(slot + 1) * bins];
            let cr = &mut self.cross_re[p * bins..(p + 1) * bins];
            let ci = &mut self.cross_im[p * bins..(p + 1) * bins];
            let yr = &self.capture_spec.re[..bins];
            let yi = &self.capture_spec.im[..bins];
            for (((((cr, ci), &yr), &yi), &xr), &xi) in
                cr.iter_mut().zip(ci).zip(yr).zip(yi).zip(xr).zip(xi)
            {
                // Y * conj(X)
                *cr = a * *cr + b * (yr * xr + yi * xi);
                *ci = a * *ci + b * (yi * xr - yr * xi);
            }
        }
        self.updates = self.updates.saturating_add(1);
    }

    /// Searches the next few partitions; at the end of a sweep, decides on the estimate.
    fn search(&mut self) -> bool {
        let bins = self.fft.bins();
        let end = (self.sweep_next + PARTITIONS_PER_FRAME).min(self.partitions);
        // SCOT weights, the same for every lag searched this frame.
        for ((n, &r), &c) in self.norm[..bins]
            .iter_mut()
            .zip(&self.render_power[..bins])
            .zip(&self.capture_power[..bins])
        {
            *n = 1.0 / ((r * c).sqrt() + 1e-12);
        }
        for p in self.sweep_next..end {
            let cr = &self.cross_re[p * bins..(p + 1) * bins];
            let ci = &self.cross_im[p * bins..(p + 1) * bins];
            for ((((sr, si), &n), &cr), &ci) in self.scratch_spec.re[..bins]
                .iter_mut()
                .zip(&mut self.scratch_spec.im[..bins])
                .zip(&self.norm[..bins])
                .zip(cr)
                .zip(ci)
            {
                *sr = cr * n;
                *si = ci * n;
            }
            self.fft.inverse(&self.scratch_spec, &mut self.corr);
            for m in 0..BLOCK {
                let v = self.corr[m] * self.corr[m];
                if let Some(current) = self.estimate {
                    if current.abs_diff(p * BLOCK + m) <= SAME_LAG {
                        self.sweep_current = self.sweep_current.max(v);
                    }
                }
                self.sweep_sum += v;
                if v > self.sweep_best {
                    self.sweep_best = v;
                    self.sweep_best_lag = p * BLOCK + m;
                }
            }
            self.sweep_count += BLOCK;
        }
        self.sweep_next = end;
        if end < self.partitions {
            return false;
        }
        // Sweep complete.
        let mean = self.sweep_sum / self.sweep_count.max(1) as f32;
        let best = self.sweep_best;
        let lag = self.sweep_best_lag;
        let at_current = self.sweep_current;
        self.sweep_current = 0.0;
        self.sweep_next = 0;
        self.sweep_best = 0.0;
        self.sweep_sum = 0.0;
        self.sweep_count = 0;
        if best.is_nan() || best <= MIN_PEAK_TO_MEAN * mean {
            self.candidate_wins = 0;
            return false;
        }
        if let Some(current) = self.estimate {
            if current.abs_diff(lag) <= SAME_LAG {
                // Small refinements (clock drift) follow at once.
                self.candidate_wins = 0;
                if current != lag {
                    self.estimate = Some(lag);
                    return true;
                }
                return false;
            }
        }
        if self.estimate.is_some() && best < SWITCH_MARGIN * at_current {
            // Not clearly better than where the echo is now.
            self.candidate_wins = 0;
            return false;
        }
        if self.candidate_wins > 0 && self.candidate_lag.abs_diff(lag) <= SAME_LAG {
            self.candidate_wins += 1;
        } else {
            self.candidate_lag = lag;
            self.candidate_wins = 1;
        }
        self.candidate_lag = lag;
        let needed = if self.estimate.is_some() {
            SWEEPS_TO_SWITCH
        } else {
            SWEEPS_TO_LOCK
        };
        if self.candidate_wins >= needed {
            self.candidate_wins = 0;
            if self.estimate.is_some() {
                self.changes += 1;
            }
            self.estimate = Some(lag);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxline_core::Xorshift32;

    /// Noise bursts with pauses, like speech at the level of its envelope.
    fn bursty_noise(len: usize, rate: usize, seed: u32) -> Vec<f32> {
        let mut rng = Xorshift32::new(seed);
        (0..len)
            .map(|i| {
                let t = i as f32 / rate as f32;
                let env = if (t * 3.0).fract() < 0.6 { 0.3 } else { 0.0 };
                env * rng.next_bipolar()
            })
            .collect()
    }

    fn run(rate: usize, delay: usize, secs: f32) -> (DelayEstimator, Vec<Option<usize>>) {
        let n = rate / 100;
        let len = (secs * rate as f32) as usize;
        let x = bursty_noise(len + delay, rate, 7);
        let mut est = DelayEstimator::new(rate, 1000);
        let mut trace = Vec::new();
        for k in 0..len / n {
            let render = &x[delay + k * n..delay + (k + 1) * n];
            let capture: Vec<f32> = (0..n).map(|i| 0.5 * x[k * n + i]).collect();
            est.process(render, &capture);
            trace.push(est.delay_samples());
        }
        (est, trace)
    }

    #[test]
    fn finds_delays_across_the_range() {
        // render at time t is x[t + delay], capture is x[t]: capture lags render by `delay`.
        for (rate, delay_ms) in [(8000, 0), (16000, 37), (16000, 480), (48000, 950)] {
            let delay = rate * delay_ms / 1000;
            let (est, _) = run(rate, delay, 3.0);
            let got = est.delay_samples().expect("an estimate");
            let tol = rate / 4000 * 2;
            assert!(
                got.abs_diff(delay) <= tol,
                "rate {rate} delay {delay}: got {got}"
            );
        }
    }

    #[test]
    fn locks_within_half_a_second() {
        let rate = 16000;
        let delay = 16 * 300;
        let (_, trace) = run(rate, delay, 1.0);
        let first = trace.iter().position(|d| d.is_some()).expect("locks");
        assert!(first <= 50, "locked after {first} frames");
    }
}
