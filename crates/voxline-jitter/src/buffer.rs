//! The adaptive jitter buffer: packets in with their arrival time, 10 ms frames out.

use std::collections::VecDeque;

use thiserror::Error;
use voxline_core::{sanitize, Error as CoreError, Latency, Result as CoreResult, Xorshift32};
use voxline_g711::Law;
use voxline_rtp::{ComfortNoise, RtpError, RtpPacket, SequenceUnwrapper, TimestampUnwrapper};

use crate::conceal::Concealer;
use crate::config::JitterConfig;
use crate::delay::DelayEstimator;
use crate::stats::{DelayHistogram, JitterStats};
use crate::stretch::TimeStretcher;
use voxline_plc::{VoxlineConcealer, MAX_GAP_MS};

/// RTP payload type of PCMU (G.711 mu-law).
const PT_PCMU: u8 = 0;
/// RTP payload type of PCMA (G.711 A-law).
const PT_PCMA: u8 = 8;
/// RTP payload type of comfort noise (RFC 3389).
const PT_CN: u8 = 13;
/// Sequence numbers remembered for duplicate detection.
const SEEN: usize = 4096;
/// Length of the crossfade from concealment back into real audio, in ms.
const MERGE_MS: usize = 5;
/// Packets needed before the delay statistics replace the initial delay.
const MIN_STATISTICS: usize = 20;
/// Speed up when the delay is this far above target, in ms.
const ACCELERATE_ABOVE_MS: f64 = 2.5;
/// Slow down when the delay is this far below target, in ms.
const DECELERATE_BELOW_MS: f64 = 5.0;
/// How far one acceleration may overshoot the delay error, in ms: less than
/// `DECELERATE_BELOW_MS`, so it cannot trigger a deceleration.
const ACCELERATE_OVERSHOOT_MS: f64 = 4.0;
/// How far one deceleration may overshoot, in ms: less than `ACCELERATE_ABOVE_MS`.
const DECELERATE_OVERSHOOT_MS: f64 = 2.0;

/// Why a packet was refused. Refused packets change nothing but the invalid-packet count.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum JitterError {
    /// The bytes are not a valid RTP packet.
    #[error("invalid RTP packet: {0}")]
    Rtp(#[from] RtpError),
    /// A payload type this buffer cannot decode.
    #[error("unsupported RTP payload type {0} (supported: 0 PCMU, 8 PCMA, 13 comfort noise)")]
    UnsupportedPayloadType(u8),
    /// G.711 payloads need an 8 kHz buffer.
    #[error("G.711 payload needs an 8000 Hz jitter buffer, this one runs at {0} Hz")]
    RateMismatch(u32),
    /// An audio payload with no samples.
    #[error("empty audio payload")]
    EmptyPayload,
    /// An audio payload longer than `max_packet_ms`.
    #[error("packet of {samples} samples exceeds the maximum of {max}")]
    PacketTooLong {
        /// Samples in the packet.
        samples: usize,
        /// The configured maximum.
        max: usize,
    },
    /// An arrival or playout time that is NaN or infinite.
    #[error("time {0} ms is not finite")]
    NonFiniteTime(f64),
}

/// The RTP header fields the buffer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// RTP sequence number (wraps at 65536).
    pub sequence: u16,
    /// RTP timestamp of the first sample, in samples of the buffer's rate (wraps at 2^32).
    pub timestamp: u32,
    /// Synchronisation source; a change resynchronises the buffer.
    pub ssrc: u32,
    /// RTP marker bit (start of a talk spurt for audio).
    pub marker: bool,
}

/// A packet's content.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Payload<'a> {
    /// Decoded audio samples in `[-1, 1)`.
    Audio(&'a [f32]),
    /// Decoded 16-bit audio.
    Pcm16(&'a [i16]),
    /// G.711 codes of the given law (decoded on insertion; the buffer must run at 8 kHz).
    G711(Law, &'a [u8]),
    /// RFC 3389 comfort noise: the sender stopped sending audio (DTX); noise at this level,
    /// in -dBov, fills the gap until the next audio packet.
    ComfortNoise {
        /// Noise level, dB below the overload point (0..=127).
        level_dbov: u8,
    },
}

/// What happened to an inserted packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored for playout.
    Stored,
    /// Its audio was already played or concealed: dropped and counted late.
    Late,
    /// A copy of a packet already received: dropped.
    Duplicate,
    /// Stored after the buffer resynchronised to a new source or timeline.
    Resynchronized,
}

/// What a pulled frame contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// Nothing to play yet (before the first packet is due): zeros.
    Silence,
    /// Received audio, unchanged.
    Normal,
    /// Received audio, shortened by one pitch period (the delay is too high).
    Accelerated,
    /// Received audio, lengthened by one pitch period (the delay is too low).
    Decelerated,
    /// Some or all of the frame was concealed (lost or late audio).
    Concealed,
    /// Comfort noise during DTX.
    ComfortNoise,
}

/// Description of one pulled frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PullInfo {
    /// The frame's main content.
    pub kind: FrameKind,
    /// Samples of the frame that were concealed.
    pub concealed_samples: usize,
}

/// The first sample of a packet was played.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Played {
    /// The packet's RTP sequence number.
    pub sequence: u16,
    /// Its extended (unwrapped) sequence number.
    pub extended_sequence: i64,
    /// Its extended (unwrapped) RTP timestamp: packets are played in timestamp order.
    pub extended_timestamp: i64,
    /// Receiver time at which its first sample was played, in ms (the `now` of the pull plus
    /// the sample's offset in the frame).
    pub time_ms: f64,
    /// Its arrival time, in ms.
    pub arrival_ms: f64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    used: bool,
    seq: i64,
    ts: i64,
    len: usize,
    cn_level: Option<u8>,
    arrival_ms: f64,
}

const EMPTY_SLOT: Slot = Slot {
    used: false,
    seq: 0,
    ts: 0,
    len: 0,
    cn_level: None,
    arrival_ms: 0.0,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Normal,
    Concealing,
    ComfortNoise { amplitude: f32 },
}

#[derive(Debug, Clone, Copy)]
struct Marker {
    seq: i64,
    ts: i64,
    arrival_ms: f64,
}

/// An adaptive jitter buffer for one audio stream, sans-IO: [`insert`](Self::insert) packets
/// as they arrive (with their arrival time), [`pull`](Self::pull) one 10 ms frame every 10 ms.
///
/// Packets are reordered by timestamp; duplicates and packets arriving after their audio was
/// played are dropped and counted. The playout delay follows a high quantile of recent transit
/// times (see [`JitterConfig::on_time_quantile`]): the buffer speeds up or slows down by
/// removing or inserting one pitch period of speech at a time ([`TimeStretcher`]), resets the
/// delay at the start of a talk spurt after comfort noise, and when it runs dry it conceals
/// and waits for the late packet instead of skipping it (the delay grows, then shrinks again).
/// Lost audio is concealed by `C` ([`VoxlineConcealer`] by default); a gap whose following
/// packet is already buffered is offered to it whole, to interpolate.
///
/// All memory is allocated at construction; `insert` and `pull` allocate nothing and take
/// bounded time (linear in `max_packets` and in the packets seen over `history_ms`).
pub struct JitterBuffer<C: Concealer = VoxlineConcealer> {
    config: JitterConfig,
    frame: usize,
    per_ms: f64,
    max_packet: usize,
    slots: Vec<Slot>,
    pool: Vec<f32>,
    sync: Vec<f32>,
    s0: usize,
    s1: usize,
    headroom: usize,
    sync_end_ts: i64,
    markers: VecDeque<Marker>,
    seq_unwrap: SequenceUnwrapper,
    ts_unwrap: TimestampUnwrapper,
    ssrc: Option<u32>,
    base_ts: Option<i64>,
    first_seq: i64,
    highest_seq: i64,
    received_since_resync: i64,
    lost_before_resync: i64,
    first_transit: f64,
    playing: bool,
    mode: Mode,
    underrun_samples: u64,
    merge_pending: bool,
    estimator: DelayEstimator,
    /// Time of the latest pull, in ms.
    last_pull_ms: Option<f64>,
    stretcher: TimeStretcher,
    stretch_out: Vec<f32>,
    concealer: C,
    merge_scratch: Vec<f32>,
    /// The audio after a gap, gathered for `Concealer::conceal_gap`.
    next_audio: Vec<f32>,
    /// Samples at the front of the sync buffer that are concealment (an interpolated gap).
    concealed_in_sync: usize,
    seen: Vec<i64>,
    noise: Xorshift32,
    stats: JitterStats,
    histogram: DelayHistogram,
    events: VecDeque<Played>,
    events_capacity: usize,
}

impl JitterBuffer<VoxlineConcealer> {
    /// A buffer with voxline's concealer.
    pub fn new(config: JitterConfig) -> CoreResult<Self> {
        let concealer = VoxlineConcealer::new(config.rate);
        Self::with_concealer(config, concealer)
    }
}

impl<C: Concealer> JitterBuffer<C> {
    /// A buffer that conceals with `concealer`. Errors on an invalid configuration.
    pub fn with_concealer(config: JitterConfig, concealer: C) -> CoreResult<Self> {
        config.validate()?;
        let frame = config.rate.samples_per_10ms();
        let per_ms = config.samples_per_ms();
        let max_packet = (f64::from(config.max_packet_ms) * per_ms).round() as usize;
        let stretcher = TimeStretcher::new(config.rate);
        let headroom = stretcher.max_period();
        let need = frame + stretcher.required_len();
        let sync_len = headroom + need + max_packet + 2 * stretcher.max_period() + frame;
        // Enough history entries for 20 ms packets over the window, with duplicates aside.
        let history = ((f64::from(config.history_ms) / 5.0) as usize).clamp(256, 120_000);
        let events_capacity = config.max_packets * 4;
        Ok(Self {
            frame,
            per_ms,
            max_packet,
            slots: vec![EMPTY_SLOT; config.max_packets],
            pool: vec![0.0; config.max_packets * max_packet],
            sync: vec![0.0; sync_len],
            s0: headroom,
            s1: headroom,
            headroom,
            sync_end_ts: 0,
            markers: VecDeque::with_capacity(config.max_packets + 1),
            seq_unwrap: SequenceUnwrapper::new(),
            ts_unwrap: TimestampUnwrapper::default(),
            ssrc: None,
            base_ts: None,
            first_seq: 0,
            highest_seq: 0,
            received_since_resync: 0,
            lost_before_resync: 0,
            first_transit: 0.0,
            playing: false,
            mode: Mode::Normal,
            underrun_samples: 0,
            merge_pending: false,
            estimator: DelayEstimator::new(history, f64::from(config.history_ms)),
            last_pull_ms: None,
            stretch_out: vec![0.0; 2 * stretcher.max_period()],
            stretcher,
            concealer,
            merge_scratch: vec![0.0; MERGE_MS * per_ms as usize],
            next_audio: vec![0.0; MAX_GAP_MS * per_ms as usize],
            concealed_in_sync: 0,
            seen: vec![i64::MIN; SEEN],
            noise: Xorshift32::new(0x1234_5678),
            stats: JitterStats::default(),
            histogram: DelayHistogram::new(10_000),
            events: VecDeque::with_capacity(events_capacity),
            events_capacity,
            config,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &JitterConfig {
        &self.config
    }

    /// Samples per pulled frame (10 ms).
    #[must_use]
    pub fn frame_len(&self) -> usize {
        self.frame
    }

    /// The concealer, e.g. to read its own statistics.
    pub fn concealer(&self) -> &C {
        &self.concealer
    }

    /// Inserts a raw RTP packet: PCMU/PCMA audio (8 kHz buffers only) or comfort noise.
    pub fn insert_rtp(&mut self, bytes: &[u8], arrival_ms: f64) -> Result<Inserted, JitterError> {
        let parsed = match RtpPacket::parse(bytes) {
            Ok(p) => p,
            Err(e) => {
                self.stats.packets_invalid += 1;
                return Err(e.into());
            }
        };
        let header = PacketHeader {
            sequence: parsed.sequence_number(),
            timestamp: parsed.timestamp(),
            ssrc: parsed.ssrc(),
            marker: parsed.marker(),
        };
        let payload = match parsed.payload_type() {
            PT_PCMU => Payload::G711(Law::Mu, parsed.payload()),
            PT_PCMA => Payload::G711(Law::A, parsed.payload()),
            PT_CN => match ComfortNoise::parse(parsed.payload()) {
                Ok(cn) => Payload::ComfortNoise {
                    level_dbov: cn.level_dbov,
                },
                Err(e) => {
                    self.stats.packets_invalid += 1;
                    return Err(e.into());
                }
            },
            other => {
                self.stats.packets_invalid += 1;
                return Err(JitterError::UnsupportedPayloadType(other));
            }
        };
        self.insert(header, payload, arrival_ms)
    }

    /// Inserts a packet that arrived at receiver time `arrival_ms`.
    pub fn insert(
        &mut self,
        header: PacketHeader,
        payload: Payload<'_>,
        arrival_ms: f64,
    ) -> Result<Inserted, JitterError> {
        if !arrival_ms.is_finite() {
            self.stats.packets_invalid += 1;
            return Err(JitterError::NonFiniteTime(arrival_ms));
        }
        let samples = match payload {
            Payload::Audio(s) => s.len(),
            Payload::Pcm16(s) => s.len(),
            Payload::G711(_, s) => {
                if self.config.rate.hz() != 8000 {
                    self.stats.packets_invalid += 1;
                    return Err(JitterError::RateMismatch(self.config.rate.hz()));
                }
                s.len()
            }
            Payload::ComfortNoise { .. } => 0,
        };
        if samples > self.max_packet {
            self.stats.packets_invalid += 1;
            return Err(JitterError::PacketTooLong {
                samples,
                max: self.max_packet,
            });
        }
        if samples == 0 && !matches!(payload, Payload::ComfortNoise { .. }) {
            self.stats.packets_invalid += 1;
            return Err(JitterError::EmptyPayload);
        }

        let mut outcome = Inserted::Stored;
        if self.ssrc.is_some_and(|s| s != header.ssrc) {
            self.resync();
            outcome = Inserted::Resynchronized;
        }
        self.ssrc = Some(header.ssrc);
        let mut ts = self.ts_unwrap.unwrap(header.timestamp);
        if let Some(base) = self.base_ts {
            let reference = if self.playing { self.sync_end_ts } else { base };
            let jump = (ts - reference).unsigned_abs() as f64 / self.per_ms;
            if jump > f64::from(self.config.resync_threshold_ms) {
                self.resync();
                self.ssrc = Some(header.ssrc);
                ts = self.ts_unwrap.unwrap(header.timestamp);
                outcome = Inserted::Resynchronized;
            }
        }
        let seq = self.seq_unwrap.unwrap(header.sequence);
        let base = *self.base_ts.get_or_insert(ts);
        if self.received_since_resync == 0 {
            self.first_seq = seq;
            self.highest_seq = seq;
            self.first_transit = arrival_ms - (ts - base) as f64 / self.per_ms;
        }

        let seen = &mut self.seen[seq.rem_euclid(SEEN as i64) as usize];
        if *seen == seq {
            self.stats.packets_duplicated += 1;
            return Ok(Inserted::Duplicate);
        }
        *seen = seq;
        self.received_since_resync += 1;
        self.stats.packets_received += 1;
        self.first_seq = self.first_seq.min(seq);
        self.highest_seq = self.highest_seq.max(seq);
        self.stats.packets_lost = self.lost_before_resync
            + (self.highest_seq - self.first_seq + 1 - self.received_since_resync).max(0);

        // What matters is not when the packet arrived but the first pull that can use it: a
        // packet arriving 1 ms after a pull waits 9 ms for the next. The delay statistics use
        // that pull's time, so the target covers the 10 ms granularity exactly.
        let usable_ms = match self.last_pull_ms {
            Some(last) => last + 10.0 * ((arrival_ms - last) / 10.0).ceil().max(1.0),
            None => arrival_ms,
        };
        let transit = usable_ms - (ts - base) as f64 / self.per_ms;
        self.estimator.update(arrival_ms, transit);

        if self.playing && ts < self.sync_end_ts {
            self.stats.packets_late += 1;
            return Ok(Inserted::Late);
        }
        if self.slots.iter().any(|s| s.used && s.ts == ts) {
            // Same timestamp, different sequence number: a retransmission; keep the first.
            self.stats.packets_duplicated += 1;
            return Ok(Inserted::Duplicate);
        }
        let index = match self.slots.iter().position(|s| !s.used) {
            Some(i) => i,
            None => {
                // Full: the oldest packet goes (the newest are the ones still worth playing).
                let (oldest, _) = self
                    .slots
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.ts)
                    .expect("max_packets >= 4");
                self.stats.packets_discarded += 1;
                oldest
            }
        };
        let dst = &mut self.pool[index * self.max_packet..index * self.max_packet + samples];
        let cn_level = match payload {
            Payload::Audio(s) => {
                for (d, &x) in dst.iter_mut().zip(s) {
                    *d = sanitize(x);
                }
                None
            }
            Payload::Pcm16(s) => {
                for (d, &x) in dst.iter_mut().zip(s) {
                    *d = f32::from(x) / 32768.0;
                }
                None
            }
            Payload::G711(law, codes) => {
                for (d, &c) in dst.iter_mut().zip(codes) {
                    *d = f32::from(law.decode_sample(c)) / 32768.0;
                }
                None
            }
            Payload::ComfortNoise { level_dbov } => Some(level_dbov.min(127)),
        };
        self.slots[index] = Slot {
            used: true,
            seq,
            ts,
            len: samples,
            cn_level,
            arrival_ms,
        };
        Ok(outcome)
    }

    /// Produces the next 10 ms frame (`out.len()` must be [`frame_len`](Self::frame_len)),
    /// to be played from receiver time `now_ms`. Call it every 10 ms.
    pub fn pull(&mut self, now_ms: f64, out: &mut [f32]) -> CoreResult<PullInfo> {
        if out.len() != self.frame {
            return Err(CoreError::FrameLength {
                expected: self.frame,
                actual: out.len(),
            });
        }
        if !now_ms.is_finite() {
            return Err(CoreError::InvalidConfig(format!(
                "pull time {now_ms} ms is not finite"
            )));
        }
        self.last_pull_ms = Some(now_ms);
        if !self.playing {
            let start = self.earliest(i64::MIN).map(|i| self.slots[i].ts);
            match start {
                Some(ts) if now_ms >= self.due_time(ts) => {
                    self.playing = true;
                    self.sync_end_ts = ts;
                    self.mode = Mode::Normal;
                }
                _ => {
                    out.fill(0.0);
                    self.stats.silence_samples += out.len() as u64;
                    self.refresh_delay_stats(now_ms);
                    return Ok(PullInfo {
                        kind: FrameKind::Silence,
                        concealed_samples: 0,
                    });
                }
            }
        }
        let need = self.frame + self.stretcher.required_len();
        self.fill_sync(need);
        let mut kind = FrameKind::Normal;
        // Not while an interpolated gap is at the front: it must end exactly where the next
        // packet begins.
        if self.config.time_stretch && self.mode == Mode::Normal && self.concealed_in_sync == 0 {
            kind = self.maybe_stretch(now_ms);
            self.fill_sync(need);
        }

        let mut produced = 0;
        let mut concealed = 0;
        let mut comfort = false;
        while produced < self.frame {
            let avail = self.s1 - self.s0;
            if avail > 0 {
                let k = avail.min(self.frame - produced);
                concealed += self.play_real(now_ms, produced, &mut out[produced..produced + k]);
                produced += k;
                continue;
            }
            if self.fill_sync(need) > 0 {
                continue;
            }
            if let Some(i) = self
                .slot_at(self.sync_end_ts)
                .filter(|&i| self.slots[i].cn_level.is_some())
            {
                let level = self.slots[i].cn_level.unwrap_or(127);
                self.slots[i].used = false;
                self.enter_comfort_noise(level);
                continue;
            }
            let remaining = self.frame - produced;
            let next = self.earliest(self.sync_end_ts).map(|i| self.slots[i].ts);
            match (self.mode, next) {
                (Mode::ComfortNoise { amplitude }, next) => {
                    let t = now_ms + produced as f64 / self.per_ms;
                    if let Some(ts) = next.filter(|&ts| t >= self.due_time(ts)) {
                        // Talk-spurt start: play it at the target delay, whatever the gap.
                        self.sync_end_ts = ts;
                        self.mode = Mode::Normal;
                        continue;
                    }
                    self.comfort_noise(amplitude, &mut out[produced..]);
                    self.stats.comfort_noise_samples += remaining as u64;
                    produced = self.frame;
                    comfort = true;
                }
                (_, Some(ts)) => {
                    let gap = (ts - self.sync_end_ts) as u64;
                    if self.underrun_samples > 0 {
                        // The wait is over, but packets before `ts` never came: the
                        // concealment so far stands in for (up to) the lost gap.
                        let covered = gap.min(self.underrun_samples);
                        self.stats.concealed_lost_samples += covered;
                        self.stats.late_outage_samples += self.underrun_samples - covered;
                        self.underrun_samples = 0;
                        self.sync_end_ts += covered as i64;
                        continue;
                    }
                    if self.interpolate_gap(gap as usize) {
                        continue;
                    }
                    let k = (gap as usize).min(remaining);
                    self.conceal(&mut out[produced..produced + k]);
                    self.stats.concealed_lost_samples += k as u64;
                    self.sync_end_ts += k as i64;
                    produced += k;
                    concealed += k;
                }
                (_, None) => {
                    // Ran dry: conceal and wait for the packet (the delay grows).
                    self.conceal(&mut out[produced..]);
                    self.underrun_samples += remaining as u64;
                    produced = self.frame;
                    concealed += remaining;
                }
            }
        }
        self.refresh_delay_stats(now_ms);
        let kind = if concealed > 0 {
            FrameKind::Concealed
        } else if comfort {
            FrameKind::ComfortNoise
        } else {
            kind
        };
        Ok(PullInfo {
            kind,
            concealed_samples: concealed,
        })
    }

    /// The next playout event (first sample of a packet played), oldest first. Events beyond
    /// `4 * max_packets` unpolled ones are dropped.
    pub fn poll_played(&mut self) -> Option<Played> {
        self.events.pop_front()
    }

    /// Current statistics.
    #[must_use]
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Forgets the stream: packets, timeline and delay statistics (counters are kept).
    pub fn reset(&mut self) {
        self.resync();
        self.stats.resyncs -= 1;
    }

    // ---------------------------------------------------------------------------------------

    fn media_ms(&self, ts: i64) -> f64 {
        (ts - self.base_ts.unwrap_or(ts)) as f64 / self.per_ms
    }

    /// Receiver time at which media timestamp `ts` should be played for the target delay.
    fn due_time(&mut self, ts: i64) -> f64 {
        self.media_ms(ts) + self.target_offset()
    }

    /// Target playout offset (receiver time minus media time), in ms.
    fn target_offset(&mut self) -> f64 {
        let initial = self.first_transit + f64::from(self.config.initial_delay_ms);
        let quantile = self
            .estimator
            .quantile(
                self.config.on_time_quantile,
                self.config.quantile_confidence,
            )
            .unwrap_or(initial);
        let min = self.estimator.min().unwrap_or(self.first_transit);
        let mut target = quantile + self.config.safety_margin_ms;
        if self.estimator.len() < MIN_STATISTICS {
            target = target.max(initial);
        }
        target.clamp(
            min + f64::from(self.config.min_delay_ms),
            min + f64::from(self.config.max_delay_ms),
        )
    }

    fn current_offset(&self, now_ms: f64) -> f64 {
        let front = self.sync_end_ts - (self.s1 - self.s0) as i64;
        now_ms - self.media_ms(front)
    }

    fn refresh_delay_stats(&mut self, now_ms: f64) {
        let min = self.estimator.min().unwrap_or(self.first_transit);
        self.stats.target_delay_ms = self.target_offset() - min;
        // After a pull, the next sample plays at the start of the next frame.
        let next_frame_ms = now_ms + self.frame as f64 / self.per_ms;
        self.stats.current_delay_ms = if self.playing {
            self.current_offset(next_frame_ms) - min
        } else {
            0.0
        };
        self.stats.buffered_ms = self.contiguous_ahead() as f64 / self.per_ms;
        self.stats.estimated_skew_ppm = self.estimator.skew() * 1e6;
        self.stats.mean_buffering_delay_ms = self.histogram.mean();
        self.stats.p95_buffering_delay_ms = self.histogram.percentile(0.95);
        self.stats.packets_played = self.histogram.count();
    }

    fn slot_at(&self, ts: i64) -> Option<usize> {
        self.slots.iter().position(|s| s.used && s.ts == ts)
    }

    /// The stored packet with the smallest timestamp `>= from`.
    fn earliest(&self, from: i64) -> Option<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.used && s.ts >= from)
            .min_by_key(|(_, s)| s.ts)
            .map(|(i, _)| i)
    }

    /// Moves contiguous audio packets into the sync buffer until it holds `need` samples.
    /// Returns the number of samples added.
    fn fill_sync(&mut self, need: usize) -> usize {
        let mut added = 0;
        while self.s1 - self.s0 < need {
            let Some(i) = self.slot_at(self.sync_end_ts) else {
                break;
            };
            let slot = self.slots[i];
            if slot.cn_level.is_some() {
                break;
            }
            if self.s1 + slot.len > self.sync.len() {
                self.sync.copy_within(self.s0..self.s1, self.headroom);
                self.s1 = self.headroom + (self.s1 - self.s0);
                self.s0 = self.headroom;
            }
            let src = i * self.max_packet;
            self.sync[self.s1..self.s1 + slot.len].copy_from_slice(&self.pool[src..src + slot.len]);
            self.markers.push_back(Marker {
                seq: slot.seq,
                ts: slot.ts,
                arrival_ms: slot.arrival_ms,
            });
            self.s1 += slot.len;
            self.sync_end_ts += slot.len as i64;
            self.slots[i].used = false;
            added += slot.len;
            if self.underrun_samples > 0 {
                // The packet the buffer ran dry waiting for has come: the wait was lateness.
                self.stats.late_outage_samples += self.underrun_samples;
                self.underrun_samples = 0;
            }
        }
        added
    }

    /// Audio buffered ahead of the playout point: the sync buffer plus the packets that
    /// continue it without a gap, in samples.
    fn contiguous_ahead(&self) -> usize {
        let mut buffered = self.s1 - self.s0;
        let mut ts = self.sync_end_ts;
        while let Some(i) = self.slot_at(ts) {
            if self.slots[i].len == 0 {
                break;
            }
            buffered += self.slots[i].len;
            ts += self.slots[i].len as i64;
        }
        buffered
    }

    /// Removes or inserts one pitch period when the delay is off target. A period may
    /// overshoot the error by a little (a voice's period is what it is), but never into the
    /// other trigger, so the delay cannot ping-pong.
    fn maybe_stretch(&mut self, now_ms: f64) -> FrameKind {
        let avail = self.s1 - self.s0;
        let min_period = self.stretcher.min_period();
        let error_ms = self.current_offset(now_ms) - self.target_offset();
        if error_ms >= ACCELERATE_ABOVE_MS {
            // Keep at least a frame after the removal, or the buffer would run dry.
            let spare = self.contiguous_ahead().saturating_sub(self.frame);
            let allowed = ((error_ms + ACCELERATE_OVERSHOOT_MS) * self.per_ms) as usize;
            let cap = (avail / 2)
                .min(spare)
                .min(allowed)
                .min(self.stretcher.max_period());
            if cap >= min_period {
                let outcome = self
                    .stretcher
                    .accelerate(&mut self.sync[self.s0..self.s0 + 2 * cap]);
                if outcome.samples > 0 {
                    self.s0 += outcome.samples;
                    self.stats.removed_samples_for_acceleration += outcome.samples as u64;
                    return FrameKind::Accelerated;
                }
            }
        } else if error_ms <= -DECELERATE_BELOW_MS {
            let allowed = ((-error_ms + DECELERATE_OVERSHOOT_MS) * self.per_ms) as usize;
            let cap = (avail / 2)
                .min(allowed)
                .min(self.s0)
                .min(self.stretcher.max_period());
            if cap >= min_period {
                let outcome = self.stretcher.decelerate(
                    &self.sync[self.s0..self.s0 + 2 * cap],
                    &mut self.stretch_out,
                );
                let t = outcome.samples;
                if t > 0 {
                    let start = self.s0 - t;
                    self.sync[start..start + 2 * t].copy_from_slice(&self.stretch_out[..2 * t]);
                    self.s0 = start;
                    self.stats.inserted_samples_for_deceleration += t as u64;
                    return FrameKind::Decelerated;
                }
            }
        }
        FrameKind::Normal
    }

    /// Conceals a whole gap of `gap` samples at once when the packet after it is buffered and
    /// the concealer can interpolate: the result goes into the sync buffer ahead of that
    /// packet and plays like audio, ending exactly where the packet begins. Returns whether it
    /// did.
    fn interpolate_gap(&mut self, gap: usize) -> bool {
        if gap == 0 || gap > self.next_audio.len() || self.s1 != self.s0 {
            return false;
        }
        // The received audio after the gap: contiguous packets, up to the scratch's length.
        let mut have = 0;
        let mut ts = self.sync_end_ts + gap as i64;
        while let Some(i) = self.slot_at(ts) {
            let slot = self.slots[i];
            if slot.len == 0 || have == self.next_audio.len() {
                break;
            }
            let take = slot.len.min(self.next_audio.len() - have);
            let src = i * self.max_packet;
            self.next_audio[have..have + take].copy_from_slice(&self.pool[src..src + take]);
            have += take;
            ts += slot.len as i64;
        }
        let start = self.headroom;
        if start + gap > self.sync.len() {
            return false;
        }
        let (next, sync) = (&self.next_audio[..have], &mut self.sync[start..start + gap]);
        if !self.concealer.conceal_gap(sync, next) {
            return false;
        }
        self.s0 = start;
        self.s1 = start + gap;
        self.sync_end_ts += gap as i64;
        self.concealed_in_sync = gap;
        self.stats.concealment_events += 1;
        self.stats.concealed_samples += gap as u64;
        self.stats.concealed_lost_samples += gap as u64;
        self.merge_pending = false;
        self.mode = Mode::Normal;
        true
    }

    /// `out` starts `offset_in_frame` samples into the frame pulled at `now_ms`. Returns how
    /// many of the samples were concealment (from an interpolated gap).
    fn play_real(&mut self, now_ms: f64, offset_in_frame: usize, out: &mut [f32]) -> usize {
        let k = out.len();
        let concealed = k.min(self.concealed_in_sync);
        self.concealed_in_sync -= concealed;
        let front = self.sync_end_ts - (self.s1 - self.s0) as i64;
        out.copy_from_slice(&self.sync[self.s0..self.s0 + k]);
        if self.merge_pending {
            // Crossfade from the continuing concealment into the real audio.
            let m = self.merge_scratch.len().min(k);
            self.concealer.conceal(&mut self.merge_scratch[..m]);
            for (i, (o, c)) in out.iter_mut().zip(&self.merge_scratch[..m]).enumerate() {
                let w = (i as f32 + 0.5) / m as f32;
                *o = w * *o + (1.0 - w) * c;
            }
            self.merge_pending = false;
        }
        if self.mode != Mode::Normal {
            self.mode = Mode::Normal;
            self.concealer.resume();
        }
        // An interpolated gap is already the concealer's history; only real audio is new.
        if concealed < k {
            self.concealer.good(&out[concealed..]);
        }
        while let Some(m) = self.markers.front().copied() {
            if m.ts >= front + k as i64 {
                break;
            }
            self.markers.pop_front();
            let within = (m.ts - front).max(0) as f64;
            let time_ms = now_ms + (offset_in_frame as f64 + within) / self.per_ms;
            self.histogram.add(time_ms - m.arrival_ms);
            if self.events.len() == self.events_capacity {
                self.events.pop_front();
            }
            self.events.push_back(Played {
                sequence: m.seq as u16,
                extended_sequence: m.seq,
                extended_timestamp: m.ts,
                time_ms,
                arrival_ms: m.arrival_ms,
            });
        }
        self.s0 += k;
        self.stats.samples_played += (k - concealed) as u64;
        concealed
    }

    fn conceal(&mut self, out: &mut [f32]) {
        if self.mode != Mode::Concealing {
            self.stats.concealment_events += 1;
            self.mode = Mode::Concealing;
        }
        self.concealer.conceal(out);
        self.merge_pending = true;
        self.stats.concealed_samples += out.len() as u64;
    }

    fn enter_comfort_noise(&mut self, level_dbov: u8) {
        // RFC 3389: level in -dBov, 0 dBov being the overload point (a full-scale square
        // wave has RMS 1.0 here).
        let amplitude = 10f32.powf(-f32::from(level_dbov) / 20.0);
        self.mode = Mode::ComfortNoise { amplitude };
        self.merge_pending = false;
        self.concealer.resume();
    }

    /// White comfort noise at RMS `amplitude` (uniform samples scaled by sqrt 3).
    fn comfort_noise(&mut self, amplitude: f32, out: &mut [f32]) {
        let scale = (amplitude * 3f32.sqrt()).min(1.0);
        for o in out.iter_mut() {
            *o = scale * self.noise.next_bipolar();
        }
    }

    fn resync(&mut self) {
        let stored = self.slots.iter().filter(|s| s.used).count() as u64;
        self.stats.packets_discarded += stored;
        for s in &mut self.slots {
            s.used = false;
        }
        self.s0 = self.headroom;
        self.s1 = self.headroom;
        self.concealed_in_sync = 0;
        self.markers.clear();
        self.seq_unwrap.reset();
        self.ts_unwrap.reset();
        self.base_ts = None;
        self.lost_before_resync = self.stats.packets_lost;
        self.received_since_resync = 0;
        self.playing = false;
        self.mode = Mode::Normal;
        self.underrun_samples = 0;
        self.merge_pending = false;
        self.estimator.reset();
        self.seen.fill(i64::MIN);
        self.concealer.resume();
        self.stats.resyncs += 1;
    }
}

impl<C: Concealer> Latency for JitterBuffer<C> {
    /// The buffer's delay varies; this is the current amount of audio buffered ahead of the
    /// playout point, in samples.
    fn latency_samples(&self) -> usize {
        (self.stats.buffered_ms * self.per_ms).round() as usize
    }
}
