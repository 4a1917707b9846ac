//! Integration tests of `voxline plc`: every mode on real speech at 8 and 16 kHz (length kept,
//! audio away from losses untouched), both mask forms, 10/20/30 ms packets, the conformance
//! check on small vector sets built here, and bad input failing with one line, exit code 2
//! and nothing written.
//!
//! These tests check the command, not the quality of the concealment: they hold whatever the
//! Appendix I and voxline algorithms do, as long as they keep the `voxline-plc` contract.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{assert_bad_input, assert_ok, read_wav, stderr, stdout, testdata, voxline};

const MODES: [&str; 4] = ["zero", "repeat", "appendix-i", "voxline"];
const SPEECH_8K: &str = "conformance/signals/8k/sp_en_us_f.wav";
const SPEECH_16K: &str = "speech/2412-153948-0001.wav";

fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path
}

fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    let mut bytes = Vec::new();
    voxline_wav::write_pcm16_wav(&mut bytes, rate, channels, samples).unwrap();
    fs::write(path, bytes).unwrap();
}

fn plc(
    mask: &Path,
    frame_ms: &str,
    mode: Option<&str>,
    input: &Path,
    output: &Path,
) -> std::process::Output {
    match mode {
        Some(m) => voxline(&[
            &"plc",
            &"--loss",
            &mask,
            &"--frame-ms",
            &frame_ms,
            &"--mode",
            &m,
            &input,
            &output,
        ]),
        None => voxline(&[
            &"plc",
            &"--loss",
            &mask,
            &"--frame-ms",
            &frame_ms,
            &input,
            &output,
        ]),
    }
}

/// Per-10-ms-frame loss flags for packet indices `lost` of `per` 10 ms frames each.
fn flags(lost: &[usize], per: usize, frames10: usize) -> Vec<bool> {
    let mut f = vec![false; frames10];
    for &k in lost {
        let end = ((k + 1) * per).min(frames10);
        if k * per < end {
            f[k * per..end].fill(true);
        }
    }
    f
}

/// Checks that every 10 ms frame that is not lost and not next to a lost one, and any trailing
/// partial frame, is unchanged; returns how many frames were compared.
#[track_caller]
fn assert_untouched_away_from_losses(
    what: &str,
    input: &[i16],
    output: &[i16],
    lost: &[bool],
    frame: usize,
) -> usize {
    assert_eq!(output.len(), input.len(), "{what}: length");
    let n = lost.len();
    let mut compared = 0;
    for k in 0..n {
        let near = lost[k] || (k > 0 && lost[k - 1]) || (k + 1 < n && lost[k + 1]);
        if near {
            continue;
        }
        let r = k * frame..(k + 1) * frame;
        assert_eq!(output[r.clone()], input[r], "{what}: frame {k} changed");
        compared += 1;
    }
    assert_eq!(output[n * frame..], input[n * frame..], "{what}: tail");
    compared
}

#[test]
fn every_mode_leaves_speech_away_from_losses_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // Single losses, bursts of 2 and 4 packets, a loss at the very start and one at the end.
    let cases = [
        (
            SPEECH_8K,
            8000usize,
            "10",
            vec![0, 7, 30, 31, 90, 91, 92, 93, 250, 599],
        ),
        (
            SPEECH_16K,
            16000,
            "20",
            vec![3, 40, 41, 100, 200, 201, 202, 203, 500],
        ),
    ];
    for (file, rate, frame_ms, lost) in cases {
        let input_path = testdata(file);
        let input = read_wav(&input_path).to_i16();
        let per: usize = frame_ms.parse::<usize>().unwrap() / 10;
        let frame = rate / 100;
        let mask_text = format!("{lost:?}");
        let mask = write_text(dir.path(), &format!("mask-{rate}.json"), &mask_text);
        let want_lost = flags(&lost, per, input.len() / frame);
        for mode in MODES {
            let out = dir.path().join(format!("{rate}-{mode}.wav"));
            let o = plc(&mask, frame_ms, Some(mode), &input_path, &out);
            assert_ok(&o);
            let text = stdout(&o);
            assert!(text.contains(&format!("mode {mode}")), "{text}");
            assert!(
                text.contains(&format!("{} lost", lost.len())),
                "{mode}: {text}"
            );
            assert!(text.contains("latency"), "{text}");
            assert!(stderr(&o).is_empty(), "{}", stderr(&o));
            let audio = read_wav(&out);
            assert_eq!(audio.sample_rate as usize, rate);
            assert_eq!(audio.channels, 1);
            let what = format!("{file} {mode}");
            let compared = assert_untouched_away_from_losses(
                &what,
                &input,
                &audio.to_i16(),
                &want_lost,
                frame,
            );
            assert!(compared > input.len() / frame / 2, "{what}: {compared}");
        }
    }
}

#[test]
fn mask_indices_count_packets_of_frame_ms() {
    let dir = tempfile::tempdir().unwrap();
    let input_path = testdata(SPEECH_8K);
    let input = read_wav(&input_path).to_i16();
    // Object form, with a duplicate index.
    let mask = write_text(dir.path(), "m.json", r#"{"lost_frames": [2, 7, 7, 20]}"#);
    for (frame_ms, per) in [("10", 1usize), ("20", 2), ("30", 3)] {
        let lost = flags(&[2, 7, 20], per, input.len() / 80);
        // Zero: exactly the lost 10 ms frames are silent, the rest is the input.
        let out = dir.path().join(format!("zero-{frame_ms}.wav"));
        let o = plc(&mask, frame_ms, Some("zero"), &input_path, &out);
        assert_ok(&o);
        assert!(stdout(&o).contains("3 lost"), "{}", stdout(&o));
        assert!(
            stdout(&o).contains(&format!("frames of {frame_ms} ms")),
            "{}",
            stdout(&o)
        );
        let got = read_wav(&out).to_i16();
        assert_eq!(got.len(), input.len());
        for (k, &l) in lost.iter().enumerate() {
            let r = k * 80..(k + 1) * 80;
            if l {
                assert!(got[r].iter().all(|&s| s == 0), "{frame_ms} ms: frame {k}");
            } else {
                assert_eq!(got[r.clone()], input[r], "{frame_ms} ms: frame {k}");
            }
        }
        // Repeat: every lost 10 ms frame repeats the last one received before the packet.
        let out = dir.path().join(format!("repeat-{frame_ms}.wav"));
        assert_ok(&plc(&mask, frame_ms, Some("repeat"), &input_path, &out));
        let got = read_wav(&out).to_i16();
        for k in [2, 7, 20] {
            let before = (k * per - 1) * 80..k * per * 80;
            for j in k * per..(k + 1) * per {
                assert_eq!(
                    got[j * 80..(j + 1) * 80],
                    input[before.clone()],
                    "{frame_ms} ms: frame {j}"
                );
            }
        }
    }
}

#[test]
fn conformance_pattern_files_are_masks() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = testdata("conformance/g711_plc/patterns/rand10.json");
    let lost: Vec<usize> =
        serde_json::from_str::<serde_json::Value>(&fs::read_to_string(&pattern).unwrap()).unwrap()
            ["lost_frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
    let input_path = testdata(SPEECH_8K);
    let input = read_wav(&input_path).to_i16();
    let out = dir.path().join("out.wav");
    let o = plc(&pattern, "10", Some("zero"), &input_path, &out);
    assert_ok(&o);
    assert!(stdout(&o).contains("60 lost (10.00 %)"), "{}", stdout(&o));
    let mut want = input.clone();
    for k in lost {
        want[k * 80..(k + 1) * 80].fill(0);
    }
    assert_eq!(read_wav(&out).to_i16(), want);
    // The pattern says its indices count 10 ms frames.
    fs::remove_file(&out).unwrap();
    let o = plc(&pattern, "20", Some("zero"), &input_path, &out);
    assert_bad_input(&o, "--frame-ms is 20", dir.path(), &[]);
}

#[test]
fn default_mode_is_voxline_and_indices_past_the_end_warn_once() {
    let dir = tempfile::tempdir().unwrap();
    let input_path = testdata(SPEECH_8K);
    let mask = write_text(dir.path(), "m.json", "[1, 1, 5, 300, 100000]");
    let out = dir.path().join("out.wav");
    // 6 s of 20 ms packets: 300 packets, so 300 and 100000 are past the end.
    let o = plc(&mask, "20", None, &input_path, &out);
    assert_ok(&o);
    assert!(stdout(&o).contains("mode voxline"), "{}", stdout(&o));
    assert!(stdout(&o).contains("2 lost (0.67 %)"), "{}", stdout(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("voxline: warning: "), "{err}");
    assert!(err.contains("ignored 2 lost frame indices"), "{err}");
    assert_eq!(read_wav(&out).frames(), read_wav(&input_path).frames());
}

#[test]
fn bad_input_fails_with_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let speech = testdata(SPEECH_8K);
    let good = write_text(d, "good.json", "[1, 2]");
    let mut keep = vec!["good.json"];
    let masks = [
        ("malformed.json", "[1, 2", "not valid JSON"),
        ("negative.json", "[3, -1]", "(-1) is not a frame index"),
        ("fraction.json", "[2.5]", "(2.5) is not a frame index"),
        ("string.json", "\"1,2\"", "expected a list"),
        ("object.json", r#"{"lost": [1]}"#, "lost_frames"),
        ("notlist.json", r#"{"lost_frames": 4}"#, "not a list"),
    ];
    for (name, text, needle) in masks {
        write_text(d, name, text);
        keep.push(name);
        let o = plc(&d.join(name), "10", None, &speech, &d.join("out.wav"));
        assert_bad_input(&o, needle, d, &keep);
    }

    let o = plc(
        &d.join("missing.json"),
        "10",
        None,
        &speech,
        &d.join("out.wav"),
    );
    assert_bad_input(&o, "cannot read", d, &keep);

    // Stereo, 44.1 kHz, other unsupported rates, missing input.
    let samples: Vec<i16> = (0..8820).map(|i| ((i % 100) * 50) as i16).collect();
    write_wav(&d.join("stereo.wav"), 8000, 2, &samples);
    write_wav(&d.join("cd.wav"), 44100, 1, &samples);
    keep.extend(["stereo.wav", "cd.wav"]);
    let o = plc(&good, "10", None, &d.join("stereo.wav"), &d.join("out.wav"));
    assert_bad_input(&o, "voxline resample --downmix", d, &keep);
    let o = plc(&good, "10", None, &d.join("cd.wav"), &d.join("out.wav"));
    assert_bad_input(&o, "44100 Hz is not supported", d, &keep);
    let lj = testdata("speech/LJ001-0002.wav");
    let o = plc(&good, "10", None, &lj, &d.join("out.wav"));
    assert_bad_input(&o, "22050 Hz is not supported", d, &keep);
    let o = plc(&good, "10", None, &d.join("nope.wav"), &d.join("out.wav"));
    assert_bad_input(&o, "cannot read", d, &keep);

    // Arguments.
    let o = plc(&good, "10", Some("magic"), &speech, &d.join("out.wav"));
    assert_bad_input(&o, "unknown PLC mode 'magic'", d, &keep);
    let o = plc(&good, "15", None, &speech, &d.join("out.wav"));
    assert_bad_input(&o, "--frame-ms 15", d, &keep);
    let o = plc(&good, "10", None, &speech, &d.join("out.raw"));
    assert_bad_input(&o, "name it .wav", d, &keep);
    let o = voxline(&[&"plc", &"--frame-ms", &"10", &speech, &d.join("out.wav")]);
    assert_bad_input(&o, "--loss", d, &keep);
    let o = voxline(&[&"plc", &"--loss", &good, &speech, &d.join("out.wav")]);
    assert_bad_input(&o, "--frame-ms", d, &keep);
    let o = voxline(&[&"plc", &"--loss", &good, &"--frame-ms", &"10", &speech]);
    assert_bad_input(&o, "output", d, &keep);

    // Unwritable outputs: a missing directory, a directory.
    let o = plc(&good, "10", None, &speech, &d.join("no/such/dir/out.wav"));
    assert_bad_input(&o, "cannot write", d, &keep);
    fs::create_dir(d.join("sub.wav")).unwrap();
    keep.push("sub.wav");
    let o = plc(&good, "10", None, &speech, &d.join("sub.wav"));
    assert_bad_input(&o, "cannot write", d, &keep);
    assert_eq!(fs::read_dir(d.join("sub.wav")).unwrap().count(), 0);
}

/// A conformance set with two vectors: a PLC vector without losses (its reference is its
/// input, which every correct concealer reproduces) and a silence-insertion (`-noplc`) vector.
/// Returns the root and the first vector's reference path.
fn fake_conformance_set(root: &Path) -> PathBuf {
    let speech = read_wav(&testdata(SPEECH_8K)).to_i16();
    let input = &speech[..8000 + 37]; // 1 s and a partial frame
    write_wav(&root.join("signals/8k/talk.wav"), 8000, 1, input);
    write_text(
        root,
        "g711_plc/patterns/none.json",
        r#"{"name": "none", "frame_ms": 10, "lost_frames": []}"#,
    );
    write_text(
        root,
        "g711_plc/patterns/some.json",
        r#"{"lost_frames": [0, 4, 5, 99]}"#,
    );
    let reference = root.join("g711_plc/output/plc__talk__none.wav");
    write_wav(&reference, 8000, 1, input);
    let mut zeroed = input.to_vec();
    for k in [0usize, 4, 5, 99] {
        zeroed[k * 80..(k + 1) * 80].fill(0);
    }
    write_wav(
        &root.join("g711_plc/output/plc__talk__some__noplc.wav"),
        8000,
        1,
        &zeroed,
    );
    let manifest = serde_json::json!({
        "provenance": "built by plc_cli.rs",
        "g711_plc": [
            {
                "name": "plc__talk__none",
                "input": "signals/8k/talk.wav",
                "pattern_json": "g711_plc/patterns/none.json",
                "output": "g711_plc/output/plc__talk__none.wav",
                "command": "g711iplc -stats none.g192 talk.s16 plc__talk__none.s16"
            },
            {
                "name": "plc__talk__some__noplc",
                "input": "signals/8k/talk.wav",
                "pattern_json": "g711_plc/patterns/some.json",
                "output": "g711_plc/output/plc__talk__some__noplc.wav",
                "command": "g711iplc -noplc -stats some.g192 talk.s16 plc__talk__some__noplc.s16"
            }
        ]
    });
    write_text(root, "manifest.json", &manifest.to_string());
    reference
}

#[test]
fn conformance_reports_every_vector_and_fails_on_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("conformance");
    let reference = fake_conformance_set(&root);
    for arg in [root.clone(), root.join("g711_plc")] {
        let o = voxline(&[&"plc", &"--conformance", &arg]);
        assert_ok(&o);
        let out = stdout(&o);
        assert!(out.contains("plc__talk__none"), "{out}");
        assert!(out.contains("plc__talk__some__noplc"), "{out}");
        assert!(out.contains("silence-insertion reference"), "{out}");
        assert!(out.contains("4 lost frames"), "{out}");
        assert!(
            out.contains("total: 2 vectors run, 2 passed, 0 failed"),
            "{out}"
        );
        assert!(!out.contains("FAIL"), "{out}");
    }

    // One sample off by 1 still passes; off by 2 fails with exit code 1.
    let mut samples = read_wav(&reference).to_i16();
    samples[1234] = samples[1234].saturating_add(1);
    write_wav(&reference, 8000, 1, &samples);
    assert_ok(&voxline(&[&"plc", &"--conformance", &root]));
    samples[1234] = samples[1234].saturating_add(1);
    write_wav(&reference, 8000, 1, &samples);
    let o = voxline(&[&"plc", &"--conformance", &root]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("1 of 2 PLC vectors differ"), "{err}");
    assert!(stdout(&o).contains("FAIL"), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 differing samples"), "{}", stdout(&o));

    // A missing vector file is skipped; none left is an error.
    fs::remove_file(&reference).unwrap();
    let o = voxline(&[&"plc", &"--conformance", &root]);
    assert_ok(&o);
    assert!(stdout(&o).contains("skipped (missing"), "{}", stdout(&o));
    fs::remove_file(root.join("signals/8k/talk.wav")).unwrap();
    let o = voxline(&[&"plc", &"--conformance", &root]);
    assert_bad_input(&o, "none of the 2 vectors", dir.path(), &["conformance"]);
}

#[test]
fn conformance_rejects_missing_or_malformed_sets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = voxline(&[&"plc", &"--conformance", &d.join("nowhere")]);
    assert_bad_input(&o, "no such directory", d, &[]);
    let o = voxline(&[&"plc", &"--conformance", &d]);
    assert_bad_input(&o, "no manifest.json", d, &[]);
    let bad = [
        ("{", "not valid JSON"),
        (r#"{"g722": []}"#, "no \"g711_plc\""),
        (r#"{"g711_plc": {}}"#, "not a list"),
        (r#"{"g711_plc": []}"#, "empty"),
        (
            r#"{"g711_plc": [{"name": "x", "input": "a.wav"}]}"#,
            "\"pattern_json\"",
        ),
    ];
    for (text, needle) in bad {
        write_text(d, "manifest.json", text);
        let o = voxline(&[&"plc", &"--conformance", &d]);
        assert_bad_input(&o, needle, d, &["manifest.json"]);
    }
    // --conformance takes nothing else.
    let o = voxline(&[&"plc", &"--conformance", &d, &"--mode", &"zero"]);
    assert_bad_input(&o, "takes no --mode", d, &["manifest.json"]);
}

#[test]
fn lookahead_interpolates_gaps_and_leaves_received_audio_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input_path = testdata(SPEECH_8K);
    let input = read_wav(&input_path).to_i16();
    let lost = [10usize, 11, 40, 90, 91, 92];
    let mask = write_text(d, "mask.json", &format!("{lost:?}"));
    let out = d.join("out.wav");
    let o = voxline(&[
        &"plc",
        &"--loss",
        &mask,
        &"--frame-ms",
        &"20",
        &"--lookahead",
        &input_path,
        &out,
    ]);
    assert_ok(&o);
    let got = read_wav(&out).to_i16();
    let f = flags(&lost, 2, input.len() / 80);
    assert_untouched_away_from_losses("lookahead", &input, &got, &f, 80);
    // The frame right after a gap is untouched too: the gap was joined to it, not merged.
    assert_eq!(got[24 * 80..25 * 80], input[24 * 80..25 * 80]);
    // And the gaps differ from plain extrapolation.
    let plain = d.join("plain.wav");
    assert_ok(&plc(&mask, "20", Some("voxline"), &input_path, &plain));
    assert_ne!(
        read_wav(&plain).to_i16()[20 * 80..22 * 80],
        got[20 * 80..22 * 80]
    );
    // --lookahead makes no sense with --conformance.
    let o = voxline(&[&"plc", &"--conformance", &d, &"--lookahead"]);
    assert_bad_input(&o, "--lookahead", d, &["mask.json", "out.wav", "plain.wav"]);
}
