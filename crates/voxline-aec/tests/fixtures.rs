//! Quality regression of the echo canceller on the committed fixtures in `testdata/aec`
//! (made by `tools/eval/aec_signals.py` from real speech and image-method rooms; see that
//! folder's README). Each test runs the canceller over one situation the issue names and
//! asserts the echo reduction (or near-end preservation) it measures, with a margin below what
//! the canceller achieves today, so a change that weakens it fails here. The fixtures are 5 to
//! 9 s long, so much of each is convergence: the floors are lower than the targets,
//! which `tools/eval/aec_eval.py` measures on 30 s scenarios.

mod common;

use common::*;
use serde_json::Value;

/// One fixture: signals, rate and labels.
struct Fixture {
    far: Vec<f32>,
    mic: Vec<f32>,
    near: Vec<f32>,
    rate: u32,
    labels: Value,
}

fn fixture(name: &str) -> Fixture {
    let dir = format!("aec/{name}");
    let (far, rate) = load(&format!("{dir}/far.wav"));
    let (mic, _) = load(&format!("{dir}/mic.wav"));
    let present = |f: &str| testdata(&format!("{dir}/{f}")).exists();
    let near = if present("near.wav") {
        load(&format!("{dir}/near.wav")).0
    } else {
        vec![0.0; mic.len()]
    };
    let text = std::fs::read_to_string(testdata(&format!("{dir}/labels.json"))).unwrap();
    let labels = serde_json::from_str(&text).unwrap();
    Fixture {
        far,
        mic,
        near,
        rate,
        labels,
    }
}

impl Fixture {
    /// Per-10-ms-frame activity flags of `what` ("echo", "near", "far").
    fn activity(&self, what: &str) -> Vec<bool> {
        self.labels["activity"][what]
            .as_str()
            .unwrap()
            .chars()
            .map(|c| c == '1')
            .collect()
    }

    fn run(&self) -> Vec<f32> {
        run(config(self.rate), &self.far, &self.mic).0
    }

    /// Echo reduction (dB, microphone over output energy) of each 100 ms window in
    /// `[from_s, to_s)` whose frames all have echo and no near-end speech.
    fn erle_windows(&self, out: &[f32], from_s: f32, to_s: f32) -> Vec<f32> {
        let echo = self.activity("echo");
        let near = self.activity("near");
        let frame = self.rate as usize / 100;
        let mut v = Vec::new();
        let first = (from_s * 10.0) as usize;
        let last = ((to_s * 10.0) as usize).min(out.len() / (10 * frame));
        for w in first..last {
            let frames = w * 10..w * 10 + 10;
            if !frames
                .clone()
                .all(|f| echo.get(f) == Some(&true) && near.get(f) != Some(&true))
            {
                continue;
            }
            let r = w * 10 * frame..(w + 1) * 10 * frame;
            let m: f32 = self.mic[r.clone()].iter().map(|x| x * x).sum();
            let o: f32 = out[r].iter().map(|x| x * x).sum();
            v.push(10.0 * ((m + 1e-9) / (o + 1e-9)).log10());
        }
        v
    }
}

fn median(mut v: Vec<f32>) -> f32 {
    assert!(!v.is_empty(), "no far-only windows in range");
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// No 100 ms window of the output is more than 1 dB louder than the microphone.
fn assert_never_amplifies(mic: &[f32], out: &[f32], rate: u32) {
    let w = rate as usize / 10;
    for k in 0..out.len() / w {
        let r = k * w..(k + 1) * w;
        let m: f32 = mic[r.clone()].iter().map(|x| x * x).sum();
        let o: f32 = out[r].iter().map(|x| x * x).sum();
        assert!(
            o <= m * 1.26 + 1e-7,
            "window {k}: output {:.1} dB above the microphone",
            10.0 * (o / m.max(1e-12)).log10()
        );
    }
}

fn check_median(name: &str, from_s: f32, to_s: f32, floor_db: f32) -> f32 {
    let f = fixture(name);
    let out = f.run();
    assert_never_amplifies(&f.mic, &out, f.rate);
    let got = median(f.erle_windows(&out, from_s, to_s));
    println!("{name}: median echo reduction {got:.1} dB over {from_s}..{to_s} s");
    assert!(
        got >= floor_db,
        "{name}: median echo reduction {got:.1} dB < {floor_db} dB"
    );
    got
}

#[test]
fn linear_echo_16k() {
    check_median("linear", 1.5, 5.0, 30.0);
}

#[test]
fn linear_echo_8k() {
    check_median("linear_8k", 1.5, 5.0, 30.0);
}

#[test]
fn bulk_delay_300_ms_is_found_and_cancelled() {
    let f = fixture("delay300");
    let (out, stats) = run(config(f.rate), &f.far, &f.mic);
    let delay = stats.last().unwrap().delay_ms.expect("delay found");
    assert!((delay - 300.0).abs() < 8.0, "delay estimate {delay} ms");
    let got = median(f.erle_windows(&out, 1.5, 5.0));
    println!("delay300: {got:.1} dB, delay {delay} ms");
    assert!(got >= 27.0, "delay300: {got:.1} dB");
}

#[test]
fn delay_jump_relocks_within_a_second() {
    let f = fixture("delay_jump");
    let jump = f.labels["delay_jump_sample"].as_u64().unwrap() as usize;
    let (out, stats) = run(config(f.rate), &f.far, &f.mic);
    let frame = f.rate as usize / 100;
    let jump_frame = jump / frame;
    let before = stats[jump_frame - 1].delay_ms.unwrap();
    assert!(
        (before - 100.0).abs() < 8.0,
        "delay before the jump {before}"
    );
    // Within 1 s of the jump the estimate is at the new delay.
    let after = stats[jump_frame + 100].delay_ms.unwrap();
    assert!(
        (after - 300.0).abs() < 8.0,
        "delay 1 s after the jump {after}"
    );
    let jump_s = jump as f32 / f.rate as f32;
    let got = median(f.erle_windows(&out, jump_s + 1.0, jump_s + 5.0));
    println!("delay_jump: {got:.1} dB in the 1..5 s after the jump");
    assert!(got >= 35.0, "after the jump: {got:.1} dB");
}

#[test]
fn clock_drift_500_ppm_stays_cancelled() {
    let f = fixture("drift");
    let (out, stats) = run(config(f.rate), &f.far, &f.mic);
    let got = median(f.erle_windows(&out, 2.0, 6.0));
    let drift = stats.last().unwrap().drift_ppm;
    println!("drift: {got:.1} dB, drift estimate {drift:.0} ppm");
    assert!(got >= 28.0, "drift: {got:.1} dB");
    assert!(
        (drift - 500.0).abs() < 150.0,
        "drift estimate {drift:.0} ppm"
    );
}

/// Someone moves: the echo path switches to a second room geometry. The change must be
/// detected (the foreground filter stops cancelling while the background one learns the new
/// path) and the echo cancelled again from 1 s after it: the suppressor falls back to its
/// start-up echo model until the filters have re-learnt the path.
fn check_path_change(name: &str, floor_db: f32) {
    let f = fixture(name);
    let change = f.labels["path_change_sample"].as_u64().unwrap() as f32 / f.rate as f32;
    let (out, stats) = run(config(f.rate), &f.far, &f.mic);
    assert_never_amplifies(&f.mic, &out, f.rate);
    let before = median(f.erle_windows(&out, change - 2.0, change));
    let second = median(f.erle_windows(&out, change + 1.0, change + 2.0));
    let after = median(f.erle_windows(&out, change + 1.0, change + 4.0));
    let change_frame = (change * 100.0) as usize;
    let detected_before = stats[change_frame - 1].echo_path_changes;
    let detected = stats.last().unwrap().echo_path_changes - detected_before;
    println!(
        "{name}: {before:.1} dB before, {second:.1} dB 1..2 s after, {after:.1} dB 1..4 s after; \
         changes detected: {detected_before} before, {detected} after"
    );
    assert_eq!(
        detected_before, 0,
        "{name}: an echo path change detected before it happened"
    );
    assert!(
        detected >= 1,
        "{name}: the echo path change was not detected"
    );
    assert!(
        second >= floor_db,
        "{name}: 1..2 s after the change: {second:.1} dB"
    );
    assert!(
        after >= floor_db,
        "{name}: 1..4 s after the change: {after:.1} dB"
    );
}

#[test]
fn echo_path_change_reconverges_within_a_second() {
    check_path_change("path_change", 30.0);
}

#[test]
fn echo_path_change_reconverges_within_a_second_8k() {
    check_path_change("path_change_8k", 30.0);
}

#[test]
fn clipped_loudspeaker_echo_is_suppressed() {
    check_median("clipping", 1.5, 5.0, 21.0);
}

/// Segmental SNR (dB) of `x` against the clean near-end signal over the double-talk frames.
fn near_end_snr(f: &Fixture, x: &[f32]) -> f32 {
    let echo = f.activity("echo");
    let near = f.activity("near");
    let frame = f.rate as usize / 100;
    let mut sum = 0.0;
    let mut n = 0;
    for k in 0..x.len() / frame {
        if !(echo.get(k) == Some(&true) && near.get(k) == Some(&true)) {
            continue;
        }
        let r = k * frame..(k + 1) * frame;
        let s: f32 = f.near[r.clone()].iter().map(|v| v * v).sum();
        let e: f32 = f.near[r.clone()]
            .iter()
            .zip(&x[r])
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        sum += (10.0 * (s / (e + 1e-12)).log10()).clamp(-10.0, 35.0);
        n += 1;
    }
    assert!(n > 50, "too few double-talk frames");
    sum / n as f32
}

fn check_double_talk(name: &str, min_gain_db: f32, after_floor_db: f32) {
    let f = fixture(name);
    let (out, stats) = run(config(f.rate), &f.far, &f.mic);
    assert_never_amplifies(&f.mic, &out, f.rate);
    // Double talk is not mistaken for an echo path change (which would bring back the
    // start-up suppression while the near end talks).
    let frame = f.rate as usize / 100;
    for r in f.labels["stretches"]["double_talk"].as_array().unwrap() {
        let (a, b) = (
            r[0].as_u64().unwrap() as usize / frame,
            r[1].as_u64().unwrap() as usize / frame,
        );
        assert_eq!(
            stats[b.min(stats.len() - 1)].echo_path_changes,
            stats[a.saturating_sub(1)].echo_path_changes,
            "{name}: an echo path change detected in double talk"
        );
    }
    let mic = near_end_snr(&f, &f.mic);
    let got = near_end_snr(&f, &out);
    println!("{name}: near-end segmental SNR {got:.1} dB (microphone {mic:.1} dB)");
    assert!(
        got >= mic + min_gain_db,
        "{name}: near-end SNR {got:.1} dB, microphone {mic:.1} dB"
    );
    // The filter does not diverge: echo after the double talk is cancelled again.
    let end = f.mic.len() as f32 / f.rate as f32;
    let near_end_s = f.labels["stretches"]["double_talk"]
        .as_array()
        .and_then(|a| a.last())
        .and_then(|r| r[1].as_u64())
        .unwrap() as f32
        / f.rate as f32;
    let after = f.erle_windows(&out, near_end_s + 0.2, end);
    if !after.is_empty() {
        let m = median(after);
        println!("{name}: {m:.1} dB after the double talk");
        assert!(
            m >= after_floor_db,
            "{name}: echo reduction after double talk {m:.1} dB"
        );
    }
}

#[test]
fn double_talk_keeps_the_near_end_16k() {
    check_double_talk("double_talk", 4.0, 25.0);
}

#[test]
fn double_talk_keeps_the_near_end_8k() {
    // The 8 kHz fixture has only 1.5 s after its double talk, part of it quiet: its median
    // there sits near 19 dB (the 30 s evaluation measures the recovery properly).
    check_double_talk("double_talk_8k", 6.5, 16.0);
}

#[test]
fn near_end_alone_passes_untouched() {
    let f = fixture("near_only");
    let out = f.run();
    let n = out.len();
    let err: f32 = out
        .iter()
        .zip(&f.mic[..n])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(
        err < 1e-6,
        "near-end-only output differs from the input by {err}"
    );
}
