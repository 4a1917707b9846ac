//! Behaviour of voxline's own concealer (the default mode) and the baselines: continuity at
//! every boundary, pitch kept, level schedule and comfort-noise fade, all rates, long bursts,
//! loss before any history, and an objective quality floor on committed speech.

use std::path::Path;
use voxline_core::{Latency, SampleRate};
use voxline_plc::{conceal_recording, PacketLossConcealer, PlcMode};

const RATES: [SampleRate; 4] = [
    SampleRate::Hz8000,
    SampleRate::Hz16000,
    SampleRate::Hz32000,
    SampleRate::Hz48000,
];

/// A voiced-speech-like tone: 140 Hz with decaying harmonics up to 3.5 kHz.
fn voiced(rate: SampleRate, n: usize) -> Vec<f32> {
    let fs = rate.hz() as f32;
    (0..n)
        .map(|i| {
            let t = i as f32 / fs;
            let mut v = 0.0;
            let mut h = 1;
            while h as f32 * 140.0 < 3500.0 {
                v += (2.0 * std::f32::consts::PI * 140.0 * h as f32 * t + 0.3 * h as f32).sin()
                    / h as f32;
                h += 1;
            }
            0.25 * v
        })
        .collect()
}

fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

/// Fundamental period by autocorrelation peak (lags 2.5..15 ms).
fn period_of(x: &[f32], rate: SampleRate) -> usize {
    let per_ms = rate.hz() as usize / 1000;
    let (lo, hi) = (per_ms * 5 / 2, per_ms * 15);
    let n = x.len() - hi;
    (lo..=hi)
        .map(|lag| (lag, (0..n).map(|i| x[i] * x[i + lag]).sum::<f32>()))
        .fold((lo, f32::MIN), |a, b| if b.1 > a.1 { b } else { a })
        .0
}

#[test]
fn continuity_and_pitch_on_a_voiced_tone_at_every_rate() {
    for rate in RATES {
        let n = rate.samples_per_10ms();
        let x = voiced(rate, 100 * n);
        let mut lost = vec![false; 100];
        for k in [20, 21, 40, 41, 42, 43, 60] {
            lost[k] = true;
        }
        let y = conceal_recording(rate, PlcMode::Voxline, &x, &lost).unwrap();
        assert_eq!(y.len(), x.len());
        let bound = 1.5 * max_step(&x);
        // No click at any boundary into or out of a loss.
        for k in 1..100 {
            if lost[k] != lost[k - 1] {
                let s = max_step(&y[k * n - 8..k * n + 8]);
                assert!(
                    s <= bound,
                    "{rate:?} boundary at frame {k}: step {s} > {bound}"
                );
            }
        }
        assert!(max_step(&y) <= bound, "{rate:?}");
        // Pitch is kept in the concealed 40 ms.
        let concealed = &y[40 * n..44 * n];
        let p = period_of(concealed, rate);
        let truth = rate.hz() as f32 / 140.0;
        assert!(
            (p as f32 - truth).abs() <= truth * 0.02 + 1.0,
            "{rate:?}: period {p} vs {truth}"
        );
        // Frames away from a loss are untouched (no delay in this mode).
        assert_eq!(&y[..20 * n], &x[..20 * n]);
        assert_eq!(&y[30 * n..40 * n], &x[30 * n..40 * n]);
        let plc = PacketLossConcealer::new(rate, PlcMode::Voxline).unwrap();
        assert_eq!(plc.latency_samples(), 0);
    }
}

#[test]
fn level_falls_then_becomes_background_comfort_noise() {
    let rate = SampleRate::Hz16000;
    let n = rate.samples_per_10ms();
    // Background noise at -50 dBFS, a 1 s tone over it, then a 1 s loss.
    let mut state = 1u32;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32 * 2.0 - 1.0) * 0.0031 * 1.732
    };
    let mut x: Vec<f32> = (0..200 * n).map(|_| noise()).collect();
    for (v, t) in x[100 * n..200 * n].iter_mut().zip(voiced(rate, 100 * n)) {
        *v += t;
    }
    x.extend((0..100 * n).map(|_| noise()));
    let lost: Vec<bool> = (0..300).map(|k| k >= 200).collect();
    let y = conceal_recording(rate, PlcMode::Voxline, &x, &lost).unwrap();
    let rms = |s: &[f32]| (s.iter().map(|v| v * v).sum::<f32>() / s.len() as f32).sqrt();
    let db = |a: f32, b: f32| 20.0 * (a / b).log10();
    let speech = rms(&x[190 * n..200 * n]);
    // First 10 ms: close to the speech level; by 20 ms down by the 30 %/10 ms schedule.
    let first = rms(&y[200 * n..201 * n]);
    assert!(
        db(first, speech).abs() < 3.0,
        "first frame {:.1} dB",
        db(first, speech)
    );
    let third = rms(&y[202 * n..203 * n]);
    assert!(third < first, "level must fall");
    // After 200 ms: no speech left, comfort noise at the background level (+-4 dB), not silence.
    let late = rms(&y[230 * n..300 * n]);
    let background = rms(&x[..100 * n]);
    assert!(
        db(late, background).abs() < 4.0,
        "comfort noise {:.1} dB from background",
        db(late, background)
    );
    // And no tonal residue: the tone's period is gone from the late part.
    let tone = voiced(rate, 70 * n);
    let corr: f32 = y[230 * n..300 * n]
        .iter()
        .zip(&tone)
        .map(|(a, b)| a * b)
        .sum::<f32>()
        / (rms(&y[230 * n..300 * n]) * rms(&tone) * (70 * n) as f32);
    assert!(corr.abs() < 0.2, "tone still there: {corr}");
}

#[test]
fn loss_before_any_history_and_long_bursts_are_sane() {
    for rate in RATES {
        let n = rate.samples_per_10ms();
        let x = voiced(rate, 300 * n);
        // Lost from the very first frame for 50 ms, and a 1 s burst later.
        let lost: Vec<bool> = (0..300).map(|k| k < 5 || (100..200).contains(&k)).collect();
        for mode in PlcMode::ALL {
            let y = conceal_recording(rate, mode, &x, &lost).unwrap();
            assert!(
                y.iter().all(|v| v.is_finite() && v.abs() <= 1.0),
                "{rate:?} {mode}"
            );
            // Nothing to extrapolate from: the start is (near) silent.
            let start_peak = y[..5 * n - 30 * rate.hz() as usize / 8000]
                .iter()
                .fold(0.0f32, |a, v| a.max(v.abs()));
            if mode != PlcMode::Repeat {
                assert!(start_peak < 1e-3, "{rate:?} {mode}: {start_peak}");
            }
            // Audio resumes after the burst.
            let after = &y[210 * n..220 * n];
            let err: f32 = after
                .iter()
                .zip(&x[210 * n..220 * n])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(err < 1e-3, "{rate:?} {mode}: {err}");
        }
    }
}

#[test]
fn frame_sizes_rates_and_errors() {
    let mut plc = PacketLossConcealer::new(SampleRate::Hz8000, PlcMode::Voxline).unwrap();
    let x = voiced(SampleRate::Hz8000, 240);
    let mut out = vec![0.0; 240];
    plc.good(&x, &mut out).unwrap(); // 30 ms at once
    assert_eq!(out, x);
    plc.conceal(&mut out[..160]).unwrap(); // 20 ms
    assert!(plc.conceal(&mut out[..100]).is_err());
    assert!(plc.good(&x[..80], &mut out[..160]).is_err());
    assert!(
        plc.conceal(&mut vec![0.0; 320]).is_err(),
        "40 ms is not a packet size"
    );
    assert!(PacketLossConcealer::new(SampleRate::Hz44100, PlcMode::Voxline).is_err());
    let mut bad = vec![0.1f32; 80];
    bad[3] = f32::NAN;
    bad[5] = f32::INFINITY;
    let mut o = vec![0.0; 80];
    plc.good(&bad, &mut o).unwrap();
    plc.conceal(&mut o).unwrap();
    assert!(o.iter().all(|v| v.is_finite()));
    assert_eq!("appendix-i".parse::<PlcMode>().unwrap(), PlcMode::AppendixI);
    assert!("foo"
        .parse::<PlcMode>()
        .unwrap_err()
        .to_string()
        .contains("unknown PLC mode"));
}

/// Segmental SNR (dB, frames clamped to [-10, 35]) over the concealed frames only.
fn concealed_segsnr(x: &[f32], y: &[f32], lost: &[bool], n: usize) -> f32 {
    let mut sum = 0.0;
    let mut count = 0;
    for (k, &l) in lost.iter().enumerate() {
        if !l {
            continue;
        }
        let (s, e) = (k * n, (k + 1) * n);
        let sig: f32 = x[s..e].iter().map(|v| v * v).sum();
        let err: f32 = x[s..e]
            .iter()
            .zip(&y[s..e])
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        if sig < 1e-6 {
            continue;
        }
        sum += (10.0 * (sig / err.max(1e-12)).log10()).clamp(-10.0, 35.0);
        count += 1;
    }
    sum / count as f32
}

#[test]
fn quality_floor_on_committed_speech() {
    // A fixed loss pattern (the conformance rand10 pattern, 10 ms frames) on committed speech;
    // the floors sit just under today's measurements, so a regression fails here.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/conformance");
    let pattern: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("g711_plc/patterns/rand10.json")).unwrap())
            .unwrap();
    let audio = voxline_wav::read_audio_bytes(
        &std::fs::read(root.join("signals/8k/sp_en_us_f.wav")).unwrap(),
    )
    .unwrap();
    let x = audio.to_mono_f32();
    let n = 80;
    let mut lost = vec![false; x.len() / n];
    for v in pattern["lost_frames"].as_array().unwrap() {
        lost[v.as_u64().unwrap() as usize] = true;
    }
    let mut scores = Vec::new();
    for mode in PlcMode::ALL {
        let y = conceal_recording(SampleRate::Hz8000, mode, &x, &lost).unwrap();
        scores.push((mode, concealed_segsnr(&x, &y, &lost, n)));
    }
    let y = voxline_plc::conceal_recording_with_lookahead(
        SampleRate::Hz8000,
        PlcMode::Voxline,
        &x,
        &lost,
    )
    .unwrap();
    let with_next = concealed_segsnr(&x, &y, &lost, n);
    eprintln!("concealed-frame segmental SNR: {scores:?}, voxline with lookahead {with_next}");
    assert!(
        with_next > FLOOR_VOXLINE_LOOKAHEAD,
        "voxline with lookahead {with_next}"
    );
    let get = |m| scores.iter().find(|(k, _)| *k == m).unwrap().1;
    // Zero insertion is 0 dB by construction; repetition of a frame is worse than silence on
    // a waveform measure; the pitch-based modes must do better than silence.
    assert!(get(PlcMode::Zero).abs() < 1e-3);
    assert!(
        get(PlcMode::Voxline) > FLOOR_VOXLINE,
        "voxline {}",
        get(PlcMode::Voxline)
    );
    assert!(
        get(PlcMode::AppendixI) > FLOOR_APPENDIX_I,
        "appendix-i {}",
        get(PlcMode::AppendixI)
    );
}

const FLOOR_VOXLINE: f32 = 5.3;
const FLOOR_VOXLINE_LOOKAHEAD: f32 = 6.7;
const FLOOR_APPENDIX_I: f32 = 2.5;

#[test]
fn gap_interpolation_joins_both_sides_and_beats_extrapolation() {
    for rate in RATES {
        let n = rate.samples_per_10ms();
        let x = voiced(rate, 100 * n);
        let lost: Vec<bool> = (0..100)
            .map(|k| (30..32).contains(&k) || (60..64).contains(&k))
            .collect();
        let fwd = conceal_recording(rate, PlcMode::Voxline, &x, &lost).unwrap();
        let both = voxline_plc::conceal_recording_with_lookahead(rate, PlcMode::Voxline, &x, &lost)
            .unwrap();
        assert_eq!(both.len(), x.len());
        // Received frames are untouched: with the gap interpolated there is no merge either.
        assert_eq!(&both[32 * n..60 * n], &x[32 * n..60 * n]);
        assert_eq!(&both[64 * n..], &x[64 * n..]);
        // No click into or out of either gap.
        let bound = 1.5 * max_step(&x);
        for k in [30, 32, 60, 64] {
            let s = max_step(&both[k * n - 8..k * n + 8]);
            assert!(s <= bound, "{rate:?} frame {k}: step {s} > {bound}");
        }
        // Knowing the audio after the gap makes the concealment closer to the truth.
        let l: Vec<bool> = lost.clone();
        let snr_f = concealed_segsnr(&x, &fwd, &l, n);
        let snr_b = concealed_segsnr(&x, &both, &l, n);
        assert!(
            snr_b > snr_f + 1.0,
            "{rate:?}: interpolated {snr_b:.1} dB vs extrapolated {snr_f:.1} dB"
        );
    }
}

#[test]
fn gap_interpolation_falls_back_without_enough_following_audio() {
    let rate = SampleRate::Hz8000;
    let x = voiced(rate, 800);
    let mut plc = PacketLossConcealer::new(rate, PlcMode::Voxline).unwrap();
    let mut out = vec![0.0; 80];
    for f in x[..480].chunks(80) {
        plc.good(f, &mut out).unwrap();
    }
    let mut gap = vec![0.0; 160];
    // 10 ms after the gap is too little to analyse: concealed by extrapolation instead.
    assert!(!plc.conceal_gap(&mut gap, &x[640..720]).unwrap());
    assert!(gap.iter().any(|&v| v != 0.0));
    // Gaps longer than 60 ms are not interpolated; bad lengths are errors.
    let mut long = vec![0.0; 800];
    assert!(!plc.conceal_gap(&mut long, &x[..400]).unwrap());
    assert!(plc.conceal_gap(&mut gap[..100], &x[..400]).is_err());
    // Other modes conceal frame by frame.
    let mut a = PacketLossConcealer::new(rate, PlcMode::AppendixI).unwrap();
    assert!(!a.conceal_gap(&mut gap, &x[..400]).unwrap());
}

#[test]
fn concealment_does_not_depend_on_how_the_audio_was_chunked() {
    // The jitter buffer shows the concealer audio in pieces of any size; the result of a
    // following concealment (including its comfort-noise level) must not depend on them.
    let rate = SampleRate::Hz16000;
    let mut x = voiced(rate, 160 * 60);
    for (i, v) in x.iter_mut().enumerate().skip(160 * 40) {
        *v = 0.002 * ((i * 7919 % 1000) as f32 / 500.0 - 1.0); // a quiet tail
    }
    let mut a = voxline_plc::VoxlineConcealer::new(rate);
    let mut b = voxline_plc::VoxlineConcealer::new(rate);
    for f in x.chunks(160) {
        a.observe(f);
    }
    let mut pos = 0;
    let mut step = 1;
    while pos < x.len() {
        let end = (pos + step).min(x.len());
        b.observe(&x[pos..end]);
        pos = end;
        step = step * 7 % 97 + 1;
    }
    let mut ya = vec![0.0; 3200];
    let mut yb = vec![0.0; 3200];
    a.extrapolate(&mut ya);
    b.extrapolate(&mut yb);
    assert_eq!(ya, yb);
}

/// A harmonic tone whose fundamental glides linearly from `f0` by `glide` Hz per second, with
/// the glide frozen (constant pitch) from sample `freeze` on.
fn glide(rate: SampleRate, n: usize, f0: f32, glide: f32, freeze: usize) -> Vec<f32> {
    let fs = rate.hz() as f32;
    let mut phase = 0.0f32;
    (0..n)
        .map(|i| {
            let t = i.min(freeze) as f32 / fs;
            let f = f0 + glide * t;
            phase += f / fs;
            let mut v = 0.0;
            let mut h = 1;
            while h as f32 * f < 3000.0 {
                v += (2.0 * std::f32::consts::PI * h as f32 * phase).sin() / h as f32;
                h += 1;
            }
            0.25 * v
        })
        .collect()
}

fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let ab: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let aa: f32 = a.iter().map(|x| x * x).sum();
    let bb: f32 = b.iter().map(|x| x * x).sum();
    ab / (aa * bb).sqrt()
}

/// Period of `x` (samples, fractional): the autocorrelation peak over `lo..hi`, refined by a
/// parabola.
fn fine_period(x: &[f32], lo: usize, hi: usize) -> f32 {
    let r = |lag: usize| correlation(&x[lag..], &x[..x.len() - lag]);
    let best = (lo..=hi).fold(lo, |b, l| if r(l) > r(b) { l } else { b });
    let (a, b, c) = (r(best - 1), r(best), r(best + 1));
    best as f32 + 0.5 * (a - c) / (a - 2.0 * b + c)
}

#[test]
fn the_pitch_trend_is_continued_into_the_loss() {
    // Rising and falling intonation (1 % of the starting pitch per 10 ms): within a 30 ms
    // loss the concealed period keeps changing the way it did before the loss. The change is
    // measured against a steady tone's, which shares the measurement's bias (the level falls
    // during the loss).
    let rate = SampleRate::Hz48000;
    let n = rate.samples_per_10ms();
    let change = |slope: f32| {
        let x = glide(rate, 20 * n, 220.0, slope, usize::MAX);
        let lost: Vec<bool> = (0..20).map(|k| (10..13).contains(&k)).collect();
        let y = conceal_recording(rate, PlcMode::Voxline, &x, &lost).unwrap();
        let first = fine_period(&y[10 * n..11 * n + n / 2], 150, 300);
        let last = fine_period(&y[11 * n + n / 2..13 * n], 150, 300);
        last - first
    };
    let (rising, steady, falling) = (change(220.0), change(0.0), change(-220.0));
    eprintln!(
        "period change in the loss: rising {rising:.2}, steady {steady:.2}, falling {falling:.2}"
    );
    assert!(
        rising < steady - 0.5,
        "rising pitch not continued: {rising:.2} vs {steady:.2}"
    );
    assert!(
        falling > steady + 0.5,
        "falling pitch not continued: {falling:.2} vs {steady:.2}"
    );
}

#[test]
fn noise_is_not_concealed_with_a_buzz() {
    // Unvoiced input (white noise): repeating one "pitch cycle" of it would make the
    // concealment periodic; the voicing-dependent mix keeps it noise-like.
    let rate = SampleRate::Hz8000;
    let n = rate.samples_per_10ms();
    let mut state = 7u32;
    let x: Vec<f32> = (0..60 * n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32 * 2.0 - 1.0) * 0.2
        })
        .collect();
    let lost: Vec<bool> = (0..60).map(|k| (40..42).contains(&k)).collect();
    let y = conceal_recording(rate, PlcMode::Voxline, &x, &lost).unwrap();
    let c = &y[40 * n..42 * n];
    let max_corr = (20..=120)
        .map(|lag| correlation(&c[lag..], &c[..c.len() - lag]))
        .fold(f32::MIN, f32::max);
    assert!(max_corr < 0.5, "concealed noise is periodic: {max_corr:.2}");
    // And it is not silence either.
    let rms = |s: &[f32]| (s.iter().map(|v| v * v).sum::<f32>() / s.len() as f32).sqrt();
    assert!(rms(c) > 0.2 * rms(&x[..40 * n]), "{}", rms(c));
}
