//! The echo canceller's contract beyond echo quality: every rate, bad and extreme input,
//! configuration errors, render/capture pairing, and never amplifying.

mod common;

use common::*;
use proptest::prelude::*;
use voxline_aec::{EchoCanceller, EchoCancellerConfig};
use voxline_core::{Error, Latency, SampleRate};

/// Far-end speech at `rate` (the 16 kHz test talker, resampled by sample repetition or
/// decimation: crude, but speech-like in level and envelope, which is all these tests need).
fn far_speech(rate: u32, seconds: f32) -> Vec<f32> {
    let (x, src) = load("speech/jfk_inaugural.wav");
    let len = (seconds * rate as f32) as usize;
    let mut out: Vec<f32> = (0..len)
        .map(|i| x[(i as u64 * src as u64 / rate as u64) as usize % x.len()])
        .collect();
    set_level(&mut out, 0.08);
    out
}

#[test]
fn cancels_echo_at_every_rate() {
    for rate in [8000u32, 16000, 32000, 48000] {
        let far = far_speech(rate, 8.0);
        let h = room(rate, rate as usize * 60 / 1000, 0.25, 0.5, 11);
        let echo = convolve(&far, &h);
        let n = noise(far.len(), 3);
        let mic: Vec<f32> = echo.iter().zip(&n).map(|(e, n)| e + 3e-4 * n).collect();
        let (out, stats) = run(config(rate), &far, &mic);
        let windows = erle_windows(&mic, &echo, &out, rate);
        let got = median_from(&windows, 40);
        let delay = stats.last().unwrap().delay_ms.expect("delay found");
        println!("{rate} Hz: {got:.1} dB, delay {delay:.1} ms");
        assert!(got >= 20.0, "{rate} Hz: median echo reduction {got:.1} dB");
        assert!((delay - 60.0).abs() < 3.0, "{rate} Hz: delay {delay} ms");
    }
}

#[test]
fn bad_configurations_are_refused_with_a_clear_error() {
    let mut c = EchoCancellerConfig::new(SampleRate::Hz44100);
    assert!(matches!(EchoCanceller::new(c), Err(Error::InvalidConfig(m)) if m.contains("44.1")));
    c = EchoCancellerConfig::new(SampleRate::Hz16000);
    c.tail_ms = 10;
    assert!(matches!(EchoCanceller::new(c), Err(Error::InvalidConfig(m)) if m.contains("tail")));
    c = EchoCancellerConfig::new(SampleRate::Hz16000);
    c.max_delay_ms = 2500;
    assert!(matches!(EchoCanceller::new(c), Err(Error::InvalidConfig(m)) if m.contains("delay")));
    c = EchoCancellerConfig::new(SampleRate::Hz16000);
    c.max_suppression_db = f32::NAN;
    assert!(EchoCanceller::new(c).is_err());
}

#[test]
fn wrong_frame_lengths_are_errors() {
    let mut aec = EchoCanceller::new(config(16000)).unwrap();
    assert_eq!(aec.frame_len(), 160);
    assert_eq!(aec.latency_samples(), 0);
    let mut out = vec![0.0; 160];
    assert!(matches!(
        aec.analyze_render(&[0.0; 80]),
        Err(Error::FrameLength {
            expected: 160,
            actual: 80
        })
    ));
    assert!(aec.process_capture(&[0.0; 161], &mut out).is_err());
    assert!(aec.process_capture(&[0.0; 160], &mut [0.0; 10]).is_err());
}

#[test]
fn silence_full_scale_nan_and_denormals_are_survived() {
    let rate = 16000;
    let n = 160;
    let mut aec = EchoCanceller::new(config(rate)).unwrap();
    let far = far_speech(rate, 3.0);
    let mut out = vec![0.0f32; n];
    for k in 0..far.len() / n {
        let r = &far[k * n..(k + 1) * n];
        let mut mic: Vec<f32> = r.iter().map(|v| 0.5 * v).collect();
        match (k / 25) % 5 {
            0 => mic.fill(0.0),
            1 => mic
                .iter_mut()
                .enumerate()
                .for_each(|(i, v)| *v = if i % 2 == 0 { 1.0 } else { -1.0 }),
            2 => {
                mic[3] = f32::NAN;
                mic[7] = f32::INFINITY;
                mic[9] = f32::NEG_INFINITY;
            }
            3 => mic.iter_mut().for_each(|v| *v = 1e-40),
            _ => {}
        }
        let mut render = r.to_vec();
        if k % 7 == 0 {
            render[0] = f32::NAN;
        }
        aec.process(&render, &mic, &mut out).unwrap();
        assert!(
            out.iter().all(|v| v.is_finite()),
            "frame {k}: non-finite output"
        );
        let m: f32 = mic.iter().filter(|v| v.is_finite()).map(|v| v * v).sum();
        let o: f32 = out.iter().map(|v| v * v).sum();
        assert!(
            o <= 1.26 * m + 1e-6,
            "frame {k}: output louder than the input"
        );
    }
    let stats = aec.stats();
    assert!(stats.non_finite_samples > 0);
    // Still cancels afterwards.
    let h = room(rate, 800, 0.2, 0.5, 5);
    let far = far_speech(rate, 6.0);
    let echo = convolve(&far, &h);
    let mut outs = Vec::new();
    for k in 0..far.len() / n {
        aec.process(
            &far[k * n..(k + 1) * n],
            &echo[k * n..(k + 1) * n],
            &mut out,
        )
        .unwrap();
        outs.extend_from_slice(&out);
    }
    let w = erle_windows(&echo, &echo, &outs, rate);
    let got = median_from(&w, 30);
    assert!(got >= 20.0, "after bad input: {got:.1} dB");
}

#[test]
fn capture_without_render_counts_underruns_and_render_bursts_overflow() {
    let mut aec = EchoCanceller::new(config(8000)).unwrap();
    let mut out = vec![0.0; 80];
    aec.process_capture(&[0.1; 80], &mut out).unwrap();
    assert_eq!(
        aec.stats().render_underruns,
        0,
        "no render yet: not an underrun"
    );
    aec.analyze_render(&[0.1; 80]).unwrap();
    aec.process_capture(&[0.1; 80], &mut out).unwrap();
    aec.process_capture(&[0.1; 80], &mut out).unwrap();
    assert_eq!(aec.stats().render_underruns, 1);
    for _ in 0..40 {
        aec.analyze_render(&[0.1; 80]).unwrap();
    }
    assert_eq!(aec.stats().render_overruns, 8);
    aec.reset();
    assert_eq!(aec.stats().frames, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Whatever the signals, the output is finite and no frame is more than 1 dB louder than
    /// the microphone frame it came from.
    #[test]
    fn output_is_finite_and_never_louder(
        seed in any::<u64>(),
        far_gain in 0.0f32..2.0,
        mic_gain in 0.0f32..2.0,
        delay in 0usize..4000,
    ) {
        let rate = 8000;
        let n = 80;
        let len = 8000 * 2;
        let x = noise(len + delay, seed);
        let mut aec = EchoCanceller::new(config(rate)).unwrap();
        let mut out = vec![0.0f32; n];
        for k in 0..len / n {
            let render: Vec<f32> = x[delay + k * n..delay + (k + 1) * n]
                .iter().map(|v| (v * far_gain).clamp(-1.0, 1.0)).collect();
            let mic: Vec<f32> = (0..n)
                .map(|i| (x[k * n + i] * mic_gain + 0.01 * x[(k * n + i * 7) % len]).clamp(-1.0, 1.0))
                .collect();
            aec.process(&render, &mic, &mut out).unwrap();
            prop_assert!(out.iter().all(|v| v.is_finite()));
            let m: f32 = mic.iter().map(|v| v * v).sum();
            let o: f32 = out.iter().map(|v| v * v).sum();
            prop_assert!(o <= 1.26 * m + 1e-6);
        }
    }
}
