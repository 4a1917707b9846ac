//! Interarrival jitter (RFC 3550 A.8) on synthetic streams with known jitter.

use voxline_rtp::JitterEstimator;

const PTIME: u32 = 160; // 20 ms at 8 kHz

/// Packets every 20 ms whose arrival is offset alternately by +d and -d ticks: every transit
/// difference is 2d, so the estimate converges to 2d as 2d * (1 - (15/16)^n).
#[test]
fn alternating_offsets_converge_to_twice_the_offset() {
    for d in [1u32, 8, 40, 400] {
        let mut j = JitterEstimator::new();
        let ts0 = u32::MAX - 50 * PTIME; // crosses the timestamp wrap
        let arrival0 = 123_456u32;
        let mut estimate = 0.0;
        for n in 0..300u32 {
            let ts = ts0.wrapping_add(n * PTIME);
            let offset = if n % 2 == 0 { d } else { d.wrapping_neg() };
            let arrival = arrival0.wrapping_add(n * PTIME).wrapping_add(offset);
            estimate = j.update(ts, arrival);
            if n >= 1 {
                let analytic = 2.0 * f64::from(d) * (1.0 - (15.0f64 / 16.0).powi(n as i32));
                assert!(
                    (estimate - analytic).abs() < 1e-9 * f64::from(d),
                    "n {n}: {estimate} vs {analytic}"
                );
            }
        }
        assert!((estimate - 2.0 * f64::from(d)).abs() < 1e-5 * f64::from(d));
        assert_eq!(j.jitter_report(), 2 * d);
    }
}

/// Arrival offsets drawn uniformly from [0, a): E|X - Y| = a/3, and the estimate, an
/// exponential average of |D|, hovers around it.
#[test]
fn uniform_random_delay_averages_a_third_of_the_range() {
    let a = 240.0; // 30 ms of delay variation at 8 kHz
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut j = JitterEstimator::new();
    let mut sum = 0.0;
    let mut count = 0;
    for n in 0..200_000u64 {
        let ts = (n * u64::from(PTIME)) as u32;
        let arrival_us = n * 20_000 + (uniform() * a * 125.0) as u64; // 125 µs per tick
        let estimate = j.update_micros(ts, arrival_us, 8000);
        if n > 1000 {
            sum += estimate;
            count += 1;
        }
    }
    let mean = sum / f64::from(count);
    assert!(
        (mean - a / 3.0).abs() < 0.02 * a / 3.0,
        "mean {mean}, expected {}",
        a / 3.0
    );
}

/// Arrival times in microseconds keep fractions of a tick: ±0.5 tick alternating gives 1 tick.
#[test]
fn microsecond_arrivals_keep_sub_tick_precision() {
    let mut j = JitterEstimator::new();
    let start_us = 7_000_000_000u64; // an arbitrary monotonic clock reading
    for n in 0..400u64 {
        let offset = if n % 2 == 0 { 0 } else { 125 }; // 125 µs = 1 tick; alternate 0 / 1
        let arrival = start_us + n * 20_000 + offset + 62; // 62 µs: not tick-aligned
        j.update_micros(
            (n as u32).wrapping_mul(PTIME).wrapping_add(4_000_000_000),
            arrival,
            8000,
        );
    }
    assert!((j.jitter() - 1.0).abs() < 1e-6, "{}", j.jitter());
    assert!((j.jitter_seconds(8000) - 1.0 / 8000.0).abs() < 1e-9);
}

/// Constant network delay, however large, and any clock offset: no jitter.
#[test]
fn constant_delay_gives_zero() {
    let mut j = JitterEstimator::new();
    for n in 0..1000u32 {
        j.update(
            n.wrapping_mul(PTIME).wrapping_add(3_000_000_000),
            n * PTIME + 9999,
        );
    }
    assert_eq!(j.jitter(), 0.0);
    assert_eq!(j.jitter_report(), 0);
}

/// A single late packet: the estimate jumps by |D|/16 then decays by 15/16 per packet.
#[test]
fn single_spike_decays() {
    let mut j = JitterEstimator::new();
    for n in 0..10u32 {
        j.update(n * PTIME, n * PTIME);
    }
    // Packet 10 arrives 160 ticks late, packet 11 on time: D = +160 then -160.
    assert_eq!(j.update(10 * PTIME, 11 * PTIME), 10.0);
    assert_eq!(
        j.update(11 * PTIME, 11 * PTIME),
        10.0 + (160.0 - 10.0) / 16.0
    );
    let before = j.jitter();
    assert_eq!(j.update(12 * PTIME, 12 * PTIME), before * 15.0 / 16.0);
}
