//! Impairment models and the [`NetworkConfig`] that composes them.

use serde::{Deserialize, Serialize};

/// An impairment configuration that cannot be simulated, or config JSON that cannot be read;
/// the message names the offending field in one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A parameter is out of its valid range (NaN, negative duration, probability above 1, ...).
    #[error("invalid network config: {field} {reason}")]
    Invalid {
        /// Dotted path of the offending field, e.g. `loss.p_good_to_bad`.
        field: String,
        /// What is wrong with it, including the offending value.
        reason: String,
    },
    /// Config JSON is malformed or does not match the [`NetworkConfig`] schema.
    #[error("malformed network config JSON: {0}")]
    Json(String),
}

fn invalid(field: &str, reason: String) -> ConfigError {
    ConfigError::Invalid {
        field: field.to_string(),
        reason,
    }
}

fn check_probability(field: &str, p: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be a probability in [0, 1], got {p}"),
        ))
    }
}

fn check_non_negative(field: &str, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(invalid(field, format!("must be finite and >= 0, got {x}")))
    }
}

fn check_positive(field: &str, x: f64) -> Result<(), ConfigError> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(invalid(field, format!("must be finite and > 0, got {x}")))
    }
}

fn check_ordered(field: &str, lo: f64, hi: f64) -> Result<(), ConfigError> {
    if lo <= hi {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be >= the minimum {lo}, got {hi}"),
        ))
    }
}

/// Packet-loss model: which packets never arrive. Losses are drawn per packet, in send order.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum LossModel {
    /// No packet is lost.
    #[default]
    None,
    /// Each packet is lost independently with probability `p` (random, non-bursty loss).
    Bernoulli {
        /// Loss probability per packet, in [0, 1].
        p: f64,
    },
    /// Two-state Markov chain (Gilbert-Elliott): bursty loss as from queue overflow or fades.
    /// Each packet is lost with its state's loss probability, then the state may switch.
    GilbertElliott {
        /// Probability of moving from the good to the bad state after a packet.
        p_good_to_bad: f64,
        /// Probability of moving from the bad to the good state after a packet.
        p_bad_to_good: f64,
        /// Loss probability of a packet sent in the good state (usually 0).
        loss_good: f64,
        /// Loss probability of a packet sent in the bad state (usually 1).
        loss_bad: f64,
    },
}

impl LossModel {
    /// Classic Gilbert model (lose every packet in the bad state, none in the good one) with the
    /// given long-run `loss_rate` in [0, 1) and mean loss-burst length `mean_burst` >= 1 packets.
    ///
    /// Bursts are geometric: `p_bad_to_good = 1 / mean_burst` and
    /// `p_good_to_bad = loss_rate * p_bad_to_good / (1 - loss_rate)`, which must not exceed 1
    /// (a high loss rate with short bursts is impossible: the good runs would be shorter than 1).
    pub fn gilbert_elliott_from_mean(loss_rate: f64, mean_burst: f64) -> Result<Self, ConfigError> {
        if !(0.0..1.0).contains(&loss_rate) {
            return Err(invalid(
                "loss_rate",
                format!("must be in [0, 1), got {loss_rate}"),
            ));
        }
        if !(mean_burst.is_finite() && mean_burst >= 1.0) {
            return Err(invalid(
                "mean_burst",
                format!("must be finite and >= 1 packet, got {mean_burst}"),
            ));
        }
        let p_bad_to_good = 1.0 / mean_burst;
        let p_good_to_bad = loss_rate * p_bad_to_good / (1.0 - loss_rate);
        if p_good_to_bad > 1.0 {
            return Err(invalid(
                "loss_rate",
                format!(
                    "{loss_rate} is unreachable with mean burst {mean_burst} \
                     (needs p_good_to_bad = {p_good_to_bad} > 1)"
                ),
            ));
        }
        Ok(LossModel::GilbertElliott {
            p_good_to_bad,
            p_bad_to_good,
            loss_good: 0.0,
            loss_bad: 1.0,
        })
    }

    /// Long-run fraction of packets this model loses (the stationary loss rate).
    pub fn mean_loss_rate(&self) -> f64 {
        match *self {
            LossModel::None => 0.0,
            LossModel::Bernoulli { p } => p,
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let total = p_good_to_bad + p_bad_to_good;
                if total == 0.0 {
                    // The chain never moves; the simulation starts in the good state.
                    return loss_good;
                }
                let pi_bad = p_good_to_bad / total;
                (1.0 - pi_bad) * loss_good + pi_bad * loss_bad
            }
        }
    }

    /// Checks every probability is in [0, 1].
    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            LossModel::None => Ok(()),
            LossModel::Bernoulli { p } => check_probability("loss.p", p),
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                check_probability("loss.p_good_to_bad", p_good_to_bad)?;
                check_probability("loss.p_bad_to_good", p_bad_to_good)?;
                check_probability("loss.loss_good", loss_good)?;
                check_probability("loss.loss_bad", loss_bad)
            }
        }
    }
}

/// Occasional heavy-tailed extra delay (Pareto), as from cross-traffic bursts filling a queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParetoTail {
    /// Probability that a packet gets a tail delay at all, in [0, 1].
    pub probability: f64,
    /// Pareto scale x_m (ms): the smallest tail delay; must be > 0.
    pub scale_ms: f64,
    /// Pareto shape alpha (> 0); smaller is heavier (alpha <= 2 has infinite variance).
    pub shape: f64,
    /// Cap on one tail delay (ms), so a single draw cannot be absurd; must be >= 0.
    pub max_ms: f64,
}

/// Per-packet one-way delay: base propagation delay plus queueing jitter and an optional tail.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DelayModel {
    /// Fixed one-way delay (ms) every packet has at least: propagation plus fixed processing.
    pub base_ms: f64,
    /// Jitter scale sigma (ms): each packet gets `sigma * |z|` extra with z standard normal
    /// (a half-normal, never below the base; mean 0.80 sigma, standard deviation 0.60 sigma).
    pub jitter_ms: f64,
    /// AR(1) correlation in [0, 1) of z between consecutive packets: queues fill and drain
    /// over several packets, so real jitter is correlated; 0 makes it independent.
    pub jitter_correlation: f64,
    /// Optional Pareto heavy tail of occasional large extra delays.
    pub tail: Option<ParetoTail>,
}

impl Default for DelayModel {
    fn default() -> Self {
        Self {
            base_ms: 0.0,
            jitter_ms: 0.0,
            jitter_correlation: 0.0,
            tail: None,
        }
    }
}

impl DelayModel {
    /// Checks durations are finite and non-negative and the tail parameters are usable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_non_negative("delay.base_ms", self.base_ms)?;
        check_non_negative("delay.jitter_ms", self.jitter_ms)?;
        if !(0.0..1.0).contains(&self.jitter_correlation) {
            return Err(invalid(
                "delay.jitter_correlation",
                format!("must be in [0, 1), got {}", self.jitter_correlation),
            ));
        }
        if let Some(t) = &self.tail {
            check_probability("delay.tail.probability", t.probability)?;
            check_positive("delay.tail.scale_ms", t.scale_ms)?;
            check_positive("delay.tail.shape", t.shape)?;
            check_non_negative("delay.tail.max_ms", t.max_ms)?;
        }
        Ok(())
    }
}

/// Link stalls (Wi-Fi power save, rescans, retransmission storms): the link stops for a while,
/// packets sent meanwhile queue, and at the stall end they are released as a burst.
///
/// Stalls start at Poisson times: the gap from one stall's end to the next stall's start is
/// exponential with mean `mean_gap_ms`; durations are uniform in
/// `[min_duration_ms, max_duration_ms]`. A packet sent during a stall leaves the stalled link
/// at the stall end plus `spacing_ms` per packet queued ahead of it, then travels with its
/// ordinary sampled delay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StallModel {
    /// Mean time (ms) from the end of one stall to the start of the next; must be >= 1.
    pub mean_gap_ms: f64,
    /// Shortest stall (ms).
    pub min_duration_ms: f64,
    /// Longest stall (ms); must be >= `min_duration_ms`.
    pub max_duration_ms: f64,
    /// Serialization time (ms) of one packet on the link: the spacing within a released burst.
    /// Keep it below the packet interval, or the link can never drain its queue.
    pub spacing_ms: f64,
}

impl StallModel {
    /// Checks the gap is at least 1 ms and the durations are ordered and non-negative.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.mean_gap_ms.is_finite() && self.mean_gap_ms >= 1.0) {
            return Err(invalid(
                "stalls.mean_gap_ms",
                format!("must be finite and >= 1 ms, got {}", self.mean_gap_ms),
            ));
        }
        check_non_negative("stalls.min_duration_ms", self.min_duration_ms)?;
        check_non_negative("stalls.max_duration_ms", self.max_duration_ms)?;
        check_ordered(
            "stalls.max_duration_ms",
            self.min_duration_ms,
            self.max_duration_ms,
        )?;
        check_non_negative("stalls.spacing_ms", self.spacing_ms)
    }
}

/// When a [`RouteChange`] happens, in sender time: absolute, or relative to the trace length
/// (so one profile fits traces of any duration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepTime {
    /// Milliseconds after the first packet was sent; must be >= 0.
    Ms(f64),
    /// Fraction in [0, 1] of the simulated duration.
    Fraction(f64),
}

/// A step change of the base delay (a route change): packets sent at or after `at` have
/// `delta_ms` more (or, if negative, less) base delay. The base delay never goes below 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteChange {
    /// When the route changes.
    pub at: StepTime,
    /// Change of the base delay (ms), e.g. +80 for a longer route or -40 for a shorter one.
    pub delta_ms: f64,
}

impl RouteChange {
    /// The change time in ms for a trace of `duration_ms`.
    pub fn at_ms(&self, duration_ms: f64) -> f64 {
        match self.at {
            StepTime::Ms(ms) => ms,
            StepTime::Fraction(f) => f * duration_ms,
        }
    }

    fn validate(&self, i: usize) -> Result<(), ConfigError> {
        match self.at {
            StepTime::Ms(ms) => check_non_negative(&format!("route_changes[{i}].at.ms"), ms)?,
            StepTime::Fraction(f) => {
                if !(0.0..=1.0).contains(&f) {
                    return Err(invalid(
                        &format!("route_changes[{i}].at.fraction"),
                        format!("must be in [0, 1], got {f}"),
                    ));
                }
            }
        }
        if !self.delta_ms.is_finite() {
            return Err(invalid(
                &format!("route_changes[{i}].delta_ms"),
                format!("must be finite, got {}", self.delta_ms),
            ));
        }
        Ok(())
    }
}

/// Explicit reordering (multipath, load balancing, link-layer retransmission): with some
/// probability a packet is held back by an extra delay uniform in `[min_extra_ms, max_extra_ms]`,
/// so later packets overtake it (unless the profile is FIFO, where it delays them too).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reorder {
    /// Probability that a packet is held back, in [0, 1].
    pub probability: f64,
    /// Smallest extra delay (ms) of a held-back packet.
    pub min_extra_ms: f64,
    /// Largest extra delay (ms) of a held-back packet; must be >= `min_extra_ms`.
    pub max_extra_ms: f64,
}

/// Packet duplication (link-layer retransmission of a frame whose ACK was lost, switch
/// flooding): the duplicate arrives after the original, by an extra delay uniform in
/// `[0, max_extra_ms]`. A lost packet has no duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duplication {
    /// Probability that an arriving packet arrives twice, in [0, 1].
    pub probability: f64,
    /// Largest delay (ms) of the duplicate after the original.
    pub max_extra_ms: f64,
}

/// A complete, composable network impairment configuration: what [`crate::simulate`] applies
/// to every packet. The default is an ideal link (no delay, no loss); see [`crate::Profile`]
/// for realistic named configurations. Serialises to and from JSON (missing fields default).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Which packets are lost.
    pub loss: LossModel,
    /// Base delay, jitter and heavy tail.
    pub delay: DelayModel,
    /// Optional link stalls releasing bursts.
    pub stalls: Option<StallModel>,
    /// Step changes of the base delay, in any order; the deltas of all past steps add up.
    pub route_changes: Vec<RouteChange>,
    /// Optional explicit reordering.
    pub reorder: Option<Reorder>,
    /// Optional duplication.
    pub duplication: Option<Duplication>,
    /// Receiver clock rate minus sender clock rate, in parts per million (either sign, at most
    /// 10,000 in magnitude): arrival in receiver time is `send * (1 + ppm * 1e-6) + delay`.
    pub skew_ppm: f64,
    /// `true`: packets cannot overtake each other (arrivals in send order), as through a single
    /// bottleneck queue; `false`: each packet arrives after its own delay (multipath).
    pub fifo: bool,
}

impl NetworkConfig {
    /// Largest accepted clock skew magnitude (ppm); real oscillators are within about 100.
    pub const MAX_SKEW_PPM: f64 = 10_000.0;

    /// Checks every parameter is in range, naming the first offending field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.loss.validate()?;
        self.delay.validate()?;
        if let Some(s) = &self.stalls {
            s.validate()?;
        }
        for (i, rc) in self.route_changes.iter().enumerate() {
            rc.validate(i)?;
        }
        if let Some(r) = &self.reorder {
            check_probability("reorder.probability", r.probability)?;
            check_non_negative("reorder.min_extra_ms", r.min_extra_ms)?;
            check_non_negative("reorder.max_extra_ms", r.max_extra_ms)?;
            check_ordered("reorder.max_extra_ms", r.min_extra_ms, r.max_extra_ms)?;
        }
        if let Some(d) = &self.duplication {
            check_probability("duplication.probability", d.probability)?;
            check_non_negative("duplication.max_extra_ms", d.max_extra_ms)?;
        }
        if !(self.skew_ppm.is_finite() && self.skew_ppm.abs() <= Self::MAX_SKEW_PPM) {
            return Err(invalid(
                "skew_ppm",
                format!(
                    "must be finite and within +-{}, got {}",
                    Self::MAX_SKEW_PPM,
                    self.skew_ppm
                ),
            ));
        }
        Ok(())
    }

    /// Reads a config from JSON (fields left out take their defaults) and validates it.
    pub fn from_json_str(s: &str) -> Result<Self, ConfigError> {
        let cfg: NetworkConfig =
            serde_json::from_str(s).map_err(|e| ConfigError::Json(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The config as pretty-printed JSON, readable back by [`NetworkConfig::from_json_str`].
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).expect("NetworkConfig always serialises")
    }
}
