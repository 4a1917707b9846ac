//! Every error case (kind and message), and the structural variations that must be accepted:
//! odd-sized and unknown chunks, `LIST` after `data`, `fmt ` sizes, WAVE_FORMAT_EXTENSIBLE,
//! streaming sizes.

mod common;

use common::*;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use voxline_g711::Law;
use voxline_wav::*;

fn err(bytes: &[u8]) -> WavError {
    match read_audio(Cursor::new(bytes)) {
        Ok(a) => panic!(
            "expected an error, read {:?} {} frames",
            a.format,
            a.frames()
        ),
        Err(e) => e,
    }
}

fn ok(bytes: &[u8]) -> Audio {
    read_audio(Cursor::new(bytes)).unwrap_or_else(|e| panic!("read failed: {e}"))
}

fn fmt_pcm16_mono() -> Vec<u8> {
    fmt16(1, 1, 8000, 2, 16)
}

fn fmt_ulaw_mono() -> Vec<u8> {
    fmt_ex(7, 1, 8000, 8, &[])
}

// ---- errors ---------------------------------------------------------------------------------

#[test]
fn empty_input() {
    let e = err(b"");
    assert!(matches!(e, WavError::Empty));
    assert_eq!(e.to_string(), "empty input: 0 bytes");
    let e = read_raw_g711(&b""[..], Law::Mu, 8000).unwrap_err();
    assert!(matches!(e, WavError::Empty));
}

#[test]
fn not_a_wav_file_shows_what_it_is() {
    for (bytes, msg) in [
        (
            &b"ID3\x03\x00\x00\x00\x00\x0fvTIT2"[..],
            r#"not a WAV file: starts with "ID3\x03" (looks like MP3 with an ID3 tag)"#,
        ),
        (
            b"\xFF\xFB\x90\x64\x00\x00\x00\x00\x00\x00\x00\x00",
            r#"not a WAV file: starts with "\xff\xfb\x90d" (looks like MPEG audio)"#,
        ),
        (
            b"fLaC\x00\x00\x00\x22\x10\x00\x10\x00",
            r#"not a WAV file: starts with "fLaC" (looks like FLAC)"#,
        ),
        (
            b"OggS\x00\x02\x00\x00\x00\x00\x00\x00",
            r#"not a WAV file: starts with "OggS" (looks like Ogg)"#,
        ),
        (
            b"FORM\x00\x00\x00\x10AIFF",
            r#"not a WAV file: starts with "FORM" (looks like AIFF)"#,
        ),
        (
            b"RIFX\x24\x00\x00\x00WAVE",
            r#"not a WAV file: starts with "RIFX" (big-endian RIFX is not supported)"#,
        ),
        (
            b"RF64\xFF\xFF\xFF\xFFWAVE",
            r#"not a WAV file: starts with "RF64" (64-bit RF64 WAV is not supported)"#,
        ),
        (b"hello, world\n", r#"not a WAV file: starts with "hell""#),
        (b"\n\"", r#"not a WAV file: starts with "\n\"""#),
        (
            b"RIFF\x24\x00\x00\x00AVI LIST",
            r#"not a WAV file: RIFF form type is "AVI ", not "WAVE""#,
        ),
        (
            b"RIFF\x24\x00\x00\x00WAV",
            r#"truncated WAV header: input ends inside the RIFF header (11 of 12 bytes present)"#,
        ),
        (
            b"RIFF\x24\x00\x00\x00WAX",
            r#"not a WAV file: RIFF form type is "WAX", not "WAVE""#,
        ),
    ] {
        let e = err(bytes);
        assert_eq!(e.to_string(), msg);
        if msg.starts_with("not a WAV") {
            assert!(matches!(e, WavError::NotWav(_)), "{e:?}");
        }
    }
}

#[test]
fn truncated_header() {
    for (bytes, msg) in [
        (b"RIF".to_vec(), "the RIFF header (3 of 12 bytes present)"),
        (
            b"RIFF\x04\x00".to_vec(),
            "the RIFF header (6 of 12 bytes present)",
        ),
        (
            b"RIFF\x04\x00\x00\x00WAVEfmt".to_vec(),
            "a chunk header (3 of 8 bytes present)",
        ),
        (
            {
                let mut f = riff(&[(b"fmt ", &fmt_pcm16_mono())]);
                f.truncate(12 + 8 + 10);
                f
            },
            "the 'fmt ' chunk (declares 16 bytes, 10 present)",
        ),
        (
            {
                let mut f = riff(&[(b"LIST", &[b'x'; 100]), (b"fmt ", &fmt_pcm16_mono())]);
                f.truncate(12 + 8 + 20);
                f
            },
            "chunk \"LIST\" (declares 100 bytes, 20 present)",
        ),
    ] {
        let e = err(&bytes);
        assert!(matches!(e, WavError::TruncatedHeader(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("truncated WAV header: input ends inside {msg}")
        );
    }
}

#[test]
fn truncated_data_chunk_is_reported() {
    for fmt in [fmt_pcm16_mono(), fmt_ulaw_mono()] {
        let mut file = riff(&[(b"fmt ", &fmt), (b"data", &[0u8; 100])]);
        file.truncate(file.len() - 60);
        let e = err(&file);
        assert!(
            matches!(
                e,
                WavError::TruncatedData {
                    declared: 100,
                    present: 40
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "truncated data chunk: declares 100 bytes, only 40 present"
        );
    }
}

#[test]
fn missing_chunks() {
    let e = err(&riff(&[(b"data", &[0u8; 8])]));
    assert!(matches!(e, WavError::MissingChunk("fmt ")));
    assert_eq!(e.to_string(), "missing 'fmt ' chunk");
    let e = err(&riff(&[
        (b"LIST", b"INFO"),
        (b"data", &[0u8; 8]),
        (b"LIST", b"INFO"),
    ]));
    assert_eq!(e.to_string(), "missing 'fmt ' chunk");
    let e = err(b"RIFF\x04\x00\x00\x00WAVE");
    assert_eq!(e.to_string(), "missing 'fmt ' chunk");

    let e = err(&riff(&[(b"fmt ", &fmt_pcm16_mono())]));
    assert!(matches!(e, WavError::MissingChunk("data")));
    assert_eq!(e.to_string(), "missing 'data' chunk");
    let e = err(&riff(&[
        (b"fmt ", &fmt_ulaw_mono()),
        (b"fact", &[0; 4]),
        (b"LIST", b"INFOx"),
    ]));
    assert_eq!(e.to_string(), "missing 'data' chunk");

    // A streaming `data` chunk before `fmt `: nothing can follow it.
    let mut f = riff(&[(b"data", &[0u8; 8])]);
    f[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(err(&f).to_string(), "missing 'fmt ' chunk");
}

#[test]
fn unsupported_format_tags_are_named() {
    for (tag, name) in [
        (0x0002u16, "Microsoft ADPCM"),
        (0x0011, "IMA ADPCM"),
        (0x0031, "GSM 6.10"),
        (0x0055, "MPEG Layer 3"),
        (0x0000, "unknown/invalid"),
    ] {
        let file = riff(&[
            (b"fmt ", &fmt_ex(tag, 1, 8000, 4, &[0, 0])),
            (b"data", &[0; 8]),
        ]);
        let e = err(&file);
        assert!(
            matches!(e, WavError::UnsupportedFormat { tag: t } if t == tag),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("unsupported WAV format tag 0x{tag:04X} ({name}); supported: PCM, IEEE float, A-law, mu-law")
        );
    }
    let file = riff(&[
        (b"fmt ", &fmt16(0x4242, 1, 8000, 2, 16)),
        (b"data", &[0; 8]),
    ]);
    assert_eq!(
        err(&file).to_string(),
        "unsupported WAV format tag 0x4242; supported: PCM, IEEE float, A-law, mu-law"
    );
    // In WAVE_FORMAT_EXTENSIBLE, the tag inside the sub-format GUID is the one reported.
    let file = riff(&[
        (b"fmt ", &fmt_extensible(1, 8000, 16, 16, ks_guid(0x0055))),
        (b"data", &[0; 8]),
    ]);
    assert!(matches!(
        err(&file),
        WavError::UnsupportedFormat { tag: 0x55 }
    ));
}

#[test]
fn unsupported_extensible_sub_format() {
    let guid = [
        0x01, 0x00, 0x00, 0x00, 0x21, 0x07, 0xD3, 0x11, 0x86, 0x44, 0xC8, 0xC1, 0xCA, 0x00, 0x00,
        0x00,
    ];
    let file = riff(&[
        (b"fmt ", &fmt_extensible(2, 48000, 16, 16, guid)),
        (b"data", &[0; 8]),
    ]);
    let e = err(&file);
    assert!(matches!(e, WavError::UnsupportedSubFormat(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "unsupported WAVE_FORMAT_EXTENSIBLE sub-format {00000001-0721-11D3-8644-C8C1CA000000}"
    );
}

#[test]
fn unsupported_bit_depths() {
    for (tag, bits, block_align, msg) in [
        (1u16, 12u16, 2u16, "12-bit PCM (supported: 8, 16, 24, 32)"),
        (1, 0, 1, "0-bit PCM (supported: 8, 16, 24, 32)"),
        (1, 64, 8, "64-bit PCM (supported: 8, 16, 24, 32)"),
        (3, 64, 8, "64-bit float (supported: 32)"),
        (3, 16, 2, "16-bit float (supported: 32)"),
        (6, 16, 2, "16-bit A-law (supported: 8)"),
        (7, 4, 1, "4-bit mu-law (supported: 8)"),
    ] {
        let file = riff(&[
            (b"fmt ", &fmt16(tag, 1, 8000, block_align, bits)),
            (b"data", &[0; 8]),
        ]);
        let e = err(&file);
        assert!(
            matches!(e, WavError::UnsupportedBitDepth { bits: b, .. } if b == bits),
            "{e:?}"
        );
        assert_eq!(e.to_string(), format!("unsupported bit depth: {msg}"));
    }
}

#[test]
fn zero_channels() {
    for tag in [1u16, 7] {
        let file = riff(&[
            (
                b"fmt ",
                &fmt16(tag, 0, 8000, 0, if tag == 1 { 16 } else { 8 }),
            ),
            (b"data", &[0; 8]),
        ]);
        let e = err(&file);
        assert!(matches!(e, WavError::ZeroChannels));
        assert_eq!(
            e.to_string(),
            "zero channels: audio needs at least one channel"
        );
    }
    assert!(matches!(
        write_pcm16_wav(Vec::new(), 8000, 0, &[]),
        Err(WavError::ZeroChannels)
    ));
    assert!(matches!(
        write_g711_wav(Vec::new(), Law::A, 8000, 0, &[]),
        Err(WavError::ZeroChannels)
    ));
}

#[test]
fn absurd_sample_rates() {
    for rate in [0u32, 768_001, u32::MAX] {
        for tag in [1u16, 6] {
            let bits = if tag == 1 { 16 } else { 8 };
            let file = riff(&[
                (b"fmt ", &fmt16(tag, 1, rate, bits / 8, bits)),
                (b"data", &[0; 8]),
            ]);
            let e = err(&file);
            assert!(
                matches!(e, WavError::BadSampleRate(r) if r == rate),
                "{e:?}"
            );
            assert_eq!(
                e.to_string(),
                format!("absurd sample rate {rate} Hz (supported: 1 to 768000 Hz)")
            );
        }
        assert!(matches!(
            write_pcm16_wav(Vec::new(), rate, 1, &[]),
            Err(WavError::BadSampleRate(_))
        ));
        assert!(matches!(
            write_g711_wav(Vec::new(), Law::Mu, rate, 1, &[]),
            Err(WavError::BadSampleRate(_))
        ));
        assert!(matches!(
            read_raw_g711(&[0u8][..], Law::Mu, rate),
            Err(WavError::BadSampleRate(_))
        ));
    }
    // The limits themselves are fine.
    let file = riff(&[(b"fmt ", &fmt16(1, 1, 768_000, 2, 16)), (b"data", &[0; 8])]);
    assert_eq!(ok(&file).sample_rate, 768_000);
    let file = riff(&[(b"fmt ", &fmt16(7, 1, 1, 1, 8)), (b"data", &[0; 8])]);
    assert_eq!(ok(&file).duration_secs(), 8.0);
}

#[test]
fn inconsistent_block_align() {
    let file = riff(&[(b"fmt ", &fmt16(1, 2, 8000, 2, 16)), (b"data", &[0; 8])]);
    let e = err(&file);
    assert!(matches!(
        e,
        WavError::BlockAlign {
            block_align: 2,
            expected: 4,
            channels: 2,
            bits: 16
        }
    ));
    assert_eq!(
        e.to_string(),
        "inconsistent block align: 2 bytes per frame, expected 4 (2 channels of 16 bits)"
    );
    let file = riff(&[(b"fmt ", &fmt16(6, 2, 8000, 1, 8)), (b"data", &[0; 8])]);
    assert_eq!(
        err(&file).to_string(),
        "inconsistent block align: 1 bytes per frame, expected 2 (2 channels of 8 bits)"
    );
    let file = riff(&[(b"fmt ", &fmt16(1, 1, 8000, 0, 24)), (b"data", &[0; 8])]);
    assert!(matches!(err(&file), WavError::BlockAlign { .. }));
}

#[test]
fn malformed_fmt_chunks() {
    let file = riff(&[(b"fmt ", &fmt_pcm16_mono()[..14]), (b"data", &[0; 8])]);
    let e = err(&file);
    assert!(matches!(e, WavError::Malformed(_)));
    assert_eq!(
        e.to_string(),
        "malformed WAV file: 'fmt ' chunk is 14 bytes, needs at least 16"
    );

    let file = riff(&[
        (b"fmt ", &fmt_ex(0xFFFE, 1, 8000, 16, &[])),
        (b"data", &[0; 8]),
    ]);
    assert_eq!(
        err(&file).to_string(),
        "malformed WAV file: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is 18 bytes, needs 40"
    );
    let mut fmt = fmt_extensible(1, 8000, 16, 16, ks_guid(1));
    fmt[16] = 0; // cbSize
    let file = riff(&[(b"fmt ", &fmt), (b"data", &[0; 8])]);
    assert_eq!(
        err(&file).to_string(),
        "malformed WAV file: WAVE_FORMAT_EXTENSIBLE cbSize is 0, needs 22"
    );

    // 2800 channels of 16 bits at 768 kHz: the byte rate cannot be represented.
    let file = riff(&[
        (b"fmt ", &fmt16(1, 2800, 768_000, 5600, 16)),
        (b"data", &[0; 5600]),
    ]);
    let e = err(&file);
    assert!(matches!(e, WavError::Malformed(_)), "{e:?}");
    assert!(e.to_string().contains("overflows 32 bits"), "{e}");
    // The same for G.711: otherwise a file could be read that the writer cannot write back.
    let file = riff(&[
        (b"fmt ", &fmt16(7, 6000, 768_000, 6000, 8)),
        (b"data", &[0; 6000]),
    ]);
    assert_eq!(
        err(&file).to_string(),
        "malformed WAV file: byte rate of 768000 Hz x 6000-byte frames overflows 32 bits"
    );
}

#[test]
fn writers_refuse_partial_frames() {
    let e = write_pcm16_wav(Vec::new(), 8000, 2, &[1, 2, 3]).unwrap_err();
    assert!(matches!(
        e,
        WavError::PartialFrame {
            samples: 3,
            channels: 2
        }
    ));
    let e = write_g711_wav(Vec::new(), Law::Mu, 8000, 3, &[1, 2, 3, 4]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "4 samples do not divide into whole frames of 3 channels"
    );
}

#[test]
fn writers_refuse_unrepresentable_headers() {
    let e = write_g711_wav(Vec::new(), Law::Mu, 768_000, 60_000, &[]).unwrap_err();
    assert!(matches!(e, WavError::Unrepresentable(_)));
    assert_eq!(
        e.to_string(),
        "cannot write WAV: byte rate of 768000 Hz x 60000-byte frames overflows 32 bits"
    );
    let e = write_pcm16_wav(Vec::new(), 8000, 40_000, &[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot write WAV: 40000 channels of 2 bytes overflow the 16-bit block align"
    );
}

/// More than 4 GiB of audio is refused before anything is written. The buffers are
/// zero-initialised by the allocator (untouched pages cost no memory), but the test still skips
/// on machines with under 8 GiB of RAM in case the kernel refuses such an allocation.
#[test]
fn writers_refuse_more_than_4_gib() {
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    if mem_kib < 8 << 20 {
        eprintln!("skipping: needs 8 GiB of RAM to allocate (not touch) 4 GiB");
        return;
    }
    let codes = vec![0u8; u32::MAX as usize - 49]; // 50 + 1 pad + data > u32::MAX
    let mut out = Vec::new();
    let e = write_g711_wav(&mut out, Law::A, 8000, 1, &codes).unwrap_err();
    assert!(matches!(e, WavError::TooLarge { .. }), "{e:?}");
    assert!(out.is_empty(), "nothing written");
    drop(codes);
    let samples = vec![0i16; 1 << 31];
    let e = write_pcm16_wav(&mut out, 8000, 1, &samples).unwrap_err();
    assert_eq!(
        e.to_string(),
        "too large for a WAV file: 4294967296 bytes of audio data exceed the 4 GiB RIFF limit"
    );
    assert!(out.is_empty());
}

struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("device unplugged"))
    }
}

impl Seek for Failing {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        Ok(if matches!(pos, SeekFrom::End(_)) {
            100
        } else {
            0
        })
    }
}

impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn io_errors() {
    let e = read_audio(Failing).unwrap_err();
    assert!(matches!(e, WavError::Io(_)));
    assert_eq!(e.to_string(), "I/O error: device unplugged");
    assert_eq!(
        read_raw_g711(Failing, Law::A, 8000)
            .unwrap_err()
            .to_string(),
        "I/O error: device unplugged"
    );
    assert_eq!(
        write_pcm16_wav(Failing, 8000, 1, &[0])
            .unwrap_err()
            .to_string(),
        "I/O error: disk full"
    );
    assert_eq!(
        write_g711_wav(Failing, Law::A, 8000, 1, &[0])
            .unwrap_err()
            .to_string(),
        "I/O error: disk full"
    );
    assert_eq!(
        write_raw(Failing, &[0]).unwrap_err().to_string(),
        "I/O error: disk full"
    );
}

// ---- structures that must be accepted --------------------------------------------------------

#[test]
fn odd_sized_and_unknown_chunks_before_fmt() {
    let codes = [1u8, 2, 3, 4, 5];
    let file = riff(&[
        (b"JUNK", &[0xAA; 3]),
        (b"bext", &[0; 1]),
        (b"LIST", b"INFOISFT\x05\x00\x00\x00sox!\x00"),
        (b"fmt ", &fmt_ulaw_mono()),
        (b"odd ", &[7; 7]),
        (b"fact", &5u32.to_le_bytes()),
        (b"data", &codes),
    ]);
    let audio = ok(&file);
    assert_eq!(audio.g711_codes().unwrap(), &codes);
    let pcm = riff(&[
        (b"JUNK", &[0; 5]),
        (b"fmt ", &fmt_pcm16_mono()),
        (b"LIST", &[1; 9]),
        (b"data", &[1, 0, 2, 0]),
    ]);
    assert_eq!(ok(&pcm).to_i16(), [1, 2]);
}

#[test]
fn chunks_after_data_are_ignored() {
    let file = riff(&[
        (b"fmt ", &fmt_ulaw_mono()),
        (b"data", &[9, 8, 7]),
        (b"LIST", b"INFOICMT\x03\x00\x00\x00hi\x00"),
    ]);
    assert_eq!(ok(&file).g711_codes().unwrap(), &[9, 8, 7]);
    // ...even a truncated trailing chunk.
    let mut file = riff(&[
        (b"fmt ", &fmt_pcm16_mono()),
        (b"data", &[1, 0]),
        (b"LIST", &[0; 50]),
    ]);
    file.truncate(file.len() - 30);
    assert_eq!(ok(&file).to_i16(), [1]);
}

#[test]
fn data_before_fmt_is_read() {
    let file = riff(&[
        (b"data", &[5, 6, 7]),
        (b"LIST", &[0; 3]),
        (b"fmt ", &fmt_ex(6, 1, 8000, 8, &[])),
    ]);
    let audio = ok(&file);
    assert_eq!(audio.format, SampleFormat::G711(Law::A));
    assert_eq!(audio.g711_codes().unwrap(), &[5, 6, 7]);
}

#[test]
fn fmt_chunk_sizes_16_18_20_and_more() {
    for fmt in [
        fmt16(7, 2, 8000, 2, 8),
        fmt_ex(7, 2, 8000, 8, &[]),
        fmt_ex(7, 2, 8000, 8, &[0xAB, 0xCD]),
        fmt_ex(7, 2, 8000, 8, &[1; 31]),
    ] {
        let file = riff(&[
            (b"fmt ", &fmt),
            (b"fact", &2u32.to_le_bytes()),
            (b"data", &[1, 2, 3, 4]),
        ]);
        let audio = ok(&file);
        assert_eq!(
            (audio.format, audio.channels, audio.frames()),
            (SampleFormat::G711(Law::Mu), 2, 2)
        );
    }
    // PCM with WAVEFORMATEX and a nonzero cbSize (seen in the wild), and a large fmt chunk.
    for fmt in [
        fmt_ex(1, 1, 8000, 16, &[]),
        fmt_ex(1, 1, 8000, 16, &[0; 24]),
    ] {
        let file = riff(&[(b"fmt ", &fmt), (b"data", &[0xFF, 0x7F])]);
        assert_eq!(ok(&file).to_i16(), [32767]);
    }
    // A wrong nAvgBytesPerSec is ignored (it is only a buffering hint).
    let mut fmt = fmt_pcm16_mono();
    fmt[8..12].copy_from_slice(&12345u32.to_le_bytes());
    assert_eq!(
        ok(&riff(&[(b"fmt ", &fmt), (b"data", &[2, 0])])).to_i16(),
        [2]
    );
    // A second `fmt ` chunk is ignored: the first one counts.
    let file = riff(&[
        (b"fmt ", &fmt_ulaw_mono()),
        (b"fmt ", &fmt_pcm16_mono()),
        (b"data", &[1, 2]),
    ]);
    assert_eq!(ok(&file).format, SampleFormat::G711(Law::Mu));
}

#[test]
fn extensible_forms_of_every_format() {
    for (law, tag) in [(Law::A, 6u16), (Law::Mu, 7)] {
        let file = riff(&[
            (b"fmt ", &fmt_extensible(2, 8000, 8, 8, ks_guid(tag))),
            (b"fact", &2u32.to_le_bytes()),
            (b"data", &[0x11, 0x22, 0x33, 0x44]),
        ]);
        let audio = ok(&file);
        assert_eq!(audio.format, SampleFormat::G711(law));
        assert_eq!(audio.g711_codes().unwrap(), &[0x11, 0x22, 0x33, 0x44]);
    }
    let file = riff(&[
        (b"fmt ", &fmt_extensible(1, 16000, 16, 16, ks_guid(1))),
        (b"data", &[0, 0x80]),
    ]);
    assert_eq!(ok(&file).to_i16(), [-32768]);
    // 20 valid bits in a 24-bit container: the container is what is read (valid bits are the
    // most significant ones, the rest zero).
    let file = riff(&[
        (b"fmt ", &fmt_extensible(1, 48000, 24, 20, ks_guid(1))),
        (b"data", &[0x00, 0x00, 0x40]),
    ]);
    let audio = ok(&file);
    assert_eq!(audio.format, SampleFormat::Pcm { bits: 24 });
    assert_eq!(audio.to_f32(), [0.5]);
    let file = riff(&[
        (b"fmt ", &fmt_extensible(1, 48000, 32, 32, ks_guid(3))),
        (b"data", &0.25f32.to_le_bytes()),
    ]);
    assert_eq!(ok(&file).float_samples().unwrap(), &[0.25]);
    // A longer extensible chunk (cbSize > 22) is fine too.
    let mut fmt = fmt_extensible(1, 8000, 8, 8, ks_guid(7));
    fmt[16] = 24;
    fmt.extend_from_slice(&[0, 0]);
    assert_eq!(
        ok(&riff(&[(b"fmt ", &fmt), (b"data", &[3])]))
            .g711_codes()
            .unwrap(),
        &[3]
    );
}

/// Live recorders write 0xFFFFFFFF (or 0) as the sizes and never patch them: read to the end.
#[test]
fn streaming_sizes_read_to_the_end() {
    let codes: Vec<u8> = (0..100).collect();
    for (riff_size, data_size) in [
        (u32::MAX, u32::MAX),
        (0, 0),
        (u32::MAX, 0),
        (36, 0),
        (0, u32::MAX),
    ] {
        let mut file = riff(&[(b"fmt ", &fmt_ex(7, 1, 8000, 8, &[])), (b"data", &codes)]);
        file[4..8].copy_from_slice(&riff_size.to_le_bytes());
        let at = file.len() - codes.len() - 4;
        file[at..at + 4].copy_from_slice(&data_size.to_le_bytes());
        assert_eq!(
            ok(&file).g711_codes().unwrap(),
            &codes[..],
            "{riff_size} {data_size}"
        );
    }
    // A PCM stream cut in the middle of a frame: the partial frame is dropped.
    let mut file = riff(&[
        (b"fmt ", &fmt16(1, 2, 8000, 4, 16)),
        (b"data", &[1, 0, 2, 0, 3, 0, 4]),
    ]);
    file.pop(); // no pad byte either
    file[40..44].copy_from_slice(&u32::MAX.to_le_bytes()); // the data size
    assert_eq!(ok(&file).to_i16(), [1, 2]);
}

#[test]
fn zero_data_size_with_a_riff_size_beyond_it_is_empty() {
    // A genuinely empty `data` chunk followed by a LIST chunk that the RIFF size covers.
    let file = riff(&[
        (b"fmt ", &fmt_pcm16_mono()),
        (b"data", &[]),
        (b"LIST", b"INFOtest"),
    ]);
    let audio = ok(&file);
    assert_eq!(audio.frames(), 0);
}

#[test]
fn partial_trailing_frame_and_wrong_riff_size_are_tolerated() {
    let mut file = riff(&[
        (b"fmt ", &fmt16(1, 2, 8000, 4, 16)),
        (b"data", &[1, 0, 2, 0, 3, 0]),
    ]);
    file[4..8].copy_from_slice(&7u32.to_le_bytes());
    let audio = ok(&file);
    assert_eq!((audio.frames(), audio.to_i16()), (1, vec![1, 2]));
}

#[test]
fn minimal_hand_made_g711_files() {
    for (tag, law) in [(6u16, Law::A), (7, Law::Mu)] {
        let audio = ok(&g711_wav_minimal(tag, 1, &[0xD5; 3]));
        assert_eq!(audio.format, SampleFormat::G711(law));
        assert_eq!(audio.frames(), 3);
    }
}
