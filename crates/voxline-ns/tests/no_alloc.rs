//! Real-time safety: once constructed, `process`, `process_in_place` and `reset` allocate
//! nothing, at every rate, for 10/20/30 ms calls, through start-up, speech, noise, clicks, silence
//! and NaN input. A counting global allocator proves it.

use voxline_core::SampleRate;
use voxline_ns::{NoiseSuppressor, NsConfig};
use voxline_testkit::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn per_frame_calls_do_not_allocate() {
    for rate in SampleRate::ALL {
        let n = rate.samples_per_10ms();
        let mut ns = NoiseSuppressor::new(rate, NsConfig::default()).unwrap();
        let mut input = vec![0.0f32; 3 * n];
        let mut out = vec![0.0f32; 3 * n];
        let mut seed = 1u32;
        let mut max_rate = 0.0f32;
        let before = allocations();
        for k in 0..400usize {
            for (i, x) in input.iter_mut().enumerate() {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let noise = (seed as f32 / u32::MAX as f32 - 0.5) * 0.02;
                let t = (k * 3 * n + i) as f32;
                // A 150 Hz voiced sound with harmonics (the pitch filter's path).
                let w = 2.0 * std::f32::consts::PI * 150.0 / rate.hz() as f32;
                let speech = if (k / 20) % 2 == 1 {
                    0.2 * ((t * w).sin() + 0.5 * (2.0 * t * w).sin() + 0.3 * (3.0 * t * w).sin())
                } else {
                    0.0
                };
                // A click every 60 ms or so, frequent enough to engage the transient limit.
                let click = if (k * 3 * n + i) % (6 * n + 7) < n / 20 {
                    0.5
                } else {
                    0.0
                };
                *x = match k {
                    0..=9 => 0.0,
                    200 => f32::NAN,
                    _ => noise + speech + click,
                };
            }
            let len = n * (1 + k % 3);
            if k % 5 == 0 {
                out[..len].copy_from_slice(&input[..len]);
                ns.process_in_place(&mut out[..len]).unwrap();
            } else {
                ns.process(&input[..len], &mut out[..len]).unwrap();
            }
            let _ = ns.speech_probability();
            max_rate = max_rate.max(ns.transient_rate());
            if k == 300 {
                ns.reset();
            }
        }
        assert_eq!(allocations(), before, "{rate}: per-frame calls allocated");
        assert!(max_rate > 3.0, "{rate}: the transient limit never engaged");
    }
}
