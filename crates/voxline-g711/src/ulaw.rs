//! G.711 µ-law (PCMU): 16-bit linear PCM to 8-bit codes and back, bit-exact with ITU-T G.191.
//!
//! Encoding follows G.711 Table 2 as the G.191 STL applies it to 16-bit input: the two least
//! significant bits are dropped by an arithmetic right shift (`y = x >> 2`, floor), the
//! magnitude of a negative `y` is its one's complement `!y`, the bias 33 is added and the sum
//! clipped to 8191, and the segment (position of the leading one) and the 4-bit mantissa below
//! it form the code. The sign bit is set for `x >= 0` and the seven magnitude bits are inverted
//! (the line format), so `encode_sample(0) == 0xFF`. Decoding returns the interval midpoint
//! scaled to 16 bits: ±{0, 8, 16, ..., 32124}.

use crate::{check_lengths, LengthMismatch};

/// Line code of digital silence (`encode_sample(0)`, positive zero).
pub const SILENCE: u8 = 0xFF;

/// Reference encoder, written as the algorithm reads; every table is built from it.
const fn compress(x: i16) -> u8 {
    let y = x >> 2; // truncate 16 -> 14 bits (floor)
    let magnitude = if y >= 0 { y } else { !y } as u16; // one's complement: 0..=8191
    let mut biased = magnitude + 33;
    if biased > 8191 {
        biased = 8191;
    }
    // biased is in 33..=8191: its leading one is bit 5..=12, i.e. segment 0..=7.
    let segment = (15 - biased.leading_zeros() as u16) - 5;
    let mantissa = (biased >> (segment + 1)) & 0x0F;
    let sign = if x >= 0 { 0x80 } else { 0x00 };
    (((segment << 4) | mantissa) as u8 ^ 0x7F) | sign
}

/// Reference decoder: midpoint of the code's interval, scaled to 16 bits.
const fn expand(code: u8) -> i16 {
    let number = (code & 0x7F) ^ 0x7F; // G.711 decoder output value number, 0..=127
    let segment = (number >> 4) as i16;
    let step = (number & 0x0F) as i16;
    let magnitude = (((2 * step + 33) << segment) - 33) * 4; // 0..=32124
    if code & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Encoder table indexed by `(x as u16) >> 2`: the code is constant on aligned groups of 4.
static ENCODE: [u8; 1 << 14] = {
    let mut table = [0u8; 1 << 14];
    let mut i = 0;
    while i < table.len() {
        table[i] = compress(((i as u16) << 2) as i16);
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

/// Encodes one 16-bit linear sample to a µ-law code (line format, `0 -> 0xFF`).
#[inline]
#[must_use]
pub fn encode_sample(x: i16) -> u8 {
    ENCODE[usize::from(x as u16 >> 2)]
}

/// Decodes one µ-law code to 16-bit linear PCM (interval midpoint, ±{0, 8, ..., 32124}).
#[inline]
#[must_use]
pub fn decode_sample(code: u8) -> i16 {
    DECODE[usize::from(code)]
}

/// Branch-free encoder for the slice loop, written so that LLVM vectorises it (SSE2 baseline).
///
/// `v = min(m + 33, 8191)` converts to `f32` exactly; the float's biased exponent is the
/// position of the leading one plus 127, i.e. `segment + 132`, and the 4 mantissa bits right
/// below the leading one are the µ-law mantissa. So `bits >> 19 == (segment + 132) << 4 |
/// mantissa`, and the inverted 7-bit code is `0x8BF - (bits >> 19)` (`0x8BF == 132 << 4 | 0x7F`).
/// Converting through `u16` (v is positive) lets LLVM zero-extend with one unpack per half;
/// the sign-extending version was 1.5x slower.
#[inline(always)]
fn encode_lane(x: i16) -> u8 {
    let y = x >> 2;
    let negative = y >> 15; // 0 or -1
    let magnitude = y ^ negative; // one's complement of negative values: 0..=8191
    let biased = (magnitude + 33).min(8191);
    let exponent_mantissa = (f32::from(biased as u16).to_bits() >> 19) as i16;
    ((0x8BF - exponent_mantissa) | (!negative & 0x80)) as u8
}

/// Branch-free decoder for the slice loop, written so that LLVM vectorises it (SSE2 baseline).
///
/// With `number = segment << 4 | step`, the `f32` with bits `(number << 19) + 0x4304_0000` has
/// biased exponent `segment + 134` and mantissa `step << 19 | 1 << 18`, i.e. the value
/// `4 * (2 * step + 33) << segment`, exactly. Adding `1.5 * 2^23` moves that integer into the
/// low mantissa bits: the sum's bits are `0x4B40_0000` plus the integer (< `0x8000`).
#[inline(always)]
fn decode_lane(code: u8) -> i16 {
    let number = u32::from(!code & 0x7F);
    let scaled = f32::from_bits((number << 19) + 0x4304_0000);
    let magnitude = ((scaled + 12_582_912.0).to_bits() & 0x7FFF) as i16 - 132;
    if code & 0x80 != 0 {
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
            (0..=3, 0xFF, 0),
            (4..=11, 0xFE, 8),
            (-4..=-1, 0x7F, 0),
            (-12..=-5, 0x7E, -8),
            (31612..=32767, 0x80, 32124),
            (-32768..=-31613, 0x00, -32124),
        ] {
            for x in range {
                assert_eq!(encode_sample(x), code, "x = {x}");
                assert_eq!(decode_sample(code), value);
            }
        }
        assert_eq!(encode_sample(0), SILENCE);
    }
}
