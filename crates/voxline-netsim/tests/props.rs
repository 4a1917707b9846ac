//! Property tests: any valid configuration yields a well-formed, reproducible trace.

use proptest::prelude::*;
use voxline_netsim::{
    late_fraction_at, oracle_delay_ms, simulate, DelayModel, Duplication, LossModel, NetworkConfig,
    ParetoTail, Reorder, RouteChange, StallModel, StepTime, Trace,
};

fn loss() -> impl Strategy<Value = LossModel> {
    prop_oneof![
        Just(LossModel::None),
        (0.0..=1.0f64).prop_map(|p| LossModel::Bernoulli { p }),
        (0.0..=1.0f64, 0.0..=1.0f64, 0.0..=1.0f64, 0.0..=1.0f64).prop_map(|(a, b, c, d)| {
            LossModel::GilbertElliott {
                p_good_to_bad: a,
                p_bad_to_good: b,
                loss_good: c,
                loss_bad: d,
            }
        }),
    ]
}

fn delay() -> impl Strategy<Value = DelayModel> {
    let tail = proptest::option::of(
        (0.0..=1.0f64, 0.1..50.0f64, 0.5..4.0f64, 0.0..1000.0f64).prop_map(
            |(probability, scale_ms, shape, max_ms)| ParetoTail {
                probability,
                scale_ms,
                shape,
                max_ms,
            },
        ),
    );
    (0.0..300.0f64, 0.0..60.0f64, 0.0..0.99f64, tail).prop_map(
        |(base_ms, jitter_ms, jitter_correlation, tail)| DelayModel {
            base_ms,
            jitter_ms,
            jitter_correlation,
            tail,
        },
    )
}

fn config() -> impl Strategy<Value = NetworkConfig> {
    let stalls = proptest::option::of(
        (1.0..20_000.0f64, 0.0..500.0f64, 0.0..500.0f64, 0.0..1.0f64).prop_map(
            |(mean_gap_ms, min, extra, spacing_ms)| StallModel {
                mean_gap_ms,
                min_duration_ms: min,
                max_duration_ms: min + extra,
                spacing_ms,
            },
        ),
    );
    let step = prop_oneof![
        (0.0..20_000.0f64).prop_map(StepTime::Ms),
        (0.0..=1.0f64).prop_map(StepTime::Fraction),
    ];
    let routes = proptest::collection::vec(
        (step, -300.0..300.0f64).prop_map(|(at, delta_ms)| RouteChange { at, delta_ms }),
        0..4,
    );
    let reorder = proptest::option::of((0.0..=1.0f64, 0.0..100.0f64, 0.0..100.0f64).prop_map(
        |(probability, min, extra)| Reorder {
            probability,
            min_extra_ms: min,
            max_extra_ms: min + extra,
        },
    ));
    let dup = proptest::option::of((0.0..=1.0f64, 0.0..50.0f64).prop_map(
        |(probability, max_extra_ms)| Duplication {
            probability,
            max_extra_ms,
        },
    ));
    (
        loss(),
        delay(),
        stalls,
        routes,
        reorder,
        dup,
        -10_000.0..=10_000.0f64,
        any::<bool>(),
    )
        .prop_map(
            |(loss, delay, stalls, route_changes, reorder, duplication, skew_ppm, fifo)| {
                NetworkConfig {
                    loss,
                    delay,
                    stalls,
                    route_changes,
                    reorder,
                    duplication,
                    skew_ppm,
                    fifo,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_valid_config_gives_a_well_formed_trace(
        cfg in config(),
        packet_ms in 1u32..=60,
        seconds in 0.0..8.0f64,
        seed in any::<u64>(),
    ) {
        prop_assert!(cfg.validate().is_ok());
        let trace = simulate(&cfg, packet_ms, seconds, seed);
        prop_assert_eq!(&trace, &simulate(&cfg, packet_ms, seconds, seed));

        let expected = (seconds * 1000.0 / f64::from(packet_ms) * (1.0 + 1e-12)).floor() as u64;
        let e = trace.entries();
        let mut next_seq = 0u64;
        let mut prev_send = f64::NEG_INFINITY;
        let mut prev_arrival = f64::NEG_INFINITY;
        let skew = cfg.skew_ppm * 1e-6;
        for (i, x) in e.iter().enumerate() {
            // Send times monotone and on the packet grid; every seq present, in order.
            prop_assert!(x.send_ms >= prev_send);
            prev_send = x.send_ms;
            prop_assert_eq!(x.send_ms, x.seq as f64 * f64::from(packet_ms));
            if i == 0 || x.seq != e[i - 1].seq {
                prop_assert_eq!(x.seq, next_seq);
                next_seq += 1;
            } else {
                // A second entry only for a duplicate of an arrived packet.
                prop_assert!(x.arrival_ms.is_some() && e[i - 1].arrival_ms.is_some());
                prop_assert!(i < 2 || e[i - 2].seq != x.seq);
            }
            if let Some(a) = x.arrival_ms {
                // Nothing arrives before it was sent (in receiver time for a skewed clock).
                prop_assert!(a >= x.send_ms * (1.0 + skew) - 1e-9, "{a} < {}", x.send_ms);
                if cfg.skew_ppm >= 0.0 {
                    prop_assert!(a >= x.send_ms);
                }
                if cfg.fifo {
                    prop_assert!(a >= prev_arrival);
                }
                prev_arrival = a;
            }
        }
        prop_assert_eq!(next_seq, expected);
        if cfg.fifo {
            prop_assert_eq!(trace.stats().reordered, 0);
        }

        // Exact JSON round trip of the trace and of the config.
        prop_assert_eq!(&Trace::from_json_str(&trace.to_json_string()).unwrap(), &trace);
        prop_assert_eq!(&NetworkConfig::from_json_str(&cfg.to_json_string()).unwrap(), &cfg);
    }

    #[test]
    fn oracle_is_the_smallest_delay_meeting_the_budget(
        cfg in config(),
        seed in any::<u64>(),
        budget in 0.0..1.0f64,
    ) {
        let trace = simulate(&cfg, 20, 4.0, seed);
        match oracle_delay_ms(&trace, budget) {
            None => prop_assert!(trace.packet_delays().is_empty()),
            Some(d) => {
                prop_assert!(late_fraction_at(&trace, d) <= budget);
                prop_assert!(late_fraction_at(&trace, d.next_down()) > budget);
            }
        }
    }
}
