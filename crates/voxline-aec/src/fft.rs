//! Real FFTs with their scratch space allocated once, and a split (structure-of-arrays) complex
//! spectrum whose multiply-accumulate loops the compiler vectorises.

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// A forward/inverse real FFT pair of one size with preallocated scratch and work buffers.
pub(crate) struct RealFft {
    n: usize,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    scratch: Vec<Complex<f32>>,
    time: Vec<f32>,
    freq: Vec<Complex<f32>>,
}

impl RealFft {
    /// Plans an FFT of `n` real samples (`n / 2 + 1` bins).
    pub(crate) fn new(n: usize) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let scratch_len = forward
            .get_scratch_len()
            .max(inverse.get_scratch_len())
            .max(1);
        Self {
            n,
            forward,
            inverse,
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            time: vec![0.0; n],
            freq: vec![Complex::new(0.0, 0.0); n / 2 + 1],
        }
    }

    /// Number of real samples.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// Number of bins.
    pub(crate) fn bins(&self) -> usize {
        self.n / 2 + 1
    }

    /// Unnormalised forward transform of `input` (`n` samples) into `out`.
    pub(crate) fn forward(&mut self, input: &[f32], out: &mut Spectrum) {
        self.time.copy_from_slice(input);
        // Lengths are fixed at construction, so the transform cannot fail.
        let _ =
            self.forward
                .process_with_scratch(&mut self.time, &mut self.freq, &mut self.scratch);
        for ((re, im), c) in out.re.iter_mut().zip(out.im.iter_mut()).zip(&self.freq) {
            *re = c.re;
            *im = c.im;
        }
    }

    /// Unnormalised inverse transform of `input` into `out` (`n` samples): the result is `n`
    /// times the signal whose forward transform `input` is.
    pub(crate) fn inverse(&mut self, input: &Spectrum, out: &mut [f32]) {
        for ((c, re), im) in self.freq.iter_mut().zip(&input.re).zip(&input.im) {
            *c = Complex::new(*re, *im);
        }
        // A real signal's spectrum has no imaginary part at DC and Nyquist.
        let last = self.freq.len() - 1;
        self.freq[0].im = 0.0;
        self.freq[last].im = 0.0;
        let _ = self
            .inverse
            .process_with_scratch(&mut self.freq, out, &mut self.scratch);
    }
}

/// A complex spectrum stored as separate real and imaginary arrays.
#[derive(Clone)]
pub(crate) struct Spectrum {
    pub(crate) re: Vec<f32>,
    pub(crate) im: Vec<f32>,
}

impl Spectrum {
    /// A zero spectrum of `bins` bins.
    pub(crate) fn zeros(bins: usize) -> Self {
        Self {
            re: vec![0.0; bins],
            im: vec![0.0; bins],
        }
    }

    /// Sets every bin to zero.
    pub(crate) fn clear(&mut self) {
        self.re.fill(0.0);
        self.im.fill(0.0);
    }

    /// Writes `|X(f)|^2` into `out`.
    pub(crate) fn power_into(&self, out: &mut [f32]) {
        for ((o, re), im) in out.iter_mut().zip(&self.re).zip(&self.im) {
            *o = re * re + im * im;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_inverse_scales_by_n() {
        let mut fft = RealFft::new(160);
        let x: Vec<f32> = (0..160).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
        let mut s = Spectrum::zeros(fft.bins());
        fft.forward(&x, &mut s);
        let mut y = vec![0.0; 160];
        fft.inverse(&s, &mut y);
        for (a, b) in x.iter().zip(&y) {
            assert!((a * 160.0 - b).abs() < 1e-2, "{a} {b}");
        }
        assert_eq!(fft.len(), 160);
    }
}
