//! The RTP packet (RFC 3550 §5.1): a zero-copy view for reading and a builder for writing.

use crate::RtpError;

/// Length of the fixed RTP header, before any CSRC or extension.
pub const FIXED_HEADER_LEN: usize = 12;

/// Most CSRC identifiers one header holds (the CC field has 4 bits).
pub const MAX_CSRCS: usize = 15;

/// The only RTP version in use, and the only one [`RtpPacket::parse`] accepts.
pub const RTP_VERSION: u8 = 2;

const PADDING_BIT: u8 = 0x20;
const EXTENSION_BIT: u8 = 0x10;
const MARKER_BIT: u8 = 0x80;

/// A header extension (RFC 3550 §5.3.1): a profile-defined 16-bit identifier and data that is a
/// whole number of 32-bit words, borrowed from the packet or from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extension<'a> {
    /// The profile-defined identifier (for example 0xBEDE for RFC 8285 one-byte elements).
    pub profile: u16,
    /// The extension data, without the 4-byte extension header; its length is a multiple of 4.
    pub data: &'a [u8],
}

/// A parsed RTP packet borrowing the datagram: every field is read in place, nothing is copied.
///
/// [`parse`](Self::parse) checks the whole structure once (version, CSRC list, extension,
/// padding), so the accessors cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RtpPacket<'a> {
    bytes: &'a [u8],
    extension: Option<Extension<'a>>,
    payload: &'a [u8],
    padding_len: u8,
}

impl<'a> RtpPacket<'a> {
    /// Parses `bytes` as one RTP packet, or says precisely what is malformed.
    ///
    /// Never panics, whatever the input.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpError> {
        let len = bytes.len();
        // RTCP first: an RTCP packet can be shorter than an RTP header (an empty RR is 8 bytes).
        if let [b0, b1, ..] = *bytes {
            if b0 >> 6 == RTP_VERSION && (200..=204).contains(&b1) {
                return Err(RtpError::LooksLikeRtcp { packet_type: b1 });
            }
        }
        if len < FIXED_HEADER_LEN {
            return Err(RtpError::TooShort { len });
        }
        let b0 = bytes[0];
        let version = b0 >> 6;
        if version != RTP_VERSION {
            return Err(RtpError::BadVersion { version });
        }
        let count = b0 & 0x0f;
        let mut offset = FIXED_HEADER_LEN + 4 * usize::from(count);
        if offset > len {
            return Err(RtpError::CsrcTruncated {
                count,
                needed: offset,
                len,
            });
        }
        let mut extension = None;
        if b0 & EXTENSION_BIT != 0 {
            let rest = &bytes[offset..];
            let [p0, p1, w0, w1, ref data @ ..] = *rest else {
                return Err(RtpError::ExtensionTruncated {
                    available: rest.len(),
                });
            };
            let words = u16::from_be_bytes([w0, w1]);
            let data_len = usize::from(words) * 4;
            let Some(data) = data.get(..data_len) else {
                return Err(RtpError::ExtensionPastEnd {
                    words,
                    available: data.len(),
                });
            };
            extension = Some(Extension {
                profile: u16::from_be_bytes([p0, p1]),
                data,
            });
            offset += 4 + data_len;
        }
        let after_header = &bytes[offset..];
        let mut padding_len = 0;
        let payload = if b0 & PADDING_BIT != 0 {
            let Some(&count) = after_header.last() else {
                return Err(RtpError::PaddingMissing);
            };
            if count == 0 {
                return Err(RtpError::ZeroPadding);
            }
            let Some(end) = after_header.len().checked_sub(usize::from(count)) else {
                return Err(RtpError::PaddingTooLarge {
                    count,
                    available: after_header.len(),
                });
            };
            padding_len = count;
            &after_header[..end]
        } else {
            after_header
        };
        Ok(RtpPacket {
            bytes,
            extension,
            payload,
            padding_len,
        })
    }

    /// The RTP version: always 2 for a parsed packet.
    pub fn version(&self) -> u8 {
        self.bytes[0] >> 6
    }

    /// Whether the padding bit is set.
    pub fn has_padding(&self) -> bool {
        self.bytes[0] & PADDING_BIT != 0
    }

    /// Padding bytes at the end of the packet, count byte included; 0 without padding.
    pub fn padding_len(&self) -> u8 {
        self.padding_len
    }

    /// Whether the extension bit is set.
    pub fn has_extension(&self) -> bool {
        self.extension.is_some()
    }

    /// The header extension, if the extension bit is set.
    pub fn extension(&self) -> Option<Extension<'a>> {
        self.extension
    }

    /// Number of CSRC identifiers (the CC field, 0..=15).
    pub fn csrc_count(&self) -> usize {
        usize::from(self.bytes[0] & 0x0f)
    }

    /// The contributing sources (CSRC list), in packet order.
    pub fn csrcs(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        let end = FIXED_HEADER_LEN + 4 * self.csrc_count();
        let bytes: &'a [u8] = self.bytes;
        bytes[FIXED_HEADER_LEN..end]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// The `i`-th CSRC identifier, if there is one.
    pub fn csrc(&self, i: usize) -> Option<u32> {
        if i < self.csrc_count() {
            Some(read_u32(self.bytes, FIXED_HEADER_LEN + 4 * i))
        } else {
            None
        }
    }

    /// The marker bit (for audio: first packet of a talkspurt, RFC 3551 §4.1).
    pub fn marker(&self) -> bool {
        self.bytes[1] & MARKER_BIT != 0
    }

    /// The 7-bit payload type.
    pub fn payload_type(&self) -> u8 {
        self.bytes[1] & 0x7f
    }

    /// The 16-bit sequence number.
    pub fn sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.bytes[2], self.bytes[3]])
    }

    /// The 32-bit timestamp, in units of the payload's clock rate.
    pub fn timestamp(&self) -> u32 {
        read_u32(self.bytes, 4)
    }

    /// The synchronisation source identifier.
    pub fn ssrc(&self) -> u32 {
        read_u32(self.bytes, 8)
    }

    /// The payload, with any padding removed.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Length of the headers: fixed header, CSRC list and extension (with its 4-byte header).
    pub fn header_len(&self) -> usize {
        self.bytes.len() - self.payload.len() - usize::from(self.padding_len)
    }

    /// The whole datagram this packet was parsed from.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The header fields as an owned [`RtpHeader`] (the extension stays in the packet).
    pub fn header(&self) -> RtpHeader {
        let mut csrcs = CsrcList::new();
        for id in self.csrcs() {
            // At most 15 by construction of the CC field.
            let _ = csrcs.push(id);
        }
        RtpHeader {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number(),
            timestamp: self.timestamp(),
            ssrc: self.ssrc(),
            csrcs,
        }
    }

    /// A builder that writes this packet again: same header, extension, payload and padding
    /// length (padding bytes other than the count are written as zeros).
    pub fn to_builder(&self) -> PacketBuilder<'a> {
        PacketBuilder {
            header: self.header(),
            extension: self.extension,
            payload: self.payload,
            padding: self.padding_len,
        }
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Up to 15 CSRC identifiers stored inline, so a header stays `Copy` and never allocates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CsrcList {
    // Invariant: entries at and after `len` are zero, so the derived comparisons are right.
    ids: [u32; MAX_CSRCS],
    len: u8,
}

impl CsrcList {
    /// An empty list.
    pub const fn new() -> Self {
        CsrcList {
            ids: [0; MAX_CSRCS],
            len: 0,
        }
    }

    /// A list holding `ids`, or [`RtpError::TooManyCsrcs`] for more than 15.
    pub fn from_slice(ids: &[u32]) -> Result<Self, RtpError> {
        if ids.len() > MAX_CSRCS {
            return Err(RtpError::TooManyCsrcs(ids.len()));
        }
        let mut list = CsrcList::new();
        list.ids[..ids.len()].copy_from_slice(ids);
        list.len = ids.len() as u8;
        Ok(list)
    }

    /// Appends `id`, or returns [`RtpError::TooManyCsrcs`] if the list already has 15.
    pub fn push(&mut self, id: u32) -> Result<(), RtpError> {
        let len = usize::from(self.len);
        if len == MAX_CSRCS {
            return Err(RtpError::TooManyCsrcs(len + 1));
        }
        self.ids[len] = id;
        self.len += 1;
        Ok(())
    }

    /// The identifiers, in order.
    pub fn as_slice(&self) -> &[u32] {
        &self.ids[..usize::from(self.len)]
    }

    /// Number of identifiers (0..=15).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The owned header fields of an RTP packet, for writing packets (and copying a parsed header).
///
/// Version is always 2; the padding and extension bits are set by [`PacketBuilder`] from what
/// it writes, so they are not fields here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RtpHeader {
    /// The marker bit.
    pub marker: bool,
    /// The payload type, 0..=127.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The timestamp, in the payload's clock rate.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// The contributing sources.
    pub csrcs: CsrcList,
}

impl RtpHeader {
    /// A header with no marker and no CSRCs.
    pub const fn new(payload_type: u8, sequence_number: u16, timestamp: u32, ssrc: u32) -> Self {
        RtpHeader {
            marker: false,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrcs: CsrcList::new(),
        }
    }

    /// Bytes [`write`](Self::write) produces: 12 plus 4 per CSRC.
    pub fn encoded_len(&self) -> usize {
        FIXED_HEADER_LEN + 4 * self.csrcs.len()
    }

    /// Writes the fixed header and CSRC list (no extension, no padding) to the start of `buf`
    /// and returns the bytes written; the payload goes right after.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, RtpError> {
        self.write_with_flags(0, buf)
    }

    fn write_with_flags(&self, flags: u8, buf: &mut [u8]) -> Result<usize, RtpError> {
        if self.payload_type > 0x7f {
            return Err(RtpError::PayloadTypeOutOfRange(self.payload_type));
        }
        let needed = self.encoded_len();
        let Some(out) = buf.get_mut(..needed) else {
            return Err(RtpError::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        };
        out[0] = (RTP_VERSION << 6) | flags | self.csrcs.len() as u8;
        out[1] = (u8::from(self.marker) << 7) | self.payload_type;
        out[2..4].copy_from_slice(&self.sequence_number.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        for (chunk, id) in out[FIXED_HEADER_LEN..]
            .chunks_exact_mut(4)
            .zip(self.csrcs.as_slice())
        {
            chunk.copy_from_slice(&id.to_be_bytes());
        }
        Ok(needed)
    }
}

/// Everything needed to write one complete RTP packet into a caller's buffer, without
/// allocating: header, optional extension, payload and optional padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketBuilder<'a> {
    /// The header fields.
    pub header: RtpHeader,
    /// The header extension, if any.
    pub extension: Option<Extension<'a>>,
    /// The payload.
    pub payload: &'a [u8],
    /// Padding bytes to append, count byte included (0 = no padding, sets the P bit otherwise).
    pub padding: u8,
}

impl<'a> PacketBuilder<'a> {
    /// A packet with `header` and `payload`, no extension and no padding.
    pub fn new(header: RtpHeader, payload: &'a [u8]) -> Self {
        PacketBuilder {
            header,
            extension: None,
            payload,
            padding: 0,
        }
    }

    /// Adds a header extension; `data` must be a multiple of 4 bytes (checked on write).
    pub fn with_extension(mut self, profile: u16, data: &'a [u8]) -> Self {
        self.extension = Some(Extension { profile, data });
        self
    }

    /// Appends `padding` bytes (count byte included; 0 removes padding).
    pub fn with_padding(mut self, padding: u8) -> Self {
        self.padding = padding;
        self
    }

    /// Length of the packet [`write`](Self::write) produces.
    pub fn encoded_len(&self) -> usize {
        let ext = self.extension.map_or(0, |e| 4 + e.data.len());
        self.header.encoded_len() + ext + self.payload.len() + usize::from(self.padding)
    }

    /// Writes the packet to the start of `buf` and returns its length.
    ///
    /// Errors: payload type above 127, extension data not a whole number of words or longer
    /// than 65535 words, or `buf` too small; nothing is written on error.
    pub fn write(&self, buf: &mut [u8]) -> Result<usize, RtpError> {
        if let Some(ext) = self.extension {
            if ext.data.len() % 4 != 0 {
                return Err(RtpError::ExtensionNotAligned(ext.data.len()));
            }
            if ext.data.len() / 4 > usize::from(u16::MAX) {
                return Err(RtpError::ExtensionTooLong(ext.data.len()));
            }
        }
        if self.header.payload_type > 0x7f {
            return Err(RtpError::PayloadTypeOutOfRange(self.header.payload_type));
        }
        let needed = self.encoded_len();
        let Some(out) = buf.get_mut(..needed) else {
            return Err(RtpError::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        };
        let mut flags = 0;
        if self.extension.is_some() {
            flags |= EXTENSION_BIT;
        }
        if self.padding > 0 {
            flags |= PADDING_BIT;
        }
        let mut at = self.header.write_with_flags(flags, out)?;
        if let Some(ext) = self.extension {
            // Length fits: checked above.
            let words = (ext.data.len() / 4) as u16;
            out[at..at + 2].copy_from_slice(&ext.profile.to_be_bytes());
            out[at + 2..at + 4].copy_from_slice(&words.to_be_bytes());
            at += 4;
            out[at..at + ext.data.len()].copy_from_slice(ext.data);
            at += ext.data.len();
        }
        out[at..at + self.payload.len()].copy_from_slice(self.payload);
        at += self.payload.len();
        if self.padding > 0 {
            let end = at + usize::from(self.padding);
            out[at..end - 1].fill(0);
            out[end - 1] = self.padding;
            at = end;
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_packet_reads_every_field() {
        let bytes = [
            0x80, 0x88, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb,
        ];
        let p = RtpPacket::parse(&bytes).unwrap();
        assert_eq!(p.version(), 2);
        assert!(p.marker());
        assert_eq!(p.payload_type(), 8);
        assert_eq!(p.sequence_number(), 0x1234);
        assert_eq!(p.timestamp(), 0xdead_beef);
        assert_eq!(p.ssrc(), 0x0102_0304);
        assert_eq!(p.payload(), &[0xaa, 0xbb]);
        assert_eq!(p.header_len(), 12);
        assert!(!p.has_padding() && !p.has_extension());
        assert_eq!(p.csrcs().len(), 0);
        assert_eq!(p.csrc(0), None);
    }

    #[test]
    fn csrc_list_is_bounded() {
        let mut list = CsrcList::from_slice(&[1; 15]).unwrap();
        assert_eq!(list.push(2), Err(RtpError::TooManyCsrcs(16)));
        assert_eq!(
            CsrcList::from_slice(&[0; 16]),
            Err(RtpError::TooManyCsrcs(16))
        );
        assert!(CsrcList::new().is_empty());
    }
}
