//! Echo canceller cost per 10 ms frame (render + capture) with the default 250 ms tail and
//! 1 s delay search, at 8, 16 and 48 kHz, in steady state: far-end noise bursts with an echo,
//! so the filters adapt, the delay search sweeps and the suppressor works every frame.
//!
//! Run with `cargo bench -p voxline-benches --bench aec`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use voxline_aec::{EchoCanceller, EchoCancellerConfig};
use voxline_core::{SampleRate, Xorshift32};

fn bench_aec(c: &mut Criterion) {
    let mut group = c.benchmark_group("aec_10ms");
    for rate in [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000] {
        let n = rate.samples_per_10ms();
        let frames = 400;
        let mut rng = Xorshift32::new(9);
        let far: Vec<f32> = (0..n * frames).map(|_| 0.1 * rng.next_bipolar()).collect();
        // A short synthetic echo path: 40 ms delay, decaying taps.
        let delay = rate.hz() as usize / 25;
        let taps: Vec<f32> = (0..n)
            .map(|i| 0.3 * (-(i as f32) / (n as f32 / 4.0)).exp())
            .collect();
        let mic: Vec<f32> = (0..n * frames)
            .map(|t| {
                taps.iter()
                    .enumerate()
                    .filter_map(|(i, h)| t.checked_sub(delay + i).map(|s| h * far[s]))
                    .sum::<f32>()
                    + 1e-3 * rng.next_bipolar()
            })
            .collect();
        let mut aec = EchoCanceller::new(EchoCancellerConfig::new(rate)).expect("config");
        let mut out = vec![0.0f32; n];
        // Converge first, so the benchmark measures the steady state.
        for k in 0..frames {
            aec.process(&far[k * n..(k + 1) * n], &mic[k * n..(k + 1) * n], &mut out)
                .expect("frame");
        }
        let mut k = 0;
        group.bench_function(format!("render_and_capture_{}k", rate.hz() / 1000), |b| {
            b.iter(|| {
                let r = k * n..(k + 1) * n;
                aec.process(
                    black_box(&far[r.clone()]),
                    black_box(&mic[r]),
                    black_box(&mut out),
                )
                .expect("frame");
                k = (k + 1) % frames;
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_aec);
criterion_main!(benches);
