//! RTP for the voxline voice engine: the packets a VoIP call sends and receives, without the
//! sockets.
//!
//! This crate is sans-IO: it does no I/O, starts no thread and reads no clock or randomness.
//! Datagrams come in as byte slices, packets go out into caller buffers, arrival times and
//! initial sequence numbers are arguments. Nothing allocates. It provides:
//!
//! - [`RtpPacket`], a zero-copy view of a packet (RFC 3550 §5.1) whose
//!   [`parse`](RtpPacket::parse) names every malformation with an [`RtpError`] and never panics,
//!   and [`PacketBuilder`] / [`RtpHeader`] to write packets;
//! - [`SequenceUnwrapper`] and [`TimestampUnwrapper`], which extend 16-bit sequence numbers and
//!   32-bit timestamps across their wrap-around, reordering included;
//! - [`SourceState`], the per-source validation of RFC 3550 Appendix A.1 (probation, restart
//!   detection, wrap counting) with the loss statistics of A.3, and [`JitterEstimator`], the
//!   interarrival jitter of A.8;
//! - [`G711Packetizer`] and [`G711Depacketizer`] for PCMU and PCMA (payload types 0 and 8,
//!   10/20/30 ms packets, RFC 3551) with DTX gaps, and [`ComfortNoise`], the RFC 3389 payload
//!   (type 13).
//!
//! ```
//! use voxline_core::FrameDuration;
//! use voxline_g711::Law;
//! use voxline_rtp::{G711Depacketizer, G711Packetizer, PacketizerConfig, Payload, RtpPacket};
//!
//! let mut tx = G711Packetizer::new(PacketizerConfig::new(Law::A, FrameDuration::Ms20, 0x1234));
//! let mut datagram = [0u8; 1500];
//! let len = tx.packetize(&[0i16; 160], &mut datagram).unwrap();
//!
//! let packet = RtpPacket::parse(&datagram[..len]).unwrap();
//! assert_eq!((packet.payload_type(), packet.ssrc(), packet.marker()), (8, 0x1234, true));
//! let mut pcm = [1i16; 160];
//! let got = G711Depacketizer::new(Law::A).depacketize(&packet, &mut pcm).unwrap();
//! assert_eq!(got.payload, Payload::Audio { samples: 160 });
//! assert_eq!(pcm, [8i16; 160]); // A-law has no exact zero: its smallest step is ±8
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cn;
mod error;
mod g711;
mod jitter;
mod packet;
mod source;
mod unwrap;

pub use cn::{
    dequantize_reflection_coefficient, quantize_reflection_coefficient, ComfortNoise,
    MAX_NOISE_LEVEL_DBOV, PT_CN,
};
pub use error::RtpError;
pub use g711::{
    Depacketized, G711Depacketizer, G711Packetizer, PacketizerConfig, Payload, G711_CLOCK_RATE,
    MAX_SAMPLES_PER_PACKET, SAMPLES_PER_10MS,
};
pub use jitter::JitterEstimator;
pub use packet::{
    CsrcList, Extension, PacketBuilder, RtpHeader, RtpPacket, FIXED_HEADER_LEN, MAX_CSRCS,
    RTP_VERSION,
};
pub use source::{LossReport, SeqStatus, SourceState, MAX_DROPOUT, MAX_MISORDER, MIN_SEQUENTIAL};
pub use unwrap::{SequenceUnwrapper, TimestampUnwrapper};

/// Static RTP payload type of G.711 µ-law (PCMU, RFC 3551 Table 4).
pub const PT_PCMU: u8 = 0;

/// Static RTP payload type of G.711 A-law (PCMA, RFC 3551 Table 4).
pub const PT_PCMA: u8 = 8;
