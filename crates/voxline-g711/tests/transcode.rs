//! Direct A-law <-> µ-law conversion: the properties G.711 (11/88) states for Tables 3 and 4.

use voxline_g711::{alaw_to_ulaw, transcode, ulaw_to_alaw, Law, LengthMismatch};

/// G.711 µ-law decoder output value number (0..=127) of a µ-law code.
fn mu_number(code: u8) -> u8 {
    (code & 0x7F) ^ 0x7F
}

/// G.711 A-law decoder output value number (1..=128) of an A-law code.
fn a_number(code: u8) -> u8 {
    ((code ^ 0x55) & 0x7F) + 1
}

/// Table 3 note: µ -> A -> µ changes exactly numbers 0, 2, ..., 14, to the next number, in bit 8.
#[test]
fn mu_a_mu_changes_only_what_the_table_3_note_lists() {
    for code in 0..=255u8 {
        let back = alaw_to_ulaw(ulaw_to_alaw(code));
        let number = mu_number(code);
        if number < 16 && number.is_multiple_of(2) {
            assert_eq!(mu_number(back), number + 1, "code {code:#04x}");
            assert_eq!(back, code ^ 0x01, "only bit 8 changes, code {code:#04x}");
        } else {
            assert_eq!(back, code, "code {code:#04x} (number {number})");
        }
    }
}

/// Table 4 note: A -> µ -> A changes exactly numbers 26, 28, 30, 32, 45, 47, 63 and 80, in bit 8.
/// (So, as G.711 says, A -> µ -> A is not fully transparent either.)
#[test]
fn a_mu_a_changes_only_what_the_table_4_note_lists() {
    const CHANGED: [u8; 8] = [26, 28, 30, 32, 45, 47, 63, 80];
    let mut changed = 0;
    for code in 0..=255u8 {
        let back = ulaw_to_alaw(alaw_to_ulaw(code));
        if CHANGED.contains(&a_number(code)) {
            assert_eq!(back, code ^ 0x01, "only bit 8 changes, code {code:#04x}");
            changed += 1;
        } else {
            assert_eq!(back, code, "code {code:#04x} (number {})", a_number(code));
        }
    }
    assert_eq!(changed, 16, "8 numbers, both signs");
}

#[test]
fn sign_is_preserved_and_magnitudes_are_monotonic() {
    for code in 0..=255u8 {
        assert_eq!(ulaw_to_alaw(code ^ 0x80), ulaw_to_alaw(code) ^ 0x80);
        assert_eq!(alaw_to_ulaw(code ^ 0x80), alaw_to_ulaw(code) ^ 0x80);
        assert_eq!(ulaw_to_alaw(code) & 0x80, code & 0x80, "sign bit");
        assert_eq!(alaw_to_ulaw(code) & 0x80, code & 0x80, "sign bit");
    }
    // Positive codes ordered by increasing level.
    let mu_up: Vec<u8> = (0..128u8).map(|n| 0x80 | (n ^ 0x7F)).collect();
    let a_up: Vec<u8> = (0..128u8).map(|i| (0x80 | i) ^ 0x55).collect();
    for pair in mu_up.windows(2) {
        let (lo, hi) = (ulaw_to_alaw(pair[0]), ulaw_to_alaw(pair[1]));
        assert!(Law::A.decode_sample(lo) <= Law::A.decode_sample(hi));
    }
    for pair in a_up.windows(2) {
        let (lo, hi) = (alaw_to_ulaw(pair[0]), alaw_to_ulaw(pair[1]));
        assert!(Law::Mu.decode_sample(lo) <= Law::Mu.decode_sample(hi));
    }
    // Silence and the extremes.
    assert_eq!(ulaw_to_alaw(0xFF), 0xD5);
    assert_eq!(ulaw_to_alaw(0x7F), 0x55);
    assert_eq!(ulaw_to_alaw(0x80), 0xAA);
    assert_eq!(ulaw_to_alaw(0x00), 0x2A);
    assert_eq!(alaw_to_ulaw(0xAA), 0x80);
    assert_eq!(alaw_to_ulaw(0x2A), 0x00);
    assert_eq!(alaw_to_ulaw(0xD5), 0xFE, "A-law +8 is µ-law +8");
}

/// Width, in 16-bit units, of the quantisation interval of a code.
fn step(law: Law, code: u8) -> i32 {
    match law {
        Law::Mu => 8 << (mu_number(code) >> 4),
        Law::A => 16 << ((a_number(code) - 1) >> 4).saturating_sub(1),
    }
}

/// Each converted code decodes close to the source: within one step of the coarser of the two
/// laws at that level, plus 4 (the 16-bit scales of the laws differ slightly: 32124 vs 32256).
#[test]
fn converted_codes_decode_close_to_the_source() {
    let mut worst = 0;
    for (from, to, convert) in [
        (Law::Mu, Law::A, ulaw_to_alaw as fn(u8) -> u8),
        (Law::A, Law::Mu, alaw_to_ulaw as fn(u8) -> u8),
    ] {
        for code in 0..=255u8 {
            let out = convert(code);
            let error =
                (i32::from(from.decode_sample(code)) - i32::from(to.decode_sample(out))).abs();
            let bound = step(from, code).max(step(to, out)) + 4;
            assert!(
                error <= bound,
                "{from} {code:#04x} -> {to} {out:#04x}: error {error} > {bound}"
            );
            worst = worst.max(error);
        }
    }
    assert_eq!(
        worst, 132,
        "largest error, at µ 4092 <-> A 4224 and A 4032 -> µ 3900"
    );
}

/// The tables are G.711's, not "decode to 16-bit PCM, then encode with the other law".
#[test]
fn conversion_is_not_decode_then_encode() {
    let differs = |n: u8| {
        let code = 0x80 | (n ^ 0x7F);
        ulaw_to_alaw(code) != Law::A.encode_sample(Law::Mu.decode_sample(code))
    };
    let mu_numbers: Vec<u8> = (0..128).filter(|&n| differs(n)).collect();
    let mut want = vec![48, 49, 64];
    want.extend(80..=95);
    assert_eq!(mu_numbers, want);
}

#[test]
fn slices_match_the_per_code_functions() {
    let codes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let mut out = vec![0u8; codes.len()];
    transcode(Law::Mu, Law::A, &codes, &mut out).unwrap();
    assert!(codes.iter().zip(&out).all(|(&c, &o)| o == ulaw_to_alaw(c)));
    transcode(Law::A, Law::Mu, &codes, &mut out).unwrap();
    assert!(codes.iter().zip(&out).all(|(&c, &o)| o == alaw_to_ulaw(c)));
    for law in [Law::Mu, Law::A] {
        out.fill(0);
        transcode(law, law, &codes, &mut out).unwrap();
        assert_eq!(out, codes, "same law copies");
    }
}

#[test]
fn slice_length_mismatch_writes_nothing() {
    let codes = [0x12u8; 10];
    for (from, to) in [
        (Law::Mu, Law::A),
        (Law::A, Law::Mu),
        (Law::Mu, Law::Mu),
        (Law::A, Law::A),
    ] {
        let mut out = [0xEEu8; 9];
        assert_eq!(
            transcode(from, to, &codes, &mut out),
            Err(LengthMismatch {
                input: 10,
                output: 9
            })
        );
        assert_eq!(out, [0xEE; 9]);
    }
    assert_eq!(transcode(Law::Mu, Law::A, &[], &mut []), Ok(()));
}
