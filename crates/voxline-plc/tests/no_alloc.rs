//! Real-time safety of every concealment mode: once constructed, `good`, `conceal` and `flush`
//! allocate nothing, at every supported rate and through every code path (loss onset with the
//! pitch and LPC analysis, Appendix I's 2nd/3rd-frame buffer extension, attenuation, muting or
//! comfort noise, and the end-of-loss cross-fade). A counting global allocator proves it.

use voxline_core::SampleRate;
use voxline_plc::{PacketLossConcealer, PlcMode};
use voxline_testkit::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn per_frame_calls_do_not_allocate() {
    for rate in [
        SampleRate::Hz8000,
        SampleRate::Hz16000,
        SampleRate::Hz32000,
        SampleRate::Hz48000,
    ] {
        for mode in PlcMode::ALL {
            let n = rate.samples_per_10ms();
            let mut plc = PacketLossConcealer::new(rate, mode).unwrap();
            let mut input = vec![0.0f32; 3 * n];
            let mut out = vec![0.0f32; 3 * n];
            // Burst lengths 1..=12 separated by 1..=3 good frames, plus 20 and 30 ms calls.
            let pattern: Vec<bool> = (1..=12)
                .flat_map(|l| {
                    std::iter::repeat_n(true, l).chain(std::iter::repeat_n(false, 1 + l % 3))
                })
                .collect();

            let before = allocations();
            for (k, &lost) in pattern.iter().enumerate() {
                for (i, x) in input.iter_mut().enumerate() {
                    let t = (k * n + i) as f32;
                    *x = 0.4 * (t * 0.031).sin() + 0.1 * (t * 0.17).sin();
                }
                let len = n * (1 + k % 3);
                if lost {
                    plc.conceal(&mut out[..len]).unwrap();
                } else {
                    plc.good(&input[..len], &mut out[..len]).unwrap();
                }
            }
            plc.flush(&mut out).unwrap();
            assert_eq!(
                allocations(),
                before,
                "{rate} {mode}: per-frame calls allocated"
            );
        }
    }
}
