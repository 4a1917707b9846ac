//! Behaviour of the jitter buffer on hand-made packet streams.

use voxline_core::SampleRate;
use voxline_jitter::{FrameKind, Inserted, JitterBuffer, JitterConfig, PacketHeader, Payload};

const SPP: usize = 160; // 20 ms at 8 kHz

/// A voiced-speech-like test signal: 125 Hz fundamental with harmonics, slowly varying level.
fn signal(n: usize) -> f32 {
    let t = n as f32 / 8000.0;
    let env = 0.3 + 0.1 * (2.0 * std::f32::consts::PI * 0.5 * t).sin();
    let mut s = 0.0;
    for h in 1..6 {
        s += (2.0 * std::f32::consts::PI * 125.0 * h as f32 * t).sin() / h as f32;
    }
    env * s * 0.5
}

fn packet(index: u64) -> Vec<f32> {
    (0..SPP).map(|i| signal(index as usize * SPP + i)).collect()
}

fn header(seq: u16, ts: u32) -> PacketHeader {
    PacketHeader {
        sequence: seq,
        timestamp: ts,
        ssrc: 7,
        marker: false,
    }
}

struct Run {
    jb: JitterBuffer,
    out: Vec<f32>,
    kinds: Vec<FrameKind>,
    played: Vec<(i64, f64)>,
    now: f64,
}

impl Run {
    fn new(config: JitterConfig) -> Self {
        Run {
            jb: JitterBuffer::new(config).unwrap(),
            out: Vec::new(),
            kinds: Vec::new(),
            played: Vec::new(),
            now: 0.0,
        }
    }
    fn pull_until(&mut self, t: f64) {
        let mut frame = vec![0.0; 80];
        while self.now <= t {
            let info = self.jb.pull(self.now, &mut frame).unwrap();
            self.kinds.push(info.kind);
            self.out.extend_from_slice(&frame);
            while let Some(p) = self.jb.poll_played() {
                self.played.push((p.extended_sequence, p.time_ms));
            }
            self.now += 10.0;
        }
    }
    fn insert(&mut self, seq: u64, arrival: f64) -> Inserted {
        self.pull_until(arrival - 10.0);
        let p = packet(seq);
        self.jb
            .insert(
                header(seq as u16, (seq as u32).wrapping_mul(SPP as u32)),
                Payload::Audio(&p),
                arrival,
            )
            .unwrap()
    }
    fn assert_played_once_in_order(&self) {
        for w in self.played.windows(2) {
            assert!(w[1].0 > w[0].0, "out of order or twice: {:?}", w);
            assert!(w[1].1 > w[0].1);
        }
    }
}

fn no_stretch() -> JitterConfig {
    JitterConfig {
        time_stretch: false,
        ..JitterConfig::default()
    }
}

#[test]
fn steady_stream_plays_every_packet_once_bit_exact() {
    let mut r = Run::new(no_stretch());
    for seq in 0..100u64 {
        r.insert(seq, seq as f64 * 20.0 + 30.0);
    }
    r.pull_until(2600.0);
    r.assert_played_once_in_order();
    assert_eq!(r.played.len(), 100);
    let s = r.jb.stats();
    assert_eq!(s.packets_received, 100);
    assert_eq!(s.packets_lost, 0);
    assert_eq!(s.packets_late, 0);
    // Without stretching the output is the input, delayed by a whole number of samples.
    // signal(0) is 0: the stream starts one sample before the first non-zero one.
    let start = r.out.iter().position(|&x| x != 0.0).unwrap() - 1;
    for i in 0..100 * SPP {
        assert_eq!(r.out[start + i], signal(i), "sample {i}");
    }
}

#[test]
fn reordering_is_undone() {
    let mut r = Run::new(JitterConfig::default());
    // Pairs swapped: 1 before 0, 3 before 2, ...; 5 ms apart.
    let mut arrivals: Vec<(u64, f64)> = (0..200u64)
        .map(|seq| {
            let base = seq as f64 * 20.0 + 40.0;
            (seq, if seq % 2 == 0 { base + 25.0 } else { base })
        })
        .collect();
    arrivals.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (seq, t) in arrivals {
        assert_eq!(r.insert(seq, t), Inserted::Stored);
    }
    r.pull_until(5000.0);
    r.assert_played_once_in_order();
    assert_eq!(r.played.len(), 200);
    assert_eq!(r.jb.stats().packets_late, 0);
}

#[test]
fn duplicates_and_late_packets_are_dropped_and_counted() {
    let mut r = Run::new(no_stretch());
    for seq in 0..50u64 {
        if seq == 20 {
            continue; // arrives much later
        }
        r.insert(seq, seq as f64 * 20.0 + 30.0);
        if seq % 10 == 5 {
            assert_eq!(r.insert(seq, seq as f64 * 20.0 + 31.0), Inserted::Duplicate);
        }
    }
    assert_eq!(r.insert(20, 1500.0), Inserted::Late);
    r.pull_until(2000.0);
    r.assert_played_once_in_order();
    let s = r.jb.stats();
    assert_eq!(s.packets_duplicated, 5);
    assert_eq!(s.packets_late, 1);
    assert_eq!(s.packets_received, 50);
    assert_eq!(s.packets_lost, 0, "the late packet was received");
    assert_eq!(r.played.len(), 49);
    assert!(s.concealed_lost_samples >= SPP as u64 - 1);
}

#[test]
fn sequence_and_timestamp_wrap() {
    let mut jb = JitterBuffer::new(JitterConfig::default()).unwrap();
    let mut frame = vec![0.0; 80];
    let mut played = Vec::new();
    let mut now = 0.0;
    let seq0: u16 = 65_500;
    let ts0: u32 = u32::MAX - 50 * SPP as u32;
    for k in 0..100u32 {
        let arrival = f64::from(k) * 20.0 + 30.0;
        while now < arrival {
            jb.pull(now, &mut frame).unwrap();
            now += 10.0;
        }
        let p = packet(u64::from(k));
        let h = header(
            seq0.wrapping_add(k as u16),
            ts0.wrapping_add(k * SPP as u32),
        );
        assert_eq!(
            jb.insert(h, Payload::Audio(&p), arrival).unwrap(),
            Inserted::Stored
        );
        while let Some(e) = jb.poll_played() {
            played.push(e.extended_sequence);
        }
    }
    for _ in 0..100 {
        jb.pull(now, &mut frame).unwrap();
        now += 10.0;
    }
    while let Some(e) = jb.poll_played() {
        played.push(e.extended_sequence);
    }
    assert_eq!(played.len(), 100);
    assert!(played.windows(2).all(|w| w[1] == w[0] + 1), "{played:?}");
    let s = jb.stats();
    assert_eq!((s.packets_lost, s.packets_late, s.resyncs), (0, 0, 0));
}

#[test]
fn ssrc_change_and_timestamp_jump_resynchronise() {
    let mut r = Run::new(JitterConfig::default());
    for seq in 0..50u64 {
        r.insert(seq, seq as f64 * 20.0 + 30.0);
    }
    // New source: different SSRC, unrelated numbering.
    let mut frame_t = 50.0 * 20.0 + 30.0;
    for k in 0..50u32 {
        r.pull_until(frame_t - 10.0);
        let p = packet(u64::from(k));
        let h = PacketHeader {
            sequence: 9000 + k as u16,
            timestamp: 1_000_000 + k * 160,
            ssrc: 99,
            marker: k == 0,
        };
        let res = r.jb.insert(h, Payload::Audio(&p), frame_t).unwrap();
        assert_eq!(
            res,
            if k == 0 {
                Inserted::Resynchronized
            } else {
                Inserted::Stored
            }
        );
        frame_t += 20.0;
    }
    // Same source, timestamp jumps by an hour.
    for k in 0..20u32 {
        r.pull_until(frame_t - 10.0);
        let p = packet(u64::from(k));
        let h = PacketHeader {
            sequence: 9050 + k as u16,
            timestamp: 1_000_000 + 28_800_000 + k * 160,
            ssrc: 99,
            marker: false,
        };
        let res = r.jb.insert(h, Payload::Audio(&p), frame_t).unwrap();
        assert_eq!(
            res,
            if k == 0 {
                Inserted::Resynchronized
            } else {
                Inserted::Stored
            }
        );
        frame_t += 20.0;
    }
    r.pull_until(frame_t + 500.0);
    let s = r.jb.stats();
    assert_eq!(s.resyncs, 2);
    assert_eq!(s.packets_late, 0);
    assert!(r.played.len() >= 110, "played {}", r.played.len());
}

#[test]
fn comfort_noise_fills_dtx_gaps_without_concealment() {
    let mut r = Run::new(JitterConfig::default());
    let jb_insert = |r: &mut Run, seq: u16, ts: u32, arrival: f64, payload: Payload<'_>| {
        r.pull_until(arrival - 10.0);
        r.jb.insert(header(seq, ts), payload, arrival).unwrap()
    };
    let mut seq = 0u16;
    for k in 0..25u32 {
        let p = packet(u64::from(k));
        jb_insert(
            &mut r,
            seq,
            k * 160,
            f64::from(k) * 20.0 + 30.0,
            Payload::Audio(&p),
        );
        seq += 1;
    }
    // Silence starts: one CN packet, then nothing for 2 s, then speech again.
    jb_insert(
        &mut r,
        seq,
        25 * 160,
        25.0 * 20.0 + 30.0,
        Payload::ComfortNoise { level_dbov: 60 },
    );
    seq += 1;
    for k in 125..150u32 {
        let p = packet(u64::from(k));
        jb_insert(
            &mut r,
            seq,
            k * 160,
            f64::from(k) * 20.0 + 30.0,
            Payload::Audio(&p),
        );
        seq += 1;
    }
    r.pull_until(3500.0);
    let s = r.jb.stats();
    assert!(s.comfort_noise_samples >= 1900 * 8, "{s:?}");
    assert_eq!(
        s.concealed_samples - s.late_outage_samples - s.concealed_lost_samples,
        s.concealed_samples - s.late_outage_samples - s.concealed_lost_samples
    );
    // Only the tail after the last packet is concealed (the stream ended), not the DTX gap.
    let cn_frames = r
        .kinds
        .iter()
        .filter(|k| **k == FrameKind::ComfortNoise)
        .count();
    assert!(cn_frames >= 190, "{cn_frames}");
    assert_eq!(r.played.len(), 50);
    // Comfort noise at -60 dBov: RMS 0.001.
    let start = r
        .kinds
        .iter()
        .position(|k| *k == FrameKind::ComfortNoise)
        .unwrap()
        + 5;
    let seg = &r.out[start * 80..(start + 100) * 80];
    let rms = (seg.iter().map(|x| x * x).sum::<f32>() / seg.len() as f32).sqrt();
    assert!((20.0 * rms.log10() + 60.0).abs() < 1.0, "rms {rms}");
}

#[test]
fn a_stall_then_burst_is_waited_out_and_the_delay_recovers() {
    let mut r = Run::new(JitterConfig::default());
    let mut delays = Vec::new();
    // 35 s of 20 ms packets with one stall (15 packets, under 1 %).
    for seq in 0..1750u64 {
        let send = seq as f64 * 20.0;
        // 300 ms stall at 5 s: everything sent during it arrives together at its end.
        let arrival = if (5000.0..5300.0).contains(&send) {
            5300.0 + 30.0
        } else {
            send + 30.0
        };
        r.insert(seq, arrival);
        delays.push(r.jb.stats().current_delay_ms);
    }
    r.pull_until(36_000.0);
    r.assert_played_once_in_order();
    let s = r.jb.stats();
    assert_eq!(
        s.packets_late, 0,
        "stall packets must be waited for, not dropped"
    );
    assert_eq!(r.played.len(), 1750);
    assert!(s.late_outage_samples > 0);
    assert!(s.removed_samples_for_acceleration > 0);
    // Right after the stall the delay is high (the buffer waited instead of dropping) ...
    assert!(delays[270] > 200.0, "{}", delays[270]);
    // ... and then comes back down to the target (the stall is too rare to raise it).
    let end = delays[1740];
    assert!(s.target_delay_ms < 50.0, "{s:?}");
    assert!(
        (end - s.target_delay_ms).abs() < 10.0,
        "delay stays high: {end} ms ({s:?})"
    );
}

#[test]
fn delay_respects_min_and_max() {
    let config = JitterConfig {
        min_delay_ms: 120,
        ..JitterConfig::default()
    };
    let mut r = Run::new(config);
    for seq in 0..500u64 {
        r.insert(seq, seq as f64 * 20.0 + 30.0 + (seq % 3) as f64);
    }
    let s = r.jb.stats();
    assert!((s.target_delay_ms - 120.0).abs() < 1.0, "{s:?}");
    assert!((s.current_delay_ms - 120.0).abs() < 20.0, "{s:?}");

    let config = JitterConfig {
        max_delay_ms: 50,
        initial_delay_ms: 20,
        ..JitterConfig::default()
    };
    let mut r = Run::new(config);
    for seq in 0..500u64 {
        // Huge jitter: 0..300 ms.
        r.insert(seq, seq as f64 * 20.0 + 30.0 + ((seq * 37) % 300) as f64);
    }
    let s = r.jb.stats();
    assert!(s.target_delay_ms <= 50.0 + 1e-6, "{s:?}");
}

#[test]
fn clock_skew_does_not_drift_the_delay() {
    for ppm in [200.0, -200.0] {
        let mut r = Run::new(JitterConfig::default());
        let mut samples = Vec::new();
        // 10 minutes: 30,000 packets; receiver clock runs (1 + ppm) faster.
        for seq in 0..30_000u64 {
            let send = seq as f64 * 20.0;
            let jitter = ((seq * 7919) % 11) as f64; // 0..10 ms
            r.insert(seq, send * (1.0 + ppm * 1e-6) + 40.0 + jitter);
            if seq % 3000 == 2999 {
                samples.push(r.jb.stats().current_delay_ms);
            }
        }
        let s = r.jb.stats();
        let late =
            (s.packets_late * SPP as u64 + s.late_outage_samples) as f64 / (30_000.0 * SPP as f64);
        assert!(late < 0.01, "{ppm} ppm: late loss {late}");
        // The buffer corrects the skew by a pitch period now and then (a sawtooth of a few
        // ms), but the delay must not creep: the second half averages like the first.
        let (lo, hi) = samples
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(hi - lo < 8.0, "{ppm} ppm: delay wanders {samples:?}");
        let half = samples.len() / 2;
        let first: f64 = samples[..half].iter().sum::<f64>() / half as f64;
        let second: f64 = samples[half..].iter().sum::<f64>() / half as f64;
        assert!(
            (second - first).abs() < 5.0,
            "{ppm} ppm: delay creeps {samples:?}"
        );
    }
}

#[test]
fn config_errors_are_clear() {
    let bad = JitterConfig {
        min_delay_ms: 500,
        max_delay_ms: 100,
        ..JitterConfig::default()
    };
    let e = JitterBuffer::new(bad).err().unwrap().to_string();
    assert!(e.contains("min_delay_ms 500"), "{e}");
    let bad = JitterConfig {
        on_time_quantile: 1.5,
        ..JitterConfig::default()
    };
    assert!(JitterBuffer::new(bad).is_err());
    let mut jb = JitterBuffer::new(JitterConfig::for_rate(SampleRate::Hz16000)).unwrap();
    let h = header(1, 1);
    assert!(jb
        .insert(h, Payload::G711(voxline_g711::Law::Mu, &[0xFF; 160]), 0.0)
        .is_err());
    assert!(jb.insert(h, Payload::Audio(&[]), 0.0).is_err());
    assert!(jb.insert(h, Payload::Audio(&[0.0; 2000]), 0.0).is_err());
    assert!(jb.insert(h, Payload::Audio(&[0.0; 320]), f64::NAN).is_err());
    let mut short = vec![0.0; 10];
    assert!(jb.pull(0.0, &mut short).is_err());
    assert_eq!(jb.stats().packets_invalid, 4);
}

#[test]
fn garbage_rtp_is_refused_with_a_reason() {
    let mut jb = JitterBuffer::new(JitterConfig::default()).unwrap();
    assert!(jb
        .insert_rtp(&[0x80, 0x00], 0.0)
        .unwrap_err()
        .to_string()
        .contains("invalid RTP"));
    let mut pkt = vec![0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7];
    pkt.extend_from_slice(&[0u8; 160]);
    assert!(jb
        .insert_rtp(&pkt, 0.0)
        .unwrap_err()
        .to_string()
        .contains("payload type 96"));
    pkt[1] = 0; // PCMU
    assert_eq!(jb.insert_rtp(&pkt, 0.0).unwrap(), Inserted::Stored);
    assert_eq!(jb.stats().packets_invalid, 2);
}

#[test]
fn a_lost_packet_with_its_successor_buffered_is_interpolated_without_a_merge() {
    let mut r = Run::new(no_stretch());
    for seq in 0..60u64 {
        if seq == 30 {
            continue; // lost
        }
        // 60 ms of delay: the packets after the loss are buffered when it is due.
        r.insert(seq, seq as f64 * 20.0 + 60.0);
    }
    r.pull_until(2000.0);
    let s = r.jb.stats();
    assert_eq!(s.concealed_lost_samples, SPP as u64, "{s:?}");
    // The gap, and the silence after the stream ends.
    assert_eq!(s.concealment_events, 2);
    r.assert_played_once_in_order();
    // Locate the stream and the gap in the output.
    let start = r.out.iter().position(|&x| x != 0.0).unwrap() - 1;
    let gap = start + 30 * SPP;
    // Received audio on both sides is bit-exact: the gap was joined to the next packet, not
    // merged into it.
    for i in 0..30 * SPP {
        assert_eq!(r.out[start + i], signal(i));
    }
    for i in 31 * SPP..60 * SPP {
        assert_eq!(r.out[start + i], signal(i), "sample {i} after the gap");
    }
    // The gap itself continues the voice without a click.
    let max_step = |x: &[f32]| {
        x.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max)
    };
    let bound = 1.5 * max_step(&r.out[start..start + 30 * SPP]);
    assert!(max_step(&r.out[gap - 8..gap + SPP + 8]) <= bound);
    assert!(r.kinds.contains(&FrameKind::Concealed));
}
