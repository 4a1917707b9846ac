//! The simulator: applies a [`NetworkConfig`] to a constant-rate packet stream.

use crate::config::{ConfigError, LossModel, NetworkConfig, StallModel};
use crate::rng::Rng;
use crate::trace::{Trace, TraceEntry};

// One independent random stream per impairment, so that switching one model on or off (or
// changing its parameters) leaves the draws of all the others, for the same seed, unchanged.
const STREAM_LOSS: u64 = 1;
const STREAM_JITTER: u64 = 2;
const STREAM_TAIL: u64 = 3;
const STREAM_STALLS: u64 = 4;
const STREAM_REORDER: u64 = 5;
const STREAM_DUPLICATION: u64 = 6;

/// Simulates a sender emitting one packet every `packet_ms` ms for `seconds` seconds (packet `i`
/// is sent at `i * packet_ms`, `floor(seconds * 1000 / packet_ms)` packets) through a network
/// with the impairments of `config`, deterministically from `seed`.
///
/// # Panics
/// If `config` fails [`NetworkConfig::validate`], `packet_ms` is 0, or `seconds` is negative or
/// not finite; [`try_simulate`] returns those as errors instead.
pub fn simulate(config: &NetworkConfig, packet_ms: u32, seconds: f64, seed: u64) -> Trace {
    try_simulate(config, packet_ms, seconds, seed).unwrap_or_else(|e| panic!("simulate: {e}"))
}

/// [`simulate`], returning an error for an invalid config or arguments instead of panicking.
///
/// Per packet, in this order: the loss model decides whether it is lost; its delay is the base
/// delay at its send time (after route changes, floored at 0) plus half-normal jitter, a Pareto
/// tail and a reorder hold-back; a stall holds it on the link until the stall ends (plus
/// serialization spacing); the receiver-clock arrival is `send * (1 + skew_ppm * 1e-6) + delay`;
/// a duplicate follows the original; with `fifo`, no copy arrives before an earlier one.
/// Random draws do not depend on whether a packet is lost.
pub fn try_simulate(
    config: &NetworkConfig,
    packet_ms: u32,
    seconds: f64,
    seed: u64,
) -> Result<Trace, ConfigError> {
    config.validate()?;
    if packet_ms == 0 {
        return Err(ConfigError::Invalid {
            field: "packet_ms".into(),
            reason: "must be >= 1".into(),
        });
    }
    if !(seconds.is_finite() && seconds >= 0.0) {
        return Err(ConfigError::Invalid {
            field: "seconds".into(),
            reason: format!("must be finite and >= 0, got {seconds}"),
        });
    }
    let interval = f64::from(packet_ms);
    let duration_ms = seconds * 1000.0;
    // A tiny tolerance so that e.g. 0.3 s of 20 ms packets gives 15 packets, not 14.
    let count = (duration_ms / interval * (1.0 + 1e-12)).floor() as u64;

    let mut loss = LossState::new(config.loss, Rng::stream(seed, STREAM_LOSS));
    let mut jitter_rng = Rng::stream(seed, STREAM_JITTER);
    let mut tail_rng = Rng::stream(seed, STREAM_TAIL);
    let mut reorder_rng = Rng::stream(seed, STREAM_REORDER);
    let mut dup_rng = Rng::stream(seed, STREAM_DUPLICATION);
    let mut stalls = config
        .stalls
        .map(|m| Stalls::new(m, Rng::stream(seed, STREAM_STALLS)));

    let mut steps: Vec<(f64, f64)> = config
        .route_changes
        .iter()
        .map(|rc| (rc.at_ms(duration_ms), rc.delta_ms))
        .collect();
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut next_step = 0;
    let mut base = config.delay.base_ms;

    let d = &config.delay;
    let rho = d.jitter_correlation;
    let innovation = (1.0 - rho * rho).sqrt();
    let mut z = 0.0;
    let skew = config.skew_ppm * 1e-6;

    let mut last_departure = f64::NEG_INFINITY;
    let mut last_arrival = f64::NEG_INFINITY;
    let mut entries = Vec::with_capacity(count as usize);

    for i in 0..count {
        let send = i as f64 * interval;
        let lost = loss.next_lost();

        while next_step < steps.len() && steps[next_step].0 <= send {
            base += steps[next_step].1;
            next_step += 1;
        }

        let g = jitter_rng.gaussian();
        z = if i == 0 { g } else { rho * z + innovation * g };
        let mut delay = base.max(0.0) + d.jitter_ms * z.abs();
        if let Some(t) = &d.tail {
            if tail_rng.bernoulli(t.probability) {
                delay += tail_rng.pareto(t.scale_ms, t.shape).min(t.max_ms);
            }
        }
        if let Some(r) = &config.reorder {
            if reorder_rng.bernoulli(r.probability) {
                delay += reorder_rng.uniform_range(r.min_extra_ms, r.max_extra_ms);
            }
        }
        let duplicate_extra = config.duplication.and_then(|dup| {
            let hit = dup_rng.bernoulli(dup.probability);
            let extra = dup_rng.uniform_range(0.0, dup.max_extra_ms);
            hit.then_some(extra)
        });

        // Leaving the (possibly stalled) first link. Lost packets still occupied it.
        let departure = match stalls.as_mut() {
            Some(st) => {
                let dep = st
                    .release_time(send)
                    .max(last_departure + st.model.spacing_ms);
                last_departure = dep;
                dep
            }
            None => send,
        };

        if lost {
            entries.push(TraceEntry {
                seq: i,
                send_ms: send,
                arrival_ms: None,
            });
            continue;
        }
        // Receiver clock: send * (1 + skew) + one-way delay (which includes any stall wait).
        let arrival = send * (1.0 + skew) + (departure - send) + delay;
        let copies = std::iter::once(arrival).chain(duplicate_extra.map(|x| arrival + x));
        for mut a in copies {
            if config.fifo {
                a = a.max(last_arrival);
                last_arrival = a;
            }
            entries.push(TraceEntry {
                seq: i,
                send_ms: send,
                arrival_ms: Some(a),
            });
        }
    }
    Ok(Trace::from_valid(entries))
}

/// Markov state of the loss model.
struct LossState {
    model: LossModel,
    rng: Rng,
    bad: bool,
}

impl LossState {
    fn new(model: LossModel, mut rng: Rng) -> Self {
        // Start Gilbert-Elliott in its stationary distribution, so short traces are unbiased.
        let bad = match model {
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                ..
            } => {
                let total = p_good_to_bad + p_bad_to_good;
                total > 0.0 && rng.bernoulli(p_good_to_bad / total)
            }
            _ => false,
        };
        Self { model, rng, bad }
    }

    fn next_lost(&mut self) -> bool {
        match self.model {
            LossModel::None => false,
            LossModel::Bernoulli { p } => self.rng.bernoulli(p),
            LossModel::GilbertElliott {
                p_good_to_bad,
                p_bad_to_good,
                loss_good,
                loss_bad,
            } => {
                let lost = self
                    .rng
                    .bernoulli(if self.bad { loss_bad } else { loss_good });
                let switch = self.rng.bernoulli(if self.bad {
                    p_bad_to_good
                } else {
                    p_good_to_bad
                });
                self.bad ^= switch;
                lost
            }
        }
    }
}

/// Lazily generated stall intervals `[start, end)` along the sender's time axis.
struct Stalls {
    model: StallModel,
    rng: Rng,
    start: f64,
    end: f64,
}

impl Stalls {
    fn new(model: StallModel, rng: Rng) -> Self {
        let mut s = Self {
            model,
            rng,
            start: 0.0,
            end: 0.0,
        };
        s.advance();
        s
    }

    fn advance(&mut self) {
        self.start = self.end + self.rng.exponential(self.model.mean_gap_ms);
        self.end = self.start
            + self
                .rng
                .uniform_range(self.model.min_duration_ms, self.model.max_duration_ms);
    }

    /// When a packet sent at `send` (non-decreasing across calls) may leave the link.
    fn release_time(&mut self, send: f64) -> f64 {
        while send >= self.end {
            self.advance();
        }
        if send >= self.start {
            self.end
        } else {
            send
        }
    }
}
