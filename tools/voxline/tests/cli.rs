//! Integration tests of the `voxline` program: every command on real data, and every kind of
//! bad input failing with one clear line, exit code 2 and no output file.

use std::fs;

mod common;
use common::{assert_bad_input, assert_ok, read_wav, stderr, stdout, testdata, voxline};

/// A minimal canonical WAV header + data for arbitrary format fields.
fn wav_bytes(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
    let block = channels * bits.div_ceil(8);
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&tag.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    v.extend_from_slice(&block.to_le_bytes());
    v.extend_from_slice(&bits.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn encode_and_decode_match_the_itu_reference_vectors() {
    let dir = tempfile::tempdir().unwrap();
    for (law, tag) in [("mu", "ulaw"), ("a", "alaw")] {
        let input = testdata("conformance/signals/8k/sp_de_m.wav");
        let raw = dir
            .path()
            .join(format!("x.{}", if law == "mu" { "ul" } else { "al" }));
        assert_ok(&voxline(&[&"encode", &"--law", &law, &input, &raw]));
        let want = fs::read(testdata(&format!(
            "conformance/g711/encoded/sp_de_m.{tag}.raw"
        )))
        .unwrap();
        assert_eq!(fs::read(&raw).unwrap(), want, "{tag} codes");

        let dec = dir.path().join(format!("{tag}.dec.wav"));
        assert_ok(&voxline(&[&"decode", &raw, &dec]));
        let want = read_wav(&testdata(&format!(
            "conformance/g711/decoded/sp_de_m.{tag}.dec.wav"
        )));
        assert_eq!(read_wav(&dec).to_i16(), want.to_i16(), "{tag} decoded");

        // The same through a G.711 WAV container, law taken from the header.
        let wav = dir.path().join(format!("{tag}.wav"));
        let o = voxline(&[&"encode", &"--law", &law, &input, &wav]);
        assert_ok(&o);
        assert!(stdout(&o).contains("48000 samples"), "{}", stdout(&o));
        let bytes = fs::read(&wav).unwrap();
        let format_tag = u16::from_le_bytes([bytes[20], bytes[21]]);
        assert_eq!(format_tag, if law == "mu" { 7 } else { 6 });
        let dec2 = dir.path().join(format!("{tag}.dec2.wav"));
        assert_ok(&voxline(&[&"decode", &wav, &dec2]));
        assert_eq!(read_wav(&dec2).to_i16(), want.to_i16());
        let info = voxline(&[&"info", &wav]);
        assert_ok(&info);
        assert!(stdout(&info).contains("8000 Hz"), "{}", stdout(&info));
        assert!(stdout(&info).contains("6.000 s"), "{}", stdout(&info));
    }
}

#[test]
fn encode_resamples_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let input = testdata("speech/jfk_inaugural.wav");
    let out = dir.path().join("jfk.wav");
    let o = voxline(&[&"encode", &"--law", &"a", &input, &out]);
    assert_bad_input(&o, "--resample", dir.path(), &[]);
    assert_ok(&voxline(&[
        &"encode",
        &"--law",
        &"a",
        &"--resample",
        &input,
        &out,
    ]));
    let audio = read_wav(&out);
    assert_eq!(audio.sample_rate, 8000);
    assert_eq!(audio.frames(), 88000, "11 s at 8 kHz");
}

#[test]
fn transcode_converts_between_laws() {
    let dir = tempfile::tempdir().unwrap();
    let mu = testdata("conformance/g711/encoded/sp_en_us_f.ulaw.raw");
    let out = dir.path().join("a.wav");
    assert_ok(&voxline(&[&"transcode", &mu, &out]));
    let audio = read_wav(&out);
    assert_eq!(
        audio.format.to_string(),
        voxline_wav::SampleFormat::G711(voxline_g711::Law::A).to_string()
    );
    let codes = fs::read(&mu).unwrap();
    let mut want = vec![0u8; codes.len()];
    voxline_g711::transcode(
        voxline_g711::Law::Mu,
        voxline_g711::Law::A,
        &codes,
        &mut want,
    )
    .unwrap();
    assert_eq!(audio.g711_codes().unwrap(), &want[..]);

    // Back to mu-law as raw bytes, the law implied by the extension.
    let back = dir.path().join("back.ul");
    assert_ok(&voxline(&[&"transcode", &out, &back]));
    assert_eq!(fs::read(&back).unwrap().len(), codes.len());

    // An extension that contradicts --to is refused.
    let o = voxline(&[&"transcode", &"--to", &"a", &mu, &dir.path().join("c.ul")]);
    assert_bad_input(&o, "--law", dir.path(), &["a.wav", "back.ul"]);
    // PCM input is not G.711.
    let o = voxline(&[
        &"transcode",
        &testdata("conformance/signals/8k/sp_de_m.wav"),
        &dir.path().join("d.wav"),
    ]);
    assert_bad_input(&o, "not G.711", dir.path(), &["a.wav", "back.ul"]);
}

#[test]
fn resample_writes_the_new_rate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("48k.wav");
    let o = voxline(&[
        &"resample",
        &"--rate",
        &"48000",
        &testdata("speech/jfk_inaugural.wav"),
        &out,
    ]);
    assert_ok(&o);
    let audio = read_wav(&out);
    assert_eq!(audio.sample_rate, 48000);
    assert_eq!(audio.frames(), 11 * 48000);
    for rate in ["0", "12345", "4000000000", "-5", "fast"] {
        let o = voxline(&[
            &"resample",
            &"--rate",
            &rate,
            &testdata("speech/jfk_inaugural.wav"),
            &dir.path().join("x.wav"),
        ]);
        assert_eq!(o.status.code(), Some(2), "rate {rate}: {}", stderr(&o));
        assert!(!dir.path().join("x.wav").exists());
    }
    // An input rate voxline does not process (22.05 kHz) is named in the error.
    let o = voxline(&[
        &"resample",
        &"--rate",
        &"8000",
        &testdata("speech/LJ001-0002.wav"),
        &dir.path().join("y.wav"),
    ]);
    assert_bad_input(&o, "22050", dir.path(), &["48k.wav"]);
}

#[test]
fn multichannel_input_needs_downmix() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for i in 0..8000i16 {
        data.extend_from_slice(&(i % 100).to_le_bytes());
        data.extend_from_slice(&(-(i % 100)).to_le_bytes());
    }
    let stereo = dir.path().join("stereo.wav");
    fs::write(&stereo, wav_bytes(1, 2, 8000, 16, &data)).unwrap();
    let out = dir.path().join("out.ul");
    let o = voxline(&[&"encode", &stereo, &out]);
    assert_bad_input(&o, "--downmix", dir.path(), &["stereo.wav"]);
    assert_ok(&voxline(&[&"encode", &"--downmix", &stereo, &out]));
    // Channels average to zero: every code is mu-law silence (0xFF or its negative twin 0x7F).
    assert!(fs::read(&out)
        .unwrap()
        .iter()
        .all(|&c| c == 0xFF || c == 0x7F));
    let info = voxline(&[&"info", &stereo]);
    assert_ok(&info);
    assert!(
        stdout(&info).contains("channels:    2"),
        "{}",
        stdout(&info)
    );
}

#[test]
fn conformance_passes_on_the_bundled_vectors_and_fails_on_a_corrupted_one() {
    let o = voxline(&[&"conformance", &testdata("conformance/g711")]);
    assert_ok(&o);
    let out = stdout(&o);
    assert!(out.contains("total: 0 mismatches"), "{out}");
    // 6 exhaustive checks + 8 signals x 2 laws x (decode + encode).
    assert!(out.contains("in 38 checks"), "{out}");

    // Corrupt one code of a copy: exit code 1, and the mismatch is located.
    let dir = tempfile::tempdir().unwrap();
    let ex = dir.path().join("exhaustive");
    fs::create_dir(&ex).unwrap();
    for f in [
        "pcm16_all.s16le",
        "ulaw_encode_all.u8",
        "alaw_encode_all.u8",
    ] {
        fs::copy(
            testdata(&format!("conformance/g711/exhaustive/{f}")),
            ex.join(f),
        )
        .unwrap();
    }
    let mut codes = fs::read(ex.join("ulaw_encode_all.u8")).unwrap();
    codes[32767] ^= 1; // input -1
    fs::write(ex.join("ulaw_encode_all.u8"), codes).unwrap();
    let o = voxline(&[&"conformance", &dir.path()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("input -1: expected 0x7E, got 0x7F"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("1 mismatches"), "{}", stderr(&o));

    // A directory without vectors, and a missing one, are bad input.
    let empty = tempfile::tempdir().unwrap();
    assert_bad_input(
        &voxline(&[&"conformance", &empty.path()]),
        "no G.711 reference vectors",
        empty.path(),
        &[],
    );
    assert_eq!(
        voxline(&[&"conformance", &"/nonexistent/dir"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn demo_runs_and_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = voxline(&[&"demo", &"--out", &out]);
    assert_ok(&o);
    let text = stdout(&o);
    // The summary's figures: parse "<label>  <value> dB".
    let figure = |label: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} in {text}"));
        let value = line[line.find(label).unwrap() + label.len()..].trim();
        value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number in {line:?}"))
    };
    assert!(
        figure("echo reduction by the canceller, far-end single talk (median)") >= 30.0,
        "{text}"
    );
    assert!(
        figure("noise reduction in pauses, microphone to sent") >= 10.0,
        "{text}"
    );
    assert!(text.contains("calls per core"), "{text}");
    let mut lengths = Vec::new();
    for (f, rate) in [
        ("01_far_talker.wav", 16000),
        ("02_far_on_the_wire.wav", 8000),
        ("03_loudspeaker.wav", 16000),
        ("04_echo.wav", 16000),
        ("05_near_talker.wav", 16000),
        ("06_noise.wav", 16000),
        ("07_microphone.wav", 16000),
        ("08_after_echo_canceller.wav", 8000),
        ("09_after_noise_suppressor.wav", 8000),
        ("10_sent.wav", 8000),
    ] {
        let audio = read_wav(&out.join(f));
        assert_eq!(audio.sample_rate, rate, "{f}");
        lengths.push(audio.duration_secs());
    }
    assert!(lengths.iter().all(|&d| d > 17.0 && d < 22.0), "{lengths:?}");
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.matches("<svg").count() >= 8, "plots in the report");
    assert!(report.contains("10_sent.wav"));

    let o = voxline(&[&"demo", &"--out", &out, &"--network", &"carrier-pigeon"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown network profile"),
        "{}",
        stderr(&o)
    );
}

/// Every command refuses every kind of bad input with exit code 2, one line naming the problem,
/// and no output file; an existing output file is left untouched.
#[test]
fn bad_input_is_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good: Vec<u8> = fs::read(testdata("conformance/signals/8k/lowlevel.wav")).unwrap();
    let files: &[(&str, Vec<u8>)] = &[
        ("empty.wav", Vec::new()),
        ("text.wav", b"hello, this is not audio\n".to_vec()),
        ("header_only.wav", good[..30].to_vec()),
        ("truncated.wav", good[..good.len() / 2].to_vec()),
        ("adpcm.wav", wav_bytes(2, 1, 8000, 4, &[0u8; 400])),
        ("mp3.wav", wav_bytes(0x55, 1, 8000, 0, &[0u8; 400])),
        ("rate0.wav", wav_bytes(1, 1, 0, 16, &[0u8; 400])),
        ("nosamples.wav", wav_bytes(1, 1, 8000, 16, &[])),
        ("codes.raw", vec![0xFFu8; 800]),
    ];
    let mut keep: Vec<&str> = vec!["existing.wav"];
    for (name, bytes) in files {
        fs::write(d.join(name), bytes).unwrap();
        keep.push(name);
    }
    fs::write(d.join("existing.wav"), b"precious").unwrap();
    let out = d.join("out.wav");
    let existing = d.join("existing.wav");
    let missing = d.join("missing.wav");
    let expect: &[(&str, &str)] = &[
        ("empty.wav", "empty"),
        ("text.wav", "not a WAV"),
        ("header_only.wav", "truncated"),
        ("truncated.wav", "truncated"),
        ("adpcm.wav", "ADPCM"),
        ("mp3.wav", "MPEG"),
        ("rate0.wav", "rate"),
        ("nosamples.wav", "no audio samples"),
    ];
    for (name, needle) in expect {
        let input = d.join(name);
        assert_bad_input(&voxline(&[&"info", &input]), needle, d, &keep);
        assert_bad_input(
            &voxline(&[&"encode", &"--law", &"mu", &input, &out]),
            needle,
            d,
            &keep,
        );
        assert_bad_input(&voxline(&[&"decode", &input, &out]), needle, d, &keep);
        assert_bad_input(&voxline(&[&"transcode", &input, &out]), needle, d, &keep);
        assert_bad_input(
            &voxline(&[&"resample", &"--rate", &"16000", &input, &out]),
            needle,
            d,
            &keep,
        );
        // A failed command never touches an existing output.
        assert_bad_input(
            &voxline(&[&"encode", &"--law", &"mu", &input, &existing]),
            needle,
            d,
            &keep,
        );
        assert_eq!(fs::read(&existing).unwrap(), b"precious");
    }
    // Missing input.
    for args in [
        vec!["info"],
        vec!["encode", "--law", "mu"],
        vec!["decode"],
        vec!["transcode"],
        vec!["resample", "--rate", "8000"],
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = args
            .iter()
            .map(|s| s as &dyn AsRef<std::ffi::OsStr>)
            .collect();
        a.push(&missing);
        if args[0] != "info" {
            a.push(&out);
        }
        assert_bad_input(&voxline(&a), "missing.wav", d, &keep);
    }
    // Unwritable outputs: a directory that does not exist, and a directory as the output.
    let speech = testdata("conformance/signals/8k/sp_de_m.wav");
    let o = voxline(&[
        &"encode",
        &"--law",
        &"mu",
        &speech,
        &d.join("no/such/dir/out.wav"),
    ]);
    assert_bad_input(&o, "cannot write", d, &keep);
    fs::create_dir(d.join("adir.wav")).unwrap();
    keep.push("adir.wav");
    let o = voxline(&[&"encode", &"--law", &"mu", &speech, &d.join("adir.wav")]);
    assert_bad_input(&o, "directory", d, &keep);
    // Wrong output types and contradictory arguments.
    assert_bad_input(
        &voxline(&[&"encode", &"--law", &"mu", &speech, &d.join("x.mp3")]),
        "unknown file type",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"encode", &speech, &d.join("x.wav")]),
        "--law",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"encode", &"--law", &"a", &speech, &d.join("x.ul")]),
        "mu-law",
        d,
        &keep,
    );
    assert_bad_input(&voxline(&[&"decode", &speech, &out]), "not G.711", d, &keep);
    // A plain .raw name says nothing about the law (x.ulaw.raw would).
    let mu = d.join("codes.raw");
    assert_bad_input(&voxline(&[&"decode", &mu, &out]), "--law", d, &keep);
    assert_bad_input(
        &voxline(&[&"decode", &"--law", &"mu", &"--rate", &"0", &mu, &out]),
        "rate",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[
            &"decode",
            &"--law",
            &"mu",
            &"--rate",
            &"99999999",
            &mu,
            &out,
        ]),
        "rate",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"decode", &"--law", &"mu", &mu, &d.join("x.ul")]),
        ".wav",
        d,
        &keep,
    );
    let wav_mu = d.join("mu.wav");
    assert_ok(&voxline(&[&"encode", &"--law", &"mu", &speech, &wav_mu]));
    keep.push("mu.wav");
    assert_bad_input(
        &voxline(&[&"decode", &"--law", &"a", &wav_mu, &out]),
        "header says",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"encode", &"--law", &"mu", &wav_mu, &out]),
        "already G.711",
        d,
        &keep,
    );
    // Unknown law: clap's usage error, also exit code 2.
    let o = voxline(&[&"encode", &"--law", &"x", &speech, &out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown G.711 law"), "{}", stderr(&o));
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `voxline ... | head -1`: the pipe closes before the output is written. The program must
    // stop quietly (exit 0), not panic on the broken pipe.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_voxline"))
        .args(["conformance"])
        .arg(testdata("conformance/g711"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "status {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
