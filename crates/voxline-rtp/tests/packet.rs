//! RTP packet parsing and building: round trips of every header feature, one test per
//! malformation with its specific error, and properties over arbitrary input.

use proptest::prelude::*;
use voxline_rtp::{CsrcList, Extension, PacketBuilder, RtpError, RtpHeader, RtpPacket};

fn header() -> RtpHeader {
    RtpHeader::new(0, 0x1234, 0x8765_4321, 0xcafe_f00d)
}

fn build(b: &PacketBuilder<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; b.encoded_len()];
    let n = b.write(&mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

/// The fields of a parsed packet, as a builder, for comparing with what was written.
fn fields<'a>(p: &RtpPacket<'a>) -> PacketBuilder<'a> {
    p.to_builder()
}

#[test]
fn fixed_header_round_trip() {
    let mut h = header();
    h.marker = true;
    h.payload_type = 127;
    let b = PacketBuilder::new(h, b"hello");
    let bytes = build(&b);
    assert_eq!(
        &bytes[..12],
        &[0x80, 0xff, 0x12, 0x34, 0x87, 0x65, 0x43, 0x21, 0xca, 0xfe, 0xf0, 0x0d]
    );
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.version(), 2);
    assert!(p.marker());
    assert_eq!(p.payload_type(), 127);
    assert_eq!(p.sequence_number(), 0x1234);
    assert_eq!(p.timestamp(), 0x8765_4321);
    assert_eq!(p.ssrc(), 0xcafe_f00d);
    assert_eq!(p.payload(), b"hello");
    assert_eq!(p.header_len(), 12);
    assert_eq!(p.as_bytes(), &bytes[..]);
    assert_eq!(fields(&p), b);
}

#[test]
fn csrc_round_trip_up_to_fifteen() {
    for n in 0..=15u32 {
        let ids: Vec<u32> = (0..n).map(|i| 0x0101_0101 * (i + 1)).collect();
        let mut h = header();
        h.csrcs = CsrcList::from_slice(&ids).unwrap();
        let b = PacketBuilder::new(h, &[1, 2, 3]);
        let bytes = build(&b);
        let p = RtpPacket::parse(&bytes).unwrap();
        assert_eq!(p.csrc_count(), n as usize);
        assert_eq!(p.csrcs().collect::<Vec<_>>(), ids);
        assert_eq!(p.csrc(n as usize), None);
        if n > 0 {
            assert_eq!(p.csrc(0), Some(0x0101_0101));
        }
        assert_eq!(p.header_len(), 12 + 4 * n as usize);
        assert_eq!(p.payload(), &[1, 2, 3]);
        assert_eq!(p.header(), h);
    }
}

#[test]
fn extension_round_trip() {
    let data = [1, 2, 3, 4, 5, 6, 7, 8];
    let mut h = header();
    h.csrcs = CsrcList::from_slice(&[9, 10]).unwrap();
    let b = PacketBuilder::new(h, b"xy").with_extension(0xbede, &data);
    let bytes = build(&b);
    assert_eq!(bytes[0], 0x92); // V=2, X=1, CC=2
    assert_eq!(&bytes[20..24], &[0xbe, 0xde, 0, 2]);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert!(p.has_extension());
    assert_eq!(
        p.extension(),
        Some(Extension {
            profile: 0xbede,
            data: &data
        })
    );
    assert_eq!(p.header_len(), 12 + 8 + 4 + 8);
    assert_eq!(p.payload(), b"xy");
    assert_eq!(fields(&p), b);

    // An empty extension is legal: length 0 words.
    let b = PacketBuilder::new(header(), b"z").with_extension(7, &[]);
    let bytes = build(&b);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(p.extension().unwrap().data, &[] as &[u8]);
    assert_eq!(p.payload(), b"z");
}

#[test]
fn padding_round_trip_and_removal() {
    for pad in [1u8, 3, 4, 255] {
        let b = PacketBuilder::new(header(), b"abc").with_padding(pad);
        let bytes = build(&b);
        assert_eq!(bytes[0] & 0x20, 0x20);
        assert_eq!(*bytes.last().unwrap(), pad);
        let p = RtpPacket::parse(&bytes).unwrap();
        assert!(p.has_padding());
        assert_eq!(p.padding_len(), pad);
        assert_eq!(p.payload(), b"abc");
        assert_eq!(fields(&p), b);
    }
    // Padding may take every byte after the header: empty payload.
    let b = PacketBuilder::new(header(), &[]).with_padding(4);
    let bytes = build(&b);
    assert_eq!(RtpPacket::parse(&bytes).unwrap().payload(), &[] as &[u8]);
}

#[test]
fn all_features_together() {
    let mut h = header();
    h.marker = true;
    h.csrcs = CsrcList::from_slice(&[1, 2, 3]).unwrap();
    let b = PacketBuilder::new(h, &[0xff; 160])
        .with_extension(0x1000, &[0xaa; 12])
        .with_padding(2);
    let bytes = build(&b);
    assert_eq!(bytes.len(), 12 + 12 + 4 + 12 + 160 + 2);
    let p = RtpPacket::parse(&bytes).unwrap();
    assert_eq!(fields(&p), b);
    let mut again = vec![0; bytes.len()];
    p.to_builder().write(&mut again).unwrap();
    assert_eq!(again, bytes);
}

#[test]
fn header_write_places_payload_after_it() {
    let mut h = header();
    h.csrcs.push(42).unwrap();
    let mut buf = [0u8; 20];
    let n = h.write(&mut buf).unwrap();
    assert_eq!(n, 16);
    assert_eq!(n, h.encoded_len());
    buf[16..].copy_from_slice(b"data");
    let p = RtpPacket::parse(&buf).unwrap();
    assert_eq!(p.payload(), b"data");
    assert_eq!(p.csrc(0), Some(42));
}

// ---- every malformation gives its own error ----

fn valid() -> Vec<u8> {
    build(&PacketBuilder::new(header(), b"payload"))
}

fn err(bytes: &[u8]) -> RtpError {
    RtpPacket::parse(bytes).unwrap_err()
}

#[test]
fn too_short_for_fixed_header() {
    for len in 0..12 {
        let e = err(&valid()[..len]);
        assert_eq!(e, RtpError::TooShort { len });
        assert!(e.to_string().contains("12-byte"), "{e}");
    }
}

#[test]
fn wrong_version() {
    for version in [0u8, 1, 3] {
        let mut b = valid();
        b[0] = (b[0] & 0x3f) | (version << 6);
        let e = err(&b);
        assert_eq!(e, RtpError::BadVersion { version });
        assert_eq!(e.to_string(), format!("RTP version {version}, expected 2"));
    }
}

#[test]
fn rtcp_packet_types_are_recognised() {
    for pt in 72u8..=76 {
        let mut b = valid();
        b[1] = 0x80 | pt;
        let e = err(&b);
        assert_eq!(
            e,
            RtpError::LooksLikeRtcp {
                packet_type: 128 + pt
            }
        );
        assert!(e.to_string().contains("looks like RTCP"), "{e}");
    }
    // An empty receiver report (8 bytes) is RTCP, not a short RTP packet.
    let rr = [0x80, 201, 0, 1, 0xde, 0xad, 0xbe, 0xef];
    assert_eq!(err(&rr), RtpError::LooksLikeRtcp { packet_type: 201 });
    // Without the marker, or just outside the range, it is RTP.
    for byte in [72u8, 76, 199, 205] {
        let mut b = valid();
        b[1] = byte;
        assert!(RtpPacket::parse(&b).is_ok(), "byte {byte}");
    }
}

#[test]
fn csrc_list_truncated() {
    let mut b = valid(); // 12 + 7 bytes
    b[0] |= 2; // 2 CSRCs need 8 bytes; only the 7 payload bytes follow.
    let e = err(&b);
    assert_eq!(
        e,
        RtpError::CsrcTruncated {
            count: 2,
            needed: 20,
            len: 19
        }
    );
    assert!(e.to_string().contains("CSRC count 2"), "{e}");
    b[0] = (b[0] & 0xf0) | 1; // one CSRC fits
    assert_eq!(RtpPacket::parse(&b).unwrap().payload(), b"oad");
}

#[test]
fn extension_header_truncated() {
    for extra in 0..4 {
        let mut b = valid()[..12 + extra].to_vec();
        b[0] |= 0x10;
        let e = err(&b);
        assert_eq!(e, RtpError::ExtensionTruncated { available: extra });
        assert!(e.to_string().contains("extension header"), "{e}");
    }
}

#[test]
fn extension_length_past_end() {
    let mut b = valid(); // payload "payload": 7 bytes after the header
    b[0] |= 0x10;
    b[14] = 0; // length field = 1 word: 4 bytes, only 3 left after the 4-byte header
    b[15] = 1;
    let e = err(&b);
    assert_eq!(
        e,
        RtpError::ExtensionPastEnd {
            words: 1,
            available: 3
        }
    );
    assert!(e.to_string().contains("past the end"), "{e}");
    b.push(0); // now it fits exactly
    let p = RtpPacket::parse(&b).unwrap();
    assert_eq!(p.payload(), &[] as &[u8]);
    assert_eq!(p.extension().unwrap().data.len(), 4);
}

#[test]
fn padding_errors() {
    // Padding bit on a bare header: no byte for the count.
    let mut b = valid()[..12].to_vec();
    b[0] |= 0x20;
    let e = err(&b);
    assert_eq!(e, RtpError::PaddingMissing);
    assert!(e.to_string().contains("no byte"), "{e}");

    // Count 0.
    let mut b = valid();
    b[0] |= 0x20;
    *b.last_mut().unwrap() = 0;
    let e = err(&b);
    assert_eq!(e, RtpError::ZeroPadding);
    assert!(e.to_string().contains("padding count is 0"), "{e}");

    // Count larger than what follows the header (7 bytes).
    *b.last_mut().unwrap() = 8;
    let e = err(&b);
    assert_eq!(
        e,
        RtpError::PaddingTooLarge {
            count: 8,
            available: 7
        }
    );
    assert!(e.to_string().contains("padding count 8"), "{e}");
    *b.last_mut().unwrap() = 7;
    assert_eq!(RtpPacket::parse(&b).unwrap().payload(), &[] as &[u8]);

    // Padding may not eat into the extension.
    let mut b = build(&PacketBuilder::new(header(), b"ab").with_extension(1, &[0; 4]));
    b[0] |= 0x20;
    *b.last_mut().unwrap() = 3;
    assert_eq!(
        err(&b),
        RtpError::PaddingTooLarge {
            count: 3,
            available: 2
        }
    );
}

#[test]
fn builder_errors() {
    let mut h = header();
    h.payload_type = 128;
    let e = PacketBuilder::new(h, &[]).write(&mut [0; 64]).unwrap_err();
    assert_eq!(e, RtpError::PayloadTypeOutOfRange(128));
    assert_eq!(
        h.write(&mut [0; 64]).unwrap_err(),
        RtpError::PayloadTypeOutOfRange(128)
    );

    let b = PacketBuilder::new(header(), &[]).with_extension(1, &[0; 5]);
    assert_eq!(
        b.write(&mut [0; 64]).unwrap_err(),
        RtpError::ExtensionNotAligned(5)
    );
    let big = vec![0u8; 4 * 65536];
    let b = PacketBuilder::new(header(), &[]).with_extension(1, &big);
    assert_eq!(
        b.write(&mut vec![0; 300_000]).unwrap_err(),
        RtpError::ExtensionTooLong(4 * 65536)
    );

    let b = PacketBuilder::new(header(), b"12345").with_padding(3);
    assert_eq!(b.encoded_len(), 20);
    let e = b.write(&mut [0; 19]).unwrap_err();
    assert_eq!(
        e,
        RtpError::BufferTooSmall {
            needed: 20,
            available: 19
        }
    );
    assert!(e.to_string().contains("too small"), "{e}");
    assert_eq!(
        header().write(&mut [0; 11]).unwrap_err(),
        RtpError::BufferTooSmall {
            needed: 12,
            available: 11
        }
    );
}

// ---- properties ----

fn arb_header() -> impl Strategy<Value = RtpHeader> {
    (
        any::<bool>(),
        0u8..=127,
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u32>(), 0..=15),
    )
        .prop_map(|(marker, pt, seq, ts, ssrc, csrcs)| RtpHeader {
            marker,
            payload_type: pt,
            sequence_number: seq,
            timestamp: ts,
            ssrc,
            csrcs: CsrcList::from_slice(&csrcs).unwrap(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the bytes, parsing returns (never panics), and what parses is self-consistent
    /// and survives a rebuild.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = RtpPacket::parse(&bytes) {
            prop_assert_eq!(
                p.header_len() + p.payload().len() + usize::from(p.padding_len()),
                bytes.len()
            );
            let b = p.to_builder();
            let mut out = vec![0u8; b.encoded_len()];
            prop_assert_eq!(b.write(&mut out), Ok(bytes.len()));
            let q = RtpPacket::parse(&out).unwrap();
            prop_assert_eq!(q.to_builder(), b);
        }
    }

    /// Header-shaped input (version 2, random flags and counts) reaches the deeper checks.
    #[test]
    fn header_shaped_bytes_never_panic(
        b0 in 0u8..64,
        rest in prop::collection::vec(any::<u8>(), 11..120),
    ) {
        let mut bytes = vec![0x80 | b0];
        bytes.extend_from_slice(&rest);
        let _ = RtpPacket::parse(&bytes);
    }

    /// Any header, extension, payload and padding written then parsed gives the same fields.
    #[test]
    fn build_then_parse_round_trips(
        h in arb_header(),
        ext in prop::option::of((any::<u16>(), prop::collection::vec(any::<u8>(), 0..8usize)
            .prop_map(|v| v.repeat(4)))),
        payload in prop::collection::vec(any::<u8>(), 0..300),
        padding in any::<u8>(),
    ) {
        prop_assume!(!(h.marker && (72..=76).contains(&h.payload_type)));
        let mut b = PacketBuilder::new(h, &payload).with_padding(padding);
        if let Some((profile, data)) = &ext {
            b = b.with_extension(*profile, data);
        }
        let mut buf = vec![0u8; b.encoded_len() + 10];
        let n = b.write(&mut buf).unwrap();
        prop_assert_eq!(n, b.encoded_len());
        let p = RtpPacket::parse(&buf[..n]).unwrap();
        prop_assert_eq!(p.header(), h);
        prop_assert_eq!(p.payload(), &payload[..]);
        prop_assert_eq!(p.padding_len(), padding);
        prop_assert_eq!(p.extension().map(|e| (e.profile, e.data.to_vec())), ext);
    }
}
