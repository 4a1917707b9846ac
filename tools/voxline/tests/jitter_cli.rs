//! Integration tests of `voxline netsim`, `voxline jitter` and `voxline jitter-eval`: traces
//! for every profile, reproducibility, replay reports (playout order, counters), the heard
//! audio, and bad input failing with one line, exit code 2 and nothing written.

use serde_json::Value;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use voxline_netsim::{Profile, Trace};

mod common;
use common::{assert_bad_input, assert_ok, read_wav, stderr, stdout, testdata, voxline};

/// A minimal canonical 16-bit PCM WAV of `channels` x `frames` samples of silence.
fn silent_wav(channels: u16, rate: u32, frames: usize) -> Vec<u8> {
    let data = vec![0u8; frames * usize::from(channels) * 2];
    let block = channels * 2;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    v.extend_from_slice(&block.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&data);
    v
}

fn read_trace(path: &Path) -> Trace {
    Trace::from_json_reader(fs::File::open(path).unwrap()).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes a trace of `profile` with `netsim` and returns its path.
fn netsim(dir: &Path, profile: &str, seconds: &str, seed: &str) -> PathBuf {
    let path = dir.join(format!("{profile}-{seed}.json"));
    let o = voxline(&[
        &"netsim",
        &"--profile",
        &profile,
        &"--seconds",
        &seconds,
        &"--seed",
        &seed,
        &path,
    ]);
    assert_ok(&o);
    path
}

/// Checks a report's playout: strictly increasing times, each packet at most once; returns the
/// packets played.
#[track_caller]
fn check_playout(report: &Value) -> Vec<u64> {
    let playout = report["playout"].as_array().expect("playout array");
    let mut seen = HashSet::new();
    let mut last = f64::NEG_INFINITY;
    let mut seqs = Vec::new();
    for entry in playout {
        let pair = entry.as_array().expect("[seq, t_ms]");
        assert_eq!(pair.len(), 2, "{entry}");
        let seq = pair[0].as_u64().expect("seq");
        let t = pair[1].as_f64().expect("t_ms");
        assert!(t > last, "playout time {t} after {last} is not increasing");
        assert!(seen.insert(seq), "packet {seq} played twice");
        last = t;
        seqs.push(seq);
    }
    seqs
}

fn stat(report: &Value, name: &str) -> f64 {
    report["stats"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("stats.{name} missing: {}", report["stats"]))
}

#[test]
fn netsim_writes_a_valid_trace_for_every_profile() {
    let dir = tempfile::tempdir().unwrap();
    for name in Profile::NAMES {
        let path = dir.path().join(format!("{name}.json"));
        let o = voxline(&[&"netsim", &"--profile", &name, &"--seconds", &"5", &path]);
        assert_ok(&o);
        let trace = read_trace(&path);
        let stats = trace.stats();
        assert_eq!(stats.packets, 250, "{name}: 5 s of 20 ms packets");
        let out = stdout(&o);
        assert!(out.contains("250 packets"), "{name}: {out}");
        assert!(out.contains("oracle delay"), "{name}: {out}");
        assert_eq!(out.lines().count(), 1, "one paragraph: {out}");
    }
    // Other packet durations.
    for (ms, packets) in [("10", 500), ("30", 166)] {
        let path = dir.path().join(format!("good-{ms}.json"));
        let o = voxline(&[
            &"netsim",
            &"--profile",
            &"good",
            &"--seconds",
            &"5",
            &"--packet-ms",
            &ms,
            &path,
        ]);
        assert_ok(&o);
        assert_eq!(read_trace(&path).stats().packets, packets);
    }
}

#[test]
fn netsim_is_reproducible_from_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let a = fs::read(netsim(dir.path(), "mobile", "5", "7")).unwrap();
    let b_path = dir.path().join("again.json");
    assert_ok(&voxline(&[
        &"netsim",
        &"--profile",
        &"mobile",
        &"--seconds",
        &"5",
        &"--seed",
        &"7",
        &b_path,
    ]));
    assert_eq!(a, fs::read(&b_path).unwrap(), "same seed, same bytes");
    let c = fs::read(netsim(dir.path(), "mobile", "5", "8")).unwrap();
    assert_ne!(a, c, "another seed, another trace");
}

#[test]
fn jitter_replays_a_simulated_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace_path = netsim(dir.path(), "mobile", "10", "3");
    let trace = read_trace(&trace_path);
    let report_path = dir.path().join("report.json");
    let o = voxline(&[&"jitter", &"--trace", &trace_path, &"--out", &report_path]);
    assert_ok(&o);
    let out = stdout(&o);
    for needle in [
        "late loss",
        "packets_duplicated",
        "concealed_samples",
        "oracle",
    ] {
        assert!(out.contains(needle), "stdout lacks {needle}: {out}");
    }
    let report = read_json(&report_path);
    assert_eq!(report["packet_ms"], 20);
    let played = check_playout(&report);
    let stats = trace.stats();
    // Every packet played was sent; all but the lost and late ones are played.
    let sent: HashSet<u64> = trace.entries().iter().map(|e| e.seq).collect();
    assert!(played.iter().all(|s| sent.contains(s)));
    let late = stat(&report, "packets_late") + stat(&report, "packets_discarded");
    assert_eq!(
        played.len() as f64,
        stats.received as f64 - late,
        "played = received - late - discarded"
    );
    assert_eq!(stat(&report, "packets_received"), stats.received as f64);
    // Duplicates are counted (as duplicates, or as late when the original was already played).
    assert!(
        stats.duplicates > 0,
        "the mobile trace should duplicate some packets"
    );
    assert!(stat(&report, "packets_duplicated") > 0.0);
    assert!(stat(&report, "packets_duplicated") <= stats.duplicates as f64);
    let oracle = report["oracle_delay_ms"].as_f64().expect("oracle");
    assert!(oracle > 60.0, "mobile has a 60 ms base delay: {oracle}");
    let late_loss = report["late_loss"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&late_loss));
    assert!(report["mean_delay_ms"].as_f64().unwrap() > 60.0);
    for key in ["p95_delay_ms", "stretch_percent"] {
        assert!(report[key].as_f64().is_some(), "{key}");
    }
}

#[test]
fn jitter_replays_the_handmade_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace_path = testdata("traces/handmade.json");
    let trace = read_trace(&trace_path);
    let stats = trace.stats();
    assert_eq!((stats.packets, stats.lost, stats.duplicates), (40, 1, 2));
    assert!(stats.reordered >= 1);
    let report_path = dir.path().join("report.json");
    assert_ok(&voxline(&[
        &"jitter",
        &"--trace",
        &trace_path,
        &"--out",
        &report_path,
    ]));
    let report = read_json(&report_path);
    let played = check_playout(&report);
    // The sequence numbers wrap from 65535 to 0 without a resynchronisation.
    assert_eq!(stat(&report, "resyncs"), 0.0);
    assert!(played.contains(&65535) && played.contains(&0), "{played:?}");
    assert!(played.iter().all(|&s| s < 1 << 16));
    // The lost packet (65532) and the very late one (12) are not played; the two duplicates
    // and the late packet are counted.
    assert!(
        !played.contains(&65532) && !played.contains(&12),
        "{played:?}"
    );
    assert_eq!(stat(&report, "packets_duplicated"), 2.0);
    assert!(stat(&report, "packets_late") >= 1.0);
    assert_eq!(stat(&report, "packets_lost"), 1.0);
    assert_eq!(played.len(), 38);
    // The reordered packets (65528 after 65529, 65535 after 0) are played in sequence order.
    let pos = |s: u64| played.iter().position(|&p| p == s).unwrap();
    assert!(pos(65528) < pos(65529) && pos(65535) < pos(0));
}

#[test]
fn jitter_writes_what_the_listener_hears() {
    let dir = tempfile::tempdir().unwrap();
    let trace_path = netsim(dir.path(), "good", "6", "1");
    let heard = dir.path().join("heard.wav");
    let report_path = dir.path().join("report.json");
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &trace_path,
        &"--audio",
        &testdata("speech/jfk_inaugural.wav"),
        &heard,
        &"--out",
        &report_path,
    ]);
    assert_ok(&o);
    assert!(stdout(&o).contains("jfk_inaugural.wav"), "{}", stdout(&o));
    let audio = read_wav(&heard);
    assert_eq!((audio.sample_rate, audio.channels), (8000, 1));
    let secs = audio.duration_secs();
    assert!((6.0..6.5).contains(&secs), "heard {secs} s of a 6 s call");
    // Not silence: the speech came through.
    assert!(audio.to_i16().iter().any(|&x| x.unsigned_abs() > 1000));
    check_playout(&read_json(&report_path));

    // An 8 kHz input is used as it is; --frame-ms and the delay bounds are honoured.
    let trace_path = dir.path().join("good-10ms.json");
    assert_ok(&voxline(&[
        &"netsim",
        &"--profile",
        &"good",
        &"--seconds",
        &"5",
        &"--packet-ms",
        &"10",
        &trace_path,
    ]));
    let heard = dir.path().join("heard8k.wav");
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &trace_path,
        &"--frame-ms",
        &"10",
        &"--min-delay-ms",
        &"20",
        &"--max-delay-ms",
        &"400",
        &"--audio",
        &testdata("conformance/signals/8k/sp_de_m.wav"),
        &heard,
        &"--out",
        &report_path,
    ]);
    assert_ok(&o);
    assert!(stderr(&o).is_empty(), "no warning: {}", stderr(&o));
    let secs = read_wav(&heard).duration_secs();
    assert!((5.0..5.5).contains(&secs), "heard {secs} s of a 5 s call");
    let report = read_json(&report_path);
    assert_eq!(report["packet_ms"], 10);
    assert_eq!(report["jitter_config"]["max_delay_ms"], 400);
}

#[test]
fn jitter_eval_prints_a_markdown_table() {
    let o = voxline(&[&"jitter-eval", &"--seconds", &"5", &"--seeds", &"1"]);
    assert_ok(&o);
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 2 + Profile::NAMES.len(), "{out}");
    assert!(rows[0].contains("oracle ms") && rows[0].contains("time-stretch %"));
    for (row, name) in rows[2..].iter().zip(Profile::NAMES) {
        assert!(row.starts_with(&format!("| {name} |")), "{row}");
        assert_eq!(row.matches('|').count(), 8, "{row}");
    }
    let last = out.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("TARGET MET") || last.starts_with("TARGET MISSED: "),
        "{last}"
    );
}

#[test]
fn bad_netsim_arguments_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.json");
    let cases: [(&[&str], &str); 7] = [
        (&["--profile", "dialup"], "route-change"),
        (&["--profile", "good", "--seconds", "-5"], "--seconds"),
        (&["--profile", "good", "--seconds", "0"], "--seconds"),
        (&["--profile", "good", "--seconds", "NaN"], "--seconds"),
        (&["--profile", "good", "--seconds", "1e9"], "86400"),
        (&["--profile", "good", "--seconds", "0.001"], "one packet"),
        (&["--profile", "good", "--packet-ms", "25"], "10, 20 or 30"),
    ];
    for (args, needle) in cases {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"netsim"];
        all.extend(args.iter().map(|a| a as &dyn AsRef<std::ffi::OsStr>));
        all.push(&out);
        assert_bad_input(&voxline(&all), needle, dir.path(), &[]);
    }
    // An output directory that does not exist.
    let o = voxline(&[
        &"netsim",
        &"--profile",
        &"good",
        &"--seconds",
        &"5",
        &dir.path().join("nope/t.json"),
    ]);
    assert_bad_input(&o, "cannot write", dir.path(), &[]);
    // An output that is a directory.
    let o = voxline(&[&"netsim", &"--profile", &"good", &dir.path()]);
    assert_bad_input(&o, "directory", dir.path(), &[]);
}

#[test]
fn bad_jitter_inputs_fail_cleanly_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = netsim(d, "good", "5", "1");
    let write = |name: &str, text: &[u8]| {
        let p = d.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    let empty = write("empty.json", b"");
    let fields = write("fields.json", br#"[{"seq": 1}]"#);
    let garbage = write("garbage.json", b"this is not a trace\n");
    let no_packets = write("none.json", b"[]");
    let negative = write(
        "negative.json",
        br#"[{"seq": 1, "send_ms": -20, "arrival_ms": 5}]"#,
    );
    let stereo = write("stereo.wav", &silent_wav(2, 8000, 800));
    let keep = [
        "good-1.json",
        "empty.json",
        "fields.json",
        "garbage.json",
        "none.json",
        "negative.json",
        "stereo.wav",
    ];
    let report = d.join("report.json");
    let heard = d.join("heard.wav");
    let speech = testdata("speech/jfk_inaugural.wav");

    let cases: [(&Path, &str); 6] = [
        (&d.join("missing.json"), "cannot read"),
        (&empty, "empty.json"),
        (&fields, "missing field"),
        (&garbage, "malformed"),
        (&no_packets, "no packets"),
        (&negative, "send_ms"),
    ];
    for (trace, needle) in cases {
        // With both outputs requested: neither may appear.
        let o = voxline(&[
            &"jitter", &"--trace", &trace, &"--out", &report, &"--audio", &speech, &heard,
        ]);
        assert_bad_input(&o, needle, d, &keep);
    }
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &good,
        &"--frame-ms",
        &"25",
        &"--out",
        &report,
    ]);
    assert_bad_input(&o, "10, 20 or 30", d, &keep);
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &good,
        &"--min-delay-ms",
        &"500",
        &"--max-delay-ms",
        &"100",
        &"--out",
        &report,
    ]);
    assert_bad_input(&o, "min_delay_ms", d, &keep);
    // Unwritable outputs: a missing directory for either one leaves the other unwritten.
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &good,
        &"--out",
        &d.join("nope/report.json"),
        &"--audio",
        &speech,
        &heard,
    ]);
    assert_bad_input(&o, "cannot write", d, &keep);
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &good,
        &"--out",
        &report,
        &"--audio",
        &speech,
        &d.join("nope/heard.wav"),
    ]);
    assert_bad_input(&o, "cannot write", d, &keep);
    // Bad speech input: missing, stereo, not a WAV output name.
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &good,
        &"--out",
        &report,
        &"--audio",
        &d.join("missing.wav"),
        &heard,
    ]);
    assert_bad_input(&o, "cannot read", d, &keep);
    let o = voxline(&[
        &"jitter", &"--trace", &good, &"--out", &report, &"--audio", &stereo, &heard,
    ]);
    assert_bad_input(&o, "mono", d, &keep);
    let o = voxline(&[
        &"jitter",
        &"--trace",
        &good,
        &"--audio",
        &speech,
        &d.join("heard.txt"),
    ]);
    assert_bad_input(&o, ".wav", d, &keep);
}

#[test]
fn bad_jitter_eval_arguments_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (["--seconds", "-5"], "--seconds"),
        (["--seeds", "0"], "--seeds"),
        (["--packet-ms", "25"], "10, 20 or 30"),
    ] {
        let o = voxline(&[&"jitter-eval", &args[0], &args[1]]);
        assert_bad_input(&o, needle, dir.path(), &[]);
    }
}
