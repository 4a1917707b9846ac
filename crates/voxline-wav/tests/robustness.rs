//! No input bytes make the reader panic: arbitrary bytes, structured random chunk lists, valid
//! files truncated at every length, and valid files with header bytes changed. Whatever parses
//! must be self-consistent.

mod common;

use common::*;
use proptest::prelude::*;
use std::io::Cursor;
use voxline_g711::Law;
use voxline_wav::*;

/// Reads `bytes`; if it parses, checks the result is consistent and every conversion works.
fn check(bytes: &[u8]) -> Result<Audio, WavError> {
    let result = read_audio(Cursor::new(bytes));
    if let Ok(audio) = &result {
        assert!(audio.channels >= 1);
        assert!((1..=MAX_SAMPLE_RATE).contains(&audio.sample_rate));
        assert_eq!(
            audio.frames() * usize::from(audio.channels),
            audio.num_samples()
        );
        assert!(
            audio.num_samples() <= bytes.len(),
            "never more samples than bytes"
        );
        assert_eq!(audio.to_i16().len(), audio.num_samples());
        assert_eq!(audio.to_f32().len(), audio.num_samples());
        assert_eq!(audio.to_mono_f32().len(), audio.frames());
        assert_eq!(audio.downmix().unwrap().frames(), audio.frames());
        assert!(audio.duration_secs().is_finite());
        // What was read can be written back, and reads back the same.
        let mut file = Vec::new();
        if let Some(codes) = audio.g711_codes() {
            let SampleFormat::G711(law) = audio.format else {
                panic!("codes without a law")
            };
            write_g711_wav(&mut file, law, audio.sample_rate, audio.channels, codes).unwrap();
            assert_eq!(
                read_audio(Cursor::new(&file)).unwrap().g711_codes(),
                Some(codes)
            );
        } else {
            let pcm = audio.to_i16();
            write_pcm16_wav(&mut file, audio.sample_rate, audio.channels, &pcm).unwrap();
            assert_eq!(read_audio(Cursor::new(&file)).unwrap().to_i16(), pcm);
        }
    }
    if let Err(e) = &result {
        let msg = e.to_string();
        assert!(
            !msg.is_empty() && !msg.contains('\n'),
            "one-line message: {msg:?}"
        );
        assert!(
            msg.chars().all(|c| !c.is_control()),
            "printable message: {msg:?}"
        );
    }
    result
}

/// A few valid files of different kinds.
fn valid_files() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut f = Vec::new();
    write_pcm16_wav(&mut f, 16000, 1, &[0, 1000, -1000, 32767, -32768]).unwrap();
    files.push(f);
    let mut f = Vec::new();
    write_pcm16_wav(&mut f, 8000, 3, &[1, 2, 3, 4, 5, 6]).unwrap();
    files.push(f);
    let mut f = Vec::new();
    write_g711_wav(&mut f, Law::A, 8000, 1, &[0xD5, 1, 2, 3, 4]).unwrap();
    files.push(f);
    let mut f = Vec::new();
    write_g711_wav(&mut f, Law::Mu, 8000, 2, &[0xFF, 0x7F, 0, 0x80]).unwrap();
    files.push(f);
    files.push(hound_wav(
        2,
        44100,
        24,
        false,
        &[1i32, -1, 8_000_000, -8_000_000],
    ));
    files.push(hound_wav(1, 48000, 32, true, &[0.5f32, -0.5, 1.0]));
    files.push(hound_wav(1, 8000, 8, false, &[0i8, 127, -128]));
    files.push(riff(&[
        (b"JUNK", &[0; 3]),
        (b"fmt ", &fmt_extensible(1, 8000, 8, 8, ks_guid(7))),
        (b"fact", &3u32.to_le_bytes()),
        (b"data", &[1, 2, 3]),
        (b"LIST", b"INFOx"),
    ]));
    files
}

#[test]
fn valid_files_truncated_at_every_length() {
    for file in valid_files() {
        let full = check(&file).expect("the untruncated file reads");
        for len in 0..file.len() {
            if let Ok(audio) = check(&file[..len]) {
                assert!(audio.frames() <= full.frames());
            }
        }
    }
}

#[test]
fn every_single_header_byte_set_to_every_interesting_value() {
    for file in valid_files() {
        for i in 0..file.len().min(80) {
            for v in [0u8, 1, 2, 3, 6, 7, 8, 0x10, 0x7F, 0x80, 0xFE, 0xFF] {
                let mut m = file.clone();
                m[i] = v;
                let _ = check(&m);
            }
        }
    }
}

/// A `fmt ` body: mostly supported tags, consistent block align and a sane rate, with
/// occasional wrong values, extra bytes and WAVE_FORMAT_EXTENSIBLE sub-formats.
fn fmt_body() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just(1u16),
            Just(3),
            Just(6),
            Just(7),
            Just(0xFFFE),
            any::<u16>()
        ],
        prop_oneof![4 => 1u16..4, 1 => Just(0)],
        prop_oneof![4 => Just(8000u32), 1 => Just(0), 1 => any::<u32>()],
        // Usually the consistent block align, sometimes a wrong one.
        prop_oneof![3 => Just(None), 1 => (0u16..10).prop_map(Some)],
        prop_oneof![3 => Just(8u16), 2 => Just(16), 1 => Just(24), 2 => Just(32), 1 => any::<u16>()],
        proptest::collection::vec(any::<u8>(), 0..30),
        any::<bool>(),
    )
        .prop_map(|(tag, ch, rate, align, bits, extra, guid)| {
            let align = align.unwrap_or(ch.wrapping_mul(bits / 8));
            let mut b = fmt16(tag, ch, rate, align, bits);
            if guid && extra.len() >= 8 {
                b.extend_from_slice(&22u16.to_le_bytes());
                b.extend_from_slice(&extra[..6]);
                b.extend_from_slice(&ks_guid(u16::from(extra[6]) % 8));
            } else {
                b.extend_from_slice(&extra);
            }
            b
        })
}

/// A chunk with id `id` and body `body`, whose size field is usually right but sometimes lies
/// (0, 0xFFFFFFFF or anything), and whose pad byte is sometimes missing.
fn chunk(
    id: impl Strategy<Value = [u8; 4]>,
    body: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = Vec<u8>> {
    let size_lie = prop_oneof![
        16 => Just(None),
        1 => Just(Some(0u32)),
        1 => Just(Some(u32::MAX)),
        1 => any::<u32>().prop_map(Some)
    ];
    (id, body, size_lie, prop::bool::weighted(0.9)).prop_map(|(id, body, lie, pad)| {
        let mut c = id.to_vec();
        c.extend_from_slice(&lie.unwrap_or(body.len() as u32).to_le_bytes());
        c.extend_from_slice(&body);
        if pad && body.len() % 2 == 1 {
            c.push(0);
        }
        c
    })
}

/// Any chunk: a known or random id, a random or `fmt `-like body.
fn any_chunk() -> impl Strategy<Value = Vec<u8>> {
    let id = prop_oneof![
        Just(*b"fmt "),
        Just(*b"data"),
        Just(*b"fact"),
        Just(*b"LIST"),
        any::<[u8; 4]>(),
    ];
    let body = prop_oneof![proptest::collection::vec(any::<u8>(), 0..40), fmt_body()];
    chunk(id, body)
}

/// A chunk list shaped like a WAV file (extra chunks, `fmt `, extra chunks, `data`, extra
/// chunks), so that many cases get past the header checks.
fn wav_like_chunks() -> impl Strategy<Value = Vec<Vec<u8>>> {
    // Extra chunks here are well-formed: other tests cover lying ones.
    let extra_chunk = (
        prop_oneof![
            Just(*b"LIST"),
            Just(*b"JUNK"),
            Just(*b"fact"),
            Just(*b"bext")
        ],
        proptest::collection::vec(any::<u8>(), 0..20),
    )
        .prop_map(|(id, body)| {
            let mut c = id.to_vec();
            c.extend_from_slice(&(body.len() as u32).to_le_bytes());
            c.extend_from_slice(&body);
            if body.len() % 2 == 1 {
                c.push(0);
            }
            c
        });
    let extra = move || proptest::collection::vec(extra_chunk.clone(), 0..3);
    (
        extra(),
        chunk(Just(*b"fmt "), fmt_body()),
        extra(),
        chunk(
            Just(*b"data"),
            proptest::collection::vec(any::<u8>(), 0..64),
        ),
        extra(),
    )
        .prop_map(|(a, fmt, b, data, c)| {
            let mut all = a;
            all.push(fmt);
            all.extend(b);
            all.push(data);
            all.extend(c);
            all
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = check(&bytes);
        let _ = read_raw_g711(&bytes[..], Law::A, 8000);
    }

    #[test]
    fn arbitrary_bytes_after_a_riff_header_never_panic(
        riff_size in prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()],
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&riff_size.to_le_bytes());
        bytes.extend_from_slice(b"WAVE");
        bytes.extend_from_slice(&rest);
        let _ = check(&bytes);
    }

    #[test]
    fn random_chunk_lists_never_panic(
        riff_size in prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()],
        chunks in prop_oneof![proptest::collection::vec(any_chunk(), 0..6), wav_like_chunks()],
    ) {
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&riff_size.to_le_bytes());
        bytes.extend_from_slice(b"WAVE");
        for c in chunks {
            bytes.extend_from_slice(&c);
        }
        let _ = check(&bytes);
    }

    #[test]
    fn mutated_valid_files_never_panic(
        which in 0usize..8,
        flips in proptest::collection::vec((0usize..80, 1u8..=255), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let files = valid_files();
        let mut file = files[which % files.len()].clone();
        for (i, x) in flips {
            if i < file.len() {
                file[i] ^= x;
            }
        }
        let _ = check(&file);
        let len = cut.index(file.len() + 1);
        let _ = check(&file[..len]);
    }
}
