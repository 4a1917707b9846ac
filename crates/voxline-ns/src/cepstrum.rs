//! Selective cepstro-temporal smoothing of a log spectrum (Breithaupt, Gerkmann & Martin,
//! "A novel a priori SNR estimation approach based on selective cepstro-temporal smoothing",
//! ICASSP 2008; Breithaupt, Gerkmann & Martin, "Cepstral smoothing of spectral filter gains for
//! speech enhancement without musical noise", IEEE SPL 2007).
//!
//! The log spectrum of a frame is taken to the cepstral domain, where speech occupies few
//! coefficients: the low quefrencies (the spectral envelope) and, in voiced frames, the
//! coefficients around the pitch period. Those are smoothed only lightly over time, so onsets
//! and harmonics follow the signal at once; all the others, which in speech carry little and in
//! noise carry the random fine structure that becomes musical tones, are smoothed strongly.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// Smoothing constants of the cepstral coefficients per 10 ms frame.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CepstrumParams {
    /// Quefrencies up to this many ms: the envelope.
    pub env_ms: f32,
    pub beta_env: f32,
    /// The detected pitch peak and its neighbours.
    pub beta_pitch: f32,
    /// Everything else.
    pub beta_const: f32,
    /// Smoothing of the per-coefficient constants themselves over time.
    pub beta_avg: f32,
    /// A cepstral peak above this in the pitch range (2 to 10 ms, 500 to 100 Hz) counts as
    /// voiced.
    pub pitch_threshold: f32,
}

/// Smoother state for one log spectrum of `bins` values.
pub(crate) struct CepstralSmoother {
    prm: CepstrumParams,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    spectrum: Box<[Complex<f32>]>,
    scratch: Box<[Complex<f32>]>,
    /// Time-domain (cepstral) buffer, `2 (bins - 1)` values.
    cepstrum: Box<[f32]>,
    /// Smoothed coefficients 0 to `bins - 1` (the cepstrum of a real even log spectrum is real
    /// and even) and their smoothing constants.
    smoothed: Box<[f32]>,
    beta: Box<[f32]>,
    env_end: usize,
    pitch_range: (usize, usize),
    started: bool,
}

impl CepstralSmoother {
    /// A smoother for spectra of `bins` bins, `bin_hz` apart.
    pub(crate) fn new(bins: usize, bin_hz: f32, prm: CepstrumParams) -> Self {
        let n = 2 * (bins - 1);
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let fs = n as f32 * bin_hz;
        let q = |ms: f32| ((ms * fs / 1000.0).round() as usize).min(bins - 1);
        CepstralSmoother {
            prm,
            forward,
            inverse,
            spectrum: vec![Complex::new(0.0, 0.0); bins].into_boxed_slice(),
            scratch: vec![Complex::new(0.0, 0.0); scratch_len].into_boxed_slice(),
            cepstrum: vec![0.0; n].into_boxed_slice(),
            smoothed: vec![0.0; bins].into_boxed_slice(),
            beta: vec![prm.beta_const; bins].into_boxed_slice(),
            env_end: q(prm.env_ms).max(1),
            pitch_range: (q(2.0).max(2), q(10.0).max(3)),
            started: false,
        }
    }

    /// Forgets the smoothing memory.
    pub(crate) fn reset(&mut self) {
        self.smoothed.fill(0.0);
        self.beta.fill(self.prm.beta_const);
        self.started = false;
    }

    /// Smooths the log spectrum `log` (natural log, `bins` values) in place.
    pub(crate) fn smooth(&mut self, log: &mut [f32]) {
        let bins = self.spectrum.len();
        let n = self.cepstrum.len();
        for (c, &l) in self.spectrum.iter_mut().zip(log.iter()) {
            *c = Complex::new(l, 0.0);
        }
        let done = self.inverse.process_with_scratch(
            &mut self.spectrum,
            &mut self.cepstrum,
            &mut self.scratch,
        );
        debug_assert!(done.is_ok(), "inverse FFT: {done:?}");
        let scale = 1.0 / n as f32;
        // Pitch: the largest coefficient in the pitch range, if strong enough.
        let (lo, hi) = self.pitch_range;
        let (mut peak, mut peak_value) = (lo, f32::MIN);
        for (q, &c) in self.cepstrum[lo..=hi].iter().enumerate() {
            if c > peak_value {
                (peak, peak_value) = (lo + q, c);
            }
        }
        let voiced = peak_value * scale > self.prm.pitch_threshold;
        let p = self.prm;
        // Smoothing constants: envelope, everything else, then the pitch peak and neighbours.
        let keep = p.beta_avg;
        let mix = |b: &mut f32, target: f32| {
            // Flushed once within 1e-6 of the target (no denormals on the way to 0).
            let v = keep * *b + (1.0 - keep) * target;
            *b = if (v - target).abs() < 1e-6 { target } else { v };
        };
        let pitch = (peak - 1)..=(peak + 1).min(bins - 1);
        for (q, b) in self.beta.iter_mut().enumerate() {
            let target = if q < self.env_end {
                p.beta_env
            } else if voiced && pitch.contains(&q) {
                p.beta_pitch
            } else {
                p.beta_const
            };
            mix(b, target);
        }
        if self.started {
            for ((s, &c), &b) in self
                .smoothed
                .iter_mut()
                .zip(&self.cepstrum[..bins])
                .zip(&*self.beta)
            {
                *s = b * *s + (1.0 - b) * c * scale;
            }
        } else {
            for (s, &c) in self.smoothed.iter_mut().zip(&self.cepstrum[..bins]) {
                *s = c * scale;
            }
        }
        self.started = true;
        // Back to the log spectrum: the even extension of the smoothed coefficients.
        self.cepstrum[..bins].copy_from_slice(&self.smoothed);
        for (d, &c) in self.cepstrum[bins..]
            .iter_mut()
            .rev()
            .zip(&self.smoothed[1..bins - 1])
        {
            *d = c;
        }
        let done = self.forward.process_with_scratch(
            &mut self.cepstrum,
            &mut self.spectrum,
            &mut self.scratch,
        );
        debug_assert!(done.is_ok(), "forward FFT: {done:?}");
        for (l, c) in log.iter_mut().zip(self.spectrum.iter()) {
            *l = c.re;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_smoothing_the_log_spectrum_is_unchanged() {
        let prm = CepstrumParams {
            env_ms: 1.0,
            beta_env: 0.0,
            beta_pitch: 0.0,
            beta_const: 0.0,
            beta_avg: 0.0,
            pitch_threshold: 0.2,
        };
        let bins = 161;
        let mut s = CepstralSmoother::new(bins, 50.0, prm);
        for frame in 0..3 {
            let orig: Vec<f32> = (0..bins)
                .map(|k| ((k * 37 + frame * 11) % 17) as f32 * 0.3 - 2.0)
                .collect();
            let mut log = orig.clone();
            s.smooth(&mut log);
            for (a, b) in log.iter().zip(&orig) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b}");
            }
        }
    }
}
