//! Interarrival jitter (RFC 3550 §6.4.1, computed as in Appendix A.8).

/// Running estimate of the interarrival jitter of one source, in timestamp units.
///
/// For each packet, the transit time is its arrival time minus its RTP timestamp (both in
/// timestamp units, with an arbitrary common offset); `D` is the change in transit time from
/// the previous packet, and the estimate moves 1/16 of the way towards `|D|`:
/// `J += (|D| - J) / 16`. Feed packets in arrival order. The crate reads no clock: arrival
/// times come in as arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitterEstimator {
    /// Previous transit time: whole timestamp units (wrapping) and a fraction in [0, 1).
    last_transit: Option<(u32, f64)>,
    jitter: f64,
}

impl JitterEstimator {
    /// An estimator that has seen no packet (jitter 0).
    pub const fn new() -> Self {
        JitterEstimator {
            last_transit: None,
            jitter: 0.0,
        }
    }

    /// Updates the estimate with a packet stamped `rtp_timestamp` that arrived at `arrival`, a
    /// reading of the receiver's clock in the same units (wrapping like the timestamp).
    /// Returns the new estimate.
    pub fn update(&mut self, rtp_timestamp: u32, arrival: u32) -> f64 {
        self.update_transit(arrival.wrapping_sub(rtp_timestamp), 0.0)
    }

    /// Like [`update`](Self::update) with the arrival time in microseconds of any monotonic
    /// clock, converted at `clock_rate_hz` (8000 for G.711) keeping the sub-unit fraction.
    pub fn update_micros(
        &mut self,
        rtp_timestamp: u32,
        arrival_us: u64,
        clock_rate_hz: u32,
    ) -> f64 {
        let units = u128::from(arrival_us) * u128::from(clock_rate_hz);
        // Only differences of transit times matter, so wrapping the whole part is harmless.
        let whole = (units / 1_000_000) as u32;
        let fraction = (units % 1_000_000) as f64 / 1e6;
        self.update_transit(whole.wrapping_sub(rtp_timestamp), fraction)
    }

    fn update_transit(&mut self, transit: u32, fraction: f64) -> f64 {
        if let Some((last, last_fraction)) = self.last_transit {
            let d = f64::from(transit.wrapping_sub(last) as i32) + (fraction - last_fraction);
            self.jitter += (d.abs() - self.jitter) / 16.0;
        }
        self.last_transit = Some((transit, fraction));
        self.jitter
    }

    /// The current estimate in timestamp units.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// The estimate rounded to whole timestamp units, as the RTCP report block carries it.
    pub fn jitter_report(&self) -> u32 {
        // Saturating float-to-int conversion; the estimate is never negative.
        self.jitter.round() as u32
    }

    /// The current estimate in seconds at `clock_rate_hz`.
    pub fn jitter_seconds(&self, clock_rate_hz: u32) -> f64 {
        self.jitter / f64::from(clock_rate_hz)
    }

    /// Forgets all packets, as for a new or restarted stream.
    pub fn reset(&mut self) {
        *self = JitterEstimator::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_delay_has_no_jitter() {
        let mut j = JitterEstimator::new();
        for i in 0..100u32 {
            j.update(
                i.wrapping_mul(160).wrapping_add(u32::MAX - 1000),
                i * 160 + 5000,
            );
        }
        assert_eq!(j.jitter(), 0.0);
    }

    #[test]
    fn one_step_moves_a_sixteenth() {
        let mut j = JitterEstimator::new();
        assert_eq!(j.update(0, 100), 0.0);
        assert_eq!(j.update(160, 276), 1.0);
        assert_eq!(j.jitter_report(), 1);
        assert_eq!(j.jitter_seconds(8000), 1.0 / 8000.0);
        j.reset();
        assert_eq!(j.jitter(), 0.0);
    }
}
