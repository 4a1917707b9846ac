//! Short-time Fourier analysis and synthesis with a low-delay asymmetric window pair: a long
//! analysis window (several hops: fine frequency resolution) and a synthesis window on its last
//! two hops only, so one 10 ms hop in gives one 10 ms hop out, delayed by exactly one hop.
//!
//! The analysis window is scaled so that a frame's periodogram `|Y(k)|^2` of white noise with
//! variance `s^2` averages `s^2` in every bin; the synthesis window undoes that scaling and the
//! FFT's factor `N`, and the product of the two windows (a periodic Hann window of two hops)
//! overlap-adds to exactly one, so with unit gains the output is the input delayed by one hop.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// One analysis/synthesis chain for a fixed hop.
pub(crate) struct Stft {
    hop: usize,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    analysis: Box<[f32]>,
    synthesis: Box<[f32]>,
    /// The last `2 * hop` input samples, oldest first.
    history: Box<[f32]>,
    /// Windowed time frame / inverse-transform output (the FFT uses it as scratch).
    frame: Box<[f32]>,
    spectrum: Box<[Complex<f32>]>,
    scratch: Box<[Complex<f32>]>,
    /// Second half of the previous synthesis frame, waiting for its overlap.
    overlap: Box<[f32]>,
}

impl Stft {
    /// A chain for hops of `hop` samples and an analysis window of `hops` hops (2 gives the
    /// symmetric square-root-Hann pair; more gives finer frequency resolution at the same
    /// latency).
    pub(crate) fn new(hop: usize, hops: usize) -> Self {
        let n = hops * hop;
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let pi = core::f64::consts::PI;
        // Analysis: rises as a square-root Hann half over n - hop samples, falls as one over
        // the last hop (Mauler & Martin 2007). For hops = 2 this is the periodic sqrt-Hann.
        let rise = n - hop;
        let analysis: Vec<f64> = (0..n)
            .map(|i| {
                if i < rise {
                    (0.5 - 0.5 * (pi * i as f64 / rise as f64).cos()).sqrt()
                } else {
                    (0.5 + 0.5 * (pi * (i - rise) as f64 / hop as f64).cos()).sqrt()
                }
            })
            .collect();
        // Synthesis: non-zero on the last two hops only, where analysis x synthesis is a
        // periodic Hann window of 2 hops (which overlap-adds to one at hop spacing).
        let synthesis: Vec<f64> = (0..n)
            .map(|i| {
                if i < n - 2 * hop {
                    0.0
                } else {
                    let j = (i - (n - 2 * hop)) as f64;
                    let hann = 0.5 - 0.5 * (pi * j / hop as f64).cos();
                    if analysis[i] > 0.0 {
                        hann / analysis[i]
                    } else {
                        0.0
                    }
                }
            })
            .collect();
        let a = 1.0 / analysis.iter().map(|w| w * w).sum::<f64>().sqrt();
        let s = 1.0 / (a * n as f64);
        Stft {
            hop,
            forward,
            inverse,
            analysis: analysis.iter().map(|w| (w * a) as f32).collect(),
            synthesis: synthesis.iter().map(|w| (w * s) as f32).collect(),
            history: vec![0.0; n].into_boxed_slice(),
            frame: vec![0.0; n].into_boxed_slice(),
            spectrum: vec![Complex::new(0.0, 0.0); n / 2 + 1].into_boxed_slice(),
            scratch: vec![Complex::new(0.0, 0.0); scratch_len].into_boxed_slice(),
            overlap: vec![0.0; hop].into_boxed_slice(),
        }
    }

    /// Number of frequency bins (half the window length, plus one).
    pub(crate) fn bins(&self) -> usize {
        self.spectrum.len()
    }

    /// Takes one hop of (already sanitised) input and returns the spectrum of the window that
    /// ends with it.
    pub(crate) fn analyse(&mut self, input: &[f32]) -> &mut [Complex<f32>] {
        let hop = self.hop;
        let n = self.history.len();
        self.history.copy_within(hop.., 0);
        self.history[n - hop..].copy_from_slice(input);
        windowed_fft(
            &*self.forward,
            &self.analysis,
            &self.history,
            &mut self.frame,
            &mut self.spectrum,
            &mut self.scratch,
        );
        &mut self.spectrum
    }

    /// The same analysis for any stretch of signal one window long (`samples`), into `out`
    /// (`bins()` values): e.g. the input one pitch period back. Leaves the current spectrum
    /// alone.
    pub(crate) fn transform(&mut self, samples: &[f32], out: &mut [Complex<f32>]) {
        windowed_fft(
            &*self.forward,
            &self.analysis,
            samples,
            &mut self.frame,
            out,
            &mut self.scratch,
        );
    }

    /// Inverse-transforms the (modified) spectrum from [`analyse`](Self::analyse) and writes
    /// the next hop of output, which lags the input by one hop.
    pub(crate) fn synthesise(&mut self, output: &mut [f32]) {
        let last = self.spectrum.len() - 1;
        // A real signal's DC and Nyquist bins are real; drop any rounding residue.
        self.spectrum[0].im = 0.0;
        self.spectrum[last].im = 0.0;
        let done = self.inverse.process_with_scratch(
            &mut self.spectrum,
            &mut self.frame,
            &mut self.scratch,
        );
        debug_assert!(done.is_ok(), "inverse FFT: {done:?}");
        let hop = self.hop;
        let (mid, end) = (self.frame.len() - 2 * hop, self.frame.len() - hop);
        for (((o, f), w), ov) in output
            .iter_mut()
            .zip(&self.frame[mid..end])
            .zip(&self.synthesis[mid..end])
            .zip(&*self.overlap)
        {
            *o = f * w + ov;
        }
        for ((ov, f), w) in self
            .overlap
            .iter_mut()
            .zip(&self.frame[end..])
            .zip(&self.synthesis[end..])
        {
            *ov = f * w;
        }
    }

    /// Clears all signal memory (the plan and windows are kept).
    pub(crate) fn reset(&mut self) {
        self.history.fill(0.0);
        self.overlap.fill(0.0);
    }
}

/// `samples` times `window` into `frame`, then its spectrum into `out`.
fn windowed_fft(
    forward: &dyn RealToComplex<f32>,
    window: &[f32],
    samples: &[f32],
    frame: &mut [f32],
    out: &mut [Complex<f32>],
    scratch: &mut [Complex<f32>],
) {
    for ((f, x), w) in frame.iter_mut().zip(samples).zip(window) {
        *f = x * w;
    }
    let done = forward.process_with_scratch(frame, out, scratch);
    // Lengths are fixed at construction; a failure would be a bug in this module.
    debug_assert!(done.is_ok(), "forward FFT: {done:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_gain_reconstructs_the_input_one_hop_later() {
        for (hop, hops) in [(80usize, 2usize), (160, 2), (160, 4), (441, 4), (480, 4)] {
            let mut stft = Stft::new(hop, hops);
            let x: Vec<f32> = (0..hop * 12)
                .map(|i| (i as f32 * 0.0123).sin() * 0.7 + ((i * 7919) % 13) as f32 * 0.01)
                .collect();
            let mut y = vec![0.0f32; x.len()];
            for (xi, yi) in x.chunks(hop).zip(y.chunks_mut(hop)) {
                stft.analyse(xi);
                stft.synthesise(yi);
            }
            for i in hop..x.len() {
                assert!(
                    (y[i] - x[i - hop]).abs() < 1e-5,
                    "hop {hop}x{hops} sample {i}"
                );
            }
            assert!(y[..hop].iter().all(|&v| v.abs() < 1e-6));
        }
    }

    #[test]
    fn white_noise_periodogram_averages_its_variance() {
        let hop = 160;
        let mut stft = Stft::new(hop, 4);
        let mut rng = voxline_core::Xorshift32::new(7);
        let (mut sum, mut count) = (0.0f64, 0usize);
        for f in 0..400 {
            let x: Vec<f32> = (0..hop)
                .map(|_| 0.1 * rng.next_bipolar() * 3f32.sqrt())
                .collect();
            let spec = stft.analyse(&x);
            if f > 2 {
                for c in &spec[1..2 * hop] {
                    sum += f64::from(c.norm_sqr());
                    count += 1;
                }
            }
        }
        let mean = sum / count as f64;
        assert!((mean / 0.01 - 1.0).abs() < 0.05, "mean periodogram {mean}");
    }
}
