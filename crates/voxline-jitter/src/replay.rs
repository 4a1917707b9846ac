//! Replays a packet trace through a [`JitterBuffer`]: the deterministic harness behind
//! `voxline jitter` and the evaluation table.
//!
//! Packet `n` of the trace carries 10-30 ms of G.711 audio with RTP sequence number `n mod
//! 65536` and timestamp `n * samples_per_packet`. Every 10 ms of receiver time the harness
//! inserts the packets that have arrived by then (causally: a packet is visible only once its
//! `arrival_ms` has passed) and pulls one frame.

use std::collections::HashMap;

use voxline_core::{Error, Result};
use voxline_g711::Law;

use crate::{JitterBuffer, JitterConfig, JitterStats, PacketHeader, Payload};

/// One line of a packet trace: `{"seq": n, "send_ms": t, "arrival_ms": t_or_null}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TracePacket {
    /// Packet index or RTP sequence number (taken modulo 65536 on the wire).
    pub seq: u64,
    /// Send time on the sender's clock, in ms.
    pub send_ms: f64,
    /// Arrival time on the receiver's clock, in ms; `None` if lost.
    pub arrival_ms: Option<f64>,
}

/// How to replay.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// Audio per packet: 10, 20 or 30 ms.
    pub packet_ms: u32,
    /// G.711 law of the payloads.
    pub law: Law,
    /// The buffer's settings (its rate must be 8 kHz).
    pub jitter: JitterConfig,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self {
            packet_ms: 20,
            law: Law::Mu,
            jitter: JitterConfig::default(),
        }
    }
}

/// What the replay measured.
#[derive(Debug, Clone)]
pub struct ReplayReport {
    /// The buffer's statistics at the end, except that concealment is counted only up to the
    /// last packet played (the silence after the end of the stream is not concealment).
    pub stats: JitterStats,
    /// `(seq, t_ms)` for every packet played: receiver time of its first sample.
    pub playout: Vec<(u64, f64)>,
    /// Packets in the trace (unique sequence numbers).
    pub packets_sent: u64,
    /// Unique packets that arrived.
    pub packets_arrived: u64,
    /// Late loss: audio of arrived packets that was not played in time, as a fraction of the
    /// audio that arrived. Counts packets dropped as late or on overflow and the time the
    /// buffer ran dry waiting for a late packet (which the listener hears as a gap too).
    pub late_loss: f64,
    /// Mean time from sending to playout of the packets played, in ms.
    pub mean_delay_ms: f64,
    /// 95th percentile of that time, in ms.
    pub p95_delay_ms: f64,
    /// Samples inserted plus removed by time-stretching, as a percentage of samples played.
    pub stretch_percent: f64,
    /// Mean of (current delay - target delay) over the frames played: how far above its own
    /// target the buffer ran, e.g. while recovering from a stall.
    pub mean_excess_ms: f64,
    /// What the listener hears, at 8 kHz.
    pub audio: Vec<f32>,
}

/// Replays `trace` with packets cut from `speech` (8 kHz, looped as needed).
pub fn replay(
    trace: &[TracePacket],
    speech: &[f32],
    config: &ReplayConfig,
) -> Result<ReplayReport> {
    if !matches!(config.packet_ms, 10 | 20 | 30) {
        return Err(Error::UnsupportedFrameDuration(config.packet_ms));
    }
    if config.jitter.rate.hz() != 8000 {
        return Err(Error::UnsupportedSampleRate(config.jitter.rate.hz()));
    }
    if speech.is_empty() {
        return Err(Error::InvalidConfig(
            "replay needs some speech to packetise".into(),
        ));
    }
    if let Some(bad) = trace
        .iter()
        .find(|p| !p.send_ms.is_finite() || p.arrival_ms.is_some_and(|a| !a.is_finite()))
    {
        return Err(Error::InvalidConfig(format!(
            "trace packet {} has a non-finite time",
            bad.seq
        )));
    }
    let spp = 8 * config.packet_ms as usize;
    let mut jb = JitterBuffer::new(config.jitter.clone())?;
    let frame = jb.frame_len();

    let mut arrivals: Vec<&TracePacket> = trace.iter().filter(|p| p.arrival_ms.is_some()).collect();
    arrivals.sort_by(|a, b| {
        a.arrival_ms
            .partial_cmp(&b.arrival_ms)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut send_of: HashMap<u16, (u64, f64)> = HashMap::new();
    let mut unique_sent = std::collections::HashSet::new();
    let mut unique_arrived = std::collections::HashSet::new();
    for p in trace {
        unique_sent.insert(p.seq);
        if p.arrival_ms.is_some() {
            unique_arrived.insert(p.seq);
        }
    }

    let start = trace
        .iter()
        .map(|p| p.send_ms)
        .fold(f64::INFINITY, f64::min);
    let start = if start.is_finite() { start } else { 0.0 };
    let last_arrival = arrivals.last().and_then(|p| p.arrival_ms).unwrap_or(start);
    let end = last_arrival + f64::from(config.jitter.max_delay_ms) + 200.0;

    let mut codes = vec![0u8; spp];
    let mut pcm = vec![0i16; spp];
    let mut out = vec![0.0f32; frame];
    let mut audio = Vec::new();
    let mut playout = Vec::new();
    let mut delays = Vec::new();
    let mut next = 0;
    let mut now = start;
    let (mut excess_sum, mut excess_n) = (0.0f64, 0u64);
    let mut stats_at_last_play = None;
    while now <= end {
        while next < arrivals.len() && arrivals[next].arrival_ms.unwrap_or(f64::INFINITY) <= now {
            let p = arrivals[next];
            next += 1;
            let offset = (p.seq as usize).wrapping_mul(spp);
            for (i, s) in pcm.iter_mut().enumerate() {
                let x = speech[(offset.wrapping_add(i)) % speech.len()];
                *s = (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
            }
            config
                .law
                .encode(&pcm, &mut codes)
                .map_err(|e| Error::InvalidConfig(e.to_string()))?;
            let header = PacketHeader {
                sequence: p.seq as u16,
                timestamp: (p.seq as u32).wrapping_mul(spp as u32),
                ssrc: 0x5EED,
                marker: false,
            };
            send_of.insert(p.seq as u16, (p.seq, p.send_ms));
            // Refusals are impossible here (valid G.711 at 8 kHz); ignore the outcome.
            let _ = jb.insert(
                header,
                Payload::G711(config.law, &codes),
                p.arrival_ms.unwrap_or(now),
            );
        }
        let info = jb.pull(now, &mut out)?;
        audio.extend_from_slice(&out);
        if now <= last_arrival
            && info.kind != crate::FrameKind::Silence
            && info.kind != crate::FrameKind::ComfortNoise
        {
            let s = jb.stats();
            excess_sum += s.current_delay_ms - s.target_delay_ms;
            excess_n += 1;
        }
        while let Some(ev) = jb.poll_played() {
            if let Some(&(seq, send)) = send_of.get(&ev.sequence) {
                playout.push((seq, ev.time_ms));
                delays.push(ev.time_ms - send);
            }
            stats_at_last_play = Some(jb.stats());
        }
        now += 10.0;
    }
    // After the last packet played the stream has simply ended and the buffer conceals until
    // `end`, which says nothing about the network: concealment counts are taken as of the last
    // packet played, everything else (e.g. a very late packet arriving after it) at the end.
    let mut stats = jb.stats();
    if let Some(at_last) = stats_at_last_play {
        stats.concealed_samples = at_last.concealed_samples;
        stats.concealed_lost_samples = at_last.concealed_lost_samples;
        stats.concealment_events = at_last.concealment_events;
        stats.current_delay_ms = at_last.current_delay_ms;
        stats.buffered_ms = at_last.buffered_ms;
    }
    let arrived = unique_arrived.len() as u64;
    let late_samples =
        (stats.packets_late + stats.packets_discarded) * spp as u64 + stats.late_outage_samples;
    let late_loss = if arrived == 0 {
        0.0
    } else {
        late_samples as f64 / (arrived * spp as u64) as f64
    };
    delays.sort_by(f64::total_cmp);
    let mean_delay_ms = if delays.is_empty() {
        0.0
    } else {
        delays.iter().sum::<f64>() / delays.len() as f64
    };
    let p95_delay_ms = if delays.is_empty() {
        0.0
    } else {
        delays[((0.95 * delays.len() as f64).ceil() as usize).clamp(1, delays.len()) - 1]
    };
    let stretched =
        stats.inserted_samples_for_deceleration + stats.removed_samples_for_acceleration;
    let stretch_percent = if stats.samples_played == 0 {
        0.0
    } else {
        100.0 * stretched as f64 / stats.samples_played as f64
    };
    Ok(ReplayReport {
        stats,
        playout,
        packets_sent: unique_sent.len() as u64,
        packets_arrived: arrived,
        late_loss,
        mean_delay_ms,
        p95_delay_ms,
        stretch_percent,
        mean_excess_ms: if excess_n == 0 {
            0.0
        } else {
            excess_sum / excess_n as f64
        },
        audio,
    })
}
