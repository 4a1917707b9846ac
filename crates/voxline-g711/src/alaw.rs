//! G.711 A-law (PCMA): 16-bit linear PCM to 8-bit codes and back, bit-exact with ITU-T G.191.
//!
//! Encoding follows G.711 Table 1 as the G.191 STL applies it to 16-bit input: the four least
//! significant bits are dropped by an arithmetic right shift (`y = x >> 4`, floor; A-law's finest
//! step is 2 units of 13 bits, so the 13-bit LSB plays no part), the magnitude of a negative `y`
//! is its one's complement `!y`, then segment and 4-bit mantissa form the code. The sign bit is
//! set for `x >= 0` and the even bits are inverted (XOR 0x55, the line format), so
//! `encode_sample(0) == 0xD5`. Decoding returns the interval midpoint scaled to 16 bits:
//! ±{8, 24, ..., 32256}.

use crate::{check_lengths, LengthMismatch};

/// Line code of digital silence (`encode_sample(0)`, the smallest positive level).
pub const SILENCE: u8 = 0xD5;

/// Reference encoder, written as the algorithm reads; every table is built from it.
const fn compress(x: i16) -> u8 {
    let y = x >> 4; // truncate 16 -> 12 bits (floor)
    let magnitude = if y >= 0 { y } else { !y } as u16; // one's complement: 0..=2047
    let (segment, mantissa) = if magnitude < 16 {
        (0, magnitude) // segment 0: 32 steps of 2 units of 13 bits, linear
    } else {
        // magnitude >= 16: its leading one is bit 4..=10, i.e. segment 1..=7.
        let segment = 15 - magnitude.leading_zeros() as u16 - 3;
        (segment, (magnitude >> (segment - 1)) & 0x0F)
    };
    let sign = if x >= 0 { 0x80 } else { 0x00 };
    (((segment << 4) | mantissa) as u8 | sign) ^ 0x55
}

/// Reference decoder: midpoint of the code's interval, scaled to 16 bits.
const fn expand(code: u8) -> i16 {
    let character = code ^ 0x55;
    let segment = ((character >> 4) & 0x07) as i16;
    let step = (character & 0x0F) as i16;
    let magnitude = if segment == 0 {
        (2 * step + 1) * 8
    } else {
        ((2 * step + 33) << (segment - 1)) * 8
    }; // 8..=32256
    if character & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Encoder table indexed by `(x as u16) >> 4`: the code is constant on aligned groups of 16.
static ENCODE: [u8; 1 << 12] = {
    let mut table = [0u8; 1 << 12];
    let mut i = 0;
    while i < table.len() {
        table[i] = compress(((i as u16) << 4) as i16);
        i += 1;
    }
    table
};

/// Decoder table indexed by the code.
static DECODE: [i16; 256] = {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = expand(i as u8);
        i += 1;
    }
    table
};

/// Encodes one 16-bit linear sample to an A-law code (line format, `0 -> 0xD5`).
#[inline]
#[must_use]
pub fn encode_sample(x: i16) -> u8 {
    ENCODE[usize::from(x as u16 >> 4)]
}

/// Decodes one A-law code to 16-bit linear PCM (interval midpoint, ±{8, 24, ..., 32256}).
#[inline]
#[must_use]
pub fn decode_sample(code: u8) -> i16 {
    DECODE[usize::from(code)]
}

/// Branch-free encoder for the slice loop, written so that LLVM vectorises it (SSE2 baseline).
///
/// For a magnitude `m >= 16` the `f32` conversion of `m` has the biased exponent
/// `leading-one position + 127 = segment + 130` and the A-law mantissa as its top 4 mantissa
/// bits, so `(bits >> 19) - (130 << 4)` is the 7-bit code; it is also `<= m`. Below 16 that
/// expression is smaller than `m` while the code is `m` itself (segment 0 is linear), hence
/// `max(min(t, m), min(m, 16))`.
#[inline(always)]
fn encode_lane(x: i16) -> u8 {
    let y = x >> 4;
    let negative = y >> 15; // 0 or -1
    let magnitude = y ^ negative; // one's complement of negative values: 0..=2047
    let t = (f32::from(magnitude as u16).to_bits() >> 19) as i16 - 0x820;
    let code = t.min(magnitude).max(magnitude.min(16));
    ((code | (!negative & 0x80)) ^ 0x55) as u8
}

/// Branch-free decoder for the slice loop, written so that LLVM vectorises it (SSE2 baseline).
///
/// Segments 0 and 1 are linear: `16 * index + 8`. From segment 1 up, the `f32` with bits
/// `(index << 19) + 0x4304_0000` has biased exponent `segment + 134` and mantissa
/// `step << 19 | 1 << 18`, i.e. the value `4 * (2 * step + 33) << segment`, exactly; adding
/// `1.5 * 2^23` moves that integer into the low mantissa bits: the sum's bits are `0x4B40_0000`
/// plus the integer (< `0x8000`).
#[inline(always)]
fn decode_lane(code: u8) -> i16 {
    let character = code ^ 0x55;
    let index = character & 0x7F;
    let scaled = f32::from_bits((u32::from(index) << 19) + 0x4304_0000);
    let logarithmic = ((scaled + 12_582_912.0).to_bits() & 0x7FFF) as i16;
    let magnitude = if index < 16 {
        i16::from(index) * 16 + 8
    } else {
        logarithmic
    };
    if character & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Encodes `input` into `output` (same length), one code per sample.
///
/// # Errors
/// [`LengthMismatch`] if the slices differ in length; `output` is then left untouched.
#[inline]
pub fn encode(input: &[i16], output: &mut [u8]) -> Result<(), LengthMismatch> {
    check_lengths(input.len(), output.len())?;
    for (out, &x) in output.iter_mut().zip(input) {
        *out = encode_lane(x);
    }
    Ok(())
}

/// Decodes `input` into `output` (same length), one sample per code.
///
/// # Errors
/// [`LengthMismatch`] if the slices differ in length; `output` is then left untouched.
#[inline]
pub fn decode(input: &[u8], output: &mut [i16]) -> Result<(), LengthMismatch> {
    check_lengths(input.len(), output.len())?;
    for (out, &code) in output.iter_mut().zip(input) {
        *out = decode_lane(code);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_reference_for_every_input() {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(encode_sample(x), compress(x), "x = {x}");
            assert_eq!(encode_lane(x), compress(x), "x = {x}");
        }
        for code in 0..=255u8 {
            assert_eq!(decode_sample(code), expand(code));
            assert_eq!(decode_lane(code), expand(code));
        }
    }

    #[test]
    fn readme_examples() {
        for (range, code, value) in [
            (0..=15, 0xD5, 8),
            (-16..=-1, 0x55, -8),
            (32767..=32767, 0xAA, 32256),
            (-32768..=-32768, 0x2A, -32256),
        ] {
            for x in range {
                assert_eq!(encode_sample(x), code, "x = {x}");
                assert_eq!(decode_sample(code), value);
            }
        }
        assert_eq!(encode_sample(0), SILENCE);
    }
}
