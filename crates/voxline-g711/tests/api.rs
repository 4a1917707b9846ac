//! The public API other voxline crates and the CLI rely on.

use std::collections::HashSet;
use std::error::Error;

use voxline_g711::{alaw, ulaw, Law, LengthMismatch, ParseLawError};

#[test]
fn constants() {
    assert_eq!(Law::Mu.silence_code(), 0xFF);
    assert_eq!(Law::A.silence_code(), 0xD5);
    for law in [Law::Mu, Law::A] {
        assert_eq!(law.silence_code(), law.encode_sample(0));
    }
    assert_eq!((Law::Mu.wav_format_tag(), Law::A.wav_format_tag()), (7, 6));
    assert_eq!(
        (Law::Mu.rtp_payload_type(), Law::A.rtp_payload_type()),
        (0, 8)
    );
    assert_eq!(ulaw::SILENCE, 0xFF);
    assert_eq!(alaw::SILENCE, 0xD5);
}

#[test]
fn law_is_copy_eq_hash_debug_display() {
    let set: HashSet<Law> = [Law::Mu, Law::A, Law::Mu].into_iter().collect();
    assert_eq!(set.len(), 2);
    let copy = Law::A;
    let again = copy;
    assert_eq!(copy, again);
    assert_eq!(format!("{:?} {:?}", Law::Mu, Law::A), "Mu A");
    assert_eq!(Law::Mu.to_string(), "mu-law");
    assert_eq!(Law::A.to_string(), "A-law");
}

#[test]
fn law_from_str() {
    for name in [
        "mu", "u", "ulaw", "mulaw", "pcmu", "MU", "uLaw", "MuLaw", "PCMU", "mu-law", "U-LAW",
    ] {
        assert_eq!(name.parse::<Law>(), Ok(Law::Mu), "{name}");
    }
    for name in ["a", "A", "alaw", "ALAW", "pcma", "PcmA", "a-law", "A-law"] {
        assert_eq!(name.parse::<Law>(), Ok(Law::A), "{name}");
    }
    for law in [Law::Mu, Law::A] {
        assert_eq!(
            law.to_string().parse::<Law>(),
            Ok(law),
            "Display parses back"
        );
    }
    for bad in [
        "", " mu", "mu ", "µ", "μlaw", "b", "g711", "pcm", "ulaw2", "alaw\n",
    ] {
        let err: ParseLawError = bad.parse::<Law>().unwrap_err();
        let message = err.to_string();
        assert!(!message.is_empty() && !message.contains('\n'), "{message}");
        let _: &dyn Error = &err;
    }
}

#[test]
fn length_mismatch_is_reported_and_nothing_is_written() {
    for law in [Law::Mu, Law::A] {
        let pcm = [100i16; 8];
        let mut short = [0x33u8; 7];
        assert_eq!(
            law.encode(&pcm, &mut short),
            Err(LengthMismatch {
                input: 8,
                output: 7
            })
        );
        assert_eq!(short, [0x33; 7]);
        let mut long = [-5i16; 9];
        assert_eq!(
            law.decode(&[0u8; 8], &mut long),
            Err(LengthMismatch {
                input: 8,
                output: 9
            })
        );
        assert_eq!(long, [-5; 9]);
        assert_eq!(law.encode(&[], &mut []), Ok(()));
        assert_eq!(law.decode(&[], &mut []), Ok(()));
    }
    assert!(ulaw::encode(&[1, 2], &mut [0; 3]).is_err());
    assert!(alaw::encode(&[1, 2], &mut [0; 3]).is_err());
    assert!(ulaw::decode(&[1, 2], &mut [0; 1]).is_err());
    assert!(alaw::decode(&[1, 2], &mut [0; 1]).is_err());

    let err = LengthMismatch {
        input: 160,
        output: 80,
    };
    let message = err.to_string();
    assert!(
        message.contains("160") && message.contains("80") && !message.contains('\n'),
        "{message}"
    );
    let boxed: Box<dyn Error + Send + Sync> = Box::new(err);
    assert!(boxed.source().is_none());
}

#[test]
fn module_functions_agree_with_law_methods() {
    let pcm: Vec<i16> = (-40..40).map(|i| i * 811).collect();
    let mut a = vec![0u8; pcm.len()];
    let mut b = vec![0u8; pcm.len()];
    ulaw::encode(&pcm, &mut a).unwrap();
    Law::Mu.encode(&pcm, &mut b).unwrap();
    assert_eq!(a, b);
    alaw::encode(&pcm, &mut a).unwrap();
    Law::A.encode(&pcm, &mut b).unwrap();
    assert_eq!(a, b);
    let mut x = vec![0i16; pcm.len()];
    let mut y = vec![0i16; pcm.len()];
    alaw::decode(&a, &mut x).unwrap();
    Law::A.decode(&a, &mut y).unwrap();
    assert_eq!(x, y);
    ulaw::decode(&a, &mut x).unwrap();
    Law::Mu.decode(&a, &mut y).unwrap();
    assert_eq!(x, y);
}
