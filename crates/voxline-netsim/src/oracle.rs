//! Hindsight oracle: the best fixed playout delay for a whole trace, known only afterwards.
//!
//! A jitter buffer plays packet `i` at `send_i + D` for some delay D it must guess online; the
//! oracle picks D knowing every arrival in advance. Comparing a jitter buffer's delay with the
//! oracle's shows how much latency its adaptation costs. Delays are one-way, `arrival_ms -
//! send_ms` as given in the trace: under clock skew that is receiver time minus sender time,
//! so a fixed D on a skewed trace is fixed in those mixed units (the oracle does not unskew).

use crate::trace::Trace;

/// Fraction of arrived packets that would be late for a fixed send-to-playout delay
/// `delay_ms`: those whose one-way delay exceeds `delay_ms` (arriving exactly at the playout
/// time is on time).
///
/// Counted over distinct packets (`(seq, send_ms)`) that arrived, using each packet's earliest
/// copy; lost packets are neither late nor counted. Returns 0 if no packet arrived.
pub fn late_fraction_at(trace: &Trace, delay_ms: f64) -> f64 {
    let delays = trace.packet_delays();
    if delays.is_empty() {
        return 0.0;
    }
    let late = delays.iter().filter(|&&d| d > delay_ms).count();
    late as f64 / delays.len() as f64
}

/// Smallest fixed send-to-playout delay D (ms) such that at most `max_late_fraction` of the
/// arrived packets are late, i.e. `late_fraction_at(trace, D) <= max_late_fraction`.
///
/// The fraction is over distinct packets that arrived (lost ones are not late and not counted);
/// D is always one of the packets' one-way delays. `max_late_fraction = 0` gives the largest
/// delay. Returns `None` if no packet arrived, or if `max_late_fraction` is not in `[0, 1)`
/// (at 1 or above every packet may be late and no smallest D exists).
pub fn oracle_delay_ms(trace: &Trace, max_late_fraction: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&max_late_fraction) {
        return None;
    }
    let mut delays = trace.packet_delays();
    if delays.is_empty() {
        return None;
    }
    delays.sort_by(f64::total_cmp);
    let n = delays.len();
    // Largest number of late packets allowed, computed with the same division as
    // `late_fraction_at` so the two agree exactly.
    let mut allowed = ((max_late_fraction * n as f64).floor() as usize).min(n - 1);
    while allowed > 0 && allowed as f64 / n as f64 > max_late_fraction {
        allowed -= 1;
    }
    while allowed + 1 < n && (allowed + 1) as f64 / n as f64 <= max_late_fraction {
        allowed += 1;
    }
    // With D = delays[n - 1 - allowed], exactly the packets with a strictly larger delay are
    // late: at most `allowed` of them; any smaller D makes at least `allowed + 1` late.
    Some(delays[n - 1 - allowed])
}
