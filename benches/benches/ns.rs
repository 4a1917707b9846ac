//! Noise-suppressor cost per 10 ms frame at 8, 16 and 48 kHz, on noisy speech-like input
//! (steady state: the suppressor has run for a second before timing starts).
//!
//! Run with `cargo bench -p voxline-benches --bench ns`. The speed target is 10 us per frame
//! at 16 kHz; `python3 tools/eval/ns_eval.py --speed` times SpeexDSP's preprocessor and
//! WebRTC's noise suppressor on this machine for comparison and reads these results.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use voxline_core::{SampleRate, Xorshift32};
use voxline_ns::{NoiseSuppressor, NsConfig};

fn bench_ns(c: &mut Criterion) {
    let mut group = c.benchmark_group("ns_10ms");
    for rate in [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000] {
        let n = rate.samples_per_10ms();
        let fs = rate.hz() as f32;
        let mut rng = Xorshift32::new(7);
        // 1 s of a vowel-like harmonic signal switching on and off, in white noise.
        let signal: Vec<f32> = (0..100 * n)
            .map(|i| {
                let t = i as f32 / fs;
                let on = (i / (25 * n)) % 2 == 1;
                let voice: f32 = (1..20)
                    .map(|k| (2.0 * std::f32::consts::PI * 130.0 * k as f32 * t).sin() / k as f32)
                    .sum();
                0.01 * rng.next_bipolar() + if on { 0.05 * voice } else { 0.0 }
            })
            .collect();
        let mut ns = NoiseSuppressor::new(rate, NsConfig::default()).expect("supported rate");
        let mut out = vec![0.0f32; n];
        for frame in signal.chunks_exact(n) {
            ns.process(frame, &mut out).expect("frame");
        }
        let mut k = 0usize;
        group.bench_function(format!("process_{}k", rate.hz() / 1000), |b| {
            b.iter(|| {
                let frame = &signal[k * n..(k + 1) * n];
                k = (k + 1) % 100;
                ns.process(black_box(frame), black_box(&mut out))
                    .expect("frame");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_ns);
criterion_main!(benches);
