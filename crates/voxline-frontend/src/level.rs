//! RMS and peak level metering in dBFS.

/// The lowest level reported, in dBFS: silence reads as this rather than minus infinity (the
/// same floor as the RFC 6464 audio-level header and WebRTC's level estimator).
pub const LEVEL_FLOOR_DBFS: f32 = -127.0;

/// Measures RMS and peak level of the samples fed since the last [`reset`](Self::reset).
///
/// 0 dBFS is a full-scale square wave (RMS 1.0); a full-scale sine reads -3.01 dBFS RMS and
/// 0 dBFS peak. Non-finite samples are ignored and counted. Allocation-free.
#[derive(Debug, Clone, Default)]
pub struct LevelMeter {
    sum_squares: f64,
    count: u64,
    peak: f32,
    non_finite: u64,
}

impl LevelMeter {
    /// A meter with nothing measured yet (both levels read [`LEVEL_FLOOR_DBFS`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds samples to the measurement.
    pub fn process(&mut self, samples: &[f32]) {
        for &s in samples {
            if s.is_finite() {
                self.sum_squares += f64::from(s) * f64::from(s);
                self.peak = self.peak.max(s.abs());
                self.count += 1;
            } else {
                self.non_finite += 1;
            }
        }
    }

    /// RMS level of everything measured since the last reset, in dBFS (floored).
    #[must_use]
    pub fn rms_dbfs(&self) -> f32 {
        if self.count == 0 {
            return LEVEL_FLOOR_DBFS;
        }
        to_dbfs((self.sum_squares / self.count as f64).sqrt())
    }

    /// Largest absolute sample since the last reset, in dBFS (floored).
    #[must_use]
    pub fn peak_dbfs(&self) -> f32 {
        to_dbfs(f64::from(self.peak))
    }

    /// Number of finite samples measured since the last reset.
    #[must_use]
    pub fn samples(&self) -> u64 {
        self.count
    }

    /// Number of NaN or infinite samples seen (and ignored) since the last reset.
    #[must_use]
    pub fn non_finite_samples(&self) -> u64 {
        self.non_finite
    }

    /// Starts a new measurement.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

fn to_dbfs(amplitude: f64) -> f32 {
    if amplitude <= 0.0 {
        return LEVEL_FLOOR_DBFS;
    }
    ((20.0 * amplitude.log10()) as f32).max(LEVEL_FLOOR_DBFS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_square_and_silence() {
        let mut m = LevelMeter::new();
        assert_eq!(m.rms_dbfs(), LEVEL_FLOOR_DBFS);
        let sine: Vec<f32> = (0..48000)
            .map(|i| (2.0 * core::f32::consts::PI * 1000.0 * i as f32 / 48000.0).sin())
            .collect();
        m.process(&sine);
        assert!((m.rms_dbfs() + 3.0103).abs() < 0.01);
        assert!(m.peak_dbfs().abs() < 0.01);
        m.reset();
        m.process(&[0.5, -0.5, 0.5, -0.5]);
        assert!((m.rms_dbfs() + 6.0206).abs() < 0.001);
        m.reset();
        m.process(&[0.0; 100]);
        assert_eq!(m.rms_dbfs(), LEVEL_FLOOR_DBFS);
        assert_eq!(m.peak_dbfs(), LEVEL_FLOOR_DBFS);
        m.process(&[1e-9]);
        assert_eq!(m.peak_dbfs(), LEVEL_FLOOR_DBFS);
    }

    #[test]
    fn non_finite_samples_are_ignored_and_counted() {
        let mut m = LevelMeter::new();
        m.process(&[f32::NAN, 0.5, f32::INFINITY, -0.5]);
        assert_eq!(m.non_finite_samples(), 2);
        assert_eq!(m.samples(), 2);
        assert!((m.rms_dbfs() + 6.0206).abs() < 0.001);
    }
}
