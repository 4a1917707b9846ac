//! Drives the jitter buffer with an arbitrary script of inserts (RTP bytes) and pulls.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voxline_jitter::{JitterBuffer, JitterConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(mut jb) = JitterBuffer::new(JitterConfig::default()) else { return };
    let mut frame = vec![0.0f32; jb.frame_len()];
    let mut now = 0.0f64;
    let mut last_ts: Option<(u64, i64)> = None;
    let mut packet = [0u8; 12 + 480];
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 4 {
            0 | 1 => {
                // A well-formed header with fuzzed fields.
                if rest.len() < 8 {
                    break;
                }
                let (f, tail) = rest.split_at(8);
                rest = tail;
                let len = usize::from(f[7]) % 481;
                packet[0] = 0x80;
                packet[1] = [0u8, 8, 13, 96][usize::from(f[0] & 3)] | (f[0] & 0x80);
                packet[2..4].copy_from_slice(&f[1..3]);
                packet[4..8].copy_from_slice(&[f[3], f[4], 0, 0]);
                packet[8..12].copy_from_slice(&[0, 0, 0, f[5] & 1]);
                for (i, b) in packet[12..12 + len].iter_mut().enumerate() {
                    *b = f[6].wrapping_add(i as u8);
                }
                let arrival = now - f64::from(f[6]);
                let _ = jb.insert_rtp(&packet[..12 + len], arrival);
            }
            2 => {
                // Raw garbage.
                let n = rest.len().min(usize::from(op >> 2));
                let (g, tail) = rest.split_at(n);
                rest = tail;
                let _ = jb.insert_rtp(g, now);
            }
            _ => {
                jb.pull(now, &mut frame).expect("frame length is right");
                assert!(frame.iter().all(|x| x.is_finite() && x.abs() <= 1.0));
                let resyncs = jb.stats().resyncs;
                while let Some(p) = jb.poll_played() {
                    if let Some((r, ts)) = last_ts {
                        assert!(r != resyncs || p.extended_timestamp > ts);
                    }
                    last_ts = Some((resyncs, p.extended_timestamp));
                }
                now += 10.0;
            }
        }
    }
});
