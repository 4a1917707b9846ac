//! Write-then-read round trips for every supported format, the exact byte layout of the G.711
//! WAV header, conversions, and the real WAV files in `testdata/`.

mod common;

use common::*;
use std::fs;
use std::io::Cursor;
use std::path::Path;
use voxline_g711::Law;
use voxline_wav::*;

fn read(bytes: &[u8]) -> Audio {
    read_audio(Cursor::new(bytes)).unwrap_or_else(|e| panic!("read failed: {e}"))
}

fn test_pcm16(n: usize, seed: u64) -> Vec<i16> {
    let mut v: Vec<i16> = noise(n, seed).map(|x| x as i16).collect();
    if n >= 3 {
        v[0] = i16::MIN;
        v[1] = i16::MAX;
        v[2] = 0;
    }
    v
}

#[test]
fn pcm16_round_trip_any_channel_count() {
    for (channels, rate) in [
        (1u16, 8000u32),
        (2, 16000),
        (3, 48000),
        (6, 44100),
        (1, 768_000),
    ] {
        let frames = 257;
        let samples = test_pcm16(frames * usize::from(channels), u64::from(channels));
        let mut file = Vec::new();
        write_pcm16_wav(&mut file, rate, channels, &samples).unwrap();
        // Up to 2 channels hound writes plain PCM; above, WAVE_FORMAT_EXTENSIBLE.
        let tag = u16::from_le_bytes([file[20], file[21]]);
        assert_eq!(tag, if channels > 2 { 0xFFFE } else { 1 });
        let audio = read(&file);
        assert_eq!(audio.format, SampleFormat::Pcm { bits: 16 });
        assert_eq!((audio.sample_rate, audio.channels), (rate, channels));
        assert_eq!(audio.frames(), frames);
        assert_eq!(audio.num_samples(), samples.len());
        assert_eq!(audio.to_i16(), samples);
        // f32 in [-1, 1) scaled by 2^15: back to i16 exactly.
        let f = audio.to_f32();
        assert!(f.iter().all(|x| (-1.0..1.0).contains(x)));
        let back: Vec<i16> = f.iter().map(|&x| (x * 32768.0) as i16).collect();
        assert_eq!(back, samples);
        assert_eq!(audio.float_samples(), None);
        assert_eq!(audio.g711_codes(), None);
        let ints: Vec<i16> = audio
            .int_samples()
            .unwrap()
            .iter()
            .map(|&v| v as i16)
            .collect();
        assert_eq!(ints, samples);
    }
}

#[test]
fn pcm16_empty_and_into_a_writer_at_an_offset() {
    let mut file = Vec::new();
    write_pcm16_wav(&mut file, 8000, 1, &[]).unwrap();
    assert_eq!(file.len(), 44);
    let audio = read(&file);
    assert_eq!((audio.frames(), audio.duration_secs()), (0, 0.0));

    // Neither writing nor reading assumes the stream starts at offset 0.
    let mut cursor = Cursor::new(b"prefix".to_vec());
    cursor.set_position(6);
    write_pcm16_wav(&mut cursor, 8000, 1, &[1, -2, 3]).unwrap();
    let mut cursor = Cursor::new(cursor.into_inner());
    cursor.set_position(6);
    assert_eq!(read_audio(cursor).unwrap().to_i16(), [1, -2, 3]);
}

#[test]
fn pcm8_round_trip_is_unsigned_in_the_file() {
    for channels in [1u16, 2, 3] {
        let samples: Vec<i8> = (-128..=127)
            .cycle()
            .take(256 * usize::from(channels))
            .collect();
        let file = hound_wav(channels, 11025, 8, false, &samples);
        let audio = read(&file);
        assert_eq!(audio.format, SampleFormat::Pcm { bits: 8 });
        assert_eq!(audio.format.to_string(), "8-bit PCM");
        assert_eq!(audio.channels, channels);
        let want: Vec<i32> = samples.iter().map(|&s| i32::from(s)).collect();
        assert_eq!(audio.int_samples().unwrap(), &want[..]);
        let i16s: Vec<i16> = samples.iter().map(|&s| i16::from(s) << 8).collect();
        assert_eq!(audio.to_i16(), i16s);
        let f32s: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 128.0).collect();
        assert_eq!(audio.to_f32(), f32s);
    }
    // By hand: 8-bit WAV data is unsigned, 0x80 is silence.
    let file = riff(&[
        (b"fmt ", &fmt16(1, 1, 8000, 1, 8)),
        (b"data", &[0x00, 0x80, 0xFF]),
    ]);
    assert_eq!(read(&file).int_samples().unwrap(), &[-128, 0, 127]);
}

#[test]
fn pcm24_round_trip_and_rounding_to_i16() {
    for channels in [1u16, 2, 3] {
        let mut samples: Vec<i32> = noise(300 * usize::from(channels), 24)
            .map(|x| (x << 8) as i32 >> 8)
            .collect();
        samples[0] = -(1 << 23);
        samples[1] = (1 << 23) - 1;
        samples[2] = 0x80; // exactly half an LSB of 16-bit: rounds up
        samples[3] = -0x81;
        let file = hound_wav(channels, 96000, 24, false, &samples);
        let audio = read(&file);
        assert_eq!(audio.format, SampleFormat::Pcm { bits: 24 });
        assert_eq!(audio.int_samples().unwrap(), &samples[..]);
        let f = audio.to_f32();
        for (&x, &s) in f.iter().zip(&samples) {
            assert_eq!(x, s as f32 / 8_388_608.0, "24-bit to f32 is exact");
        }
        let i = audio.to_i16();
        assert_eq!(&i[..4], &[-32768, 32767, 1, -1]);
        for (&y, &s) in i.iter().zip(&samples) {
            let exact = f64::from(s) / 256.0;
            assert!(
                (f64::from(y) - exact).abs() <= 0.5 || y == 32767,
                "{s} -> {y}"
            );
        }
    }
}

#[test]
fn pcm32_round_trip() {
    for channels in [1u16, 2, 3] {
        let mut samples: Vec<i32> = noise(200 * usize::from(channels), 32)
            .map(|x| (x as i32) << 5)
            .collect();
        samples[0] = i32::MIN;
        samples[1] = i32::MAX;
        let file = hound_wav(channels, 48000, 32, false, &samples);
        let audio = read(&file);
        assert_eq!(audio.format, SampleFormat::Pcm { bits: 32 });
        assert_eq!(audio.int_samples().unwrap(), &samples[..]);
        let f = audio.to_f32();
        assert_eq!(f[0], -1.0);
        assert!(
            f.iter().all(|x| (-1.0..1.0).contains(x)),
            "32-bit stays below 1.0"
        );
        assert_eq!(&audio.to_i16()[..2], &[-32768, 32767]);
    }
}

#[test]
fn float32_round_trip() {
    for channels in [1u16, 2, 3] {
        let mut samples: Vec<f32> = noise(100 * usize::from(channels), 3)
            .map(|x| (x as f32 / 65536.0 / 32768.0) - 1.0)
            .collect();
        samples[0] = 1.5; // out of range: kept as is, saturates in to_i16
        samples[1] = -1.0;
        samples[2] = 0.25;
        let file = hound_wav(channels, 44100, 32, true, &samples);
        let audio = read(&file);
        assert_eq!(audio.format, SampleFormat::Float32);
        assert_eq!(audio.format.to_string(), "32-bit float");
        assert_eq!(audio.float_samples().unwrap(), &samples[..]);
        assert_eq!(audio.to_f32(), samples);
        assert_eq!(&audio.to_i16()[..3], &[32767, -32768, 8192]);
    }
}

#[test]
fn g711_round_trip_both_laws() {
    let all: Vec<u8> = (0..=255).collect();
    for law in [Law::Mu, Law::A] {
        for (channels, codes) in [
            (1u16, &all[..]),
            (2, &all[..]),
            (1, &all[..255]),
            (3, &all[..255]),
        ] {
            let mut file = Vec::new();
            write_g711_wav(&mut file, law, 8000, channels, codes).unwrap();
            assert_eq!(file.len() % 2, 0, "odd data is padded");
            assert_eq!(file.len(), 58 + codes.len() + codes.len() % 2);
            let audio = read(&file);
            assert_eq!(audio.format, SampleFormat::G711(law));
            assert_eq!((audio.sample_rate, audio.channels), (8000, channels));
            assert_eq!(audio.g711_codes().unwrap(), codes);
            assert_eq!(audio.frames(), codes.len() / usize::from(channels));
            let mut want = vec![0i16; codes.len()];
            law.decode(codes, &mut want).unwrap();
            assert_eq!(audio.to_i16(), want);
            let f: Vec<f32> = want.iter().map(|&s| f32::from(s) / 32768.0).collect();
            assert_eq!(audio.to_f32(), f);
        }
    }
}

#[test]
fn g711_header_layout_matches_the_spec_byte_for_byte() {
    let mut file = Vec::new();
    write_g711_wav(&mut file, Law::Mu, 8000, 1, &[0x11, 0x22, 0x33]).unwrap();
    #[rustfmt::skip]
    let want: &[u8] = &[
        b'R', b'I', b'F', b'F', 54, 0, 0, 0,          // RIFF size: 4 + 26 + 12 + 8 + 3 + 1 pad
        b'W', b'A', b'V', b'E',
        b'f', b'm', b't', b' ', 18, 0, 0, 0,          // WAVEFORMATEX, 18 bytes
        7, 0,                                          // wFormatTag: WAVE_FORMAT_MULAW
        1, 0,                                          // nChannels
        0x40, 0x1F, 0, 0,                              // nSamplesPerSec 8000
        0x40, 0x1F, 0, 0,                              // nAvgBytesPerSec 8000
        1, 0,                                          // nBlockAlign
        8, 0,                                          // wBitsPerSample
        0, 0,                                          // cbSize
        b'f', b'a', b'c', b't', 4, 0, 0, 0, 3, 0, 0, 0, // dwSampleLength: 3 frames
        b'd', b'a', b't', b'a', 3, 0, 0, 0,           // data size excludes the pad byte
        0x11, 0x22, 0x33, 0,                           // codes + pad
    ];
    assert_eq!(file, want);

    let mut file = Vec::new();
    write_g711_wav(&mut file, Law::A, 16000, 2, &[1, 2, 3, 4]).unwrap();
    assert_eq!(&file[4..8], &54u32.to_le_bytes());
    assert_eq!(&file[20..22], &[6, 0], "WAVE_FORMAT_ALAW");
    assert_eq!(&file[22..24], &[2, 0]);
    assert_eq!(&file[24..28], &16000u32.to_le_bytes());
    assert_eq!(&file[28..32], &32000u32.to_le_bytes());
    assert_eq!(&file[32..34], &[2, 0], "block align = channels");
    assert_eq!(
        &file[46..50],
        &2u32.to_le_bytes(),
        "fact counts frames, not samples"
    );
    assert_eq!(&file[54..58], &4u32.to_le_bytes());
    assert_eq!(file.len(), 62, "even data: no pad");
}

/// Writes `bytes` to a fresh file in the temp directory.
fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("voxline-wav-{}-{name}", std::process::id()));
    fs::write(&path, bytes).unwrap();
    path
}

fn sox_available() -> bool {
    std::process::Command::new("sox")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Our G.711 WAVs decode identically in SoX, and SoX's G.711 WAVs read back here. Skipped (and
/// says so) when `sox` is not on PATH.
#[test]
fn sox_interoperability_when_available() {
    if !sox_available() {
        eprintln!("sox not on PATH: skipping the SoX interoperability check");
        return;
    }
    let all: Vec<u8> = (0..=255).collect();
    for (law, name, encoding) in [(Law::Mu, "mu", "u-law"), (Law::A, "a", "a-law")] {
        // Ours -> SoX: SoX decodes our file to the same 16-bit samples.
        let mut file = Vec::new();
        write_g711_wav(&mut file, law, 8000, 2, &all).unwrap();
        let ours = temp_file(&format!("ours-{name}.wav"), &file);
        let out = std::process::Command::new("sox")
            .arg(&ours)
            .args(["-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-"])
            .output()
            .unwrap();
        let _ = fs::remove_file(&ours);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sox_pcm: Vec<i16> = out
            .stdout
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        assert_eq!(sox_pcm, read(&file).to_i16(), "{law}");

        // SoX -> ours: SoX's G.711 WAV of a PCM file reads back as G.711 of that law.
        let pcm: Vec<i16> = test_pcm16(801, 7);
        let mut pcm_file = Vec::new();
        write_pcm16_wav(&mut pcm_file, 8000, 1, &pcm).unwrap();
        let input = temp_file(&format!("in-{name}.wav"), &pcm_file);
        let output =
            std::env::temp_dir().join(format!("voxline-wav-{}-sox-{name}.wav", std::process::id()));
        let status = std::process::Command::new("sox")
            .arg(&input)
            .args(["-e", encoding])
            .arg(&output)
            .status()
            .unwrap();
        assert!(status.success());
        let theirs = fs::read(&output).unwrap();
        let _ = (fs::remove_file(&input), fs::remove_file(&output));
        let audio = read(&theirs);
        assert_eq!(audio.format, SampleFormat::G711(law));
        assert_eq!(audio.frames(), pcm.len());
        // SoX encodes with its own tables; the decoded result is within G.711's step size.
        for (&got, &want) in audio.to_i16().iter().zip(&pcm) {
            let step = (i32::from(want).abs() / 16).max(64);
            assert!(
                (i32::from(got) - i32::from(want)).abs() <= step,
                "{want} -> {got}"
            );
        }
    }
}

#[test]
fn raw_g711_round_trip_and_extensions() {
    let codes: Vec<u8> = (0..=255).rev().collect();
    let mut raw = Vec::new();
    write_raw(&mut raw, &codes).unwrap();
    assert_eq!(raw, codes);
    for law in [Law::Mu, Law::A] {
        let audio = read_raw_g711(&raw[..], law, 8000).unwrap();
        assert_eq!(audio.format, SampleFormat::G711(law));
        assert_eq!((audio.channels, audio.frames()), (1, 256));
        assert_eq!(audio.g711_codes().unwrap(), &codes[..]);
        assert_eq!(audio.duration_secs(), 0.032);
    }
    for (path, law) in [
        ("a.ul", Some(Law::Mu)),
        ("dir.x/A.ULAW", Some(Law::Mu)),
        ("a.mu", Some(Law::Mu)),
        ("a.al", Some(Law::A)),
        ("a.AlAw", Some(Law::A)),
        ("a.raw", None),
        ("a.wav", None),
        ("ul", None),
        (".ul", None),
        ("a", None),
    ] {
        assert_eq!(law_from_extension(Path::new(path)), law, "{path}");
    }
}

#[test]
fn downmix_and_mono_average_channels() {
    let stereo =
        Audio::from_i16(8000, 2, &[100, 200, -1, -2, 32767, 32767, -32768, -32767]).unwrap();
    let mono = stereo.downmix().unwrap();
    assert_eq!(
        (mono.channels, mono.sample_rate, mono.frames()),
        (1, 8000, 4)
    );
    assert_eq!(mono.format, SampleFormat::Pcm { bits: 16 });
    assert_eq!(
        mono.to_i16(),
        [150, -2, 32767, -32768],
        "halves round away from zero"
    );
    assert_eq!(
        stereo.to_mono_f32(),
        [
            150.0 / 32768.0,
            -1.5 / 32768.0,
            32767.0 / 32768.0,
            -32767.5 / 32768.0
        ]
    );
    assert_eq!(mono.downmix().unwrap(), mono, "mono stays as it is");

    let float = Audio::from_f32(48000, 3, vec![0.3, 0.6, 0.9, -1.0, 0.0, 1.0]).unwrap();
    let m = float.downmix().unwrap();
    assert_eq!(m.format, SampleFormat::Float32);
    assert_eq!(m.float_samples().unwrap(), &[0.6, 0.0]);

    // G.711 cannot be averaged as codes: the decoded values are, into 16-bit PCM.
    let codes = vec![Law::A.encode_sample(1000), Law::A.encode_sample(-3000)];
    let g = Audio::from_g711(Law::A, 8000, 2, codes).unwrap();
    let m = g.downmix().unwrap();
    assert_eq!(m.format, SampleFormat::Pcm { bits: 16 });
    let a = i32::from(Law::A.decode_sample(Law::A.encode_sample(1000)));
    let b = i32::from(Law::A.decode_sample(Law::A.encode_sample(-3000)));
    assert_eq!(m.to_i16(), [((a + b) as f64 / 2.0).round() as i16]);

    // Changing the public `channels` field can not make anything panic.
    let mut odd = stereo.clone();
    odd.channels = 0;
    assert_eq!(odd.frames(), 0);
    assert!(odd.to_mono_f32().is_empty());
    assert!(matches!(odd.downmix(), Err(WavError::ZeroChannels)));
    odd.channels = 3;
    assert_eq!(odd.downmix().unwrap().frames(), 2);
}

#[test]
fn constructors_validate() {
    assert!(matches!(
        Audio::from_i16(8000, 0, &[]),
        Err(WavError::ZeroChannels)
    ));
    let e = Audio::from_i16(8000, 2, &[1, 2, 3]).unwrap_err();
    assert!(matches!(
        e,
        WavError::PartialFrame {
            samples: 3,
            channels: 2
        }
    ));
    assert_eq!(
        e.to_string(),
        "3 samples do not divide into whole frames of 2 channels"
    );
    assert!(matches!(
        Audio::from_f32(0, 1, vec![]),
        Err(WavError::BadSampleRate(0))
    ));
    assert!(matches!(
        Audio::from_g711(Law::Mu, 768_001, 1, vec![]),
        Err(WavError::BadSampleRate(768_001))
    ));
    let a = Audio::from_g711(Law::Mu, 8000, 1, vec![0xFF; 4000]).unwrap();
    assert_eq!((a.frames(), a.duration_secs()), (4000, 0.5));
    assert_eq!(a.format.to_string(), "G.711 mu-law");
    assert_eq!(SampleFormat::G711(Law::A).to_string(), "G.711 A-law");
    assert_eq!(SampleFormat::Pcm { bits: 24 }.bits_per_sample(), 24);
    assert_eq!(SampleFormat::G711(Law::A).bits_per_sample(), 8);
}

/// Every real WAV in `testdata/` reads as 16-bit mono, and writing it back gives the same bytes
/// (they are canonical 44-byte-header files).
#[test]
fn testdata_wavs_read_and_rewrite_identically() {
    let mut seen = 0;
    for dir in [
        "speech",
        "conformance/signals/8k",
        "conformance/g711/decoded",
    ] {
        let dir = testdata().join(dir);
        let mut paths: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "{}", dir.display());
        for path in paths {
            let bytes = fs::read(&path).unwrap();
            let audio = read_audio(fs::File::open(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                audio.format,
                SampleFormat::Pcm { bits: 16 },
                "{}",
                path.display()
            );
            assert_eq!(audio.channels, 1);
            assert_eq!(audio.frames() * 2 + 44, bytes.len(), "{}", path.display());
            let mut again = Vec::new();
            write_pcm16_wav(&mut again, audio.sample_rate, 1, &audio.to_i16()).unwrap();
            assert!(again == bytes, "{} rewrites differently", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 21);

    let jfk =
        read_audio(fs::File::open(testdata().join("speech/jfk_inaugural.wav")).unwrap()).unwrap();
    assert_eq!((jfk.sample_rate, jfk.frames()), (16000, 176_000));
    assert!((jfk.duration_secs() - 11.0).abs() < 1e-9);
    let lj = read_audio(fs::File::open(testdata().join("speech/LJ001-0002.wav")).unwrap()).unwrap();
    assert_eq!(lj.sample_rate, 22050);
}

/// Raw G.711 vectors of the conformance set decode (through `Audio::to_i16`) to their reference
/// decoded WAVs.
#[test]
fn conformance_raw_vectors_decode_to_reference_wavs() {
    let g711 = testdata().join("conformance/g711");
    for (name, law) in [
        ("sp_de_m.alaw", Law::A),
        ("sp_de_m.ulaw", Law::Mu),
        ("fullscale.ulaw", Law::Mu),
    ] {
        let raw = fs::File::open(g711.join(format!("encoded/{name}.raw"))).unwrap();
        let audio = read_raw_g711(std::io::BufReader::new(raw), law, 8000).unwrap();
        let reference = fs::read(g711.join(format!("decoded/{name}.dec.wav"))).unwrap();
        assert_eq!(audio.to_i16(), read(&reference).to_i16(), "{name}");
    }
}
