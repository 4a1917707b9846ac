//! Sample formats a device may deliver and the channel mapping between a device's interleaved
//! buffers and voxline's mono processing signal.
//!
//! Capture is down-mixed to mono (the mean of all channels); render is up-mixed by copying the
//! mono signal to every channel. Integer formats map to [-1, 1) by dividing by 2^(bits-1)
//! (unsigned formats first remove their mid-point offset); float output is clamped to
//! [-1, 1] and non-finite values become silence, so a device never receives NaN.

/// A sample type an audio device buffer may hold, convertible to and from voxline's f32.
pub trait DeviceSample: Copy + Send + 'static {
    /// Silence in this format.
    const SILENCE: Self;
    /// The sample as f32 in [-1, 1].
    fn to_f32(self) -> f32;
    /// The nearest sample to `x` (clamped to the format's range; NaN becomes silence).
    fn from_f32(x: f32) -> Self;
}

/// Clamps to [-1, 1] and turns NaN into 0.
#[inline]
fn clamp_unit(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-1.0, 1.0)
    }
}

impl DeviceSample for f32 {
    const SILENCE: Self = 0.0;
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn from_f32(x: f32) -> Self {
        clamp_unit(x)
    }
}

impl DeviceSample for f64 {
    const SILENCE: Self = 0.0;
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline]
    fn from_f32(x: f32) -> Self {
        f64::from(clamp_unit(x))
    }
}

/// Signed integer formats: full scale is 2^(bits-1).
macro_rules! signed_sample {
    ($t:ty, $scale:expr) => {
        impl DeviceSample for $t {
            const SILENCE: Self = 0;
            #[inline]
            fn to_f32(self) -> f32 {
                (f64::from(self) / $scale) as f32
            }
            #[inline]
            fn from_f32(x: f32) -> Self {
                // Round to nearest; +1.0 maps to the largest code (the range is asymmetric).
                let v = (f64::from(clamp_unit(x)) * $scale).round();
                v.clamp(<$t>::MIN as f64, <$t>::MAX as f64) as $t
            }
        }
    };
}

/// Unsigned integer formats: silence is the mid-point 2^(bits-1).
macro_rules! unsigned_sample {
    ($t:ty, $scale:expr) => {
        impl DeviceSample for $t {
            const SILENCE: Self = 1 << (<$t>::BITS - 1);
            #[inline]
            fn to_f32(self) -> f32 {
                ((f64::from(self) - $scale) / $scale) as f32
            }
            #[inline]
            fn from_f32(x: f32) -> Self {
                let v = (f64::from(clamp_unit(x)) * $scale + $scale).round();
                v.clamp(0.0, <$t>::MAX as f64) as $t
            }
        }
    };
}

signed_sample!(i8, 128.0);
signed_sample!(i16, 32768.0);
signed_sample!(i32, 2147483648.0);
unsigned_sample!(u8, 128.0);
unsigned_sample!(u16, 32768.0);
unsigned_sample!(u32, 2147483648.0);

/// The mono value of one interleaved frame: the mean of its channels.
#[inline]
pub fn downmix_frame<T: DeviceSample>(frame: &[T]) -> f32 {
    match frame {
        [] => 0.0,
        [x] => x.to_f32(),
        _ => frame.iter().map(|s| s.to_f32()).sum::<f32>() / frame.len() as f32,
    }
}

/// Down-mixes `interleaved` (`channels` per frame) into `mono`, one value per whole frame;
/// returns how many frames were written (the smaller of the two lengths; a trailing partial
/// frame is ignored).
pub fn downmix<T: DeviceSample>(interleaved: &[T], channels: usize, mono: &mut [f32]) -> usize {
    let channels = channels.max(1);
    let mut n = 0;
    for (frame, m) in interleaved.chunks_exact(channels).zip(mono.iter_mut()) {
        *m = downmix_frame(frame);
        n += 1;
    }
    n
}

/// Writes `x` to every sample of one interleaved frame.
#[inline]
pub fn upmix_frame<T: DeviceSample>(x: f32, frame: &mut [T]) {
    let s = T::from_f32(x);
    frame.fill(s);
}

/// Up-mixes `mono` into `interleaved` (`channels` per frame); returns the frames written.
/// Frames of `interleaved` beyond `mono` are left untouched.
pub fn upmix<T: DeviceSample>(mono: &[f32], channels: usize, interleaved: &mut [T]) -> usize {
    let channels = channels.max(1);
    let mut n = 0;
    for (frame, &m) in interleaved.chunks_exact_mut(channels).zip(mono) {
        upmix_frame(m, frame);
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_formats_round_trip_and_hit_full_scale() {
        assert_eq!(i16::from_f32(1.0), i16::MAX);
        assert_eq!(i16::from_f32(-1.0), i16::MIN);
        assert_eq!(i16::from_f32(0.0), 0);
        assert_eq!(i16::MIN.to_f32(), -1.0);
        assert_eq!(u16::SILENCE, 32768);
        assert_eq!(u16::from_f32(0.0), 32768);
        assert_eq!(u16::from_f32(-1.0), 0);
        assert_eq!(u16::from_f32(1.0), u16::MAX);
        assert_eq!(u16::SILENCE.to_f32(), 0.0);
        assert_eq!(u8::SILENCE, 128);
        assert_eq!(u8::from_f32(0.5), 192);
        assert_eq!(i8::from_f32(-0.5), -64);
        assert_eq!(i32::from_f32(1.0), i32::MAX);
        assert_eq!(u32::SILENCE, 1 << 31);
        for code in [i16::MIN, -12345, -1, 0, 1, 777, i16::MAX] {
            assert_eq!(i16::from_f32(code.to_f32()), code);
        }
        for code in [0u16, 1, 32767, 32768, 40000, u16::MAX] {
            assert_eq!(u16::from_f32(code.to_f32()), code);
        }
        for code in [i32::MIN, -7, 0, 123_456_789] {
            // f32 keeps 24 bits; the round trip is exact to within the f32 resolution.
            let back = i32::from_f32(code.to_f32());
            assert!(
                (i64::from(back) - i64::from(code)).abs() <= 256,
                "{code} -> {back}"
            );
        }
    }

    #[test]
    fn non_finite_and_out_of_range_values_are_safe() {
        assert_eq!(f32::from_f32(f32::NAN), 0.0);
        assert_eq!(f32::from_f32(f32::INFINITY), 1.0);
        assert_eq!(f32::from_f32(-3.0), -1.0);
        assert_eq!(i16::from_f32(f32::NAN), 0);
        assert_eq!(i16::from_f32(f32::NEG_INFINITY), i16::MIN);
        assert_eq!(u8::from_f32(f32::NAN), 128);
        assert_eq!(f64::from_f32(2.0), 1.0);
    }

    #[test]
    fn downmix_averages_channels_and_upmix_copies() {
        let stereo: [i16; 6] = [16384, -16384, 8192, 8192, 0, i16::MIN];
        let mut mono = [9.0f32; 4];
        assert_eq!(downmix(&stereo, 2, &mut mono), 3);
        assert_eq!(mono, [0.0, 0.25, -0.5, 9.0]);

        let mut out = [0u16; 9];
        assert_eq!(upmix(&[0.5, -0.5, 0.0], 3, &mut out), 3);
        assert_eq!(
            out,
            [49152, 49152, 49152, 16384, 16384, 16384, 32768, 32768, 32768]
        );

        // A trailing partial frame is ignored; zero channels count as mono.
        let mut mono = [0.0f32; 2];
        assert_eq!(downmix(&[0.5f32, 0.5, 0.25], 2, &mut mono), 1);
        assert_eq!(downmix(&[0.5f32, 0.25], 0, &mut mono), 2);
        assert_eq!(mono, [0.5, 0.25]);
    }
}
