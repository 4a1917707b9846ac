//! Property tests of the front-end's invariants.

use proptest::prelude::*;
use voxline_core::{Latency, SampleRate};
use voxline_frontend::convert::{f32_to_i16_slice, i16_to_f32_slice};
use voxline_frontend::{
    resample_all, Dither, FilterConfig, HighPassFilter, LevelMeter, Quantizer, Resampler,
    LEVEL_FLOOR_DBFS,
};

fn rate() -> impl Strategy<Value = SampleRate> {
    prop::sample::select(SampleRate::ALL.to_vec())
}

proptest! {
    #[test]
    fn i16_f32_i16_is_exact(samples in prop::collection::vec(any::<i16>(), 0..2000)) {
        let mut f = vec![0.0f32; samples.len()];
        i16_to_f32_slice(&samples, &mut f).unwrap();
        prop_assert!(f.iter().all(|v| (-1.0..1.0).contains(v)));
        let mut back = vec![0i16; samples.len()];
        f32_to_i16_slice(&f, &mut back).unwrap();
        prop_assert_eq!(back, samples);
    }

    #[test]
    fn tpdf_dither_is_bounded(seed in any::<u64>(), xs in prop::collection::vec(-1.2f32..1.2, 1..500)) {
        let mut q = Quantizer::new(Dither::Tpdf { seed });
        let mut out = vec![0i16; xs.len()];
        q.process(&xs, &mut out).unwrap();
        for (&x, &y) in xs.iter().zip(&out) {
            let ideal = (f64::from(x) * 32768.0).clamp(-32768.0, 32767.0);
            // Triangular dither spans +-1 LSB, rounding adds at most half an LSB.
            prop_assert!((f64::from(y) - ideal).abs() <= 1.5 + 1e-3, "{} -> {}", x, y);
        }
    }

    #[test]
    fn resample_all_length_and_streaming_latency(
        from in rate(), to in rate(), len in 0usize..5000,
    ) {
        let input: Vec<f32> = (0..len).map(|i| ((i * 7919) % 2000) as f32 / 2000.0 - 0.5).collect();
        let out = resample_all(from, to, &input).unwrap();
        let expected = (len as f64 * f64::from(to.hz()) / f64::from(from.hz())).round() as usize;
        prop_assert_eq!(out.len(), expected);
        prop_assert!(out.iter().all(|v| v.is_finite()));
        let r = Resampler::new(from, to).unwrap();
        prop_assert_eq!(r.input_len(), from.samples_per_10ms());
        prop_assert_eq!(r.output_len(), to.samples_per_10ms());
        // Half a frame of delay (0 when the rates are equal).
        let half = if from == to { 0.0 } else { to.samples_per_10ms() as f64 / 2.0 };
        prop_assert!((r.latency_samples() as f64 - half).abs() <= 1.0);
    }

    #[test]
    fn filters_and_meter_stay_finite_on_any_input(
        rate in rate(),
        cutoff in 10.0f32..1000.0,
        xs in prop::collection::vec(prop_oneof![
            -1.0f32..1.0,
            Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(1e-40f32), Just(1.0e6f32),
        ], 1..2000),
    ) {
        let mut f = HighPassFilter::new(rate, FilterConfig::HighPass { cutoff_hz: cutoff }).unwrap();
        let mut y = xs.clone();
        f.process(&mut y);
        prop_assert!(y.iter().all(|v| v.is_finite()));
        let mut m = LevelMeter::new();
        m.process(&xs);
        prop_assert!(m.rms_dbfs() >= LEVEL_FLOOR_DBFS && m.rms_dbfs().is_finite());
        prop_assert!(m.peak_dbfs() >= m.rms_dbfs() - 1e-3);
    }
}
