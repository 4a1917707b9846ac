//! Guards for the audio path: NaN, infinities and denormals must not reach recursive filters,
//! where they would stick forever (NaN) or slow every following operation (denormals).

/// Magnitudes below this are flushed to zero: about -300 dBFS, far below any audible signal but
/// above the denormal range of `f32` (which starts at 1.18e-38).
const FLUSH_BELOW: f32 = 1.0e-15;

/// Returns `x` with NaN and infinities replaced by 0.0 and tiny magnitudes (including
/// denormals) flushed to 0.0; every other value is unchanged.
#[inline]
pub fn sanitize(x: f32) -> f32 {
    // `abs() < FLUSH_BELOW` is false for NaN; `is_finite` is false for NaN and infinities.
    if x.is_finite() && x.abs() >= FLUSH_BELOW {
        x
    } else {
        0.0
    }
}

/// Applies [`sanitize`] to every sample in place and returns how many samples were replaced
/// because they were NaN or infinite (flushed denormals are not counted).
pub fn sanitize_slice(samples: &mut [f32]) -> usize {
    let mut bad = 0;
    for s in samples.iter_mut() {
        bad += usize::from(!s.is_finite());
        *s = sanitize(*s);
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn non_finite_and_denormal_become_zero() {
        let mut v = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e-40,
            -1e-20,
            0.5,
            -1.0,
        ];
        assert_eq!(sanitize_slice(&mut v), 3);
        assert_eq!(v, [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, -1.0]);
    }

    proptest! {
        #[test]
        fn normal_audio_is_untouched(x in -4.0f32..4.0) {
            prop_assume!(x.abs() >= 1e-15);
            prop_assert_eq!(sanitize(x), x);
        }
    }
}
