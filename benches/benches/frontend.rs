//! Front-end cost per 10 ms frame: resampling, DC removal, conversion and dithered quantisation.
//!
//! Run with `cargo bench -p voxline-benches --bench frontend`. A 10 ms frame is the unit of the
//! real-time budget: 10 ms of one core is 100 % of it.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use voxline_core::SampleRate;
use voxline_frontend::convert::{f32_to_i16_slice, i16_to_f32_slice};
use voxline_frontend::{Dither, FilterConfig, HighPassFilter, Quantizer, Resampler};

fn tone(len: usize, rate: SampleRate) -> Vec<f32> {
    (0..len)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate.hz() as f32).sin())
        .collect()
}

fn bench_resampler(c: &mut Criterion) {
    let mut group = c.benchmark_group("resample_10ms");
    use SampleRate::*;
    for (from, to) in [
        (Hz8000, Hz48000),
        (Hz48000, Hz8000),
        (Hz16000, Hz48000),
        (Hz44100, Hz48000),
        (Hz48000, Hz16000),
    ] {
        let mut r = Resampler::new(from, to).expect("supported pair");
        let input = tone(r.input_len(), from);
        let mut output = vec![0.0f32; r.output_len()];
        group.throughput(Throughput::Elements(r.input_len() as u64));
        group.bench_function(
            format!("{}k_to_{}k", from.hz() / 1000, to.hz() / 1000),
            |b| {
                b.iter(|| {
                    r.process(black_box(&input), black_box(&mut output))
                        .expect("frame")
                })
            },
        );
    }
    group.finish();
}

fn bench_filters(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_10ms_48k");
    let rate = SampleRate::Hz48000;
    let n = rate.samples_per_10ms();
    group.throughput(Throughput::Elements(n as u64));
    let mut f = HighPassFilter::new(rate, FilterConfig::default()).expect("valid");
    let mut frame = tone(n, rate);
    group.bench_function("dc_removal", |b| {
        b.iter(|| f.process(black_box(&mut frame)))
    });
    let pcm: Vec<i16> = (0..n).map(|i| (i as i16).wrapping_mul(311)).collect();
    let mut floats = vec![0.0f32; n];
    group.bench_function("i16_to_f32", |b| {
        b.iter(|| i16_to_f32_slice(black_box(&pcm), black_box(&mut floats)).expect("len"))
    });
    let mut out = vec![0i16; n];
    group.bench_function("f32_to_i16", |b| {
        b.iter(|| f32_to_i16_slice(black_box(&frame), black_box(&mut out)).expect("len"))
    });
    let mut q = Quantizer::new(Dither::Tpdf { seed: 1 });
    group.bench_function("quantize_tpdf", |b| {
        b.iter(|| {
            q.process(black_box(&frame), black_box(&mut out))
                .expect("len")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_resampler, bench_filters);
criterion_main!(benches);
