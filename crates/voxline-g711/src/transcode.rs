//! Direct A-law <-> µ-law code conversion, as G.711 (11/88) §3 and Tables 3 and 4 define it.
//!
//! # What G.711 says
//!
//! Table 3 converts each µ-law character to an A-law character and Table 4 each A-law character
//! to a µ-law character, for both signs alike. The conversion is *not* decode-then-encode on
//! 16-bit PCM, and the Recommendation states its double-conversion behaviour in the tables'
//! notes, which the tests assert exactly:
//!
//! * Table 3, note: µ → A → µ is not transparent. The µ-law characters of decoder output value
//!   numbers 0, 2, 4, ..., 14 come back as 1, 3, ..., 15 (the number increased by 1); only bit 8,
//!   the least significant bit of the octet, changes. All other characters come back unchanged.
//! * Table 4, note: A → µ → A is not transparent either. The A-law characters of decoder output
//!   value numbers 26, 28, 30, 32, 45, 47, 63 and 80 change, again only in bit 8. All others come
//!   back unchanged.
//!
//! # How the tables are derived here (no table was copied)
//!
//! The tables are computed at compile time from G.711's own definitions:
//!
//! 1. **Common level scale (§5).** The A-law decision values of Table 1 run to 4096 units at a
//!    theoretical load capacity of +3.14 dBm0; the µ-law ones of Table 2 run to 8159 units at
//!    +3.17 dBm0. At equal signal level one A-law unit is therefore
//!    `8159 / 4096 · 10^(-0.03/20) ≈ 1.98507` µ-law units. We use the ratio `R = 397/200 = 1.985`
//!    in integer arithmetic; a unit test checks that every ratio from 1.9840 to 1.9912 (which
//!    includes the exact value) gives the same two tables.
//! 2. **Table 3 (µ → A):** A-law quantisation of the µ-law decoder output value: the A-law
//!    character whose Table 1 decision interval `[lower, upper)` contains the µ-law decoder
//!    output value (Table 2) expressed in A-law units (`y_µ / R`).
//! 3. **Table 4 (A → µ):** among the µ-law characters that Table 3 maps back to the same A-law
//!    character, the one whose decoder output value is nearest at equal level (`|y_µ − R·y_A|`).
//!    The eight A-law magnitudes that Table 3 never produces (exactly the eight numbers of the
//!    Table 4 note) take instead the µ-law character that Table 3 maps to their neighbour
//!    differing only in bit 8, which is what the note requires.
//!
//! The result reproduces every statement of both notes, and was checked once (outside the test
//! suite) against a published transcription of the printed Tables 3 and 4: identical. Plain nearest-level rounding in step 3
//! would differ in one place: A-law number 80 would go to µ-law number 80 instead of 79, and
//! A → µ → A would then change more than bit 8 there, against the note. Some widely copied C
//! tables (for example the `g711.c` in WebRTC's third-party code) do map µ 80 ↔ A 80; we follow
//! the Recommendation. Note also that the differences from "decode, then encode with the other
//! law" are not near zero: they are µ-law numbers 48, 49, 64 and 80..=95 (see the tests).
//!
//! Numbering used below: a µ-law *number* is 0..=127 (code `0xFF` / `0x7F` is number 0), an
//! A-law *index* is 0..=127, i.e. G.711's A-law decoder output value number minus 1 (codes
//! `0xD5` / `0x55` are index 0).

use crate::{check_lengths, Law, LengthMismatch};

/// Numerator of the A-law-unit to µ-law-unit level ratio `R` (see the module docs).
const RATIO_NUM: i32 = 397;
/// Denominator of the level ratio `R = 397/200`.
const RATIO_DEN: i32 = 200;

/// µ-law decoder output value of number `n` (Table 2, units of 8159 full scale).
const fn mu_value(n: usize) -> i32 {
    let segment = (n >> 4) as i32;
    let step = (n & 0x0F) as i32;
    ((2 * step + 33) << segment) - 33
}

/// Lower decision value of A-law index `i` (Table 1, units of 4096 full scale).
const fn a_lower_decision(i: usize) -> i32 {
    let segment = (i >> 4) as i32;
    let step = (i & 0x0F) as i32;
    if segment == 0 {
        2 * step
    } else {
        (step + 16) << segment
    }
}

/// A-law decoder output value of index `i` (Table 1, units of 4096 full scale).
const fn a_value(i: usize) -> i32 {
    let segment = (i >> 4) as i32;
    let step = (i & 0x0F) as i32;
    if segment == 0 {
        2 * step + 1
    } else {
        (2 * step + 33) << (segment - 1)
    }
}

/// Table 3 on magnitudes: µ-law number -> A-law index, at level ratio `num/den`.
const fn mu_to_a_magnitudes(num: i32, den: i32) -> [u8; 128] {
    let mut table = [0u8; 128];
    let mut n = 0;
    while n < 128 {
        // Largest A-law index whose lower decision value (scaled to µ-law units) is <= the
        // µ-law decoder output value: the A-law interval containing it.
        let mut index = 0;
        while index < 127 && num * a_lower_decision(index + 1) <= den * mu_value(n) {
            index += 1;
        }
        table[n] = index as u8;
        n += 1;
    }
    table
}

/// Table 4 on magnitudes: A-law index -> µ-law number, consistent with `table3` (see docs).
const fn a_to_mu_magnitudes(table3: &[u8; 128], num: i32, den: i32) -> [u8; 128] {
    let mut table = [0u8; 128];
    let mut index = 0;
    while index < 128 {
        let mut target = index;
        if !has_preimage(table3, target) {
            target ^= 1; // the neighbour differing only in bit 8
            assert!(
                has_preimage(table3, target),
                "no µ-law character for an A-law neighbour"
            );
        }
        let mut best = 0;
        let mut best_distance = i32::MAX;
        let mut n = 0;
        while n < 128 {
            if table3[n] as usize == target {
                let distance = (den * mu_value(n) - num * a_value(index)).abs();
                assert!(
                    distance != best_distance,
                    "tie in the A-law to µ-law conversion"
                );
                if distance < best_distance {
                    best = n;
                    best_distance = distance;
                }
            }
            n += 1;
        }
        table[index] = best as u8;
        index += 1;
    }
    table
}

/// Whether some µ-law number maps to A-law index `target` under `table3`.
const fn has_preimage(table3: &[u8; 128], target: usize) -> bool {
    let mut n = 0;
    while n < 128 {
        if table3[n] as usize == target {
            return true;
        }
        n += 1;
    }
    false
}

/// G.711 Table 3 on magnitudes (µ-law number -> A-law index).
const MU_TO_A: [u8; 128] = mu_to_a_magnitudes(RATIO_NUM, RATIO_DEN);
/// G.711 Table 4 on magnitudes (A-law index -> µ-law number).
const A_TO_MU: [u8; 128] = a_to_mu_magnitudes(&MU_TO_A, RATIO_NUM, RATIO_DEN);

/// µ-law line code -> A-law line code, all 256 codes.
static ULAW_TO_ALAW: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        let sign = code as u8 & 0x80; // set for positive values in both laws
        let number = (code as u8 & 0x7F) ^ 0x7F;
        table[code] = (sign | MU_TO_A[number as usize]) ^ 0x55;
        code += 1;
    }
    table
};

/// A-law line code -> µ-law line code, all 256 codes.
static ALAW_TO_ULAW: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        let character = code as u8 ^ 0x55;
        let sign = character & 0x80;
        let index = character & 0x7F;
        table[code] = sign | (A_TO_MU[index as usize] ^ 0x7F);
        code += 1;
    }
    table
};

/// Converts one A-law code to the µ-law code of G.711 Table 4 (sign preserved).
#[inline]
#[must_use]
pub fn alaw_to_ulaw(code: u8) -> u8 {
    ALAW_TO_ULAW[usize::from(code)]
}

/// Converts one µ-law code to the A-law code of G.711 Table 3 (sign preserved).
#[inline]
#[must_use]
pub fn ulaw_to_alaw(code: u8) -> u8 {
    ULAW_TO_ALAW[usize::from(code)]
}

/// Converts codes of law `from` into codes of law `to` with G.711 Tables 3/4 (copy if equal).
///
/// # Errors
/// [`LengthMismatch`] if the slices differ in length; `output` is then left untouched.
pub fn transcode(
    from: Law,
    to: Law,
    input: &[u8],
    output: &mut [u8],
) -> Result<(), LengthMismatch> {
    check_lengths(input.len(), output.len())?;
    let table = match (from, to) {
        (Law::Mu, Law::A) => &ULAW_TO_ALAW,
        (Law::A, Law::Mu) => &ALAW_TO_ULAW,
        (Law::Mu, Law::Mu) | (Law::A, Law::A) => {
            output.copy_from_slice(input);
            return Ok(());
        }
    };
    for (out, &code) in output.iter_mut().zip(input) {
        *out = table[usize::from(code)];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// The exact §5 level ratio, and the interval of ratios that all give the same tables.
    #[test]
    fn tables_do_not_depend_on_rounding_the_level_ratio() {
        let exact = 8159.0 / 4096.0 * std::primitive::f64::powf(10.0, -0.03 / 20.0);
        assert!((exact - 1.98507).abs() < 1e-5, "{exact}");
        assert!(1.9840 < exact && exact < 1.9912);
        for num in 19840..=19912 {
            let t3 = mu_to_a_magnitudes(num, 10_000);
            assert_eq!(t3, MU_TO_A, "ratio {num}/10000");
            assert_eq!(
                a_to_mu_magnitudes(&t3, num, 10_000),
                A_TO_MU,
                "ratio {num}/10000"
            );
        }
        // Outside that interval Table 3 changes (e.g. at the plain 16-bit PCM ratio of 2).
        assert_ne!(mu_to_a_magnitudes(2, 1), MU_TO_A);
    }

    #[test]
    fn segments_above_the_fourth_map_one_to_one() {
        // From µ-law number 80 (A-law number 81) up, the two laws' segments line up.
        for n in 80..128 {
            assert_eq!(usize::from(MU_TO_A[n]), n);
            assert_eq!(usize::from(A_TO_MU[n]), n);
        }
    }

    #[test]
    fn a_law_numbers_missing_from_table_3_are_those_of_the_table_4_note() {
        let missing: std::vec::Vec<usize> = (0..128)
            .filter(|&i| !has_preimage(&MU_TO_A, i))
            .map(|i| i + 1)
            .collect();
        assert_eq!(missing, [26, 28, 30, 32, 45, 47, 63, 80]);
    }
}
