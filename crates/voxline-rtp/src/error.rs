use thiserror::Error;

/// Everything that can go wrong reading or writing RTP in this crate.
///
/// Each variant is one specific fault with a one-line message naming the offending values, so
/// a receiver can log why a datagram was dropped and a test can check the exact cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum RtpError {
    /// Fewer bytes than the 12-byte fixed header (RFC 3550 §5.1).
    #[error("packet of {len} bytes is shorter than the 12-byte RTP fixed header")]
    TooShort {
        /// Length of the datagram.
        len: usize,
    },
    /// The version field (top two bits) is not 2.
    #[error("RTP version {version}, expected 2")]
    BadVersion {
        /// The version read from the packet.
        version: u8,
    },
    /// The second byte is an RTCP packet type (SR, RR, SDES, BYE, APP: 200..=204), i.e. the
    /// marker bit with payload type 72..=76, which RFC 3551 reserves to keep RTP and RTCP apart.
    #[error(
        "second byte {packet_type} is an RTCP packet type (marker + payload type {}): looks like RTCP, not RTP",
        packet_type & 0x7f
    )]
    LooksLikeRtcp {
        /// The second byte of the packet (200..=204).
        packet_type: u8,
    },
    /// The CSRC count needs more bytes than the packet has.
    #[error("CSRC count {count} needs a {needed}-byte header but the packet has only {len} bytes")]
    CsrcTruncated {
        /// The CSRC count (CC) field.
        count: u8,
        /// Bytes the fixed header plus CSRC list need.
        needed: usize,
        /// Length of the datagram.
        len: usize,
    },
    /// The extension bit is set but fewer than 4 bytes follow the CSRC list.
    #[error(
        "extension bit set but only {available} bytes follow the CSRC list, fewer than the 4-byte extension header"
    )]
    ExtensionTruncated {
        /// Bytes left after the CSRC list.
        available: usize,
    },
    /// The extension length field points past the end of the packet.
    #[error(
        "extension length of {words} words ({} bytes) runs past the end of the packet ({available} bytes left)",
        usize::from(*words) * 4
    )]
    ExtensionPastEnd {
        /// The extension length field, in 32-bit words.
        words: u16,
        /// Bytes left after the 4-byte extension header.
        available: usize,
    },
    /// The padding bit is set but no byte follows the headers to hold the padding count.
    #[error("padding bit set but no byte follows the header to hold the padding count")]
    PaddingMissing,
    /// The padding bit is set but the padding count (last byte) is 0.
    #[error("padding bit set but the padding count is 0")]
    ZeroPadding,
    /// The padding count is larger than what follows the headers.
    #[error("padding count {count} is larger than the {available} bytes after the header")]
    PaddingTooLarge {
        /// The padding count (last byte of the packet).
        count: u8,
        /// Bytes after the fixed header, CSRC list and extension.
        available: usize,
    },
    /// The output buffer cannot hold the packet or payload being written.
    #[error("output buffer of {available} bytes is too small: {needed} bytes needed")]
    BufferTooSmall {
        /// Bytes the packet or payload needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// A payload type above 127 does not fit in the 7-bit field.
    #[error("payload type {0} does not fit in 7 bits (0..=127)")]
    PayloadTypeOutOfRange(u8),
    /// More than 15 CSRCs: the CC field has 4 bits.
    #[error("{0} CSRCs given, at most 15 fit in an RTP header")]
    TooManyCsrcs(usize),
    /// Header extension data must be a whole number of 32-bit words.
    #[error("header extension data of {0} bytes is not a multiple of 4")]
    ExtensionNotAligned(usize),
    /// Header extension data longer than the 16-bit word count allows.
    #[error("header extension data of {0} bytes exceeds 65535 words")]
    ExtensionTooLong(usize),
    /// A payload type the depacketizer was not set up for.
    #[error("payload type {got} is neither {expected} (the configured G.711 law) nor 13 (comfort noise)")]
    UnexpectedPayloadType {
        /// The G.711 payload type expected (0 or 8).
        expected: u8,
        /// The payload type received.
        got: u8,
    },
    /// An audio packet with no payload bytes.
    #[error("audio packet with an empty payload")]
    EmptyPayload,
    /// A comfort noise payload without its noise level byte (RFC 3389 §3).
    #[error("empty comfort noise payload: the noise level byte is missing")]
    EmptyComfortNoise,
    /// A comfort noise level byte with its reserved top bit set (RFC 3389 §3.1).
    #[error("comfort noise level byte {0:#04x} has its reserved top bit set (level must be 0..=127 -dBov)")]
    ComfortNoiseLevel(u8),
    /// The sample buffer cannot hold the decoded payload.
    #[error("sample buffer of {available} samples is too small for a payload of {needed} samples")]
    SampleBufferTooSmall {
        /// Samples in the payload.
        needed: usize,
        /// Samples the buffer has room for.
        available: usize,
    },
    /// A packetizer call got the wrong number of samples.
    #[error("expected {expected} samples, got {actual}")]
    SampleCount {
        /// Samples the call needs.
        expected: usize,
        /// Samples it was given.
        actual: usize,
    },
    /// The packetizer still holds samples pushed 10 ms at a time.
    #[error(
        "packetizer holds {pending} samples pushed 10 ms at a time; complete that packet first"
    )]
    PendingSamples {
        /// Samples waiting for the rest of their packet.
        pending: usize,
    },
}
