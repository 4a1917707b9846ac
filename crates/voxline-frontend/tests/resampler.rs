//! Quality and latency of the streaming resampler, measured for every pair of rates.

use std::f64::consts::PI;
use voxline_core::{Latency, SampleRate};
use voxline_frontend::{resample_all, Resampler};

fn pairs() -> impl Iterator<Item = (SampleRate, SampleRate)> {
    SampleRate::ALL
        .into_iter()
        .flat_map(|a| SampleRate::ALL.into_iter().map(move |b| (a, b)))
        .filter(|(a, b)| a != b)
}

/// Streams `seconds` of a sine at `freq` through a resampler 10 ms at a time.
fn stream_sine(r: &mut Resampler, freq: f64, amplitude: f64, seconds: f64) -> Vec<f32> {
    let fs = f64::from(r.from_rate().hz());
    let frames = (seconds * 100.0) as usize;
    let mut input = vec![0.0f32; r.input_len()];
    let mut output = vec![0.0f32; r.output_len()];
    let mut all = Vec::new();
    for f in 0..frames {
        for (i, s) in input.iter_mut().enumerate() {
            let n = (f * r.input_len() + i) as f64;
            *s = (amplitude * (2.0 * PI * freq * n / fs).sin()) as f32;
        }
        r.process(&input, &mut output).unwrap();
        all.extend_from_slice(&output);
    }
    all
}

/// Least-squares fit of `y[m] = a sin(w m) + b cos(w m)` over `range`; returns (a, b, residual power).
fn fit_sine(y: &[f32], w: f64, range: std::ops::Range<usize>) -> (f64, f64, f64, f64) {
    let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for m in range.clone() {
        let (s, c) = (w * m as f64).sin_cos();
        let v = f64::from(y[m]);
        ss += s * s;
        cc += c * c;
        sc += s * c;
        ys += v * s;
        yc += v * c;
    }
    let det = ss * cc - sc * sc;
    let a = (ys * cc - yc * sc) / det;
    let b = (yc * ss - ys * sc) / det;
    let mut err = 0.0;
    let mut sig = 0.0;
    for m in range.clone() {
        let (s, c) = (w * m as f64).sin_cos();
        let fit = a * s + b * c;
        err += (f64::from(y[m]) - fit).powi(2);
        sig += fit * fit;
    }
    (a, b, err / range.len() as f64, sig / range.len() as f64)
}

#[test]
fn reported_latency_matches_measured_for_all_pairs() {
    for (from, to) in pairs() {
        let mut r = Resampler::new(from, to).unwrap();
        // 50 Hz: one period (20 ms) is longer than twice the delay, so the phase is unambiguous.
        let freq = 50.0;
        let y = stream_sine(&mut r, freq, 0.5, 0.5);
        let w = 2.0 * PI * freq / f64::from(to.hz());
        let n = y.len();
        let (a, b, _, _) = fit_sine(&y, w, n / 4..n);
        // y = A sin(w (m - d)) = A cos(wd) sin(wm) - A sin(wd) cos(wm)
        let measured = (-b).atan2(a) / w;
        let exact = r.latency_exact();
        assert!(
            (measured - exact).abs() < 0.01,
            "{from:?} -> {to:?}: measured {measured:.4}, reported exact {exact:.4}"
        );
        assert_eq!(r.latency_samples(), exact.round() as usize);
        // Integer rates ratios give an integer delay; only 44.1 kHz pairs have a fraction.
        if from != SampleRate::Hz44100 && to != SampleRate::Hz44100 {
            assert_eq!(exact.fract(), 0.0, "{from:?} -> {to:?}");
        }
        // 5 ms: half a frame.
        assert!(
            (exact / f64::from(to.hz()) - 0.005).abs() < 1e-4,
            "{from:?} -> {to:?}"
        );
    }
}

#[test]
fn passband_sine_keeps_90_db_snr_and_flat_gain() {
    for (from, to) in pairs() {
        let lower_nyquist = f64::from(from.hz().min(to.hz())) / 2.0;
        // Frequencies off the FFT bin grid, from 1 kHz to the top of the passband; the limits
        // on the gain are the documented passband flatness.
        for (freq, max_gain_error_db) in [
            (997.0, 0.01),
            (0.4 * lower_nyquist + 13.7, 0.01),
            (0.75 * lower_nyquist + 13.7, 0.01),
            (0.85 * lower_nyquist, 0.3),
        ] {
            let mut r = Resampler::new(from, to).unwrap();
            let y = stream_sine(&mut r, freq, 0.5, 0.3);
            let w = 2.0 * PI * freq / f64::from(to.hz());
            let n = y.len();
            let (a, b, err, sig) = fit_sine(&y, w, n / 3..n);
            let gain_db = 20.0 * (a.hypot(b) / 0.5).log10();
            let snr = 10.0 * (sig / err).log10();
            assert!(
                snr >= 90.0,
                "{from:?} -> {to:?} at {freq} Hz: SNR {snr:.1} dB"
            );
            assert!(
                gain_db.abs() < max_gain_error_db,
                "{from:?} -> {to:?} at {freq} Hz: gain {gain_db:.3} dB"
            );
        }
    }
}

#[test]
fn upsampling_creates_no_images() {
    // A tone just below the input Nyquist frequency must come out alone: its image above the
    // old Nyquist frequency (at fs_in - f) would show up as residual after fitting the tone.
    for (from, to) in pairs().filter(|(a, b)| b.hz() > a.hz()) {
        let freq = 0.7 * f64::from(from.hz()) / 2.0 + 11.0;
        let mut r = Resampler::new(from, to).unwrap();
        let y = stream_sine(&mut r, freq, 0.5, 0.3);
        let w = 2.0 * PI * freq / f64::from(to.hz());
        let n = y.len();
        let (_, _, err, sig) = fit_sine(&y, w, n / 3..n);
        let snr = 10.0 * (sig / err).log10();
        assert!(
            snr >= 90.0,
            "{from:?} -> {to:?} at {freq} Hz: image/noise at {snr:.1} dB"
        );
    }
}

#[test]
fn tone_above_new_nyquist_is_attenuated_80_db() {
    for (from, to) in pairs().filter(|(a, b)| b.hz() < a.hz()) {
        let new_nyquist = f64::from(to.hz()) / 2.0;
        let old_nyquist = f64::from(from.hz()) / 2.0;
        for freq in [
            1.1 * new_nyquist,
            0.5 * (new_nyquist + old_nyquist),
            0.95 * old_nyquist,
        ] {
            let mut r = Resampler::new(from, to).unwrap();
            let y = stream_sine(&mut r, freq, 0.9, 0.3);
            let tail = &y[y.len() / 3..];
            let out_rms = (tail.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>()
                / tail.len() as f64)
                .sqrt();
            let attenuation = 20.0 * (0.9 / 2f64.sqrt() / out_rms.max(1e-30)).log10();
            assert!(
                attenuation >= 80.0,
                "{from:?} -> {to:?} at {freq:.0} Hz: only {attenuation:.1} dB"
            );
        }
    }
}

#[test]
fn same_rate_is_an_exact_copy() {
    let mut r = Resampler::new(SampleRate::Hz16000, SampleRate::Hz16000).unwrap();
    assert_eq!(r.latency_samples(), 0);
    let input: Vec<f32> = (0..160).map(|i| i as f32 / 200.0).collect();
    let mut out = vec![0.0; 160];
    r.process(&input, &mut out).unwrap();
    assert_eq!(input, out);
}

#[test]
fn wrong_frame_lengths_are_errors() {
    let mut r = Resampler::new(SampleRate::Hz8000, SampleRate::Hz48000).unwrap();
    let mut out = vec![0.0; 480];
    assert!(r.process(&[0.0; 79], &mut out).is_err());
    assert!(r.process(&[0.0; 80], &mut out[..479]).is_err());
    assert!(r.process(&[0.0; 80], &mut out).is_ok());
}

#[test]
fn non_finite_input_does_not_poison_the_stream() {
    let mut r = Resampler::new(SampleRate::Hz16000, SampleRate::Hz8000).unwrap();
    let mut bad = vec![0.1f32; 160];
    bad[3] = f32::NAN;
    bad[7] = f32::INFINITY;
    let mut out = vec![0.0; 80];
    r.process(&bad, &mut out).unwrap();
    assert!(out.iter().all(|v| v.is_finite()));
    for _ in 0..3 {
        r.process(&[0.0; 160], &mut out).unwrap();
        assert!(out.iter().all(|v| v.is_finite()));
    }
    r.process(&[0.0; 160], &mut out).unwrap();
    assert!(out.iter().all(|&v| v.abs() < 1e-6));
}

#[test]
fn resample_all_is_aligned_and_has_the_right_length() {
    let from = SampleRate::Hz8000;
    let to = SampleRate::Hz44100;
    let freq = 440.0;
    let input: Vec<f32> = (0..12_345)
        .map(|n| (0.5 * (2.0 * PI * freq * n as f64 / 8000.0).sin()) as f32)
        .collect();
    let out = resample_all(from, to, &input).unwrap();
    assert_eq!(out.len(), (12_345.0f64 * 44100.0 / 8000.0).round() as usize);
    // Aligned: the middle of the output matches the ideal sine to within the fractional delay.
    let w = 2.0 * PI * freq / 44100.0;
    let (a, b, _, _) = fit_sine(&out, w, 5000..60000);
    let delay = (-b).atan2(a) / w;
    // 220.5 samples of delay at 44.1 kHz: removing 221 leaves at most half a sample.
    assert!(delay.abs() <= 0.5 + 1e-3, "residual delay {delay}");
    assert!(resample_all(from, to, &[]).unwrap().is_empty());
}
