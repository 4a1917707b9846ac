//! Properties of the quantiser, checked exhaustively where the domain is small and with
//! proptest on slices and pairs.

use proptest::prelude::*;
use voxline_g711::{alaw, ulaw, Law};

const LAWS: [Law; 2] = [Law::Mu, Law::A];

fn law() -> impl Strategy<Value = Law> {
    prop_oneof![Just(Law::Mu), Just(Law::A)]
}

fn roundtrip(law: Law, x: i16) -> i16 {
    law.decode_sample(law.encode_sample(x))
}

/// Half the width of the quantisation interval that `x` falls in, in 16-bit units.
fn half_step(law: Law, x: i16) -> i32 {
    let code = law.encode_sample(x);
    match law {
        Law::Mu => 4 << (((code & 0x7F) ^ 0x7F) >> 4),
        Law::A => 8 << (((code ^ 0x55) & 0x7F) >> 4).saturating_sub(1),
    }
}

/// Largest |x| that µ-law represents without clipping (8159 units of 14 bits, minus one).
const MU_OVERLOAD: i32 = 8159 * 4 - 1;

fn assert_within_half_step(law: Law, x: i16) {
    let error = (i32::from(roundtrip(law, x)) - i32::from(x)).abs();
    let magnitude = if x >= 0 {
        i32::from(x)
    } else {
        -1 - i32::from(x)
    };
    if law == Law::Mu && magnitude > MU_OVERLOAD {
        assert_eq!(
            roundtrip(law, x).unsigned_abs(),
            32124,
            "clipped to the top level"
        );
    } else {
        // +1: the one's complement makes the quantiser symmetric about -0.5, not 0.
        assert!(
            error <= half_step(law, x) + 1,
            "{law} x = {x}: error {error}"
        );
    }
}

#[test]
fn one_s_complement_symmetry_for_every_input() {
    for law in LAWS {
        for x in i16::MIN..=i16::MAX {
            assert_eq!(
                law.encode_sample(x),
                law.encode_sample(-1 - x) ^ 0x80,
                "{law} x = {x}"
            );
        }
    }
    // ... and not two's complement symmetry: it fails right at zero.
    assert_ne!(Law::Mu.encode_sample(4), Law::Mu.encode_sample(-4) ^ 0x80);
    assert_ne!(Law::A.encode_sample(16), Law::A.encode_sample(-16) ^ 0x80);
}

#[test]
fn round_trip_is_within_half_a_step_for_every_input() {
    for law in LAWS {
        for x in i16::MIN..=i16::MAX {
            assert_within_half_step(law, x);
        }
    }
}

#[test]
fn round_trip_is_monotonic_for_every_input() {
    for law in LAWS {
        for x in i16::MIN..i16::MAX {
            assert!(roundtrip(law, x) <= roundtrip(law, x + 1), "{law} x = {x}");
        }
    }
}

#[test]
fn code_is_constant_on_truncated_groups() {
    for (law, group) in [(Law::Mu, 4), (Law::A, 16)] {
        for x in i16::MIN..=i16::MAX {
            let first = x - x.rem_euclid(group);
            assert_eq!(
                law.encode_sample(x),
                law.encode_sample(first),
                "{law} x = {x}"
            );
        }
    }
}

#[test]
fn decoded_levels_are_fixed_points() {
    for law in LAWS {
        for code in 0..=255u8 {
            let level = law.decode_sample(code);
            let again = law.encode_sample(level);
            assert_eq!(law.decode_sample(again), level, "{law} code {code:#04x}");
            // Only µ-law "negative zero" 0x7F is not reproduced: 0 encodes as +0 (0xFF).
            if law == Law::Mu && code == 0x7F {
                assert_eq!(again, 0xFF);
            } else {
                assert_eq!(again, code, "{law} code {code:#04x}");
            }
        }
    }
}

#[test]
fn decoded_levels_are_the_documented_midpoints() {
    let mut mu: Vec<i16> = (0..=255u8)
        .map(ulaw::decode_sample)
        .filter(|&v| v >= 0)
        .collect();
    mu.sort_unstable();
    mu.dedup();
    assert_eq!(mu.len(), 128);
    assert_eq!((mu[0], mu[1], mu[2], mu[127]), (0, 8, 16, 32124));
    let mut a: Vec<i16> = (0..=255u8)
        .map(alaw::decode_sample)
        .filter(|&v| v > 0)
        .collect();
    a.sort_unstable();
    assert_eq!(a.len(), 128);
    assert_eq!((a[0], a[1], a[127]), (8, 24, 32256));
    for code in 0..=255u8 {
        assert_eq!(ulaw::decode_sample(code), -ulaw::decode_sample(code ^ 0x80));
        assert_eq!(alaw::decode_sample(code), -alaw::decode_sample(code ^ 0x80));
    }
}

proptest! {
    #[test]
    fn symmetry(law in law(), x in any::<i16>()) {
        prop_assert_eq!(law.encode_sample(x), law.encode_sample(-1 - x) ^ 0x80);
        prop_assert_eq!(roundtrip(law, x), -roundtrip(law, -1 - x));
    }

    #[test]
    fn within_half_step(law in law(), x in any::<i16>()) {
        assert_within_half_step(law, x);
    }

    #[test]
    fn monotonic(law in law(), a in any::<i16>(), b in any::<i16>()) {
        let (lo, hi) = (a.min(b), a.max(b));
        prop_assert!(roundtrip(law, lo) <= roundtrip(law, hi));
    }

    #[test]
    fn slices_match_per_sample(law in law(), pcm in prop::collection::vec(any::<i16>(), 0..600)) {
        let mut codes = vec![0u8; pcm.len()];
        law.encode(&pcm, &mut codes).unwrap();
        prop_assert!(pcm.iter().zip(&codes).all(|(&x, &c)| c == law.encode_sample(x)));
        let mut back = vec![0i16; pcm.len()];
        law.decode(&codes, &mut back).unwrap();
        prop_assert!(codes.iter().zip(&back).all(|(&c, &y)| y == law.decode_sample(c)));
    }

    #[test]
    fn mismatched_slices_write_nothing(law in law(), n in 0usize..300, m in 0usize..300) {
        prop_assume!(n != m);
        let pcm = vec![1234i16; n];
        let mut codes = vec![0xA5u8; m];
        let err = law.encode(&pcm, &mut codes).unwrap_err();
        prop_assert_eq!((err.input, err.output), (n, m));
        prop_assert!(codes.iter().all(|&c| c == 0xA5));
        let codes_in = vec![0x12u8; n];
        let mut pcm_out = vec![-7i16; m];
        let err = law.decode(&codes_in, &mut pcm_out).unwrap_err();
        prop_assert_eq!((err.input, err.output), (n, m));
        prop_assert!(pcm_out.iter().all(|&y| y == -7));
    }
}
