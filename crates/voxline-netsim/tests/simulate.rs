//! Behaviour of the simulator and of the named profiles.

use voxline_netsim::{
    simulate, try_simulate, ConfigError, DelayModel, Duplication, LossModel, NetworkConfig,
    ParetoTail, Profile, Reorder, RouteChange, StallModel, StepTime, Trace,
};

fn delay_only(base_ms: f64, jitter_ms: f64) -> NetworkConfig {
    NetworkConfig {
        delay: DelayModel {
            base_ms,
            jitter_ms,
            ..DelayModel::default()
        },
        ..NetworkConfig::default()
    }
}

/// `true` per packet (in seq order) if it was lost.
fn loss_pattern(trace: &Trace) -> Vec<bool> {
    let mut v = Vec::new();
    for e in trace.entries() {
        if v.len() as u64 == e.seq {
            v.push(e.arrival_ms.is_none());
        }
    }
    v
}

fn burst_lengths(lost: &[bool]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut run = 0;
    for &l in lost {
        if l {
            run += 1;
        } else if run > 0 {
            out.push(run);
            run = 0;
        }
    }
    if run > 0 {
        out.push(run);
    }
    out
}

#[test]
fn same_seed_same_trace_different_seed_differs() {
    for name in Profile::NAMES {
        let cfg = Profile::by_name(name).unwrap();
        let a = simulate(&cfg, 20, 30.0, 7);
        let b = simulate(&cfg, 20, 30.0, 7);
        let c = simulate(&cfg, 20, 30.0, 8);
        assert_eq!(a, b, "{name}");
        assert_ne!(a, c, "{name}");
    }
}

#[test]
fn packet_count_and_send_times() {
    let t = simulate(&NetworkConfig::default(), 20, 0.3, 1);
    assert_eq!(t.len(), 15);
    for (i, e) in t.entries().iter().enumerate() {
        assert_eq!(e.seq, i as u64);
        assert_eq!(e.send_ms, 20.0 * i as f64);
        assert_eq!(e.arrival_ms, Some(e.send_ms)); // ideal link
    }
    assert!(simulate(&NetworkConfig::default(), 20, 0.0, 1).is_empty());
}

#[test]
fn invalid_arguments_are_errors() {
    let cfg = NetworkConfig::default();
    assert!(try_simulate(&cfg, 0, 1.0, 1).is_err());
    assert!(try_simulate(&cfg, 20, -1.0, 1).is_err());
    assert!(try_simulate(&cfg, 20, f64::NAN, 1).is_err());
    let bad = NetworkConfig {
        loss: LossModel::Bernoulli { p: 1.5 },
        ..NetworkConfig::default()
    };
    let err = try_simulate(&bad, 20, 1.0, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid network config: loss.p must be a probability in [0, 1], got 1.5"
    );
}

#[test]
#[should_panic(expected = "delay.jitter_ms")]
fn simulate_panics_on_invalid_config() {
    simulate(&delay_only(10.0, -1.0), 20, 1.0, 1);
}

#[test]
fn config_validation_names_the_field() {
    let cases: Vec<(NetworkConfig, &str)> = vec![
        (delay_only(f64::NAN, 0.0), "delay.base_ms"),
        (
            NetworkConfig {
                delay: DelayModel {
                    jitter_correlation: 1.0,
                    ..DelayModel::default()
                },
                ..NetworkConfig::default()
            },
            "delay.jitter_correlation",
        ),
        (
            NetworkConfig {
                delay: DelayModel {
                    tail: Some(ParetoTail {
                        probability: 0.1,
                        scale_ms: 0.0,
                        shape: 1.5,
                        max_ms: 100.0,
                    }),
                    ..DelayModel::default()
                },
                ..NetworkConfig::default()
            },
            "delay.tail.scale_ms",
        ),
        (
            NetworkConfig {
                stalls: Some(StallModel {
                    mean_gap_ms: 1000.0,
                    min_duration_ms: 300.0,
                    max_duration_ms: 100.0,
                    spacing_ms: 1.0,
                }),
                ..NetworkConfig::default()
            },
            "stalls.max_duration_ms",
        ),
        (
            NetworkConfig {
                stalls: Some(StallModel {
                    mean_gap_ms: 0.5,
                    min_duration_ms: 1.0,
                    max_duration_ms: 1.0,
                    spacing_ms: 1.0,
                }),
                ..NetworkConfig::default()
            },
            "stalls.mean_gap_ms",
        ),
        (
            NetworkConfig {
                route_changes: vec![RouteChange {
                    at: StepTime::Fraction(1.5),
                    delta_ms: 10.0,
                }],
                ..NetworkConfig::default()
            },
            "route_changes[0].at.fraction",
        ),
        (
            NetworkConfig {
                reorder: Some(Reorder {
                    probability: -0.1,
                    min_extra_ms: 0.0,
                    max_extra_ms: 1.0,
                }),
                ..NetworkConfig::default()
            },
            "reorder.probability",
        ),
        (
            NetworkConfig {
                duplication: Some(Duplication {
                    probability: 0.1,
                    max_extra_ms: f64::INFINITY,
                }),
                ..NetworkConfig::default()
            },
            "duplication.max_extra_ms",
        ),
        (
            NetworkConfig {
                skew_ppm: 20_000.0,
                ..NetworkConfig::default()
            },
            "skew_ppm",
        ),
        (
            NetworkConfig {
                loss: LossModel::GilbertElliott {
                    p_good_to_bad: 0.1,
                    p_bad_to_good: 2.0,
                    loss_good: 0.0,
                    loss_bad: 1.0,
                },
                ..NetworkConfig::default()
            },
            "loss.p_bad_to_good",
        ),
    ];
    for (cfg, field) in cases {
        match cfg.validate() {
            Err(ConfigError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
    }
}

#[test]
fn bernoulli_loss_rate() {
    let cfg = NetworkConfig {
        loss: LossModel::Bernoulli { p: 0.05 },
        ..NetworkConfig::default()
    };
    // 100,000 packets: standard deviation of the rate is 0.0007.
    let s = simulate(&cfg, 10, 1000.0, 3).stats();
    assert_eq!(s.packets, 100_000);
    assert!((s.loss_rate - 0.05).abs() < 0.003, "{}", s.loss_rate);
    // Random loss has mean burst 1 / (1 - p).
    let bursts = burst_lengths(&loss_pattern(&simulate(&cfg, 10, 1000.0, 3)));
    let mean = bursts.iter().sum::<usize>() as f64 / bursts.len() as f64;
    assert!((mean - 1.0 / 0.95).abs() < 0.03, "{mean}");
}

#[test]
fn gilbert_elliott_rate_and_mean_burst() {
    let loss = LossModel::gilbert_elliott_from_mean(0.10, 3.0).unwrap();
    assert!((loss.mean_loss_rate() - 0.10).abs() < 1e-12);
    let cfg = NetworkConfig {
        loss,
        ..NetworkConfig::default()
    };
    let trace = simulate(&cfg, 5, 1000.0, 11); // 200,000 packets
    let s = trace.stats();
    assert!((s.loss_rate - 0.10).abs() < 0.01, "{}", s.loss_rate);
    let bursts = burst_lengths(&loss_pattern(&trace));
    let mean = bursts.iter().sum::<usize>() as f64 / bursts.len() as f64;
    assert!((mean - 3.0).abs() < 0.15, "mean burst {mean}");
}

#[test]
fn gilbert_elliott_constructor_rejects_impossible() {
    assert!(LossModel::gilbert_elliott_from_mean(0.9, 1.0).is_err());
    assert!(LossModel::gilbert_elliott_from_mean(1.0, 5.0).is_err());
    assert!(LossModel::gilbert_elliott_from_mean(0.1, 0.5).is_err());
    assert!(LossModel::gilbert_elliott_from_mean(0.5, 1.0).is_ok());
}

#[test]
fn jitter_never_below_base_and_has_expected_spread() {
    let trace = simulate(&delay_only(30.0, 10.0), 20, 600.0, 5);
    let d = trace.packet_delays();
    assert!(d.iter().all(|&x| x >= 30.0));
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    // Half-normal: mean sigma * sqrt(2 / pi) = 7.98 ms above the base.
    assert!((mean - 30.0 - 7.979).abs() < 0.3, "{mean}");
}

#[test]
fn pareto_tail_gives_occasional_large_delays() {
    let cfg = NetworkConfig {
        delay: DelayModel {
            base_ms: 20.0,
            tail: Some(ParetoTail {
                probability: 0.05,
                scale_ms: 10.0,
                shape: 1.5,
                max_ms: 500.0,
            }),
            ..DelayModel::default()
        },
        ..NetworkConfig::default()
    };
    let d = simulate(&cfg, 20, 600.0, 9).packet_delays();
    let n = d.len() as f64;
    let with_tail = d.iter().filter(|&&x| x >= 30.0).count() as f64 / n;
    assert!((with_tail - 0.05).abs() < 0.008, "{with_tail}");
    // P(tail > 100 ms) = (10 / 100)^1.5 = 3.2 %, so about 0.16 % of packets exceed 120 ms.
    let big = d.iter().filter(|&&x| x > 120.0).count() as f64 / n;
    assert!(big > 0.0005 && big < 0.004, "{big}");
    assert!(d.iter().all(|&x| x <= 520.0 + 1e-9));
}

#[test]
fn clock_skew_drifts_as_expected() {
    for ppm in [200.0, -200.0] {
        let cfg = NetworkConfig {
            skew_ppm: ppm,
            ..delay_only(30.0, 0.0)
        };
        let trace = simulate(&cfg, 20, 600.0, 1);
        for e in trace.entries() {
            let expect = 30.0 + e.send_ms * ppm * 1e-6;
            assert!((e.delay_ms().unwrap() - expect).abs() < 1e-9);
        }
        let d = trace.packet_delays();
        let drift = d[d.len() - 1] - d[0];
        // 599.98 s at 200 ppm: 119.996 ms.
        assert!((drift - ppm * 0.59998).abs() < 1e-6, "{drift}");
    }
    // The `skew` profile drifts ~120 ms over 10 minutes despite its jitter.
    let trace = simulate(&Profile::Skew.config(), 20, 600.0, 4);
    let d = trace.packet_delays();
    let head = d[..500].iter().sum::<f64>() / 500.0;
    let tail = d[d.len() - 500..].iter().sum::<f64>() / 500.0;
    assert!((tail - head - 118.0).abs() < 2.0, "{}", tail - head);
}

#[test]
fn route_change_step_is_visible() {
    let trace = simulate(&Profile::RouteChange.config(), 20, 30.0, 2);
    let mean_between = |lo: f64, hi: f64| {
        let v: Vec<f64> = trace
            .entries()
            .iter()
            .filter(|e| e.send_ms >= lo && e.send_ms < hi)
            .filter_map(|e| e.delay_ms())
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    // Half-normal jitter with sigma 2 adds 1.6 ms on average.
    assert!((mean_between(0.0, 10_000.0) - 41.6).abs() < 0.5);
    assert!((mean_between(10_000.0, 20_000.0) - 121.6).abs() < 0.5);
    assert!((mean_between(20_000.0, 30_000.0) - 61.6).abs() < 0.5);
    // Stepping down by 60 ms with 20 ms packets: new-route packets overtake old-route ones.
    assert!(trace.stats().reordered >= 2);

    // Absolute step times too, and the base never goes below zero.
    let cfg = NetworkConfig {
        route_changes: vec![
            RouteChange {
                at: StepTime::Ms(1000.0),
                delta_ms: -50.0,
            },
            RouteChange {
                at: StepTime::Ms(500.0),
                delta_ms: 10.0,
            },
        ],
        ..delay_only(20.0, 0.0)
    };
    let t = simulate(&cfg, 100, 2.0, 1);
    let d: Vec<f64> = t.packet_delays();
    assert_eq!(d[..5], [20.0; 5]);
    assert_eq!(d[5..10], [30.0; 5]);
    assert_eq!(d[10..], [0.0; 10]);
}

#[test]
fn stalls_release_bursts() {
    let cfg = NetworkConfig {
        stalls: Some(StallModel {
            mean_gap_ms: 2000.0,
            min_duration_ms: 200.0,
            max_duration_ms: 200.0,
            spacing_ms: 1.0,
        }),
        fifo: true,
        ..delay_only(20.0, 0.0)
    };
    let trace = simulate(&cfg, 20, 120.0, 6);
    let e = trace.entries();
    let held = |i: usize| e[i].delay_ms().unwrap() > 20.0 + 1e-9;
    let mut bursts = 0;
    let mut i = 0;
    while i < e.len() {
        if held(i) {
            // A stall: the queued packets arrive back to back, 1 ms apart. (A stall that
            // starts right after another ends makes a separate burst, after a longer gap.)
            let start = i;
            while i + 1 < e.len()
                && held(i + 1)
                && (e[i + 1].arrival_ms.unwrap() - e[i].arrival_ms.unwrap() - 1.0).abs() < 1e-9
            {
                i += 1;
            }
            let len = i - start + 1;
            assert!(
                (10..=11).contains(&len),
                "burst of {len} at {}",
                e[start].send_ms
            );
            assert!(e[start].delay_ms().unwrap() <= 220.0 + 1e-9);
            bursts += 1;
        }
        i += 1;
    }
    // One stall every 2.2 s on average over 120 s.
    assert!((35..=75).contains(&bursts), "{bursts} bursts");
}

#[test]
fn duplication_rate() {
    let cfg = NetworkConfig {
        duplication: Some(Duplication {
            probability: 0.1,
            max_extra_ms: 5.0,
        }),
        ..delay_only(20.0, 1.0)
    };
    let trace = simulate(&cfg, 10, 500.0, 8); // 50,000 packets
    let s = trace.stats();
    assert!(
        (s.duplicates as f64 / 50_000.0 - 0.1).abs() < 0.006,
        "{}",
        s.duplicates
    );
    assert_eq!(trace.len(), 50_000 + s.duplicates);
    // The duplicate follows its original, within 5 ms, and has the same seq and send time.
    for w in trace.entries().windows(2) {
        if w[0].seq == w[1].seq {
            assert_eq!(w[0].send_ms, w[1].send_ms);
            let extra = w[1].arrival_ms.unwrap() - w[0].arrival_ms.unwrap();
            assert!((0.0..=5.0).contains(&extra));
        }
    }
}

#[test]
fn explicit_reordering_without_fifo() {
    let cfg = NetworkConfig {
        reorder: Some(Reorder {
            probability: 0.05,
            min_extra_ms: 30.0,
            max_extra_ms: 50.0,
        }),
        ..delay_only(20.0, 0.0)
    };
    let s = simulate(&cfg, 20, 200.0, 3).stats(); // 10,000 packets
                                                  // Each held-back packet (30-50 ms with 20 ms spacing) is overtaken; it is the one counted.
    assert!(
        (s.reordered as f64 / 10_000.0 - 0.05).abs() < 0.01,
        "{}",
        s.reordered
    );
    let fifo = NetworkConfig { fifo: true, ..cfg };
    assert_eq!(simulate(&fifo, 20, 200.0, 3).stats().reordered, 0);
}

#[test]
fn fifo_profiles_never_reorder() {
    for p in Profile::ALL {
        let cfg = p.config();
        if !cfg.fifo {
            continue;
        }
        for seed in 0..5 {
            let trace = simulate(&cfg, 20, 120.0, seed);
            assert_eq!(trace.stats().reordered, 0, "{}", p.name());
            let arrivals: Vec<f64> = trace
                .entries()
                .iter()
                .filter_map(|e| e.arrival_ms)
                .collect();
            assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "{}", p.name());
        }
    }
    assert!(
        simulate(&Profile::Mobile.config(), 20, 120.0, 1)
            .stats()
            .reordered
            > 10
    );
}

#[test]
fn impairments_use_independent_random_streams() {
    let base = Profile::Lossy.config();
    let more = NetworkConfig {
        duplication: Some(Duplication {
            probability: 0.2,
            max_extra_ms: 3.0,
        }),
        reorder: Some(Reorder {
            probability: 0.1,
            min_extra_ms: 5.0,
            max_extra_ms: 10.0,
        }),
        ..base.clone()
    };
    let a = simulate(&base, 20, 60.0, 77);
    let b = simulate(&more, 20, 60.0, 77);
    assert_eq!(loss_pattern(&a), loss_pattern(&b));
}

#[test]
fn profiles_are_realistic() {
    assert_eq!(Profile::NAMES.len(), Profile::ALL.len());
    for p in Profile::ALL {
        assert_eq!(Profile::from_name(p.name()), Some(p));
        let cfg = Profile::by_name(p.name()).unwrap();
        cfg.validate().unwrap();
        let s = simulate(&cfg, 20, 600.0, 12).stats();
        let want_loss = cfg.loss.mean_loss_rate();
        assert!(
            (s.loss_rate - want_loss).abs() < 0.25 * want_loss + 0.001,
            "{}: loss {} vs {}",
            p.name(),
            s.loss_rate,
            want_loss
        );
        let (min, p95, max) = (
            s.min_delay_ms.unwrap(),
            s.p95_delay_ms.unwrap(),
            s.max_delay_ms.unwrap(),
        );
        assert!(min >= cfg.delay.base_ms - 1e-9, "{}", p.name());
        match p {
            Profile::Good => assert!(p95 < 40.0 && max < 50.0, "good: {p95} {max}"),
            Profile::Wifi => assert!(max > 120.0 && p95 < 60.0, "wifi: {p95} {max}"),
            Profile::Congested => assert!(max > 200.0, "congested: {max}"),
            Profile::RouteChange => assert!(max > 120.0 && max < 140.0, "route: {max}"),
            Profile::Skew => assert!(max > 140.0 && max < 160.0, "skew: {max}"),
            _ => {}
        }
    }
    assert_eq!(Profile::by_name("nope"), None);
}

#[test]
fn config_json_round_trip_and_errors() {
    for p in Profile::ALL {
        let cfg = p.config();
        let json = cfg.to_json_string();
        assert_eq!(NetworkConfig::from_json_str(&json).unwrap(), cfg, "{json}");
    }
    let cfg = NetworkConfig::from_json_str(
        r#"{"loss": {"model": "bernoulli", "p": 0.02}, "delay": {"base_ms": 25},
            "route_changes": [{"at": {"fraction": 0.5}, "delta_ms": -10}], "fifo": true}"#,
    )
    .unwrap();
    assert_eq!(cfg.loss, LossModel::Bernoulli { p: 0.02 });
    assert_eq!(cfg.delay.base_ms, 25.0);
    assert!(cfg.fifo && cfg.stalls.is_none());
    for bad in [
        r#"{"loss": {"model": "bernoulli", "p": 2}}"#,
        r#"{"loss": {"model": "sometimes"}}"#,
        r#"{"delay": {"base_ms": 25, "jiter_ms": 3}}"#,
        r#"{"colour": "blue"}"#,
        r#"{"fifo": "yes"}"#,
        "{",
    ] {
        let e = NetworkConfig::from_json_str(bad).unwrap_err();
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}
