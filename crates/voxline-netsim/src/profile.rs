//! Named, realistic network profiles.

use crate::config::{
    DelayModel, Duplication, LossModel, NetworkConfig, ParetoTail, Reorder, RouteChange,
    StallModel, StepTime,
};

/// A named network condition with realistic parameters, for jitter-buffer tests and demos.
/// The numbers are one-way and assume typical 10-30 ms voice packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// `good`: wired broadband. 30 ms base, jitter sigma 2.5 ms (half-normal, lightly
    /// correlated), 0.1 % random loss, FIFO.
    Good,
    /// `wifi`: busy Wi-Fi. 25 ms base, jitter sigma 8 ms (correlation 0.5), stalls of
    /// 100-300 ms every ~7 s on average (exponential gap, mean 7 s) released as bursts at
    /// 0.5 ms spacing, 1 % loss in bursts of mean 2, 0.2 % duplicates (up to 5 ms later), FIFO.
    Wifi,
    /// `congested`: a loaded bottleneck queue. 40 ms base, jitter sigma 15 ms strongly
    /// correlated (0.9), 3 % of packets get a Pareto tail (x_m 20 ms, alpha 1.5, capped at
    /// 400 ms) that also holds up the packets behind them, 2 % loss in bursts of mean 4, FIFO.
    Congested,
    /// `lossy`: a bad radio link. 50 ms base, jitter sigma 10 ms (correlation 0.3),
    /// Gilbert-Elliott loss 10 % with mean burst 3 packets, not FIFO.
    Lossy,
    /// `route-change`: 40 ms base, jitter sigma 2 ms, 0.1 % loss; the base steps up by 80 ms
    /// (to 120 ms) at 1/3 of the trace and down by 60 ms (to 60 ms) at 2/3. Not FIFO, so after
    /// the step down new-route packets overtake those still in flight on the old route.
    RouteChange,
    /// `skew`: receiver clock 200 ppm fast (120 ms drift over 10 minutes). 30 ms base,
    /// jitter sigma 1.5 ms, 0.1 % loss, FIFO. Set `skew_ppm` negative for a slow receiver.
    Skew,
    /// `mobile`: jittery multipath cellular. 60 ms base, jitter sigma 20 ms (correlation 0.6),
    /// 1 % of packets held back 20-60 ms, 0.5 % duplicates (up to 10 ms later), 0.5 % random
    /// loss, not FIFO: packets often arrive out of order.
    Mobile,
}

impl Profile {
    /// Every profile, in the order of [`Profile::NAMES`].
    pub const ALL: [Profile; 7] = [
        Profile::Good,
        Profile::Wifi,
        Profile::Congested,
        Profile::Lossy,
        Profile::RouteChange,
        Profile::Skew,
        Profile::Mobile,
    ];

    /// The names accepted by [`Profile::by_name`], for command-line help and test loops.
    pub const NAMES: [&'static str; 7] = [
        "good",
        "wifi",
        "congested",
        "lossy",
        "route-change",
        "skew",
        "mobile",
    ];

    /// The config of the profile called `name` (one of [`Profile::NAMES`]), or `None`.
    pub fn by_name(name: &str) -> Option<NetworkConfig> {
        Self::from_name(name).map(|p| p.config())
    }

    /// The profile called `name` (one of [`Profile::NAMES`]), or `None`.
    pub fn from_name(name: &str) -> Option<Profile> {
        Self::NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| Self::ALL[i])
    }

    /// The profile's name, as accepted by [`Profile::by_name`].
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|&p| p == self).expect("in ALL")]
    }

    /// The profile's impairment configuration.
    pub fn config(self) -> NetworkConfig {
        let delay = |base_ms, jitter_ms, jitter_correlation| DelayModel {
            base_ms,
            jitter_ms,
            jitter_correlation,
            tail: None,
        };
        let bursty = |rate, burst| {
            LossModel::gilbert_elliott_from_mean(rate, burst).expect("valid profile loss")
        };
        match self {
            Profile::Good => NetworkConfig {
                loss: LossModel::Bernoulli { p: 0.001 },
                delay: delay(30.0, 2.5, 0.2),
                fifo: true,
                ..NetworkConfig::default()
            },
            Profile::Wifi => NetworkConfig {
                loss: bursty(0.01, 2.0),
                delay: delay(25.0, 8.0, 0.5),
                stalls: Some(StallModel {
                    mean_gap_ms: 7000.0,
                    min_duration_ms: 100.0,
                    max_duration_ms: 300.0,
                    spacing_ms: 0.5,
                }),
                duplication: Some(Duplication {
                    probability: 0.002,
                    max_extra_ms: 5.0,
                }),
                fifo: true,
                ..NetworkConfig::default()
            },
            Profile::Congested => NetworkConfig {
                loss: bursty(0.02, 4.0),
                delay: DelayModel {
                    tail: Some(ParetoTail {
                        probability: 0.03,
                        scale_ms: 20.0,
                        shape: 1.5,
                        max_ms: 400.0,
                    }),
                    ..delay(40.0, 15.0, 0.9)
                },
                fifo: true,
                ..NetworkConfig::default()
            },
            Profile::Lossy => NetworkConfig {
                loss: bursty(0.10, 3.0),
                delay: delay(50.0, 10.0, 0.3),
                fifo: false,
                ..NetworkConfig::default()
            },
            Profile::RouteChange => NetworkConfig {
                loss: LossModel::Bernoulli { p: 0.001 },
                delay: delay(40.0, 2.0, 0.0),
                route_changes: vec![
                    RouteChange {
                        at: StepTime::Fraction(1.0 / 3.0),
                        delta_ms: 80.0,
                    },
                    RouteChange {
                        at: StepTime::Fraction(2.0 / 3.0),
                        delta_ms: -60.0,
                    },
                ],
                fifo: false,
                ..NetworkConfig::default()
            },
            Profile::Skew => NetworkConfig {
                loss: LossModel::Bernoulli { p: 0.001 },
                delay: delay(30.0, 1.5, 0.0),
                skew_ppm: 200.0,
                fifo: true,
                ..NetworkConfig::default()
            },
            Profile::Mobile => NetworkConfig {
                loss: LossModel::Bernoulli { p: 0.005 },
                delay: delay(60.0, 20.0, 0.6),
                reorder: Some(Reorder {
                    probability: 0.01,
                    min_extra_ms: 20.0,
                    max_extra_ms: 60.0,
                }),
                duplication: Some(Duplication {
                    probability: 0.005,
                    max_extra_ms: 10.0,
                }),
                fifo: false,
                ..NetworkConfig::default()
            },
        }
    }
}
