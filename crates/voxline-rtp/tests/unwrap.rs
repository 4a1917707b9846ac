//! Sequence number and timestamp unwrapping across the wrap-around, with reordering.

use proptest::prelude::*;
use voxline_rtp::{SequenceUnwrapper, TimestampUnwrapper};

/// Swaps neighbours at the positions `swaps` picks (bounded local reordering).
fn reorder<T>(values: &mut [T], swaps: &[(usize, usize)]) {
    for &(at, dist) in swaps {
        if values.len() > 1 {
            let i = at % values.len();
            let j = (i + dist).min(values.len() - 1);
            values.swap(i, j);
        }
    }
}

#[test]
fn counts_many_wraps() {
    let mut u = SequenceUnwrapper::new();
    let start = 60_000u16;
    for i in 0..300_000i64 {
        let seq = start.wrapping_add(i as u16);
        assert_eq!(u.unwrap(seq), 60_000 + i);
    }
}

#[test]
fn late_packets_across_the_wrap_stay_behind() {
    let mut u = SequenceUnwrapper::new();
    let order = [65530u16, 65531, 65533, 0, 65532, 2, 1, 65535, 65534, 3];
    let got: Vec<i64> = order.iter().map(|&s| u.unwrap(s)).collect();
    assert_eq!(
        got,
        [65530, 65531, 65533, 65536, 65532, 65538, 65537, 65535, 65534, 65539]
    );
}

#[test]
fn timestamp_with_dtx_gap_across_the_wrap() {
    let mut u = TimestampUnwrapper::new();
    let first = u32::MAX - 160 * 3;
    assert_eq!(u.unwrap(first), i64::from(first));
    // 2 s of silence (16000 ticks) not sent, then speech again.
    let after = first.wrapping_add(16_000);
    assert_eq!(u.unwrap(after), i64::from(first) + 16_000);
    assert_eq!(u.peek(first), i64::from(first));
    assert_eq!(u.highest(), Some(i64::from(first) + 16_000));
}

proptest! {
    /// Any run of consecutive numbers, started anywhere (so often across the wrap) and
    /// reordered locally, unwraps to the true extended values; in arrival order the result is
    /// monotone wherever the arrival order is.
    #[test]
    fn sequence_unwrap_matches_truth_under_reordering(
        start in any::<u16>(),
        len in 1usize..3000,
        swaps in prop::collection::vec((any::<usize>(), 1usize..100), 0..200),
    ) {
        let mut truth: Vec<i64> = (0..len as i64).map(|i| i64::from(start) + i).collect();
        reorder(&mut truth, &swaps);
        let mut u = SequenceUnwrapper::new();
        let first = truth[0];
        for &t in &truth {
            let got = u.unwrap(t as u16);
            // The first value maps to itself; the rest keep their offset from it.
            prop_assert_eq!(got - i64::from(first as u16), t - first);
        }
        let sorted: Vec<i64> = {
            let mut u = SequenceUnwrapper::new();
            let mut v: Vec<i64> = (0..len as i64).map(|i| u.unwrap(start.wrapping_add(i as u16))).collect();
            v.dedup();
            v
        };
        prop_assert!(sorted.windows(2).all(|w| w[1] == w[0] + 1));
    }

    /// Timestamps stepping by a packet time with occasional large DTX gaps and local
    /// reordering unwrap to the true values.
    #[test]
    fn timestamp_unwrap_matches_truth(
        start in any::<u32>(),
        steps in prop::collection::vec(prop_oneof![Just(160i64), Just(80), 1000i64..2_000_000], 1..500),
        swaps in prop::collection::vec((any::<usize>(), 1usize..4), 0..50),
    ) {
        let mut truth = vec![i64::from(start)];
        for s in steps {
            let last = *truth.last().unwrap();
            truth.push(last + s);
        }
        reorder(&mut truth, &swaps);
        let mut u = TimestampUnwrapper::new();
        let first = truth[0];
        for &t in &truth {
            prop_assert_eq!(u.unwrap(t as u32) - i64::from(first as u32), t - first);
        }
    }
}
