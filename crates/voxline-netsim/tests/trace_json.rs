//! Trace JSON I/O, receiver order and summary statistics.

use voxline_netsim::{simulate, Profile, Trace, TraceEntry, TraceError};

fn entry(seq: u64, send_ms: f64, arrival_ms: Option<f64>) -> TraceEntry {
    TraceEntry {
        seq,
        send_ms,
        arrival_ms,
    }
}

#[test]
fn exact_output_format() {
    let t = Trace::new(vec![
        entry(0, 0.0, Some(31.5)),
        entry(1, 20.0, None),
        entry(2, 40.0, Some(60.125)),
        entry(2, 40.0, Some(61.0)),
    ])
    .unwrap();
    assert_eq!(
        t.to_json_string(),
        "[\n  {\"seq\": 0, \"send_ms\": 0.0, \"arrival_ms\": 31.5},\n  \
         {\"seq\": 1, \"send_ms\": 20.0, \"arrival_ms\": null},\n  \
         {\"seq\": 2, \"send_ms\": 40.0, \"arrival_ms\": 60.125},\n  \
         {\"seq\": 2, \"send_ms\": 40.0, \"arrival_ms\": 61.0}\n]\n"
    );
    assert_eq!(Trace::default().to_json_string(), "[]\n");
}

#[test]
fn json_round_trip_is_exact() {
    for p in Profile::ALL {
        let t = simulate(&p.config(), 20, 60.0, 99);
        let mut buf = Vec::new();
        t.to_json_writer(&mut buf).unwrap();
        let back = Trace::from_json_reader(buf.as_slice()).unwrap();
        assert_eq!(back, t, "{}", p.name());
        // Bit-exact, not just equal.
        for (a, b) in back.entries().iter().zip(t.entries()) {
            assert_eq!(a.send_ms.to_bits(), b.send_ms.to_bits());
            assert_eq!(
                a.arrival_ms.map(f64::to_bits),
                b.arrival_ms.map(f64::to_bits)
            );
        }
        let s = t.to_json_string();
        assert_eq!(Trace::from_json_str(&s).unwrap().to_json_string(), s);
    }
    // Awkward values survive too.
    let t = Trace::new(vec![
        entry(u64::MAX, 0.1 + 0.2, Some(1e-300)),
        entry(3, 5e-324, Some(1.797_693_134_862_315_7e308)),
    ])
    .unwrap();
    assert_eq!(Trace::from_json_str(&t.to_json_string()).unwrap(), t);
}

#[test]
fn writer_can_be_a_trait_object() {
    let t = simulate(&Profile::Good.config(), 20, 1.0, 1);
    let mut buf: Vec<u8> = Vec::new();
    {
        let w: &mut dyn std::io::Write = &mut buf;
        t.to_json_writer(w).unwrap();
    }
    let r: &mut dyn std::io::Read = &mut buf.as_slice();
    assert_eq!(Trace::from_json_reader(r).unwrap(), t);
}

#[test]
fn hand_written_compact_trace_with_wrapping_rtp_seq() {
    // RTP sequence numbers wrapping at 65536, integer times, any whitespace.
    let json = r#"[{"seq":65534,"send_ms":0,"arrival_ms":40},
        {"seq": 65535, "send_ms": 20, "arrival_ms": null},
        {"arrival_ms": 75, "send_ms": 40, "seq": 0},
        {"seq": 1, "send_ms": 60, "arrival_ms": 70}]"#;
    let t = Trace::from_json_str(json).unwrap();
    let seqs: Vec<u64> = t.entries().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [65534, 65535, 0, 1]); // stored as given, in file order
    let s = t.stats();
    assert_eq!((s.packets, s.received, s.lost), (4, 3, 1));
    // seq 1 (sent at 60) arrives before seq 0 (sent at 40): one reordering, by send time.
    assert_eq!(s.reordered, 1);
    let order: Vec<u64> = t.arrivals_in_order().iter().map(|e| e.seq).collect();
    assert_eq!(order, [65534, 1, 0]);
}

fn err(json: &str) -> TraceError {
    match Trace::from_json_str(json) {
        Ok(t) => panic!("accepted {json:?} as {t:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "multi-line error {msg:?}");
            e
        }
    }
}

#[test]
fn malformed_json_is_a_syntax_error() {
    for json in [
        "",
        "[",
        "[{\"seq\": 0, \"send_ms\": 0, \"arrival_ms\": 1}",
        "[{\"seq\": 0, \"send_ms\": 0, \"arrival_ms\": 1},]",
        "[{\"seq\": 0, \"send_ms\": 0, \"arrival_ms\": NaN}]",
        "[{\"seq\": 0, \"send_ms\": 0, \"arrival_ms\": 1e999}]",
        "[] trailing",
        "not json",
    ] {
        assert!(
            matches!(err(json), TraceError::Syntax(_)),
            "{json:?}: {}",
            err(json)
        );
    }
}

#[test]
fn wrong_shape_is_a_schema_error_naming_the_problem() {
    let cases = [
        (r#"{"seq": 0}"#, "expected a sequence"),
        (r#"[1, 2]"#, "expected struct TraceEntry"),
        (
            r#"[{"send_ms": 0, "arrival_ms": 1}]"#,
            "missing field `seq`",
        ),
        (
            r#"[{"seq": 0, "arrival_ms": 1}]"#,
            "missing field `send_ms`",
        ),
        (
            r#"[{"seq": 0, "send_ms": 0}]"#,
            "missing field `arrival_ms`",
        ),
        (
            r#"[{"seq": 0, "send_ms": 0, "arrival_ms": 1, "ssrc": 5}]"#,
            "unknown field `ssrc`",
        ),
        (r#"[{"seq": -1, "send_ms": 0, "arrival_ms": 1}]"#, "-1"),
        (r#"[{"seq": 1.5, "send_ms": 0, "arrival_ms": 1}]"#, "1.5"),
        (r#"[{"seq": "7", "send_ms": 0, "arrival_ms": 1}]"#, "string"),
        (r#"[{"seq": 0, "send_ms": "0", "arrival_ms": 1}]"#, "string"),
        (r#"[{"seq": 0, "send_ms": null, "arrival_ms": 1}]"#, "null"),
        (
            r#"[{"seq": 0, "send_ms": 0, "arrival_ms": true}]"#,
            "boolean",
        ),
        (
            r#"[{"seq": 18446744073709551616, "send_ms": 0, "arrival_ms": 1}]"#,
            "expected u64",
        ),
    ];
    for (json, needle) in cases {
        let e = err(json);
        assert!(matches!(e, TraceError::Schema(_)), "{json}: {e}");
        assert!(e.to_string().contains(needle), "{json}: {e}");
    }
}

#[test]
fn invalid_times_are_refused_with_the_entry_index() {
    let cases = [
        (
            r#"[{"seq": 0, "send_ms": 0, "arrival_ms": 1}, {"seq": 1, "send_ms": -20, "arrival_ms": 1}]"#,
            "trace entry 1: send_ms must be finite and >= 0, got -20",
        ),
        (
            r#"[{"seq": 0, "send_ms": 0, "arrival_ms": -0.5}]"#,
            "trace entry 0: arrival_ms must be finite and >= 0, got -0.5",
        ),
    ];
    for (json, msg) in cases {
        let e = err(json);
        assert!(matches!(e, TraceError::InvalidEntry { .. }), "{e}");
        assert_eq!(e.to_string(), msg);
    }
    // NaN and infinity cannot be written in JSON, but can be passed to `Trace::new`.
    for bad in [f64::NAN, f64::INFINITY, -1.0] {
        assert!(Trace::new(vec![entry(0, bad, None)]).is_err());
        assert!(Trace::new(vec![entry(0, 0.0, Some(bad))]).is_err());
    }
}

#[test]
fn io_errors_are_reported() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    impl std::io::Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = Trace::from_json_reader(Failing).unwrap_err();
    assert!(matches!(e, TraceError::Io(_)), "{e}");
    assert!(e.to_string().contains("disk on fire"));
    let e = Trace::default().to_json_writer(Failing).unwrap_err();
    assert!(e.to_string().contains("disk full"), "{e}");
}

#[test]
fn stats_of_a_hand_made_trace() {
    let t = Trace::new(vec![
        entry(0, 0.0, Some(30.0)),  // delay 30
        entry(1, 20.0, Some(90.0)), // delay 70, overtaken by 2 and 3
        entry(2, 40.0, Some(60.0)), // delay 20
        entry(2, 40.0, Some(65.0)), // duplicate
        entry(2, 40.0, Some(66.0)), // another
        entry(3, 60.0, Some(85.0)), // delay 25
        entry(4, 80.0, None),       // lost
        entry(5, 100.0, Some(140.0)),
    ])
    .unwrap();
    let s = t.stats();
    assert_eq!(s.packets, 6);
    assert_eq!(s.received, 5);
    assert_eq!(s.lost, 1);
    assert!((s.loss_rate - 1.0 / 6.0).abs() < 1e-15);
    assert_eq!(s.duplicates, 2);
    assert_eq!(s.reordered, 1);
    assert_eq!(s.min_delay_ms, Some(20.0));
    assert_eq!(s.max_delay_ms, Some(70.0));
    assert_eq!(s.p95_delay_ms, Some(70.0)); // nearest rank of 5: the 5th
    assert_eq!(
        s.mean_delay_ms,
        Some((30.0 + 70.0 + 20.0 + 25.0 + 40.0) / 5.0)
    );
    assert_eq!(t.packet_delays(), [30.0, 70.0, 20.0, 25.0, 40.0]);
    let order: Vec<(u64, f64)> = t
        .arrivals_in_order()
        .iter()
        .map(|e| (e.seq, e.arrival_ms.unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            (0, 30.0),
            (2, 60.0),
            (2, 65.0),
            (2, 66.0),
            (3, 85.0),
            (1, 90.0),
            (5, 140.0)
        ]
    );

    let empty = Trace::default().stats();
    assert_eq!((empty.packets, empty.loss_rate), (0, 0.0));
    assert_eq!(empty.mean_delay_ms, None);
}

#[test]
fn simulated_trace_is_in_send_order() {
    let t = simulate(&Profile::Mobile.config(), 20, 60.0, 3);
    assert!(t
        .entries()
        .windows(2)
        .all(|w| (w[0].seq, w[0].arrival_ms) <= (w[1].seq, w[1].arrival_ms)));
    let arr = t.arrivals_in_order();
    assert!(arr
        .windows(2)
        .all(|w| w[0].arrival_ms.unwrap() <= w[1].arrival_ms.unwrap()));
    assert_eq!(
        arr.len(),
        t.entries()
            .iter()
            .filter(|e| e.arrival_ms.is_some())
            .count()
    );
}
