//! A smoothed signal level for statistics.

/// Level reported for silence, in dBFS.
pub const SILENCE_DBFS: f32 = -127.0;

/// Mean-square level smoothed over about 100 ms (one-pole, 10 ms frames), in dBFS where a
/// full-scale square wave is 0 dBFS (a full-scale sine is -3 dBFS).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SmoothedLevel {
    power: f32,
}

impl SmoothedLevel {
    /// Adds one frame (finite samples expected; non-finite ones count as 0).
    pub(crate) fn update(&mut self, frame: &[f32]) {
        if frame.is_empty() {
            return;
        }
        let sum: f32 = frame
            .iter()
            .map(|&x| if x.is_finite() { x * x } else { 0.0 })
            .sum();
        let mean = sum / frame.len() as f32;
        self.power += 0.1 * (mean - self.power);
        if !self.power.is_finite() || self.power < 1e-20 {
            self.power = 0.0;
        }
    }

    /// The level in dBFS (floored at [`SILENCE_DBFS`]).
    pub(crate) fn dbfs(&self) -> f32 {
        power_dbfs(self.power)
    }
}

/// A mean-square power as dBFS, floored at [`SILENCE_DBFS`].
pub(crate) fn power_dbfs(power: f32) -> f32 {
    if power > 0.0 {
        (10.0 * power.log10()).max(SILENCE_DBFS)
    } else {
        SILENCE_DBFS
    }
}
