//! Packet-loss concealment cost per 10 ms frame: a received frame, and a lost one (each loss
//! here is one frame long, so every concealed frame pays the loss-onset analysis).
//!
//! Run with `cargo bench -p voxline-benches --bench plc`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use voxline_core::SampleRate;
use voxline_plc::{PacketLossConcealer, PlcMode};

fn bench_plc(c: &mut Criterion) {
    let mut group = c.benchmark_group("plc_10ms");
    for rate in [SampleRate::Hz8000, SampleRate::Hz48000] {
        let n = rate.samples_per_10ms();
        let fs = rate.hz() as f32;
        let frame: Vec<f32> = (0..n)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 140.0 * i as f32 / fs).sin())
            .collect();
        let mut out = vec![0.0f32; n];
        for mode in [PlcMode::AppendixI, PlcMode::Voxline] {
            let mut plc = PacketLossConcealer::new(rate, mode).expect("supported rate");
            for _ in 0..10 {
                plc.good(&frame, &mut out).expect("frame");
            }
            let khz = rate.hz() / 1000;
            group.bench_function(format!("{mode}_lost_then_good_{khz}k"), |b| {
                b.iter(|| {
                    plc.conceal(black_box(&mut out)).expect("frame");
                    plc.good(black_box(&frame), black_box(&mut out))
                        .expect("frame");
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_plc);
criterion_main!(benches);
