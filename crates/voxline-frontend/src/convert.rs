//! Conversion between 16-bit integer samples and `f32` samples in `[-1, 1)`.
//!
//! Both directions use the same scale, 32768, so every `i16` maps to an exactly representable
//! `f32` and back to itself. Going to `i16`, values are rounded to nearest (ties to even) and
//! saturate at `-32768..=32767` (an input of `+1.0` gives 32767); NaN gives 0.

use voxline_core::{Error, Result};

/// Scale between the integer and the floating-point representation.
pub const SCALE: f32 = 32768.0;

/// Converts one 16-bit sample to `f32` in `[-1, 1)`.
#[inline]
#[must_use]
pub fn i16_to_f32(x: i16) -> f32 {
    f32::from(x) * (1.0 / SCALE)
}

/// Converts one `f32` sample to 16 bits: rounded to nearest, saturating, NaN -> 0.
#[inline]
#[must_use]
pub fn f32_to_i16(x: f32) -> i16 {
    // Clamp, then round to nearest-even by adding and subtracting 1.5 * 2^23 (exact for
    // |y| < 2^22): plain SSE2 arithmetic that LLVM vectorises, where `round` is a library call
    // on baseline x86-64. NaN survives both steps and `as` maps it to 0.
    const ROUND: f32 = 12_582_912.0;
    let y = (x * SCALE).clamp(-32768.0, 32767.0);
    ((y + ROUND) - ROUND) as i16
}

fn check_len(expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::FrameLength { expected, actual })
    }
}

/// Converts a slice of 16-bit samples to `f32`; `output` must be as long as `input`.
pub fn i16_to_f32_slice(input: &[i16], output: &mut [f32]) -> Result<()> {
    check_len(input.len(), output.len())?;
    for (o, &i) in output.iter_mut().zip(input) {
        *o = i16_to_f32(i);
    }
    Ok(())
}

/// Converts a slice of `f32` samples to 16 bits (rounded, saturated, NaN -> 0); `output` must
/// be as long as `input`.
pub fn f32_to_i16_slice(input: &[f32], output: &mut [i16]) -> Result<()> {
    check_len(input.len(), output.len())?;
    for (o, &i) in output.iter_mut().zip(input) {
        *o = f32_to_i16(i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_i16_round_trips() {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(f32_to_i16(i16_to_f32(x)), x);
        }
    }

    #[test]
    fn saturates_and_handles_non_finite() {
        assert_eq!(f32_to_i16(1.0), 32767);
        assert_eq!(f32_to_i16(-1.0), -32768);
        assert_eq!(f32_to_i16(7.5), 32767);
        assert_eq!(f32_to_i16(-7.5), -32768);
        assert_eq!(f32_to_i16(f32::INFINITY), 32767);
        assert_eq!(f32_to_i16(f32::NEG_INFINITY), -32768);
        assert_eq!(f32_to_i16(f32::NAN), 0);
    }

    #[test]
    fn rounds_to_nearest() {
        assert_eq!(f32_to_i16(0.4 / SCALE), 0);
        assert_eq!(f32_to_i16(0.6 / SCALE), 1);
        assert_eq!(f32_to_i16(-0.6 / SCALE), -1);
    }

    #[test]
    fn slice_length_mismatch_is_an_error() {
        let mut out = [0.0f32; 3];
        assert_eq!(
            i16_to_f32_slice(&[1, 2], &mut out),
            Err(Error::FrameLength {
                expected: 2,
                actual: 3
            })
        );
        let mut out16 = [0i16; 1];
        assert!(f32_to_i16_slice(&[0.0, 0.5], &mut out16).is_err());
    }
}
