//! The hindsight oracle on hand-made traces.

use voxline_netsim::{late_fraction_at, oracle_delay_ms, Trace, TraceEntry};

fn entry(seq: u64, send_ms: f64, arrival_ms: Option<f64>) -> TraceEntry {
    TraceEntry {
        seq,
        send_ms,
        arrival_ms,
    }
}

/// Ten arrived packets with delays 10, 20, ..., 100 ms (out of order), plus a lost packet and
/// a duplicate: 1 lost, 10 arrived.
fn ten_delays() -> Trace {
    let delays = [40.0, 10.0, 100.0, 30.0, 20.0, 90.0, 50.0, 70.0, 60.0, 80.0];
    let mut entries = Vec::new();
    for (i, d) in delays.iter().enumerate() {
        let send = 20.0 * i as f64;
        entries.push(entry(i as u64, send, Some(send + d)));
        if i == 3 {
            entries.push(entry(3, send, Some(send + 500.0))); // late duplicate: ignored
        }
    }
    entries.push(entry(10, 200.0, None)); // lost: neither late nor counted
    Trace::new(entries).unwrap()
}

#[test]
fn oracle_exact_values() {
    let t = ten_delays();
    assert_eq!(oracle_delay_ms(&t, 0.0), Some(100.0));
    assert_eq!(oracle_delay_ms(&t, 0.05), Some(100.0)); // 0.5 packet: none may be late
    assert_eq!(oracle_delay_ms(&t, 0.1), Some(90.0)); // one of ten may be late
    assert_eq!(oracle_delay_ms(&t, 0.15), Some(90.0));
    assert_eq!(oracle_delay_ms(&t, 0.2), Some(80.0));
    assert_eq!(oracle_delay_ms(&t, 0.3), Some(70.0)); // 0.3 * 10 is 3.0000000000000004
    assert_eq!(oracle_delay_ms(&t, 0.5), Some(50.0));
    assert_eq!(oracle_delay_ms(&t, 0.9), Some(10.0));
    assert_eq!(oracle_delay_ms(&t, 0.99), Some(10.0));
    for bad in [1.0, 1.5, -0.1, f64::NAN] {
        assert_eq!(oracle_delay_ms(&t, bad), None, "{bad}");
    }
}

#[test]
fn late_fraction_exact_values() {
    let t = ten_delays();
    assert_eq!(late_fraction_at(&t, 100.0), 0.0);
    assert_eq!(late_fraction_at(&t, 99.9), 0.1);
    assert_eq!(late_fraction_at(&t, 90.0), 0.1); // arriving at the playout time is on time
    assert_eq!(late_fraction_at(&t, 85.0), 0.2);
    assert_eq!(late_fraction_at(&t, 0.0), 1.0);
    assert_eq!(late_fraction_at(&t, 1e9), 0.0);
}

#[test]
fn earliest_copy_counts() {
    // Packet 1's first copy is very late but its duplicate is early: it is on time at 30 ms.
    let t = Trace::new(vec![
        entry(0, 0.0, Some(20.0)),
        entry(1, 20.0, Some(220.0)),
        entry(1, 20.0, Some(45.0)),
        entry(2, 40.0, Some(70.0)),
    ])
    .unwrap();
    assert_eq!(oracle_delay_ms(&t, 0.0), Some(30.0));
    assert_eq!(late_fraction_at(&t, 25.0), 1.0 / 3.0);
}

#[test]
fn nothing_arrived() {
    let lost = Trace::new(vec![entry(0, 0.0, None), entry(1, 20.0, None)]).unwrap();
    assert_eq!(oracle_delay_ms(&lost, 0.01), None);
    assert_eq!(late_fraction_at(&lost, 10.0), 0.0);
    assert_eq!(oracle_delay_ms(&Trace::default(), 0.0), None);
}

#[test]
fn skewed_delays_are_taken_as_given() {
    // Receiver clock slow: delays can even be negative; the oracle does not unskew them.
    let t = Trace::new(vec![
        entry(0, 1000.0, Some(990.0)),
        entry(1, 1020.0, Some(1030.0)),
    ])
    .unwrap();
    assert_eq!(oracle_delay_ms(&t, 0.0), Some(10.0));
    assert_eq!(oracle_delay_ms(&t, 0.5), Some(-10.0));
}
