//! Property tests: any sequence of packets and pulls keeps the buffer's invariants.

use proptest::prelude::*;
use voxline_jitter::{JitterBuffer, JitterConfig, PacketHeader, Payload};

#[derive(Debug, Clone)]
enum Op {
    Insert {
        seq_step: i16,
        ts_step: i32,
        delay: u16,
        ssrc_flip: bool,
        cn: bool,
        len: u16,
    },
    Pull,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            any::<i16>(),
            any::<i32>(),
            0u16..2000,
            prop::bool::weighted(0.01),
            prop::bool::weighted(0.05),
            0u16..1200
        )
            .prop_map(
                |(seq_step, ts_step, delay, ssrc_flip, cn, len)| Op::Insert {
                    seq_step: seq_step % 8,
                    ts_step: if ts_step % 50 == 0 {
                        ts_step
                    } else {
                        ts_step % 2000
                    },
                    delay,
                    ssrc_flip,
                    cn,
                    len,
                }
            ),
        Just(Op::Pull),
        Just(Op::Pull),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn never_panics_plays_in_order_at_most_once(ops in prop::collection::vec(op(), 1..400)) {
        let mut jb = JitterBuffer::new(JitterConfig::default()).unwrap();
        let mut frame = vec![0.0f32; jb.frame_len()];
        let samples: Vec<f32> = (0..1200).map(|i| ((i * 31) % 200) as f32 / 400.0 - 0.25).collect();
        let (mut seq, mut ts, mut ssrc, mut now) = (0u16, 0u32, 1u32, 0.0f64);
        let mut last_played: Option<(u32, i64, f64)> = None;
        let mut played_seqs = std::collections::HashSet::new();
        for op in ops {
            match op {
                Op::Insert { seq_step, ts_step, delay, ssrc_flip, cn, len } => {
                    seq = seq.wrapping_add(seq_step as u16);
                    ts = ts.wrapping_add(ts_step as u32);
                    if ssrc_flip { ssrc += 1; }
                    let h = PacketHeader { sequence: seq, timestamp: ts, ssrc, marker: false };
                    let payload = if cn { Payload::ComfortNoise { level_dbov: 40 } } else { Payload::Audio(&samples[..len as usize]) };
                    let _ = jb.insert(h, payload, now - f64::from(delay) / 10.0);
                }
                Op::Pull => {
                    jb.pull(now, &mut frame).unwrap();
                    prop_assert!(frame.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
                    let s = jb.stats();
                    while let Some(p) = jb.poll_played() {
                        // In timestamp order, each packet at most once (per resync epoch).
                        if let Some((r, last_ts, last_t)) = last_played {
                            if r == s.resyncs as u32 {
                                prop_assert!(p.extended_timestamp > last_ts, "{} after {}", p.extended_timestamp, last_ts);
                            }
                            prop_assert!(p.time_ms >= last_t);
                        }
                        prop_assert!(played_seqs.insert((s.resyncs, p.extended_sequence)), "played twice");
                        last_played = Some((s.resyncs as u32, p.extended_timestamp, p.time_ms));
                    }
                    prop_assert!(s.target_delay_ms <= 2000.0 + 1e-6);
                    now += 10.0;
                }
            }
        }
    }
}
