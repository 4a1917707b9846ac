//! Real-time safety: once constructed, `analyze_render`, `process_capture` and `process`
//! allocate nothing, at every rate and through every code path exercised by a call with a
//! delay jump, filter copies, drift following, suppression and comfort noise.

mod common;

use common::*;
use voxline_aec::EchoCanceller;
use voxline_testkit::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn per_frame_calls_do_not_allocate() {
    for rate in [8000u32, 16000, 32000, 48000] {
        let n = rate as usize / 100;
        let secs = 6;
        let far: Vec<f32> = noise(rate as usize * secs, 1)
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if (i / (rate as usize / 3)) % 3 == 2 {
                    0.0
                } else {
                    0.1 * v
                }
            })
            .collect();
        // Echo delay 50 ms for 3 s, then 250 ms: the delay estimate jumps.
        let h1 = room(rate, rate as usize / 20, 0.15, 0.5, 2);
        let h2 = room(rate, rate as usize / 4, 0.15, 0.5, 2);
        let e1 = convolve(&far, &h1);
        let e2 = convolve(&far, &h2);
        let half = far.len() / 2;
        let mic: Vec<f32> = (0..far.len())
            .map(|i| if i < half { e1[i] } else { e2[i] })
            .collect();
        let mut aec = EchoCanceller::new(config(rate)).unwrap();
        let mut out = vec![0.0f32; n];
        let before = allocations();
        for k in 0..far.len() / n {
            let r = k * n..(k + 1) * n;
            if k % 50 == 7 {
                // A capture without its render frame, then two render frames.
                aec.process_capture(&mic[r.clone()], &mut out).unwrap();
                aec.analyze_render(&far[r.clone()]).unwrap();
                aec.analyze_render(&far[r.clone()]).unwrap();
            } else {
                aec.process(&far[r.clone()], &mic[r], &mut out).unwrap();
            }
            let _ = aec.stats();
        }
        assert_eq!(
            allocations(),
            before,
            "{rate} Hz: per-frame calls allocated"
        );
        assert!(aec.stats().delay_ms.is_some());
    }
}
