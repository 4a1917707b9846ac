//! Signals and measurements shared by the noise-suppressor tests.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use voxline_core::{SampleRate, Xorshift32};
use voxline_ns::{suppress_recording, NsConfig};

/// The four native rates of the issue.
pub const RATES: [SampleRate; 4] = [
    SampleRate::Hz8000,
    SampleRate::Hz16000,
    SampleRate::Hz32000,
    SampleRate::Hz48000,
];

/// Gaussian white noise (sum of 4 uniforms, close enough) with RMS `rms`.
pub fn white(len: usize, rms: f32, seed: u32) -> Vec<f32> {
    let mut rng = Xorshift32::new(seed);
    // Sum of 4 uniforms on [-1, 1] has variance 4/3.
    let scale = rms / (4.0f32 / 3.0).sqrt();
    (0..len)
        .map(|_| scale * (0..4).map(|_| rng.next_bipolar()).sum::<f32>())
        .collect()
}

/// Pink-ish noise (white through Kellet's economy 1/f filter), RMS `rms`.
pub fn pink(len: usize, rms: f32, seed: u32) -> Vec<f32> {
    let w = white(len, 1.0, seed);
    let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
    let mut x: Vec<f32> = w
        .iter()
        .map(|&v| {
            b0 = 0.99765 * b0 + v * 0.0990460;
            b1 = 0.96300 * b1 + v * 0.2965164;
            b2 = 0.57000 * b2 + v * 1.0526913;
            b0 + b1 + b2 + v * 0.1848
        })
        .collect();
    let now = rms_of(&x);
    for v in &mut x {
        *v *= rms / now;
    }
    x
}

pub fn rms_of(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

pub fn db(ratio_power: f64) -> f64 {
    10.0 * ratio_power.log10()
}

pub fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

/// Offline suppression (aligned output).
pub fn suppress(rate: SampleRate, att: f32, x: &[f32]) -> Vec<f32> {
    suppress_recording(rate, NsConfig::with_max_attenuation_db(att), x).expect("valid config")
}

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// A committed WAV fixture as f32 with its rate.
pub fn read_fixture(rel: &str) -> (SampleRate, Vec<f32>) {
    let path = testdata(rel);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let audio = voxline_wav::read_audio(std::io::BufReader::new(file)).expect("valid WAV");
    let rate = SampleRate::from_hz(audio.sample_rate).expect("supported rate");
    (rate, audio.to_f32())
}

/// Per-10-ms-frame energies.
pub fn frame_energies(x: &[f32], n: usize) -> Vec<f64> {
    x.chunks_exact(n).map(energy).collect()
}
