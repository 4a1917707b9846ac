//! Shared helpers of the echo-canceller tests: loading speech, a simple synthetic room, fast
//! convolution, running the canceller over whole signals, and echo-reduction measures.
#![allow(dead_code)]

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;
use std::path::PathBuf;
use voxline_aec::{EchoCanceller, EchoCancellerConfig, EchoCancellerStats};
use voxline_core::{SampleRate, SplitMix64};

/// Path of a file in the repository's testdata folder.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// Reads a mono WAV from testdata as f32 samples and its rate.
pub fn load(rel: &str) -> (Vec<f32>, u32) {
    let file = std::fs::File::open(testdata(rel)).expect("testdata WAV");
    let audio = voxline_wav::read_audio(std::io::BufReader::new(file)).expect("testdata WAV");
    (audio.to_mono_f32(), audio.sample_rate)
}

/// Gaussian-ish noise from a seeded generator (sum of 4 uniforms).
pub fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..len)
        .map(|_| {
            let mut s = 0.0f32;
            for _ in 0..4 {
                s += (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            }
            s * 0.866
        })
        .collect()
}

/// A synthetic room impulse response: a direct path of gain `direct` after `delay` samples,
/// then exponentially decaying noise with reverberation time `rt60` seconds.
pub fn room(rate: u32, delay: usize, rt60: f32, direct: f32, seed: u64) -> Vec<f32> {
    let tail = (rt60 * rate as f32) as usize;
    let mut h = vec![0.0f32; delay + tail];
    h[delay] = direct;
    let n = noise(tail, seed);
    let decay = -6.9078 / (rt60 * rate as f32); // ln(1e-3) per rt60
    let onset = rate as usize / 500; // first reflections after 2 ms
    for i in onset..tail {
        h[delay + i] += 0.35 * direct * n[i] * (decay * i as f32).exp() * 8.0
            / (rate as f32 / 1000.0).sqrt()
            / 4.0;
    }
    h
}

/// Linear convolution of `x` with `h`, truncated to the length of `x`.
pub fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    let n = (x.len() + h.len()).next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut a = vec![0.0f32; n];
    a[..x.len()].copy_from_slice(x);
    let mut b = vec![0.0f32; n];
    b[..h.len()].copy_from_slice(h);
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    fwd.process(&mut a, &mut fa).unwrap();
    fwd.process(&mut b, &mut fb).unwrap();
    let mut prod: Vec<Complex<f32>> = fa.iter().zip(&fb).map(|(p, q)| p * q).collect();
    let last = prod.len() - 1;
    prod[0].im = 0.0;
    prod[last].im = 0.0;
    let mut out = vec![0.0f32; n];
    inv.process(&mut prod, &mut out).unwrap();
    out.truncate(x.len());
    for v in &mut out {
        *v /= n as f32;
    }
    out
}

/// Runs a canceller over whole signals (render and capture of equal length); returns the
/// output and the stats after each frame.
pub fn run(
    config: EchoCancellerConfig,
    far: &[f32],
    mic: &[f32],
) -> (Vec<f32>, Vec<EchoCancellerStats>) {
    let mut aec = EchoCanceller::new(config).unwrap();
    let n = aec.frame_len();
    let frames = far.len().min(mic.len()) / n;
    let mut out = vec![0.0f32; frames * n];
    let mut stats = Vec::with_capacity(frames);
    for k in 0..frames {
        let r = k * n..(k + 1) * n;
        aec.process(&far[r.clone()], &mic[r.clone()], &mut out[r])
            .unwrap();
        stats.push(aec.stats());
    }
    (out, stats)
}

/// Default configuration at `rate` Hz.
pub fn config(rate: u32) -> EchoCancellerConfig {
    EchoCancellerConfig::new(SampleRate::from_hz(rate).unwrap())
}

/// Echo reduction (dB) of each 100 ms window: microphone energy over output energy, for the
/// windows where the echo component is above `-50 dBFS`; `None` for the others.
pub fn erle_windows(mic: &[f32], echo: &[f32], out: &[f32], rate: u32) -> Vec<Option<f32>> {
    let w = rate as usize / 10;
    let len = out.len().min(mic.len());
    (0..len / w)
        .map(|k| {
            let r = k * w..(k + 1) * w;
            let e: f32 = echo[r.clone()].iter().map(|v| v * v).sum::<f32>() / w as f32;
            if e < 1e-5 {
                return None;
            }
            let m: f32 = mic[r.clone()].iter().map(|v| v * v).sum();
            let o: f32 = out[r].iter().map(|v| v * v).sum();
            Some(10.0 * ((m + 1e-12) / (o + 1e-12)).log10())
        })
        .collect()
}

/// Median of the defined values of `v` from window `from` on.
pub fn median_from(v: &[Option<f32>], from: usize) -> f32 {
    let mut xs: Vec<f32> = v.iter().skip(from).flatten().copied().collect();
    assert!(!xs.is_empty(), "no echo windows");
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Scales `x` so its RMS over the non-silent part is `rms`.
pub fn set_level(x: &mut [f32], rms: f32) {
    let e: f32 = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let g = rms / e.sqrt().max(1e-9);
    for v in x {
        *v *= g;
    }
}

/// Segmental SNR (dB) of `out` against `reference` over 10 ms frames where the reference is
/// active, each frame's SNR clamped to -10..35 dB: how well the near-end talker survives.
pub fn segmental_snr(reference: &[f32], out: &[f32], rate: u32) -> f32 {
    let w = rate as usize / 100;
    let mut sum = 0.0;
    let mut count = 0;
    for k in 0..reference.len().min(out.len()) / w {
        let r = &reference[k * w..(k + 1) * w];
        let o = &out[k * w..(k + 1) * w];
        let s: f32 = r.iter().map(|v| v * v).sum();
        if s / (w as f32) < 1e-5 {
            continue;
        }
        let n: f32 = r.iter().zip(o).map(|(a, b)| (a - b) * (a - b)).sum();
        sum += (10.0 * (s / (n + 1e-12)).log10()).clamp(-10.0, 35.0);
        count += 1;
    }
    sum / count.max(1) as f32
}
