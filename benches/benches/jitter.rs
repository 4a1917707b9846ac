//! Jitter-buffer cost per 10 ms: one `pull` plus the packet inserts that arrive meanwhile,
//! on a jittery stream of 20 ms G.711 packets (so the buffer stretches and conceals as in a
//! real call), and the time-stretcher alone.
//!
//! Run with `cargo bench -p voxline-benches --bench jitter`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use voxline_core::SampleRate;
use voxline_jitter::{JitterBuffer, JitterConfig, PacketHeader, Payload, TimeStretcher};

fn voiced(n: usize) -> f32 {
    let t = n as f32 / 8000.0;
    (1..6)
        .map(|h| (2.0 * std::f32::consts::PI * 120.0 * h as f32 * t).sin() / h as f32)
        .sum::<f32>()
        * 0.2
}

fn bench_jitter(c: &mut Criterion) {
    let mut group = c.benchmark_group("jitter");
    // Two minutes of packets with 0..60 ms of jitter, replayed cyclically.
    let packets: Vec<Vec<f32>> = (0..6000)
        .map(|k| (0..160).map(|i| voiced(k * 160 + i)).collect())
        .collect();
    let mut jb = JitterBuffer::new(JitterConfig::default()).expect("valid config");
    let mut frame = vec![0.0f32; jb.frame_len()];
    let mut now = 0.0f64;
    let mut next = 0u32;
    group.bench_function("pull_10ms_with_inserts_8k", |b| {
        b.iter(|| {
            while f64::from(next) * 20.0 + 30.0 + f64::from((next * 7919) % 61) <= now {
                let k = next as usize % packets.len();
                let h = PacketHeader {
                    sequence: next as u16,
                    timestamp: next.wrapping_mul(160),
                    ssrc: 1,
                    marker: false,
                };
                let _ = jb.insert(h, Payload::Audio(&packets[k]), now);
                next += 1;
            }
            jb.pull(now, black_box(&mut frame)).expect("frame");
            while jb.poll_played().is_some() {}
            now += 10.0;
        })
    });
    for rate in [SampleRate::Hz8000, SampleRate::Hz48000] {
        let mut st = TimeStretcher::new(rate);
        let n = st.required_len();
        let fs = rate.hz() as f32;
        let x: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * 150.0 * i as f32 / fs).sin() * 0.3)
            .collect();
        let mut work = x.clone();
        group.bench_function(format!("accelerate_{}k", rate.hz() / 1000), |b| {
            b.iter(|| {
                work.copy_from_slice(&x);
                black_box(st.accelerate(black_box(&mut work)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_jitter);
criterion_main!(benches);
