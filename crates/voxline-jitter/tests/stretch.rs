//! Time-stretching (`TimeStretcher`): periodic signals lose or gain whole pitch periods and keep
//! their pitch, joins are click-free, noise is left alone while silence is stretched freely,
//! real voiced speech is stretched, and bad input (NaN, infinities, short slices) never panics
//! or spreads. Each operation is applied as the jitter buffer would apply it: drop the first
//! `T` samples after `accelerate`, replace the first `T` by `out[..2T]` after `decelerate`.

use std::f64::consts::PI;
use voxline_core::SampleRate;
use voxline_jitter::TimeStretcher;
use voxline_testkit::{allocations, CountingAllocator};

// ---------------------------------------------------------------------------------------------
// Allocation counting (per thread, so tests running in parallel do not disturb each other).

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

// ---------------------------------------------------------------------------------------------
// Signals and measurements.

/// Sample `n` of a harmonic tone with fundamental `f0` (harmonics 1/k up to 3.5 kHz or 0.45 of
/// the rate, fixed phases), peak around 0.5.
fn harmonic_at(fs: f64, f0: f64, n: usize) -> f32 {
    let top = 3500.0f64.min(0.45 * fs);
    let mut v = 0.0;
    let mut k = 1;
    while k as f64 * f0 <= top {
        let phase = 0.7 * (k * k) as f64;
        v += (2.0 * PI * k as f64 * f0 * n as f64 / fs + phase).sin() / k as f64;
        k += 1;
    }
    (0.25 * v) as f32
}

fn harmonic(fs: f64, f0: f64, len: usize) -> Vec<f32> {
    (0..len).map(|n| harmonic_at(fs, f0, n)).collect()
}

/// Deterministic uniform noise in [-amplitude, amplitude].
fn noise(seed: u64, amplitude: f32, len: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            amplitude * (2.0 * u - 1.0) as f32
        })
        .collect()
}

/// Largest absolute first difference: the size of the biggest step (a click shows as one).
fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

/// Pitch period (fractional samples) of `x` by YIN's cumulative-mean-normalised difference
/// over lags `min_lag..=max_lag`, and its aperiodicity (near 0 for a periodic signal).
fn yin(x: &[f32], min_lag: usize, max_lag: usize) -> (f64, f64) {
    let w = x.len() - max_lag - 2;
    let mut d = vec![0.0f64; max_lag + 2];
    for (tau, dt) in d.iter_mut().enumerate().skip(1) {
        *dt = (0..w)
            .map(|i| {
                let e = f64::from(x[i]) - f64::from(x[i + tau]);
                e * e
            })
            .sum();
    }
    let mut cmnd = vec![1.0f64; max_lag + 2];
    let mut running = 0.0;
    for tau in 1..max_lag + 2 {
        running += d[tau];
        cmnd[tau] = if running > 0.0 {
            d[tau] * tau as f64 / running
        } else {
            1.0
        };
    }
    let mut tau = (min_lag..=max_lag)
        .find(|&t| cmnd[t] < 0.1)
        .unwrap_or_else(|| {
            (min_lag..=max_lag)
                .min_by(|&a, &b| cmnd[a].total_cmp(&cmnd[b]))
                .unwrap()
        });
    while tau < max_lag && cmnd[tau + 1] < cmnd[tau] {
        tau += 1;
    }
    let (a, b, c) = (cmnd[tau - 1], cmnd[tau], cmnd[tau + 1]);
    let denom = a - 2.0 * b + c;
    let shift = if denom > 0.0 {
        (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    (tau as f64 + shift, b)
}

/// `t` is within one sample of a whole multiple (at least 1) of `period`.
fn is_multiple(t: usize, period: f64) -> bool {
    let k = (t as f64 / period).round().max(1.0);
    (t as f64 - k * period).abs() <= 1.0
}

/// The stream after `accelerate` on `s[p..]`, applied as the caller would: `s[..p]` played
/// already, then the modified buffer without its first `T` samples.
fn accelerated(st: &mut TimeStretcher, s: &[f32], p: usize) -> (Vec<f32>, usize) {
    let (out, t, _) = accelerated_quiet(st, s, p);
    (out, t)
}

/// [`accelerated`], also telling whether the segment was stretched as quiet.
fn accelerated_quiet(st: &mut TimeStretcher, s: &[f32], p: usize) -> (Vec<f32>, usize, bool) {
    let mut x = s[p..].to_vec();
    let outcome = st.accelerate(&mut x);
    let t = outcome.samples;
    let mut out = s[..p].to_vec();
    out.extend_from_slice(&x[t..]);
    (out, t, outcome.quiet)
}

/// The stream after `decelerate` on `s[p..]`: `s[..p]`, then `out[..2T]`, then `s[p + T..]`.
fn decelerated(st: &mut TimeStretcher, s: &[f32], p: usize) -> (Vec<f32>, usize) {
    let x = &s[p..];
    let mut buf = vec![0.0f32; st.required_len()];
    let outcome = st.decelerate(x, &mut buf);
    let t = outcome.samples;
    let mut out = s[..p].to_vec();
    if t > 0 {
        out.extend_from_slice(&buf[..2 * t]);
        out.extend_from_slice(&x[t..]);
    } else {
        out.extend_from_slice(x);
    }
    (out, t)
}

const RATES: [SampleRate; 5] = SampleRate::ALL;

// ---------------------------------------------------------------------------------------------
// Configuration.

#[test]
fn period_range_is_2_5_to_15_ms_at_every_rate() {
    let expected = [
        (SampleRate::Hz8000, 20, 120),
        (SampleRate::Hz16000, 40, 240),
        (SampleRate::Hz32000, 80, 480),
        (SampleRate::Hz44100, 110, 661),
        (SampleRate::Hz48000, 120, 720),
    ];
    for (rate, min, max) in expected {
        let st = TimeStretcher::new(rate);
        assert_eq!((st.min_period(), st.max_period()), (min, max), "{rate:?}");
        assert_eq!(st.required_len(), 2 * max, "{rate:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Periodic signals.

/// Accelerating a periodic tone removes exactly one period (the fundamental, not a multiple,
/// when it is within 2.5..15 ms), leaves the same tone behind (sample for sample when the
/// period is a whole number of samples), keeps its pitch within 1 % and makes no click.
#[test]
fn accelerate_removes_one_period_and_keeps_the_pitch() {
    for rate in RATES {
        let fs = f64::from(rate.hz());
        for f0 in [125.0, 200.0, 83.0] {
            let mut st = TimeStretcher::new(rate);
            let (min, max) = (st.min_period(), st.max_period());
            let period = fs / f0;
            let p = 2 * max;
            let s = harmonic(fs, f0, p + 4 * max);
            let (out, t) = accelerated(&mut st, &s, p);
            let ctx = format!("{rate:?} f0 {f0} Hz: period {period:.2}, removed {t}");
            assert!(t > 0, "{ctx}: not stretched");
            assert!((t as f64 - period).abs() <= 1.0, "{ctx}: not one period");

            // The pitch of a window straddling the cut is the input's.
            let (p_in, _) = yin(&s[p - max..p + 2 * max], min, max);
            let (p_out, aperiodicity) = yin(&out[p - max..p + 2 * max], min, max);
            assert!(
                (p_in / period - 1.0).abs() < 0.01,
                "{ctx}: estimator {p_in}"
            );
            assert!(
                (p_out / p_in - 1.0).abs() < 0.01,
                "{ctx}: pitch {p_in} -> {p_out}"
            );
            assert!(
                aperiodicity < 0.05,
                "{ctx}: output not periodic ({aperiodicity})"
            );

            // No click around the crossfade and the join into the untouched samples.
            let step = max_step(&s);
            let join = max_step(&out[p - 4..p + t + 4]);
            assert!(
                join <= 1.5 * step,
                "{ctx}: step {join} at the join vs {step}"
            );

            // Whole-sample periods: what follows is the original tone, shifted by T.
            if (period - period.round()).abs() < 1e-9 {
                let err = (p..out.len())
                    .map(|n| (out[n] - s[n + t]).abs())
                    .fold(0.0, f32::max);
                assert!(err < 1e-4, "{ctx}: differs from the tone by {err}");
            }
        }
    }
}

/// Decelerating a periodic tone inserts exactly one period, keeps its pitch within 1 % and
/// makes no click; for whole-sample periods the result is the same tone, just longer.
#[test]
fn decelerate_inserts_one_period_and_keeps_the_pitch() {
    for rate in RATES {
        let fs = f64::from(rate.hz());
        for f0 in [125.0, 200.0, 83.0] {
            let mut st = TimeStretcher::new(rate);
            let (min, max) = (st.min_period(), st.max_period());
            let period = fs / f0;
            let p = 2 * max;
            let s = harmonic(fs, f0, p + 4 * max);
            let (out, t) = decelerated(&mut st, &s, p);
            let ctx = format!("{rate:?} f0 {f0} Hz: period {period:.2}, inserted {t}");
            assert!(t > 0, "{ctx}: not stretched");
            assert!((t as f64 - period).abs() <= 1.0, "{ctx}: not one period");
            assert_eq!(out.len(), s.len() + t);

            let (p_in, _) = yin(&s[p - max..p + 2 * max], min, max);
            let (p_out, aperiodicity) = yin(&out[p..p + 3 * max], min, max);
            assert!(
                (p_in / period - 1.0).abs() < 0.01,
                "{ctx}: estimator {p_in}"
            );
            assert!(
                (p_out / p_in - 1.0).abs() < 0.01,
                "{ctx}: pitch {p_in} -> {p_out}"
            );
            assert!(
                aperiodicity < 0.05,
                "{ctx}: output not periodic ({aperiodicity})"
            );

            let step = max_step(&s);
            let join = max_step(&out[p - 4..p + 2 * t + 4]);
            assert!(
                join <= 1.5 * step,
                "{ctx}: step {join} at the joins vs {step}"
            );

            if (period - period.round()).abs() < 1e-9 {
                let err = out
                    .iter()
                    .enumerate()
                    .map(|(n, &v)| (v - harmonic_at(fs, f0, n)).abs())
                    .fold(0.0, f32::max);
                assert!(err < 1e-4, "{ctx}: differs from the tone by {err}");
            }
        }
    }
}

/// A pitch above 400 Hz (period under 2.5 ms) is stretched by a whole multiple of its period.
#[test]
fn short_periods_are_stretched_by_a_multiple() {
    for rate in RATES {
        let fs = f64::from(rate.hz());
        let f0 = 520.0;
        let mut st = TimeStretcher::new(rate);
        let s = harmonic(fs, f0, 4 * st.max_period());
        let mut x = s.clone();
        let t = st.accelerate(&mut x).samples;
        assert!(
            t >= st.min_period() && is_multiple(t, fs / f0),
            "{rate:?}: {t}"
        );
        let mut buf = vec![0.0; st.required_len()];
        let t = st.decelerate(&s, &mut buf).samples;
        assert!(
            t >= st.min_period() && is_multiple(t, fs / f0),
            "{rate:?}: {t}"
        );
    }
}

/// Shimmer (every other period 8 % louder) makes two periods match better than one; the
/// stretcher still removes one period, not two.
#[test]
fn shimmer_does_not_double_the_period() {
    for rate in RATES {
        let fs = f64::from(rate.hz());
        let f0 = 200.0;
        let mut st = TimeStretcher::new(rate);
        let period = fs / f0;
        let s: Vec<f32> = harmonic(fs, f0, 4 * st.max_period())
            .iter()
            .enumerate()
            .map(|(n, v)| {
                if ((n as f64 / period) as usize).is_multiple_of(2) {
                    v * 1.08
                } else {
                    *v
                }
            })
            .collect();
        let mut x = s.clone();
        let t = st.accelerate(&mut x).samples;
        assert!(
            (t as f64 - period).abs() <= 1.0,
            "{rate:?}: removed {t}, period {period}"
        );
    }
}

/// When consecutive periods differ (pitch glide from 110 to 140 Hz and a crescendo), only the
/// crossfade keeps the joins smooth.
#[test]
fn gliding_tone_joins_without_click() {
    for rate in RATES {
        let fs = f64::from(rate.hz());
        let mut st = TimeStretcher::new(rate);
        let len = 6 * st.max_period();
        let duration = len as f64 / fs;
        let mut phase = 0.0f64;
        let s: Vec<f32> = (0..len)
            .map(|n| {
                let t = n as f64 / fs;
                let f0 = 110.0 + 30.0 * t / duration;
                phase += 2.0 * PI * f0 / fs;
                let v: f64 = (1..=8)
                    .map(|k| (k as f64 * phase + 0.7 * (k * k) as f64).sin() / k as f64)
                    .sum();
                (0.2 * (0.5 + t / duration) * v) as f32
            })
            .collect();
        let step = max_step(&s);
        let p = 2 * st.max_period();
        let (out, t) = accelerated(&mut st, &s, p);
        assert!(t > 0, "{rate:?}");
        let join = max_step(&out[p - 4..p + t + 4]);
        assert!(
            join <= 1.5 * step,
            "{rate:?}: step {join} at the join vs {step}"
        );
        let (out, t) = decelerated(&mut st, &s, p);
        assert!(t > 0, "{rate:?}");
        let join = max_step(&out[p - 4..p + 2 * t + 4]);
        assert!(
            join <= 1.5 * step,
            "{rate:?}: step {join} at the joins vs {step}"
        );
    }
}

/// A jitter buffer shortening a long tone period after period: the pitch survives ten cuts and
/// no cut clicks.
#[test]
fn repeated_acceleration_keeps_the_tone() {
    let rate = SampleRate::Hz16000;
    let fs = 16_000.0;
    let f0 = 147.0; // 108.84 samples: not a whole number
    let mut st = TimeStretcher::new(rate);
    let (min, max) = (st.min_period(), st.max_period());
    let mut s = harmonic(fs, f0, 40 * max);
    let step = max_step(&s);
    let mut p = max;
    let mut removed = 0;
    for _ in 0..10 {
        let (out, t) = accelerated(&mut st, &s, p);
        assert!(is_multiple(t, fs / f0), "removed {t}");
        let join = max_step(&out[p - 4..p + t + 4]);
        assert!(join <= 1.5 * step, "step {join} vs {step}");
        s = out;
        removed += t;
        p += 2 * max;
    }
    assert!(removed >= 10 * 108);
    let (p_out, aperiodicity) = yin(&s[..p], min, max);
    assert!((p_out / (fs / f0) - 1.0).abs() < 0.01, "period {p_out}");
    assert!(aperiodicity < 0.1, "aperiodicity {aperiodicity}");
}

/// A voice-like synthetic vowel: a glottal pulse train (110 Hz at 16 kHz, with a little pitch
/// jitter) through two formant resonators (700 Hz and 1200 Hz).
#[test]
fn synthetic_vowel_is_stretched_by_its_period() {
    let fs = 16_000.0;
    let mut pulses = vec![0.0f64; 4000];
    let mut next = 20.0;
    let mut k = 0;
    while (next as usize) < pulses.len() {
        pulses[next as usize] = 1.0;
        next += fs / 110.0 * (1.0 + 0.004 * ((k % 3) as f64 - 1.0));
        k += 1;
    }
    let mut signal = pulses;
    for (freq, bandwidth) in [(700.0, 130.0), (1200.0, 70.0)] {
        let r = (-PI * bandwidth / fs).exp();
        let (a1, a2) = (2.0 * r * (2.0 * PI * freq / fs).cos(), -r * r);
        let (mut y1, mut y2) = (0.0, 0.0);
        for v in signal.iter_mut() {
            let y = *v + a1 * y1 + a2 * y2;
            (y2, y1) = (y1, y);
            *v = y;
        }
    }
    let peak = signal.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let s: Vec<f32> = signal.iter().map(|v| (0.5 * v / peak) as f32).collect();

    let mut st = TimeStretcher::new(SampleRate::Hz16000);
    let step = max_step(&s);
    let p = 2000;
    let (out, t) = accelerated(&mut st, &s, p);
    assert!((t as f64 - fs / 110.0).abs() <= 2.0, "removed {t}");
    assert!(max_step(&out[p - 4..p + t + 4]) <= 1.5 * step);
    let (out, t) = decelerated(&mut st, &s, p);
    assert!((t as f64 - fs / 110.0).abs() <= 2.0, "inserted {t}");
    assert!(max_step(&out[p - 4..p + 2 * t + 4]) <= 1.5 * step);
}

// ---------------------------------------------------------------------------------------------
// Noise and silence.

#[test]
fn white_noise_is_not_stretched() {
    for rate in RATES {
        for seed in 1..=20 {
            let mut st = TimeStretcher::new(rate);
            let s = noise(seed, 0.3, st.required_len() + 7);
            let mut x = s.clone();
            let o = st.accelerate(&mut x);
            assert_eq!(o.samples, 0, "{rate:?} seed {seed}: {o:?}");
            assert!(!o.quiet && o.correlation < 0.9);
            assert_eq!(x, s, "a refused accelerate must leave x alone");
            let mut buf = vec![7.0; st.required_len()];
            let o = st.decelerate(&s, &mut buf);
            assert_eq!(o.samples, 0, "{rate:?} seed {seed}: {o:?}");
            assert!(
                buf.iter().all(|&v| v == 7.0),
                "a refused decelerate wrote out"
            );
        }
    }
}

/// Noise at -20 dBFS on top of a periodic tone: correlation too low, left alone.
#[test]
fn tone_buried_in_noise_is_not_stretched() {
    let fs = 8000.0;
    let mut st = TimeStretcher::new(SampleRate::Hz8000);
    let tone = harmonic(fs, 125.0, st.required_len());
    let n = noise(99, 0.6, st.required_len());
    let mut x: Vec<f32> = tone.iter().zip(&n).map(|(a, b)| 0.3 * a + b).collect();
    assert_eq!(st.accelerate(&mut x).samples, 0);
}

#[test]
fn silence_and_quiet_noise_are_stretched_by_the_longest_period() {
    for rate in RATES {
        let mut st = TimeStretcher::new(rate);
        let n = st.required_len();
        let max = st.max_period();
        let quiet_noise = noise(5, 0.004, n); // mean square 5.3e-6: about -53 dBFS
        let offset_silence = vec![0.2; n]; // a DC offset is not sound
        for (name, s) in [
            ("silence", vec![0.0; n]),
            ("quiet noise", quiet_noise),
            ("dc", offset_silence),
        ] {
            let mut x = s.clone();
            let o = st.accelerate(&mut x);
            assert!(o.quiet && o.samples == max, "{rate:?} {name}: {o:?}");
            assert!(x[max..].iter().all(|v| v.abs() <= 0.2 + 1e-6));
            assert!(x.iter().all(|v| v.is_finite()));
            let mut buf = vec![0.0; n];
            let o = st.decelerate(&s, &mut buf);
            assert!(o.quiet && o.samples == max, "{rate:?} {name}: {o:?}");
            assert_eq!(buf[..max], s[..max]);
        }
        // Pure silence stays pure silence.
        let mut x = vec![0.0; n];
        st.accelerate(&mut x);
        assert!(x.iter().all(|&v| v == 0.0));
    }
}

/// Just above the quiet level, noise is noise again.
#[test]
fn noise_above_minus_50_dbfs_is_not_quiet() {
    let mut st = TimeStretcher::new(SampleRate::Hz16000);
    let mut x = noise(3, 0.03, st.required_len()); // mean square 3e-4: about -35 dBFS
    let o = st.accelerate(&mut x);
    assert!(!o.quiet && o.samples == 0, "{o:?}");
}

// ---------------------------------------------------------------------------------------------
// Real speech.

fn speech(name: &str) -> (SampleRate, Vec<f32>) {
    let path = format!(
        "{}/../../testdata/speech/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = hound::WavReader::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16), "{path}");
    let rate = SampleRate::from_hz(spec.sample_rate).unwrap();
    let samples = reader
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect();
    (rate, samples)
}

/// Every 30 ms window (10 ms hop) of real recordings at 8, 16 and 48 kHz, classified by an
/// independent YIN estimate: clearly voiced windows are mostly stretched, by their pitch
/// period (or a multiple), and the stretched audio keeps that pitch; clearly unvoiced windows
/// are mostly left alone; no stretch anywhere makes a click.
#[test]
fn real_speech_voiced_windows_are_stretched_by_their_period() {
    for name in ["fsdd_theo_digits.wav", "jfk_inaugural.wav", "p317_166.wav"] {
        let (rate, s) = speech(name);
        let mut st = TimeStretcher::new(rate);
        let (min, max, n) = (st.min_period(), st.max_period(), st.required_len());
        let rms = |p: usize| (s[p..p + n].iter().map(|v| v * v).sum::<f32>() / n as f32).sqrt();
        let starts = (n..s.len() - 3 * n).step_by(rate.samples_per_10ms());
        // Loud enough: within 20 dB of the loudest window (the files are levelled differently).
        let loud = 0.1 * starts.clone().map(rms).fold(0.0, f32::max);
        let (mut voiced, mut stretched, mut on_period, mut same_pitch) = (0, 0, 0, 0);
        let (mut unvoiced, mut unvoiced_stretched) = (0, 0);
        for p in starts {
            let (period, aperiodicity) = yin(&s[p..p + n], min, max);
            let is_voiced = rms(p) > loud && aperiodicity < 0.15;
            let is_unvoiced = rms(p) > loud && aperiodicity > 0.4;

            // Quiet segments may join unrelated noise: steps up to -40 dBFS are allowed there.
            let (acc, t, quiet) = accelerated_quiet(&mut st, &s, p);
            let step = max_step(&s[p - 8..p + n + 8]);
            let allowed = if quiet {
                (1.5 * step).max(0.01)
            } else {
                1.5 * step
            };
            if t > 0 {
                let join = max_step(&acc[p - 8..p + t + 8]);
                assert!(join <= allowed, "{name} at {p}: step {join} vs {step}");
            }
            let (dec, t2) = decelerated(&mut st, &s, p);
            assert_eq!(t, t2, "{name} at {p}: both directions see the same period");
            if t > 0 {
                let join = max_step(&dec[p - 8..p + 2 * t + 8]);
                assert!(join <= allowed, "{name} at {p}: step {join} vs {step}");
            }

            if is_voiced {
                voiced += 1;
                if t > 0 {
                    stretched += 1;
                    let k = (t as f64 / period).round().max(1.0);
                    on_period += usize::from((t as f64 / (k * period) - 1.0).abs() <= 0.05);
                    let (after, _) = yin(&acc[p - max..p - max + n], min, max);
                    let (before, _) = yin(&s[p - max..p - max + n], min, max);
                    same_pitch += usize::from((after / before - 1.0).abs() <= 0.03);
                }
            }
            if is_unvoiced {
                unvoiced += 1;
                unvoiced_stretched += usize::from(t > 0);
            }
        }
        let summary = format!(
            "{name}: {voiced} voiced windows, {stretched} stretched, {on_period} by their \
             period, {same_pitch} keeping the pitch; {unvoiced_stretched} of {unvoiced} \
             unvoiced windows stretched"
        );
        assert!(voiced >= 40, "{summary}");
        assert!(stretched * 10 >= voiced * 8, "{summary}");
        assert!(on_period * 10 >= stretched * 9, "{summary}");
        assert!(same_pitch * 10 >= stretched * 9, "{summary}");
        assert!(unvoiced_stretched * 10 <= unvoiced, "{summary}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input.

#[test]
fn nan_and_infinity_are_refused_without_touching_anything() {
    for rate in RATES {
        let mut st = TimeStretcher::new(rate);
        let n = st.required_len();
        let tone = harmonic(f64::from(rate.hz()), 125.0, n + 50);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [0, 1, st.max_period(), n - 1] {
                let mut s = tone.clone();
                s[at] = bad;
                let mut x = s.clone();
                let o = st.accelerate(&mut x);
                assert_eq!(o.samples, 0, "{rate:?} {bad} at {at}");
                assert!(o.correlation.is_finite());
                let same = x.iter().zip(&s).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{rate:?} {bad} at {at}: x changed");
                let mut buf = vec![0.0; n];
                assert_eq!(st.decelerate(&s, &mut buf).samples, 0);
                assert!(buf.iter().all(|&v| v == 0.0));
            }
            // Beyond the samples looked at, a bad value does not matter and is not moved.
            let mut x = tone.clone();
            x[n + 10] = bad;
            assert!(st.accelerate(&mut x).samples > 0, "{rate:?}");
            assert!(x[..n].iter().all(|v| v.is_finite()));
            assert_eq!(x[n + 10].to_bits(), bad.to_bits());
        }
    }
}

#[test]
fn huge_finite_values_give_finite_results() {
    let mut st = TimeStretcher::new(SampleRate::Hz8000);
    let n = st.required_len();
    // Full-range square wave of period 64 and a tone scaled near f32::MAX.
    let square: Vec<f32> = (0..n)
        .map(|i| if i % 64 < 32 { f32::MAX } else { -f32::MAX })
        .collect();
    let scaled: Vec<f32> = harmonic(8000.0, 125.0, n)
        .iter()
        .map(|v| v * 1.0e38)
        .collect();
    let alternating: Vec<f32> = (0..n)
        .map(|i| if i % 2 == 0 { f32::MAX } else { f32::MIN })
        .collect();
    for s in [square, scaled, alternating] {
        let mut x = s.clone();
        let o = st.accelerate(&mut x);
        assert!(o.correlation.is_finite());
        assert!(x.iter().all(|v| v.is_finite()), "{o:?}");
        let mut buf = vec![0.0; n];
        let o = st.decelerate(&s, &mut buf);
        assert!(buf.iter().all(|v| v.is_finite()), "{o:?}");
    }
}

#[test]
fn short_input_limits_the_period_and_tiny_input_is_refused() {
    for rate in RATES {
        let mut st = TimeStretcher::new(rate);
        let n = st.required_len();
        // 200 Hz: a 5 ms period, so 10 ms of input (two periods) is enough.
        let tone = harmonic(f64::from(rate.hz()), 200.0, n);
        let period = rate.hz() as usize / 200;
        for len in [0, 1, st.min_period(), 2 * st.min_period() - 1] {
            let mut x = tone[..len].to_vec();
            assert_eq!(st.accelerate(&mut x).samples, 0, "{rate:?} len {len}");
            assert_eq!(x, tone[..len]);
            let mut buf = vec![0.0; n];
            assert_eq!(st.decelerate(&tone[..len], &mut buf).samples, 0);
        }
        for len in [2 * period + 2, n / 2 + 3, n - 1] {
            let mut x = tone[..len].to_vec();
            let t = st.accelerate(&mut x).samples;
            assert!(t > 0 && 2 * t <= len, "{rate:?} len {len}: T = {t}");
            assert_eq!(x[2 * t..], tone[2 * t..len], "beyond 2T untouched");
            let mut buf = vec![0.0; n];
            let t = st.decelerate(&tone[..len], &mut buf).samples;
            assert!(t > 0 && 2 * t <= len, "{rate:?} len {len}: T = {t}");
        }
        for len in [0, 1, n / 2, n - 1] {
            let mut short = vec![0.0; len];
            assert_eq!(st.decelerate(&tone, &mut short).samples, 0);
            assert!(short.iter().all(|&v| v == 0.0));
        }
        // The full length is enough.
        let mut x = tone.clone();
        assert!(st.accelerate(&mut x).samples > 0, "{rate:?}");
        let mut buf = vec![0.0; n];
        assert!(st.decelerate(&tone, &mut buf).samples > 0, "{rate:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Real-time safety.

#[test]
fn accelerate_and_decelerate_do_not_allocate() {
    for rate in RATES {
        let mut st = TimeStretcher::new(rate);
        let n = st.required_len();
        let inputs = [
            harmonic(f64::from(rate.hz()), 125.0, n),
            noise(1, 0.3, n),
            vec![0.0; n],
            vec![f32::NAN; n],
            vec![0.0; 3],
        ];
        let mut x = vec![0.0; n];
        let mut buf = vec![0.0; n];
        let before = allocations();
        for s in &inputs {
            x[..s.len()].copy_from_slice(s);
            st.accelerate(&mut x[..s.len()]);
            st.decelerate(s, &mut buf);
        }
        assert_eq!(allocations(), before, "{rate:?}");
    }
}
