//! Real-time safety: once constructed, the per-frame calls of every front-end stage allocate
//! nothing. A counting global allocator around the calls proves it.

use voxline_core::SampleRate;
use voxline_frontend::convert::{f32_to_i16_slice, i16_to_f32_slice};
use voxline_frontend::{Dither, FilterConfig, HighPassFilter, LevelMeter, Quantizer, Resampler};
use voxline_testkit::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn per_frame_calls_do_not_allocate() {
    for from in SampleRate::ALL {
        for to in SampleRate::ALL {
            let mut resampler = Resampler::new(from, to).unwrap();
            let mut filter = HighPassFilter::new(from, FilterConfig::default()).unwrap();
            let mut rumble =
                HighPassFilter::new(from, FilterConfig::HighPass { cutoff_hz: 80.0 }).unwrap();
            let mut quantizer = Quantizer::new(Dither::Tpdf { seed: 3 });
            let mut meter = LevelMeter::new();
            let mut pcm = vec![0i16; from.samples_per_10ms()];
            let mut frame = vec![0.0f32; from.samples_per_10ms()];
            let mut out = vec![0.0f32; to.samples_per_10ms()];
            let mut out_pcm = vec![0i16; to.samples_per_10ms()];

            let before = allocations();
            for n in 0..50 {
                for (i, s) in pcm.iter_mut().enumerate() {
                    *s = ((i * 37 + n * 101) % 20_000) as i16 - 10_000;
                }
                i16_to_f32_slice(&pcm, &mut frame).unwrap();
                if n == 7 {
                    frame[0] = f32::NAN;
                }
                filter.process(&mut frame);
                rumble.process(&mut frame);
                meter.process(&frame);
                resampler.process(&frame, &mut out).unwrap();
                quantizer.process(&out, &mut out_pcm).unwrap();
                f32_to_i16_slice(&out, &mut out_pcm).unwrap();
                let _ = (meter.rms_dbfs(), meter.peak_dbfs());
            }
            let after = allocations();
            assert_eq!(after - before, 0, "{from:?} -> {to:?} allocated per frame");
        }
    }
}
