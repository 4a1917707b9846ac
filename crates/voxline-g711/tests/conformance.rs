//! Bit-exactness against the ITU-T G.191 STL reference vectors in `testdata/conformance/g711`
//! (see `testdata/conformance/README.md`, section 3).

use std::path::PathBuf;

use voxline_g711::{alaw, ulaw, Law};

/// Path of a file under `testdata/conformance/`.
fn conformance(relative: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/conformance"
    ))
    .join(relative)
}

fn read(relative: &str) -> Vec<u8> {
    let path = conformance(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn s16le(bytes: &[u8]) -> Vec<i16> {
    assert!(bytes.len().is_multiple_of(2));
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Samples of a canonical 44-byte-header mono 16-bit WAV file (README section 2).
fn wav_samples(relative: &str) -> Vec<i16> {
    let bytes = read(relative);
    assert!(
        bytes.len() >= 44 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "{relative}"
    );
    assert_eq!(
        &bytes[36..40],
        b"data",
        "{relative}: not a canonical header"
    );
    assert_eq!(
        u16::from_le_bytes([bytes[20], bytes[21]]),
        1,
        "{relative}: not PCM"
    );
    assert_eq!(
        u16::from_le_bytes([bytes[22], bytes[23]]),
        1,
        "{relative}: not mono"
    );
    assert_eq!(
        u16::from_le_bytes([bytes[34], bytes[35]]),
        16,
        "{relative}: not 16-bit"
    );
    let data_len = u32::from_le_bytes([bytes[40], bytes[41], bytes[42], bytes[43]]) as usize;
    assert_eq!(data_len, bytes.len() - 44, "{relative}: data size");
    s16le(&bytes[44..])
}

const EXHAUSTIVE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/conformance/g711/exhaustive/pcm16_all.s16le"
));
const CODES: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/conformance/g711/exhaustive/codes_0_255.u8"
));

fn tag(law: Law) -> &'static str {
    match law {
        Law::Mu => "ulaw",
        Law::A => "alaw",
    }
}

/// Index of the first difference, for readable failures on large vectors.
fn first_difference<T: PartialEq + std::fmt::Debug>(
    got: &[T],
    want: &[T],
) -> Option<(usize, String)> {
    assert_eq!(got.len(), want.len(), "length");
    got.iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .map(|i| (i, format!("got {:?}, want {:?}", got[i], want[i])))
}

#[test]
fn input_vectors_are_what_the_readme_says() {
    let all = s16le(EXHAUSTIVE);
    assert_eq!(all, (i16::MIN..=i16::MAX).collect::<Vec<_>>());
    assert_eq!(CODES, (0..=255u8).collect::<Vec<_>>());
}

#[test]
fn encoder_matches_stl_on_all_65536_inputs() {
    let all = s16le(EXHAUSTIVE);
    for law in [Law::Mu, Law::A] {
        let want = read(&format!("g711/exhaustive/{}_encode_all.u8", tag(law)));
        let mut got = vec![0u8; all.len()];
        law.encode(&all, &mut got).unwrap();
        assert_eq!(first_difference(&got, &want), None, "{law} slice encoder");
        let per_sample: Vec<u8> = all.iter().map(|&x| law.encode_sample(x)).collect();
        assert_eq!(
            first_difference(&per_sample, &want),
            None,
            "{law} encode_sample"
        );
        let module: Vec<u8> = all
            .iter()
            .map(|&x| match law {
                Law::Mu => ulaw::encode_sample(x),
                Law::A => alaw::encode_sample(x),
            })
            .collect();
        assert_eq!(module, want, "{law} module function");
    }
}

#[test]
fn decoder_matches_stl_on_all_256_codes() {
    for law in [Law::Mu, Law::A] {
        let want = s16le(&read(&format!(
            "g711/exhaustive/{}_decode_all.s16le",
            tag(law)
        )));
        let mut got = vec![0i16; 256];
        law.decode(CODES, &mut got).unwrap();
        assert_eq!(got, want, "{law} slice decoder");
        let per_code: Vec<i16> = CODES.iter().map(|&c| law.decode_sample(c)).collect();
        assert_eq!(per_code, want, "{law} decode_sample");
    }
}

#[test]
fn roundtrip_matches_stl_on_all_65536_inputs() {
    let all = s16le(EXHAUSTIVE);
    for law in [Law::Mu, Law::A] {
        let want = s16le(&read(&format!(
            "g711/exhaustive/{}_roundtrip_all.s16le",
            tag(law)
        )));
        let mut codes = vec![0u8; all.len()];
        let mut got = vec![0i16; all.len()];
        law.encode(&all, &mut codes).unwrap();
        law.decode(&codes, &mut got).unwrap();
        assert_eq!(first_difference(&got, &want), None, "{law}");
    }
}

#[test]
fn code_ranges_match_the_derived_tables() {
    for law in [Law::Mu, Law::A] {
        let text = String::from_utf8(read(&format!(
            "g711/exhaustive/{}_code_ranges.csv",
            tag(law)
        )))
        .unwrap();
        let mut rows = 0;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let code: u8 = f[0].parse().unwrap();
            let decoded: i16 = f[2].parse().unwrap();
            let (lo, hi): (i16, i16) = (f[3].parse().unwrap(), f[4].parse().unwrap());
            assert_eq!(law.decode_sample(code), decoded, "{law} code {code}");
            assert!(
                (lo..=hi).all(|x| law.encode_sample(x) == code),
                "{law} code {code}"
            );
            if lo > i16::MIN {
                assert_ne!(law.encode_sample(lo - 1), code);
            }
            if hi < i16::MAX {
                assert_ne!(law.encode_sample(hi + 1), code);
            }
            rows += 1;
        }
        assert_eq!(rows, 256, "{law}");
    }
}

/// Where Python `audioop` or `sox -D` differ from the STL, we give the STL's code, not theirs.
#[test]
fn matches_stl_not_audioop_or_sox_where_they_differ() {
    let text = String::from_utf8(read("g711/exhaustive/thirdparty_encode_diffs.csv")).unwrap();
    let mut checked = std::collections::BTreeMap::<(String, String), usize>::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let law = match f[0] {
            "ulaw" => Law::Mu,
            "alaw" => Law::A,
            other => panic!("unknown law {other}"),
        };
        let x: i16 = f[2].parse().unwrap();
        let hex = |s: &str| u8::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
        let (stl, tool) = (hex(f[3]), hex(f[4]));
        assert_ne!(stl, tool);
        assert_eq!(law.encode_sample(x), stl, "{law} x = {x} ({})", f[1]);
        assert_eq!(law.decode_sample(stl), f[5].parse::<i16>().unwrap());
        *checked
            .entry((f[0].to_owned(), f[1].to_owned()))
            .or_default() += 1;
    }
    let counts: Vec<usize> = checked.values().copied().collect();
    assert_eq!(checked.len(), 3, "{checked:?}");
    assert_eq!(
        counts.iter().sum::<usize>(),
        508 + 510 + 1020,
        "{checked:?}"
    );
}

const SIGNALS: [&str; 8] = [
    "sp_en_us_m_loud",
    "sp_en_us_f",
    "sp_de_m",
    "sweep_50_3950hz",
    "noise_white_m10dbfs",
    "silence",
    "lowlevel",
    "fullscale",
];

#[test]
fn real_signals_encode_and_decode_exactly_like_the_stl() {
    for name in SIGNALS {
        let input = wav_samples(&format!("signals/8k/{name}.wav"));
        for law in [Law::Mu, Law::A] {
            let want_codes = read(&format!("g711/encoded/{name}.{}.raw", tag(law)));
            let mut codes = vec![0u8; input.len()];
            law.encode(&input, &mut codes).unwrap();
            assert_eq!(
                first_difference(&codes, &want_codes),
                None,
                "{name} {law} encode"
            );

            let want_pcm = wav_samples(&format!("g711/decoded/{name}.{}.dec.wav", tag(law)));
            let mut pcm = vec![0i16; want_codes.len()];
            law.decode(&want_codes, &mut pcm).unwrap();
            assert_eq!(
                first_difference(&pcm, &want_pcm),
                None,
                "{name} {law} decode"
            );
        }
    }
}

/// Two PLC inputs are STL `lili` round trips of speech signals (README section 6).
#[test]
fn decoded_speech_inputs_are_our_round_trips() {
    for (source, law, decoded) in [
        ("sp_en_us_m", Law::Mu, "sp_en_us_m_ulaw_decoded"),
        ("sp_de_m", Law::A, "sp_de_m_alaw_decoded"),
    ] {
        let input = wav_samples(&format!("signals/8k/{source}.wav"));
        let want = wav_samples(&format!("signals/8k/{decoded}.wav"));
        let mut codes = vec![0u8; input.len()];
        let mut got = vec![0i16; input.len()];
        law.encode(&input, &mut codes).unwrap();
        law.decode(&codes, &mut got).unwrap();
        assert_eq!(first_difference(&got, &want), None, "{decoded}");
    }
}
