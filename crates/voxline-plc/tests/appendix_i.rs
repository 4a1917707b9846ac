//! G.711 Appendix I concealment ([`PlcMode::AppendixI`]).
//!
//! * Conformance: every `g711_plc` vector of `testdata/conformance/manifest.json` (ITU-T STL
//!   `g711iplc`, see `testdata/conformance/README.md`, section 4) is run through the public
//!   [`conceal_recording`] path and compared sample by sample with the reference output.
//! * Behaviour at 16 and 48 kHz, where there is no reference: pitch continuation, the 20 % per
//!   10 ms attenuation, muting after 60 ms, loss before any history, 1 s bursts, pass-through.
//!
//! `cargo test -p voxline-plc --test appendix_i -- --nocapture` prints one line per vector.

use std::path::PathBuf;

use voxline_core::{Latency, SampleRate};
use voxline_plc::{conceal_recording, PacketLossConcealer, PlcMode};

// ---------------------------------------------------------------------------------------------
// Conformance (8 kHz)
// ---------------------------------------------------------------------------------------------

/// Path of a file under `testdata/conformance/`.
fn conformance(relative: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/conformance"
    ))
    .join(relative)
}

fn read_wav(relative: &str) -> voxline_wav::Audio {
    let path = conformance(relative);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    voxline_wav::read_audio(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_json(relative: &str) -> serde_json::Value {
    let path = conformance(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lost-frame flags of a pattern JSON (`lost_frames`, `num_frames`).
fn lost_flags(pattern: &serde_json::Value) -> Vec<bool> {
    let frames = pattern["num_frames"].as_u64().expect("num_frames") as usize;
    let mut lost = vec![false; frames];
    for k in pattern["lost_frames"].as_array().expect("lost_frames") {
        lost[k.as_u64().expect("frame index") as usize] = true;
    }
    lost
}

fn to_i16(samples: &[f32]) -> Vec<i16> {
    samples.iter().map(|&x| (x * 32768.0) as i16).collect()
}

/// Differing samples and the largest absolute difference.
fn compare(ours: &[i16], reference: &[i16]) -> (usize, i32) {
    assert_eq!(ours.len(), reference.len());
    ours.iter()
        .zip(reference)
        .fold((0, 0), |(n, max), (&a, &b)| {
            let d = (i32::from(a) - i32::from(b)).abs();
            (n + usize::from(d != 0), max.max(d))
        })
}

#[test]
fn conformance_vectors_g711iplc() {
    let manifest = read_json("manifest.json");
    let vectors = manifest["g711_plc"].as_array().expect("g711_plc vectors");
    assert_eq!(vectors.len(), 14);
    let (mut plc_checked, mut noplc_checked, mut failures) = (0, 0, Vec::new());
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let input = read_wav(v["input"].as_str().unwrap());
        assert_eq!(input.sample_rate, 8000, "{name}");
        let lost = lost_flags(&read_json(v["pattern_json"].as_str().unwrap()));
        let reference = read_wav(v["output"].as_str().unwrap()).to_i16();
        let samples = input.to_f32();
        assert_eq!(
            samples.len(),
            v["samples"].as_u64().unwrap() as usize,
            "{name}"
        );
        assert_eq!(
            lost.iter().filter(|&&l| l).count() as u64,
            v["lost_frames"].as_u64().unwrap()
        );

        // `g711iplc -noplc`: lost frames zeroed and delayed like the others, no overlap-add.
        // Once the delay is removed that is exactly silence insertion, i.e. `PlcMode::Zero`
        // (checked here so the alignment of the reference is checked too).
        let noplc = v["command"].as_str().unwrap().contains("-noplc");
        let mode = if noplc {
            PlcMode::Zero
        } else {
            PlcMode::AppendixI
        };
        let ours = to_i16(&conceal_recording(SampleRate::Hz8000, mode, &samples, &lost).unwrap());
        let (differing, max_diff) = compare(&ours, &reference);
        println!(
            "{name:<45} {:<10} lost {:>3}  differing samples {differing:>5}  max |diff| {max_diff}",
            mode.name(),
            v["lost_frames"].as_u64().unwrap()
        );
        if noplc {
            noplc_checked += 1;
        } else {
            plc_checked += 1;
        }
        if differing != 0 {
            failures.push(format!(
                "{name}: {differing} samples differ, max {max_diff}"
            ));
        }
    }
    assert_eq!((plc_checked, noplc_checked), (13, 1));
    assert!(
        failures.is_empty(),
        "not bit-exact:\n{}",
        failures.join("\n")
    );
}

#[test]
fn latency_is_poverlapmax_scaled() {
    for (rate, latency) in [
        (SampleRate::Hz8000, 30),
        (SampleRate::Hz16000, 60),
        (SampleRate::Hz32000, 120),
        (SampleRate::Hz48000, 180),
    ] {
        let plc = PacketLossConcealer::new(rate, PlcMode::AppendixI).unwrap();
        assert_eq!(plc.latency_samples(), latency, "{rate}");
    }
}

// ---------------------------------------------------------------------------------------------
// Behaviour at 16 and 48 kHz
// ---------------------------------------------------------------------------------------------

const RATES: [SampleRate; 2] = [SampleRate::Hz16000, SampleRate::Hz48000];

/// Tolerance of the behaviour checks: a few 16-bit steps (truncations in the algorithm).
const LSB: f32 = 1.0 / 32768.0;

/// An exactly periodic signal (period `period` samples) with three harmonics, quantised to
/// 16 bits so that every period is identical.
fn periodic(len: usize, period: usize) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let ph = 2.0 * std::f64::consts::PI * (n % period) as f64 / period as f64;
            let x = 0.30 * ph.sin() + 0.15 * (2.0 * ph + 1.0).sin() + 0.08 * (3.0 * ph + 2.0).sin();
            (x * 32768.0).round() as f32 / 32768.0
        })
        .collect()
}

/// A deterministic noise-like signal (LCG), 16-bit quantised.
fn noise(len: usize, seed: u32) -> Vec<f32> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            f32::from((s >> 16) as i16 / 4) / 32768.0
        })
        .collect()
}

fn frame_len(rate: SampleRate) -> usize {
    rate.samples_per_10ms()
}

/// Loss flags for `frames` frames with `lost` frames lost from frame `start`.
fn burst(frames: usize, start: usize, lost: usize) -> Vec<bool> {
    (0..frames)
        .map(|k| k >= start && k < start + lost)
        .collect()
}

fn run(rate: SampleRate, input: &[f32], lost: &[bool]) -> Vec<f32> {
    let out = conceal_recording(rate, PlcMode::AppendixI, input, lost).unwrap();
    assert_eq!(out.len(), input.len());
    out
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn periodic_input_keeps_its_pitch_and_phase_during_concealment() {
    for rate in RATES {
        let n = frame_len(rate);
        let k = n / 80;
        // 8 ms (125 Hz) and 5.5 ms (182 Hz) periods, inside the 5..15 ms pitch range.
        for period in [64 * k, 44 * k] {
            let input = periodic(40 * n, period);
            let start = 20;
            let out = run(rate, &input, &burst(40, start, 1));
            let out3 = run(rate, &input, &burst(40, start, 3));
            let lost = &out[start * n..(start + 1) * n];
            let orig = &input[start * n..(start + 1) * n];
            // The first lost frame is the periodic continuation, unattenuated.
            let err = max_abs_diff(lost, orig);
            assert!(err <= 2.0 * LSB, "{rate} period {period}: error {err}");
            // The strongest normalised autocorrelation lag of the concealed frames (3 lost
            // frames, attenuated from the 2nd) within the 5..15 ms range is the period (or, for
            // short periods, a multiple of it).
            let s = &out3[start * n..(start + 3) * n];
            let ncorr = |lag: usize| -> f64 {
                let (a, b) = (&s[lag..], &s[..s.len() - lag]);
                let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum();
                let ea: f64 = a.iter().map(|x| f64::from(x * x)).sum();
                let eb: f64 = b.iter().map(|x| f64::from(x * x)).sum();
                dot / (ea * eb).sqrt()
            };
            let best = (40 * k..=120 * k)
                .max_by(|&a, &b| ncorr(a).total_cmp(&ncorr(b)))
                .unwrap();
            assert_eq!(best % period, 0, "{rate} period {period}: best lag {best}");
            assert!(
                ncorr(period) > 0.99,
                "{rate} period {period}: {}",
                ncorr(period)
            );
            // Frames away from the loss pass through unchanged.
            assert_eq!(&out[..(start - 1) * n], &input[..(start - 1) * n]);
            assert_eq!(&out[(start + 2) * n..], &input[(start + 2) * n..]);
        }
    }
}

#[test]
fn attenuation_is_20_percent_per_10ms_from_the_second_lost_frame() {
    for rate in RATES {
        let n = frame_len(rate);
        let k = n / 80;
        let period = 64 * k;
        let input = periodic(40 * n, period);
        let start = 20;
        let out = run(rate, &input, &burst(40, start, 8));
        for m in 0..6 {
            let f = (start + m) * n;
            for i in 0..n {
                // Gain 1 in the first lost frame, then a linear ramp from 1 − 0.2·(m−1).
                let g = if m == 0 {
                    1.0
                } else {
                    1.0 - 0.2 * (m as f32 - 1.0) - 0.2 * i as f32 / n as f32
                };
                let want = input[f + i] * g.max(0.0);
                let got = out[f + i];
                assert!(
                    (got - want).abs() <= 3.0 * LSB,
                    "{rate} lost frame {m} sample {i}: {got} vs {want}"
                );
            }
        }
    }
}

#[test]
fn output_is_silent_after_60_ms_of_loss() {
    for rate in RATES {
        let n = frame_len(rate);
        for input in [periodic(60 * n, 72 * (n / 80)), noise(60 * n, 7)] {
            let start = 20;
            let out = run(rate, &input, &burst(60, start, 15));
            // 6th lost frame ends near zero; 7th to 15th lost frames are exact zeros.
            let end6 = &out[(start + 6) * n - n / 20..(start + 6) * n];
            assert!(end6.iter().all(|x| x.abs() <= 0.01), "{rate}");
            assert!(
                out[(start + 6) * n..(start + 15) * n]
                    .iter()
                    .all(|&x| x == 0.0),
                "{rate}"
            );
            // The first good frame fades in; the next ones are the input again.
            let first_good = &out[(start + 15) * n..(start + 16) * n];
            for (i, (o, x)) in first_good
                .iter()
                .zip(&input[(start + 15) * n..])
                .enumerate()
            {
                let w = (i + 1) as f32 / n as f32;
                assert!((o - x * w).abs() <= 2.0 * LSB, "{rate} fade-in sample {i}");
            }
            assert_eq!(&out[(start + 16) * n..], &input[(start + 16) * n..]);
        }
    }
}

#[test]
fn loss_at_the_very_start_is_silence_without_panic() {
    for rate in [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000] {
        let n = frame_len(rate);
        let input = noise(30 * n, 3);
        let out = run(rate, &input, &burst(30, 0, 3));
        // No history yet: the concealment of the first three frames is digital silence.
        assert!(out[..3 * n].iter().all(|&x| x == 0.0), "{rate}");
        // From the second good frame on, the input passes through unchanged.
        assert_eq!(&out[4 * n..], &input[4 * n..], "{rate}");
        // Also through the streaming API, one frame at a time, including at the very end.
        let mut plc = PacketLossConcealer::new(rate, PlcMode::AppendixI).unwrap();
        let mut frame = vec![1.0f32; n];
        for _ in 0..5 {
            plc.conceal(&mut frame).unwrap();
            assert!(frame.iter().all(|&x| x == 0.0));
        }
        assert_eq!(plc.flush(&mut frame).unwrap(), 30 * n / 80);
    }
}

#[test]
fn one_second_bursts() {
    for rate in RATES {
        let n = frame_len(rate);
        let frames = 450;
        let mut input = periodic(frames * n, 60 * (n / 80));
        for (x, y) in input.iter_mut().zip(noise(frames * n, 11)) {
            *x = (*x * 0.5 + y * 0.5 * 32768.0).round() / 32768.0;
        }
        let lost: Vec<bool> = (0..frames)
            .map(|k| (50..150).contains(&k) || (250..350).contains(&k))
            .collect();
        let out = run(rate, &input, &lost);
        assert!(out.iter().all(|x| x.is_finite() && (-1.0..1.0).contains(x)));
        for s in [50, 250] {
            assert!(
                out[(s + 6) * n..(s + 100) * n].iter().all(|&x| x == 0.0),
                "{rate}"
            );
            assert_eq!(
                &out[(s + 101) * n..(s + 150) * n],
                &input[(s + 101) * n..(s + 150) * n]
            );
        }
        assert_eq!(&out[..49 * n], &input[..49 * n]);
    }
}

#[test]
fn alternating_and_back_to_back_losses_stay_bounded() {
    for rate in [
        SampleRate::Hz8000,
        SampleRate::Hz16000,
        SampleRate::Hz32000,
        SampleRate::Hz48000,
    ] {
        let n = frame_len(rate);
        let input = noise(200 * n, 5);
        let lost: Vec<bool> = (0..200)
            .map(|k| k % 2 == 1 || (100..104).contains(&k))
            .collect();
        let out = run(rate, &input, &lost);
        let peak_in = input.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(out.iter().all(|x| x.abs() <= peak_in + LSB), "{rate}");
        // Full-scale input is clipped, not wrapped.
        let loud: Vec<f32> = input
            .iter()
            .map(|&x| if x >= 0.0 { 0.999_969_5 } else { -1.0 })
            .collect();
        let out = run(rate, &loud, &lost);
        assert!(out.iter().all(|x| (-1.0..1.0).contains(x)), "{rate}");
    }
}

#[test]
fn non_finite_and_out_of_range_input_is_sanitised() {
    let rate = SampleRate::Hz16000;
    let n = frame_len(rate);
    let mut input = noise(20 * n, 9);
    input[3 * n + 5] = f32::NAN;
    input[4 * n + 1] = f32::INFINITY;
    input[4 * n + 2] = -7.0;
    let out = run(rate, &input, &burst(20, 5, 2));
    assert!(out.iter().all(|x| x.is_finite() && (-1.0..1.0).contains(x)));
    assert_eq!(out[3 * n + 5], 0.0);
    assert_eq!(out[4 * n + 1], 32767.0 / 32768.0);
    assert_eq!(out[4 * n + 2], -1.0);
}
