//! G.711 throughput: encode and decode, both laws, over 1,048,576 speech-like samples.
//!
//! Target: >= 1.5 G samples/s on one core for each of the four. Run with
//! `cargo bench -p voxline-benches --bench g711`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use voxline_g711::{transcode, Law};

const SAMPLES: usize = 1 << 20;

/// Deterministic speech-like signal: a damped pseudo-random walk (xorshift steps) with a slowly
/// varying loudness, so every segment of both laws is visited and nothing is constant.
fn speech_like(len: usize) -> Vec<i16> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut level = 0i32;
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Loudness envelope from about -40 dBFS to full scale, period 8192 samples (~1 s).
            let phase = (i % 8192) as i32 - 4096;
            let gain = 64 + (4096 - phase.abs()) / 4; // 64..=1088
            let step = ((state >> 40) as i32 & 0xFF) - 128; // -128..=127
            level = level - level / 32 + step * gain / 64;
            level.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
        })
        .collect()
}

fn bench_g711(c: &mut Criterion) {
    let pcm = speech_like(SAMPLES);
    let mut group = c.benchmark_group("g711");
    group.throughput(Throughput::Elements(SAMPLES as u64));

    for law in [Law::Mu, Law::A] {
        let name = match law {
            Law::Mu => "ulaw",
            Law::A => "alaw",
        };
        let mut codes = vec![0u8; SAMPLES];
        group.bench_function(format!("encode_{name}"), |b| {
            b.iter(|| law.encode(black_box(&pcm), black_box(&mut codes)).unwrap());
        });

        law.encode(&pcm, &mut codes).unwrap();
        let mut decoded = vec![0i16; SAMPLES];
        group.bench_function(format!("decode_{name}"), |b| {
            b.iter(|| {
                law.decode(black_box(&codes), black_box(&mut decoded))
                    .unwrap()
            });
        });
    }

    let mut mu = vec![0u8; SAMPLES];
    Law::Mu.encode(&pcm, &mut mu).unwrap();
    let mut a = vec![0u8; SAMPLES];
    group.bench_function("transcode_ulaw_to_alaw", |b| {
        b.iter(|| transcode(Law::Mu, Law::A, black_box(&mu), black_box(&mut a)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench_g711);
criterion_main!(benches);
