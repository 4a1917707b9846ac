//! Shared helpers of the pipeline tests: speech from testdata, a synthetic room, a simple
//! deterministic network, and level measures.
#![allow(dead_code)]

use std::path::PathBuf;
use voxline_core::{SampleRate, SplitMix64};
use voxline_pipeline::simulate::PacketArrival;

/// Path of a file in the repository's testdata folder.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// A mono testdata WAV resampled to `rate`.
pub fn speech(rel: &str, rate: SampleRate) -> Vec<f32> {
    let file = std::fs::File::open(testdata(rel)).expect("testdata WAV");
    let audio = voxline_wav::read_audio(std::io::BufReader::new(file)).expect("testdata WAV");
    let from = SampleRate::from_hz(audio.sample_rate).expect("supported rate");
    voxline_frontend::resample_all(from, rate, &audio.to_mono_f32()).expect("resample")
}

/// The bundled office room response (16 kHz; see testdata/demo/README.md).
pub fn room_ir() -> Vec<f32> {
    let file = std::fs::File::open(testdata("demo/room_ir_16k.wav")).expect("room IR");
    voxline_wav::read_audio(std::io::BufReader::new(file))
        .expect("room IR")
        .to_mono_f32()
}

/// Uniform noise in [-amp, amp).
pub fn noise(len: usize, amp: f32, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..len)
        .map(|_| amp * (2.0 * ((rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32) - 1.0))
        .collect()
}

/// A synthetic room response: direct path of gain `gain` after `delay_ms`, then exponentially
/// decaying noise (reverberation time `rt60` s), `len_ms` long in all.
pub fn room(rate: SampleRate, delay_ms: f32, gain: f32, rt60: f32, len_ms: f32) -> Vec<f32> {
    let fs = rate.hz() as f32;
    let len = (len_ms * fs / 1000.0) as usize;
    let d = (delay_ms * fs / 1000.0) as usize;
    let tail = noise(len, 1.0, 77);
    let mut h = vec![0.0f32; len];
    h[d] = gain;
    for (i, x) in h.iter_mut().enumerate().skip(d + 1) {
        let t = (i - d) as f32 / fs;
        *x += 0.3 * gain * tail[i] * 10f32.powf(-3.0 * t / rt60);
    }
    h
}

/// A network: every packet after `base_ms` plus up to `jitter_ms` of uniform jitter, a
/// fraction `loss` lost at random.
pub fn network(
    packets: u64,
    ptime_ms: f64,
    base_ms: f64,
    jitter_ms: f64,
    loss: f64,
    seed: u64,
) -> Vec<PacketArrival> {
    let mut rng = SplitMix64::new(seed);
    let mut uni = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..packets)
        .map(|index| {
            let lost = uni() < loss;
            let jitter = uni() * jitter_ms;
            PacketArrival {
                index,
                arrival_ms: (!lost).then_some(index as f64 * ptime_ms + base_ms + jitter),
            }
        })
        .collect()
}

/// Mean square of a slice.
pub fn power(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64
}

/// 10 log10 of a power ratio.
pub fn db(ratio: f64) -> f64 {
    10.0 * ratio.max(1e-30).log10()
}

/// The best SNR of `y` against `x` over lags 0..max_lag (y delayed), with the best gain:
/// how well `y` reproduces `x`, in dB.
pub fn aligned_snr_db(x: &[f32], y: &[f32], max_lag: usize) -> (f64, usize) {
    let mut best = (f64::NEG_INFINITY, 0);
    for lag in 0..max_lag {
        let n = x.len().min(y.len().saturating_sub(lag));
        let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let a = f64::from(x[i]);
            let b = f64::from(y[i + lag]);
            xy += a * b;
            xx += a * a;
            yy += b * b;
        }
        if xx <= 0.0 || yy <= 0.0 {
            continue;
        }
        let g = xy / yy;
        let err = xx - 2.0 * g * xy + g * g * yy;
        let snr = db(xx / err.max(1e-30));
        if snr > best.0 {
            best = (snr, lag);
        }
    }
    best
}
