//! The comfort noise payload (RFC 3389, static payload type 13).

use crate::RtpError;

/// Static RTP payload type of comfort noise at 8 kHz (RFC 3551 Table 4).
pub const PT_CN: u8 = 13;

/// Quietest noise level the payload carries: 127 means -127 dBov.
pub const MAX_NOISE_LEVEL_DBOV: u8 = 127;

/// A comfort noise (silence insertion descriptor) payload, borrowed from the packet.
///
/// The first byte is the noise level in -dBov (0 = overload point, 127 = -127 dBov, top bit
/// reserved and zero); each following byte, if any, is one quantized reflection coefficient of
/// an all-pole model of the noise spectrum, lowest order first (RFC 3389 §3). The model order
/// is the number of coefficient bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComfortNoise<'a> {
    /// Noise level as a positive number of dB below the overload point, 0..=127.
    pub level_dbov: u8,
    /// Quantized reflection coefficients, 0..=254 each (see
    /// [`dequantize_reflection_coefficient`]); empty when no spectral information is sent.
    pub coefficients: &'a [u8],
}

impl<'a> ComfortNoise<'a> {
    /// A payload with only the noise level (white comfort noise).
    pub const fn level_only(level_dbov: u8) -> Self {
        ComfortNoise {
            level_dbov,
            coefficients: &[],
        }
    }

    /// Reads a comfort noise payload: a level byte with its top bit clear, then any number of
    /// coefficient bytes.
    pub fn parse(payload: &'a [u8]) -> Result<Self, RtpError> {
        let Some((&level, coefficients)) = payload.split_first() else {
            return Err(RtpError::EmptyComfortNoise);
        };
        if level > MAX_NOISE_LEVEL_DBOV {
            return Err(RtpError::ComfortNoiseLevel(level));
        }
        Ok(ComfortNoise {
            level_dbov: level,
            coefficients,
        })
    }

    /// Payload length: one level byte plus one byte per coefficient.
    pub fn encoded_len(&self) -> usize {
        1 + self.coefficients.len()
    }

    /// Writes the payload to the start of `buf` and returns its length; a level above 127 is
    /// refused as it would set the reserved bit.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, RtpError> {
        if self.level_dbov > MAX_NOISE_LEVEL_DBOV {
            return Err(RtpError::ComfortNoiseLevel(self.level_dbov));
        }
        let needed = self.encoded_len();
        let Some(out) = buf.get_mut(..needed) else {
            return Err(RtpError::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        };
        out[0] = self.level_dbov;
        out[1..].copy_from_slice(self.coefficients);
        Ok(needed)
    }

    /// The `i`-th reflection coefficient in [-1, 1), if present.
    pub fn reflection_coefficient(&self, i: usize) -> Option<f32> {
        self.coefficients
            .get(i)
            .map(|&q| dequantize_reflection_coefficient(q))
    }
}

/// Quantizes a reflection coefficient in [-1, 1] to the payload's byte: uniform steps of 1/128
/// with 127 for zero, clamped to 0..=254 (NaN gives 127).
pub fn quantize_reflection_coefficient(k: f32) -> u8 {
    if k.is_nan() {
        return 127;
    }
    (k * 128.0 + 127.0).round().clamp(0.0, 254.0) as u8
}

/// The reflection coefficient a payload byte stands for: `(q - 127) / 128`; the unused code
/// 255 is read as 254.
pub fn dequantize_reflection_coefficient(q: u8) -> f32 {
    (f32::from(q.min(254)) - 127.0) / 128.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantizer_round_trips_every_code() {
        for q in 0..=254u8 {
            assert_eq!(
                quantize_reflection_coefficient(dequantize_reflection_coefficient(q)),
                q
            );
        }
        assert_eq!(quantize_reflection_coefficient(0.0), 127);
        assert_eq!(quantize_reflection_coefficient(-1.0), 0);
        assert_eq!(quantize_reflection_coefficient(1.0), 254);
        assert_eq!(quantize_reflection_coefficient(f32::NAN), 127);
        assert_eq!(dequantize_reflection_coefficient(255), 127.0 / 128.0);
    }
}
