//! Quantisation of `f32` audio to 16 bits, with optional TPDF dither.

use crate::convert::{f32_to_i16, SCALE};
use voxline_core::{Error, Result, SplitMix64};

/// Dither added before rounding to 16 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dither {
    /// Plain rounding to nearest: exact for signals already on the 16-bit grid.
    #[default]
    None,
    /// Triangular-PDF dither of +-1 LSB peak (the sum of two independent uniform variables of
    /// 1 LSB width), which makes the quantisation error signal-independent noise. The pseudo-
    /// random sequence is fixed by `seed`, so output is reproducible.
    Tpdf {
        /// Seed of the pseudo-random generator (any value; 0 is allowed).
        seed: u64,
    },
}

/// Converts `f32` frames to `i16`, with the configured [`Dither`]; allocation-free.
#[derive(Debug, Clone)]
pub struct Quantizer {
    dither: Dither,
    rng: SplitMix64,
}

impl Quantizer {
    /// Creates a quantiser with the given dither.
    #[must_use]
    pub fn new(dither: Dither) -> Self {
        let seed = match dither {
            Dither::None => 0,
            Dither::Tpdf { seed } => seed,
        };
        Self {
            dither,
            rng: SplitMix64::new(seed),
        }
    }

    /// The configured dither.
    #[must_use]
    pub fn dither(&self) -> Dither {
        self.dither
    }

    /// Quantises one sample. NaN becomes 0 (before dither) and the result saturates.
    #[inline]
    pub fn quantize(&mut self, x: f32) -> i16 {
        let x = if x.is_nan() { 0.0 } else { x };
        match self.dither {
            Dither::None => f32_to_i16(x),
            Dither::Tpdf { .. } => {
                let bits = self.rng.next_u64();
                // Two independent 24-bit uniforms in [0, 1); their difference is triangular
                // on (-1, 1) LSB.
                let u1 = (bits >> 40) as f32 * (1.0 / (1u32 << 24) as f32);
                let u2 = ((bits >> 8) & 0xFF_FFFF) as f32 * (1.0 / (1u32 << 24) as f32);
                let scaled = x * SCALE + (u1 - u2);
                scaled.round_ties_even() as i16
            }
        }
    }

    /// Quantises `input` into `output` (same length).
    pub fn process(&mut self, input: &[f32], output: &mut [i16]) -> Result<()> {
        if input.len() != output.len() {
            return Err(Error::FrameLength {
                expected: input.len(),
                actual: output.len(),
            });
        }
        for (o, &i) in output.iter_mut().zip(input) {
            *o = self.quantize(i);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dither_is_plain_rounding() {
        let mut q = Quantizer::new(Dither::None);
        assert_eq!(q.quantize(0.5), 16384);
        assert_eq!(q.quantize(f32::NAN), 0);
    }

    #[test]
    fn tpdf_is_deterministic_bounded_and_zero_mean() {
        let mut a = Quantizer::new(Dither::Tpdf { seed: 7 });
        let mut b = Quantizer::new(Dither::Tpdf { seed: 7 });
        let mut c = Quantizer::new(Dither::Tpdf { seed: 8 });
        let x = 1000.3 / SCALE;
        let mut sum = 0.0f64;
        let mut sum_sq = 0.0f64;
        let mut differs = false;
        let n = 200_000;
        for _ in 0..n {
            let ya = a.quantize(x);
            assert_eq!(ya, b.quantize(x));
            differs |= ya != c.quantize(x);
            let err = f64::from(ya) - 1000.3;
            assert!(err.abs() <= 1.7, "error {err}");
            sum += err;
            sum_sq += err * err;
        }
        assert!(differs);
        let mean = sum / f64::from(n);
        // TPDF dither makes the mean error vanish (no rounding bias towards 1000) ...
        assert!(mean.abs() < 0.01, "mean {mean}");
        // ... at the cost of noise power 1/12 + 1/6 = 1/4 LSB^2.
        let var = sum_sq / f64::from(n) - mean * mean;
        assert!((var - 0.25).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn dither_saturates() {
        let mut q = Quantizer::new(Dither::Tpdf { seed: 1 });
        for _ in 0..1000 {
            assert_eq!(q.quantize(2.0), 32767);
            assert_eq!(q.quantize(-2.0), -32768);
        }
    }
}
