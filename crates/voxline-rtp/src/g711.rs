//! G.711 over RTP (RFC 3551 §4.5.14, payload types 0 and 8) with RFC 3389 comfort noise.

use crate::cn::{ComfortNoise, PT_CN};
use crate::packet::{RtpHeader, RtpPacket, FIXED_HEADER_LEN};
use crate::RtpError;
use voxline_core::{FrameDuration, SampleRate};
use voxline_g711::Law;

/// RTP clock rate of G.711 and of comfort noise payload type 13: 8000 Hz, one tick per sample.
pub const G711_CLOCK_RATE: u32 = 8000;

/// Samples in 10 ms of G.711: the unit [`G711Packetizer::push_10ms`] takes.
pub const SAMPLES_PER_10MS: usize = SampleRate::Hz8000.samples_per_10ms();

/// Samples in the longest packet the packetizer makes (30 ms).
pub const MAX_SAMPLES_PER_PACKET: usize = SampleRate::Hz8000.samples_in(FrameDuration::Ms30);

/// How a [`G711Packetizer`] numbers and sizes its packets.
///
/// RFC 3550 wants the initial sequence number and timestamp to be random; this crate reads no
/// randomness, so the caller picks them (and the SSRC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketizerConfig {
    /// µ-law (payload type 0) or A-law (payload type 8).
    pub law: Law,
    /// Audio per packet: 10, 20 or 30 ms.
    pub ptime: FrameDuration,
    /// The synchronisation source written in every packet.
    pub ssrc: u32,
    /// Sequence number of the first packet.
    pub initial_sequence: u16,
    /// Timestamp of the first packet.
    pub initial_timestamp: u32,
}

impl PacketizerConfig {
    /// A configuration with sequence number and timestamp starting at 0.
    pub const fn new(law: Law, ptime: FrameDuration, ssrc: u32) -> Self {
        PacketizerConfig {
            law,
            ptime,
            ssrc,
            initial_sequence: 0,
            initial_timestamp: 0,
        }
    }
}

/// Turns 8 kHz 16-bit audio into G.711 RTP packets written into caller buffers, numbering them
/// and marking the start of each talkspurt; never allocates.
///
/// Feed either a whole packet's samples at once ([`packetize`](Self::packetize)) or 10 ms at a
/// time ([`push_10ms`](Self::push_10ms), which holds them until the packet is full). The first
/// packet, and the first audio packet after [`skip`](Self::skip) or
/// [`comfort_noise`](Self::comfort_noise), has the marker bit set (RFC 3551 §4.1).
#[derive(Debug, Clone)]
pub struct G711Packetizer {
    config: PacketizerConfig,
    sequence: u16,
    timestamp: u32,
    marker: bool,
    pending: [u8; MAX_SAMPLES_PER_PACKET],
    pending_len: usize,
}

impl G711Packetizer {
    /// A packetizer whose first packet gets `config`'s initial sequence number and timestamp.
    pub fn new(config: PacketizerConfig) -> Self {
        G711Packetizer {
            config,
            sequence: config.initial_sequence,
            timestamp: config.initial_timestamp,
            marker: true,
            pending: [0; MAX_SAMPLES_PER_PACKET],
            pending_len: 0,
        }
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &PacketizerConfig {
        &self.config
    }

    /// Samples per packet: 80, 160 or 240.
    pub fn samples_per_packet(&self) -> usize {
        SampleRate::Hz8000.samples_in(self.config.ptime)
    }

    /// Length of every audio packet it writes: 12 header bytes plus one byte per sample.
    pub fn packet_len(&self) -> usize {
        FIXED_HEADER_LEN + self.samples_per_packet()
    }

    /// Sequence number the next packet (audio or comfort noise) will carry.
    pub fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// Timestamp the next packet will carry.
    pub fn next_timestamp(&self) -> u32 {
        self.timestamp
    }

    /// Samples held from [`push_10ms`](Self::push_10ms) calls, waiting for a full packet.
    pub fn pending_samples(&self) -> usize {
        self.pending_len
    }

    /// Sets the marker bit on the next audio packet: it begins a talkspurt.
    pub fn mark_next(&mut self) {
        self.marker = true;
    }

    /// Encodes exactly one packet's worth of `samples` into `out` and returns the packet
    /// length; nothing changes on error.
    pub fn packetize(&mut self, samples: &[i16], out: &mut [u8]) -> Result<usize, RtpError> {
        self.check_idle()?;
        let n = self.samples_per_packet();
        if samples.len() != n {
            return Err(RtpError::SampleCount {
                expected: n,
                actual: samples.len(),
            });
        }
        let len = self.write_header(out)?;
        self.config
            .law
            .encode(samples, &mut out[FIXED_HEADER_LEN..len])
            .map_err(|e| RtpError::SampleCount {
                expected: e.output,
                actual: e.input,
            })?;
        self.advance(n);
        Ok(len)
    }

    /// Takes 10 ms (80 samples); when that completes a packet, writes it into `out` and returns
    /// its length. Nothing changes on error (including `out` being too small for the packet).
    pub fn push_10ms(
        &mut self,
        samples: &[i16],
        out: &mut [u8],
    ) -> Result<Option<usize>, RtpError> {
        if samples.len() != SAMPLES_PER_10MS {
            return Err(RtpError::SampleCount {
                expected: SAMPLES_PER_10MS,
                actual: samples.len(),
            });
        }
        let n = self.samples_per_packet();
        let end = self.pending_len + SAMPLES_PER_10MS;
        if end == n && out.len() < self.packet_len() {
            return Err(RtpError::BufferTooSmall {
                needed: self.packet_len(),
                available: out.len(),
            });
        }
        // Lengths are equal, so the codec cannot fail.
        let _ = self
            .config
            .law
            .encode(samples, &mut self.pending[self.pending_len..end]);
        self.pending_len = end;
        if end < n {
            return Ok(None);
        }
        let len = self.write_header(out)?;
        out[FIXED_HEADER_LEN..len].copy_from_slice(&self.pending[..n]);
        self.pending_len = 0;
        self.advance(n);
        Ok(Some(len))
    }

    /// Leaves a gap of `samples` in the timestamps without sending (DTX: silence not sent) and
    /// marks the next audio packet as the start of a talkspurt. Fails while samples are pending.
    pub fn skip(&mut self, samples: u32) -> Result<(), RtpError> {
        self.check_idle()?;
        self.timestamp = self.timestamp.wrapping_add(samples);
        self.marker = true;
        Ok(())
    }

    /// Writes a comfort noise packet (payload type 13) into `out` and returns its length.
    ///
    /// It takes the next sequence number and the current timestamp (the start of the noise
    /// period, RFC 3389 §4), has no marker, and leaves the timestamp where it is: follow it
    /// with [`skip`](Self::skip) for the silent time. The next audio packet gets the marker.
    pub fn comfort_noise(
        &mut self,
        cn: &ComfortNoise<'_>,
        out: &mut [u8],
    ) -> Result<usize, RtpError> {
        self.check_idle()?;
        let header = RtpHeader::new(PT_CN, self.sequence, self.timestamp, self.config.ssrc);
        let needed = header.encoded_len() + cn.encoded_len();
        if out.len() < needed {
            return Err(RtpError::BufferTooSmall {
                needed,
                available: out.len(),
            });
        }
        let at = header.write(out)?;
        let len = at + cn.write(&mut out[at..])?;
        self.sequence = self.sequence.wrapping_add(1);
        self.marker = true;
        Ok(len)
    }

    fn check_idle(&self) -> Result<(), RtpError> {
        if self.pending_len == 0 {
            Ok(())
        } else {
            Err(RtpError::PendingSamples {
                pending: self.pending_len,
            })
        }
    }

    /// Writes the audio header for the next packet; returns the packet length, after checking
    /// `out` can hold the whole packet.
    fn write_header(&self, out: &mut [u8]) -> Result<usize, RtpError> {
        let len = self.packet_len();
        if out.len() < len {
            return Err(RtpError::BufferTooSmall {
                needed: len,
                available: out.len(),
            });
        }
        let mut header = RtpHeader::new(
            self.config.law.rtp_payload_type(),
            self.sequence,
            self.timestamp,
            self.config.ssrc,
        );
        header.marker = self.marker;
        header.write(out)?;
        Ok(len)
    }

    fn advance(&mut self, samples: usize) {
        self.sequence = self.sequence.wrapping_add(1);
        // At most 240 samples.
        self.timestamp = self.timestamp.wrapping_add(samples as u32);
        self.marker = false;
    }
}

/// What a G.711 RTP packet carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payload<'a> {
    /// G.711 audio, decoded into the caller's buffer: its first `samples` entries.
    Audio {
        /// Samples decoded (one per payload byte).
        samples: usize,
    },
    /// RFC 3389 comfort noise parameters, borrowed from the packet.
    ComfortNoise(ComfortNoise<'a>),
}

/// One depacketized packet: where it goes in the stream and what it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Depacketized<'a> {
    /// Sequence number, for loss detection and ordering.
    pub sequence_number: u16,
    /// Timestamp of the first sample (or of the start of the comfort noise), at 8 kHz.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// The marker bit: first packet of a talkspurt.
    pub marker: bool,
    /// The payload.
    pub payload: Payload<'a>,
}

/// Checks and decodes G.711 RTP packets of one law, passing comfort noise packets on as
/// parameters; never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct G711Depacketizer {
    law: Law,
}

impl G711Depacketizer {
    /// A depacketizer accepting `law`'s payload type (0 or 8) and comfort noise (13).
    pub const fn new(law: Law) -> Self {
        G711Depacketizer { law }
    }

    /// The law it decodes.
    pub fn law(&self) -> Law {
        self.law
    }

    /// Checks the payload type and length of `packet` and decodes audio into the start of
    /// `out`; comfort noise is parsed, `out` is then untouched.
    pub fn depacketize<'a>(
        &self,
        packet: &RtpPacket<'a>,
        out: &mut [i16],
    ) -> Result<Depacketized<'a>, RtpError> {
        let pt = packet.payload_type();
        let data = packet.payload();
        let payload = if pt == PT_CN {
            Payload::ComfortNoise(ComfortNoise::parse(data)?)
        } else if pt == self.law.rtp_payload_type() {
            if data.is_empty() {
                return Err(RtpError::EmptyPayload);
            }
            let Some(dst) = out.get_mut(..data.len()) else {
                return Err(RtpError::SampleBufferTooSmall {
                    needed: data.len(),
                    available: out.len(),
                });
            };
            // Lengths are equal, so the codec cannot fail.
            let _ = self.law.decode(data, dst);
            Payload::Audio {
                samples: data.len(),
            }
        } else {
            return Err(RtpError::UnexpectedPayloadType {
                expected: self.law.rtp_payload_type(),
                got: pt,
            });
        };
        Ok(Depacketized {
            sequence_number: packet.sequence_number(),
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            marker: packet.marker(),
            payload,
        })
    }

    /// Parses `bytes` as an RTP packet, then [`depacketize`](Self::depacketize)s it.
    pub fn depacketize_bytes<'a>(
        &self,
        bytes: &'a [u8],
        out: &mut [i16],
    ) -> Result<Depacketized<'a>, RtpError> {
        self.depacketize(&RtpPacket::parse(bytes)?, out)
    }
}
