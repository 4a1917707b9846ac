//! Configuration of the jitter buffer, validated at construction.

use voxline_core::{Error, Result, SampleRate};

/// Settings of a [`JitterBuffer`](crate::JitterBuffer). `Default` suits a G.711 call at
/// 8 kHz with 10-30 ms packets.
#[derive(Debug, Clone, PartialEq)]
pub struct JitterConfig {
    /// Media clock and output rate (8 kHz for G.711).
    pub rate: SampleRate,
    /// Lower bound of the target delay (receiver time minus media time, above the fastest
    /// packet), in ms.
    pub min_delay_ms: u32,
    /// Upper bound of the target delay, in ms.
    pub max_delay_ms: u32,
    /// Extra delay above the first packet's transit time used until enough packets have been
    /// seen to estimate the delay distribution, in ms.
    pub initial_delay_ms: u32,
    /// Fraction of packets that should arrive in time: the target delay is this quantile of
    /// the recent transit times (0.99: about 1 % may be late).
    pub on_time_quantile: f64,
    /// Confidence margin on that quantile, in binomial standard deviations of its rank: with
    /// a short history the estimate is raised (a network's rare spikes may not have shown
    /// yet); with a long one the margin fades. 0 uses the plain quantile.
    pub quantile_confidence: f64,
    /// Extra delay added to the quantile, in ms.
    pub safety_margin_ms: f64,
    /// How far back the delay statistics look, in ms of arrival time. Long (2 minutes by
    /// default): delay spikes are rare events, and forgetting them too soon invites the next.
    pub history_ms: u32,
    /// Capacity of the packet store; when it is full the oldest packet is discarded.
    pub max_packets: usize,
    /// Longest packet accepted, in ms of audio.
    pub max_packet_ms: u32,
    /// Change the delay by time-stretching speech (on) or only by concealment stalls and at
    /// talk-spurt starts (off).
    pub time_stretch: bool,
    /// A timestamp further than this from the expected one (in ms of media time) is a jump:
    /// the buffer resynchronises to the new timeline.
    pub resync_threshold_ms: u32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            rate: SampleRate::Hz8000,
            min_delay_ms: 0,
            max_delay_ms: 2000,
            initial_delay_ms: 60,
            on_time_quantile: 0.99,
            quantile_confidence: 1.0,
            safety_margin_ms: 0.0,
            history_ms: 120_000,
            max_packets: 256,
            max_packet_ms: 120,
            time_stretch: true,
            resync_threshold_ms: 10_000,
        }
    }
}

impl JitterConfig {
    /// A default configuration for `rate`.
    #[must_use]
    pub fn for_rate(rate: SampleRate) -> Self {
        Self {
            rate,
            ..Self::default()
        }
    }

    /// Checks every value; the error names the offending one.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::InvalidConfig(msg));
        if self.max_delay_ms == 0 || self.max_delay_ms > 10_000 {
            return bad(format!(
                "max_delay_ms {} is outside 1..=10000",
                self.max_delay_ms
            ));
        }
        if self.min_delay_ms > self.max_delay_ms {
            return bad(format!(
                "min_delay_ms {} exceeds max_delay_ms {}",
                self.min_delay_ms, self.max_delay_ms
            ));
        }
        if self.initial_delay_ms > self.max_delay_ms {
            return bad(format!(
                "initial_delay_ms {} exceeds max_delay_ms {}",
                self.initial_delay_ms, self.max_delay_ms
            ));
        }
        if !(self.on_time_quantile > 0.5 && self.on_time_quantile < 1.0) {
            return bad(format!(
                "on_time_quantile {} is outside (0.5, 1)",
                self.on_time_quantile
            ));
        }
        if !(0.0..=5.0).contains(&self.quantile_confidence) {
            return bad(format!(
                "quantile_confidence {} is outside 0..=5",
                self.quantile_confidence
            ));
        }
        if !(0.0..=100.0).contains(&self.safety_margin_ms) {
            return bad(format!(
                "safety_margin_ms {} is outside 0..=100",
                self.safety_margin_ms
            ));
        }
        if !(1000..=600_000).contains(&self.history_ms) {
            return bad(format!(
                "history_ms {} is outside 1000..=600000",
                self.history_ms
            ));
        }
        if !(4..=4096).contains(&self.max_packets) {
            return bad(format!(
                "max_packets {} is outside 4..=4096",
                self.max_packets
            ));
        }
        if !(10..=240).contains(&self.max_packet_ms) {
            return bad(format!(
                "max_packet_ms {} is outside 10..=240",
                self.max_packet_ms
            ));
        }
        if !(100..=600_000).contains(&self.resync_threshold_ms) {
            return bad(format!(
                "resync_threshold_ms {} is outside 100..=600000",
                self.resync_threshold_ms
            ));
        }
        Ok(())
    }

    pub(crate) fn samples_per_ms(&self) -> f64 {
        f64::from(self.rate.hz()) / 1000.0
    }
}
