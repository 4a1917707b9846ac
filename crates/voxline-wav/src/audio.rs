//! [`Audio`]: decoded file contents, and the sample conversions between formats.

use crate::error::WavError;
use std::fmt;
use voxline_g711::Law;

/// Highest sample rate accepted, in Hz (the highest rate common audio hardware offers).
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// How the samples of an [`Audio`] are encoded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SampleFormat {
    /// Linear integer PCM of 8 (unsigned in the file), 16, 24 or 32 bits.
    Pcm {
        /// Bits per sample: 8, 16, 24 or 32.
        bits: u16,
    },
    /// 32-bit IEEE float PCM, nominally in [-1, 1].
    Float32,
    /// G.711 codes, one byte per sample.
    G711(Law),
}

impl SampleFormat {
    /// Bits per sample as stored in a WAV file: 8 to 32.
    #[must_use]
    pub const fn bits_per_sample(self) -> u16 {
        match self {
            SampleFormat::Pcm { bits } => bits,
            SampleFormat::Float32 => 32,
            SampleFormat::G711(_) => 8,
        }
    }
}

impl fmt::Display for SampleFormat {
    /// Writes e.g. `16-bit PCM`, `32-bit float`, `G.711 mu-law`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleFormat::Pcm { bits } => write!(f, "{bits}-bit PCM"),
            SampleFormat::Float32 => f.write_str("32-bit float"),
            SampleFormat::G711(law) => write!(f, "G.711 {law}"),
        }
    }
}

/// The stored samples; private so that the stored encoding always matches what was read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Samples {
    /// Integer PCM at its own scale: `bits` 8 gives -128..=127, 24 gives -2^23..2^23.
    Int { bits: u16, values: Vec<i32> },
    /// IEEE float PCM.
    Float(Vec<f32>),
    /// G.711 codes.
    G711 { law: Law, codes: Vec<u8> },
}

/// Audio read from a file: interleaved samples plus rate, channel count and format.
///
/// G.711 content keeps its codes (lossless transcoding and conformance checks); PCM content keeps
/// its integers or floats. [`Audio::to_f32`] and [`Audio::to_i16`] convert any of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    /// Sample frames per second, in Hz.
    pub sample_rate: u32,
    /// Number of interleaved channels (at least 1 for anything this crate produces).
    pub channels: u16,
    /// What the samples are; set from the stored samples (changing it converts nothing).
    pub format: SampleFormat,
    samples: Samples,
}

/// Checks a sample rate is within 1..=[`MAX_SAMPLE_RATE`].
pub(crate) fn check_rate(sample_rate: u32) -> Result<(), WavError> {
    if sample_rate == 0 || sample_rate > MAX_SAMPLE_RATE {
        Err(WavError::BadSampleRate(sample_rate))
    } else {
        Ok(())
    }
}

/// Checks channels >= 1 and that `len` samples make whole frames.
pub(crate) fn check_frames(len: usize, channels: u16) -> Result<(), WavError> {
    if channels == 0 {
        return Err(WavError::ZeroChannels);
    }
    if !len.is_multiple_of(usize::from(channels)) {
        return Err(WavError::PartialFrame {
            samples: len,
            channels,
        });
    }
    Ok(())
}

/// Converts a float sample to 16 bits: scaled by 32768, rounded, saturated, NaN to 0.
#[inline]
fn f32_to_i16(x: f32) -> i16 {
    // `as` saturates out-of-range values and maps NaN to 0.
    (x * 32768.0).round() as i16
}

/// Converts an integer sample of `bits` bits to 16 bits (exact for 8 and 16 bits; wider
/// samples are rounded to nearest, halves upwards, saturating at `i16::MAX`).
#[inline]
fn int_to_i16(v: i32, bits: u16) -> i16 {
    if bits <= 16 {
        let shift = 16 - u32::from(bits);
        (v << shift) as i16
    } else {
        let shift = u32::from(bits) - 16;
        let rounded = (i64::from(v) + (1i64 << (shift - 1))) >> shift;
        rounded.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
    }
}

/// The multiplier and pre-shift taking an integer of `bits` bits to [-1, 1).
///
/// Up to 24 bits the conversion is exact; 32-bit samples first drop their low 8 bits
/// (arithmetic shift) so that the result, like all others, stays in [-1, 1).
#[inline]
fn int_scale(bits: u16) -> (u32, f32) {
    let shift = u32::from(bits.saturating_sub(24));
    let magnitude_bits = i32::from(bits) - 1 - shift as i32;
    (shift, 2f32.powi(-magnitude_bits))
}

impl Audio {
    pub(crate) fn new_unchecked(sample_rate: u32, channels: u16, samples: Samples) -> Audio {
        let format = match &samples {
            Samples::Int { bits, .. } => SampleFormat::Pcm { bits: *bits },
            Samples::Float(_) => SampleFormat::Float32,
            Samples::G711 { law, .. } => SampleFormat::G711(*law),
        };
        Audio {
            sample_rate,
            channels,
            format,
            samples,
        }
    }

    /// 16-bit PCM audio from interleaved samples.
    ///
    /// # Errors
    /// Zero channels, a rate outside 1..=768000 Hz, or a length that is not whole frames.
    pub fn from_i16(sample_rate: u32, channels: u16, samples: &[i16]) -> Result<Audio, WavError> {
        check_rate(sample_rate)?;
        check_frames(samples.len(), channels)?;
        let values = samples.iter().map(|&s| i32::from(s)).collect();
        Ok(Audio::new_unchecked(
            sample_rate,
            channels,
            Samples::Int { bits: 16, values },
        ))
    }

    /// 32-bit float audio from interleaved samples.
    ///
    /// # Errors
    /// As [`Audio::from_i16`].
    pub fn from_f32(sample_rate: u32, channels: u16, samples: Vec<f32>) -> Result<Audio, WavError> {
        check_rate(sample_rate)?;
        check_frames(samples.len(), channels)?;
        Ok(Audio::new_unchecked(
            sample_rate,
            channels,
            Samples::Float(samples),
        ))
    }

    /// G.711 audio from interleaved codes of `law`.
    ///
    /// # Errors
    /// As [`Audio::from_i16`].
    pub fn from_g711(
        law: Law,
        sample_rate: u32,
        channels: u16,
        codes: Vec<u8>,
    ) -> Result<Audio, WavError> {
        check_rate(sample_rate)?;
        check_frames(codes.len(), channels)?;
        Ok(Audio::new_unchecked(
            sample_rate,
            channels,
            Samples::G711 { law, codes },
        ))
    }

    /// Total number of interleaved samples (frames × channels).
    #[must_use]
    pub fn num_samples(&self) -> usize {
        match &self.samples {
            Samples::Int { values, .. } => values.len(),
            Samples::Float(v) => v.len(),
            Samples::G711 { codes, .. } => codes.len(),
        }
    }

    /// Number of sample frames (samples per channel); 0 if `channels` is 0.
    #[must_use]
    pub fn frames(&self) -> usize {
        self.num_samples()
            .checked_div(usize::from(self.channels))
            .unwrap_or(0)
    }

    /// Duration in seconds: frames / sample rate (0 if the rate is 0).
    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames() as f64 / f64::from(self.sample_rate)
        }
    }

    /// The G.711 codes, interleaved, if the content is G.711.
    #[must_use]
    pub fn g711_codes(&self) -> Option<&[u8]> {
        match &self.samples {
            Samples::G711 { codes, .. } => Some(codes),
            _ => None,
        }
    }

    /// The integer PCM samples at their own scale (8-bit as -128..=127, 24-bit as ±2^23), if
    /// the content is integer PCM; the bit depth is in [`Audio::format`].
    #[must_use]
    pub fn int_samples(&self) -> Option<&[i32]> {
        match &self.samples {
            Samples::Int { values, .. } => Some(values),
            _ => None,
        }
    }

    /// The float samples, if the content is 32-bit float.
    #[must_use]
    pub fn float_samples(&self) -> Option<&[f32]> {
        match &self.samples {
            Samples::Float(v) => Some(v),
            _ => None,
        }
    }

    /// Interleaved samples as `f32`, integers scaled by 2^-(bits-1) into [-1, 1).
    ///
    /// Exact for 8, 16 and 24 bits (16-bit × 32768 gives the original back); 32-bit integers keep
    /// their top 24 bits. Floats are returned unchanged; G.711 is decoded to 16 bits first.
    #[must_use]
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.samples {
            Samples::Int { bits, values } => {
                let (shift, scale) = int_scale(*bits);
                values
                    .iter()
                    .map(|&v| (v >> shift) as f32 * scale)
                    .collect()
            }
            Samples::Float(v) => v.clone(),
            Samples::G711 { law, codes } => codes
                .iter()
                .map(|&c| f32::from(law.decode_sample(c)) * (1.0 / 32768.0))
                .collect(),
        }
    }

    /// Interleaved samples as 16-bit PCM.
    ///
    /// Exact for 8- and 16-bit PCM and G.711 (decoded by `voxline-g711`). 24- and 32-bit samples
    /// are rounded to nearest (halves upwards) and saturate at 32767; floats are multiplied by
    /// 32768, rounded, saturated to the i16 range, NaN giving 0.
    #[must_use]
    pub fn to_i16(&self) -> Vec<i16> {
        match &self.samples {
            Samples::Int { bits, values } => values.iter().map(|&v| int_to_i16(v, *bits)).collect(),
            Samples::Float(v) => v.iter().map(|&x| f32_to_i16(x)).collect(),
            Samples::G711 { law, codes } => codes.iter().map(|&c| law.decode_sample(c)).collect(),
        }
    }

    /// Mono `f32` samples: [`Audio::to_f32`] with each frame's channels averaged.
    ///
    /// A trailing partial frame (possible only if `channels` was changed) is dropped; with
    /// `channels` 0 the result is empty.
    #[must_use]
    pub fn to_mono_f32(&self) -> Vec<f32> {
        let all = self.to_f32();
        let n = usize::from(self.channels);
        if n <= 1 {
            return if n == 1 { all } else { Vec::new() };
        }
        all.chunks_exact(n)
            .map(|frame| (frame.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64) as f32)
            .collect()
    }

    /// Averages the channels into one: same format and rate, except that G.711 becomes 16-bit
    /// PCM (codes cannot be averaged; their decoded values are). Integer averages are rounded to
    /// nearest, halves away from zero; a trailing partial frame is dropped.
    ///
    /// # Errors
    /// [`WavError::ZeroChannels`] if `channels` is 0.
    pub fn downmix(&self) -> Result<Audio, WavError> {
        let n = usize::from(self.channels);
        if n == 0 {
            return Err(WavError::ZeroChannels);
        }
        if n == 1 {
            return Ok(self.clone());
        }
        let average_ints = |values: &mut dyn Iterator<Item = i64>, len: usize| -> Vec<i32> {
            let mut out = Vec::with_capacity(len / n);
            let mut sum = 0i64;
            let mut count = 0usize;
            for v in values {
                sum += v;
                count += 1;
                if count == n {
                    // |sum| < 2^47, exact in f64; the average is within the input range.
                    out.push((sum as f64 / n as f64).round() as i32);
                    sum = 0;
                    count = 0;
                }
            }
            out
        };
        let samples = match &self.samples {
            Samples::Int { bits, values } => Samples::Int {
                bits: *bits,
                values: average_ints(&mut values.iter().map(|&v| i64::from(v)), values.len()),
            },
            Samples::Float(v) => Samples::Float(
                v.chunks_exact(n)
                    .map(|frame| {
                        (frame.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64) as f32
                    })
                    .collect(),
            ),
            Samples::G711 { law, codes } => Samples::Int {
                bits: 16,
                values: average_ints(
                    &mut codes.iter().map(|&c| i64::from(law.decode_sample(c))),
                    codes.len(),
                ),
            },
        };
        Ok(Audio::new_unchecked(self.sample_rate, 1, samples))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_to_i16_rounds_and_saturates() {
        assert_eq!(int_to_i16(-128, 8), -32768);
        assert_eq!(int_to_i16(127, 8), 127 << 8);
        assert_eq!(int_to_i16(-32768, 16), -32768);
        assert_eq!(int_to_i16(0x7F_FF7F, 24), 0x7FFF);
        assert_eq!(
            int_to_i16(0x7F_FF80, 24),
            0x7FFF,
            "saturates instead of wrapping"
        );
        assert_eq!(int_to_i16(0x80, 24), 1, "half rounds up");
        assert_eq!(int_to_i16(0x7F, 24), 0);
        assert_eq!(
            int_to_i16(-0x80, 24),
            0,
            "half rounds up, towards zero when negative"
        );
        assert_eq!(int_to_i16(-0x81, 24), -1);
        assert_eq!(int_to_i16(-0x80_0000, 24), -32768);
        assert_eq!(int_to_i16(i32::MAX, 32), 32767);
        assert_eq!(int_to_i16(i32::MIN, 32), -32768);
        assert_eq!(int_to_i16(0x8000, 32), 1);
    }

    #[test]
    fn float_to_i16_saturates_and_maps_nan_to_zero() {
        assert_eq!(f32_to_i16(1.0), 32767);
        assert_eq!(f32_to_i16(-1.0), -32768);
        assert_eq!(f32_to_i16(-7.0), -32768);
        assert_eq!(f32_to_i16(f32::NAN), 0);
        assert_eq!(f32_to_i16(f32::INFINITY), 32767);
        assert_eq!(f32_to_i16(0.5 / 32768.0), 1);
    }

    #[test]
    fn int_scale_keeps_full_scale_below_one() {
        for bits in [8u16, 16, 24, 32] {
            let (shift, scale) = int_scale(bits);
            let max = if bits == 32 {
                i32::MAX
            } else {
                (1 << (bits - 1)) - 1
            };
            let min = if bits == 32 {
                i32::MIN
            } else {
                -(1 << (bits - 1))
            };
            assert!(((max >> shift) as f32 * scale) < 1.0, "{bits}");
            assert_eq!((min >> shift) as f32 * scale, -1.0, "{bits}");
        }
    }
}
