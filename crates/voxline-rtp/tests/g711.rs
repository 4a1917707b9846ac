//! G.711 packetizer/depacketizer round trips, DTX gaps and comfort noise (RFC 3551, RFC 3389).

use proptest::prelude::*;
use voxline_core::FrameDuration;
use voxline_g711::Law;
use voxline_rtp::{
    ComfortNoise, Depacketized, G711Depacketizer, G711Packetizer, PacketBuilder, PacketizerConfig,
    Payload, RtpError, RtpHeader, RtpPacket, SequenceUnwrapper, TimestampUnwrapper, PT_CN,
    SAMPLES_PER_10MS,
};

const LAWS: [Law; 2] = [Law::Mu, Law::A];
const PTIMES: [FrameDuration; 3] = [
    FrameDuration::Ms10,
    FrameDuration::Ms20,
    FrameDuration::Ms30,
];

/// A deterministic test signal: a 440 Hz-ish sawtooth-and-square mix covering the full range.
fn signal(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let saw = ((i * 331) % 65536) as i32 - 32768;
            let square = if (i / 9) % 2 == 0 { 3000 } else { -3000 };
            (saw / 2 + square) as i16
        })
        .collect()
}

fn g711_round_trip(law: Law, x: &[i16]) -> Vec<i16> {
    let mut codes = vec![0u8; x.len()];
    law.encode(x, &mut codes).unwrap();
    let mut back = vec![0i16; x.len()];
    law.decode(&codes, &mut back).unwrap();
    back
}

fn config(law: Law, ptime: FrameDuration, seq: u16, ts: u32) -> PacketizerConfig {
    PacketizerConfig {
        initial_sequence: seq,
        initial_timestamp: ts,
        ..PacketizerConfig::new(law, ptime, 0x5eed_0001)
    }
}

/// Whole-packet and 10 ms feeding, both laws, all packet times, starting just before the
/// sequence number and timestamp wrap: packets are numbered consecutively, timestamps advance
/// by the packet's samples, and the decoded audio equals the codec's own round trip.
#[test]
fn round_trip_all_laws_and_packet_times_across_wrap() {
    for law in LAWS {
        for ptime in PTIMES {
            for by_10ms in [false, true] {
                let mut tx = G711Packetizer::new(config(law, ptime, 65533, u32::MAX - 500));
                let rx = G711Depacketizer::new(law);
                let n = tx.samples_per_packet();
                assert_eq!(n, 80 * ptime.ms() as usize / 10);
                assert_eq!(tx.packet_len(), 12 + n);
                let audio = signal(n * 8);
                let mut decoded = Vec::new();
                let mut seqs = SequenceUnwrapper::new();
                let mut stamps = TimestampUnwrapper::new();
                let mut buf = [0u8; 512];
                let mut pcm = [0i16; 512];
                let mut packets = 0;
                for chunk in audio.chunks(if by_10ms { SAMPLES_PER_10MS } else { n }) {
                    let len = if by_10ms {
                        match tx.push_10ms(chunk, &mut buf).unwrap() {
                            Some(len) => len,
                            None => continue,
                        }
                    } else {
                        tx.packetize(chunk, &mut buf).unwrap()
                    };
                    assert_eq!(len, 12 + n);
                    let p = RtpPacket::parse(&buf[..len]).unwrap();
                    assert_eq!(p.payload_type(), law.rtp_payload_type());
                    assert_eq!(p.marker(), packets == 0, "only the first packet is marked");
                    let got = rx.depacketize(&p, &mut pcm).unwrap();
                    assert_eq!(got.payload, Payload::Audio { samples: n });
                    assert_eq!(got.ssrc, 0x5eed_0001);
                    assert_eq!(seqs.unwrap(got.sequence_number), 65533 + packets);
                    assert_eq!(
                        stamps.unwrap(got.timestamp),
                        i64::from(u32::MAX - 500) + packets * n as i64
                    );
                    decoded.extend_from_slice(&pcm[..n]);
                    packets += 1;
                }
                assert_eq!(packets, 8);
                assert_eq!(decoded, g711_round_trip(law, &audio), "{law} {ptime}");
                assert_eq!(tx.next_sequence(), 65533u16.wrapping_add(8));
                assert_eq!(
                    tx.next_timestamp(),
                    (u32::MAX - 500).wrapping_add(8 * n as u32)
                );
            }
        }
    }
}

/// Talkspurt, comfort noise, 1 s of DTX silence, talkspurt: the CN packet takes the next
/// sequence number and the timestamp where speech stopped; the next speech packet is marked
/// and stamped after the gap.
#[test]
fn dtx_gap_with_comfort_noise_and_marker() {
    let mut tx = G711Packetizer::new(config(Law::Mu, FrameDuration::Ms20, 100, 1000));
    let rx = G711Depacketizer::new(Law::Mu);
    let mut buf = [0u8; 256];
    let mut pcm = [0i16; 256];
    let speech = signal(160);

    let len = tx.packetize(&speech, &mut buf).unwrap();
    let first = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
    assert!(first.marker);
    let len = tx.packetize(&speech, &mut buf).unwrap();
    let second = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
    assert!(!second.marker);
    assert_eq!((second.sequence_number, second.timestamp), (101, 1160));

    let coefficients = [127u8, 140, 100];
    let cn = ComfortNoise {
        level_dbov: 62,
        coefficients: &coefficients,
    };
    let len = tx.comfort_noise(&cn, &mut buf).unwrap();
    assert_eq!(len, 12 + 4);
    let got = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
    assert_eq!(
        got,
        Depacketized {
            sequence_number: 102,
            timestamp: 1320,
            ssrc: 0x5eed_0001,
            marker: false,
            payload: Payload::ComfortNoise(cn),
        }
    );
    assert_eq!(RtpPacket::parse(&buf[..len]).unwrap().payload_type(), PT_CN);

    tx.skip(8000).unwrap();
    let len = tx.packetize(&speech, &mut buf).unwrap();
    let resumed = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
    assert!(resumed.marker);
    assert_eq!(
        (resumed.sequence_number, resumed.timestamp),
        (103, 1320 + 8000)
    );

    // `mark_next` alone marks without a gap.
    tx.mark_next();
    let len = tx.packetize(&speech, &mut buf).unwrap();
    let marked = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
    assert!(marked.marker);
    assert_eq!(marked.timestamp, 1320 + 8000 + 160);
}

#[test]
fn skip_wraps_the_timestamp() {
    let mut tx = G711Packetizer::new(config(Law::A, FrameDuration::Ms10, 0, u32::MAX - 10));
    tx.skip(100).unwrap();
    assert_eq!(tx.next_timestamp(), 89);
}

#[test]
fn packetizer_errors_change_nothing() {
    let mut tx = G711Packetizer::new(config(Law::A, FrameDuration::Ms30, 7, 70));
    let mut small = [0u8; 12 + 239];
    let mut buf = [0u8; 300];
    assert_eq!(
        tx.packetize(&[0; 160], &mut buf),
        Err(RtpError::SampleCount {
            expected: 240,
            actual: 160
        })
    );
    assert_eq!(
        tx.packetize(&[0; 240], &mut small),
        Err(RtpError::BufferTooSmall {
            needed: 252,
            available: 251
        })
    );
    assert_eq!(
        tx.push_10ms(&[0; 79], &mut buf),
        Err(RtpError::SampleCount {
            expected: 80,
            actual: 79
        })
    );
    assert_eq!((tx.next_sequence(), tx.next_timestamp()), (7, 70));

    // Two 10 ms frames pending: whole-packet calls, skips and CN are refused.
    assert_eq!(tx.push_10ms(&[0; 80], &mut buf), Ok(None));
    assert_eq!(tx.push_10ms(&[0; 80], &mut small[..10]), Ok(None));
    assert_eq!(tx.pending_samples(), 160);
    let pending = Err(RtpError::PendingSamples { pending: 160 });
    assert_eq!(tx.packetize(&[0; 240], &mut buf), pending);
    assert_eq!(tx.skip(80), pending.map(|_| ()));
    assert_eq!(
        tx.comfort_noise(&ComfortNoise::level_only(70), &mut buf),
        pending
    );
    // The completing frame needs room for the packet; refused without consuming it.
    assert_eq!(
        tx.push_10ms(&[0; 80], &mut small),
        Err(RtpError::BufferTooSmall {
            needed: 252,
            available: 251
        })
    );
    assert_eq!(tx.pending_samples(), 160);
    assert_eq!(tx.push_10ms(&[0; 80], &mut buf), Ok(Some(252)));
    assert_eq!((tx.next_sequence(), tx.next_timestamp()), (8, 310));

    // Comfort noise: buffer too small, level out of range.
    assert_eq!(
        tx.comfort_noise(&ComfortNoise::level_only(70), &mut buf[..12]),
        Err(RtpError::BufferTooSmall {
            needed: 13,
            available: 12
        })
    );
    assert_eq!(
        tx.comfort_noise(&ComfortNoise::level_only(128), &mut buf),
        Err(RtpError::ComfortNoiseLevel(128))
    );
    assert_eq!(tx.next_sequence(), 8);
    assert_eq!(tx.config().ptime, FrameDuration::Ms30);
}

fn packet(pt: u8, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::new(RtpHeader::new(pt, 1, 2, 3), payload);
    let mut buf = vec![0; b.encoded_len()];
    b.write(&mut buf).unwrap();
    buf
}

#[test]
fn depacketizer_validates_payload_type_and_length() {
    let rx = G711Depacketizer::new(Law::Mu);
    assert_eq!(rx.law(), Law::Mu);
    let mut pcm = [0i16; 160];
    let pcma = packet(8, &[0xd5; 160]);
    let e = rx.depacketize_bytes(&pcma, &mut pcm);
    assert_eq!(
        e,
        Err(RtpError::UnexpectedPayloadType {
            expected: 0,
            got: 8
        })
    );
    assert!(e.unwrap_err().to_string().contains("payload type 8"));
    assert_eq!(
        rx.depacketize_bytes(&packet(0, &[]), &mut pcm),
        Err(RtpError::EmptyPayload)
    );
    assert_eq!(
        rx.depacketize_bytes(&packet(0, &[0xff; 161]), &mut pcm),
        Err(RtpError::SampleBufferTooSmall {
            needed: 161,
            available: 160
        })
    );
    assert_eq!(
        rx.depacketize_bytes(&packet(PT_CN, &[]), &mut pcm),
        Err(RtpError::EmptyComfortNoise)
    );
    assert_eq!(
        rx.depacketize_bytes(&packet(PT_CN, &[0x80]), &mut pcm),
        Err(RtpError::ComfortNoiseLevel(0x80))
    );
    assert_eq!(
        rx.depacketize_bytes(&[0x80, 0], &mut pcm),
        Err(RtpError::TooShort { len: 2 })
    );
    // Any payload length is fine (RFC 3551 allows any packet time), e.g. 5 ms.
    let short = packet(0, &[0xff; 40]);
    let got = rx.depacketize_bytes(&short, &mut pcm).unwrap();
    assert_eq!(got.payload, Payload::Audio { samples: 40 });
    assert!(pcm[..40].iter().all(|&s| s == 0));
}

#[test]
fn comfort_noise_payload_parse_and_build() {
    let cn = ComfortNoise::parse(&[40]).unwrap();
    assert_eq!(cn, ComfortNoise::level_only(40));
    assert_eq!(cn.coefficients.len(), 0);
    assert_eq!(cn.reflection_coefficient(0), None);

    let bytes = [127u8, 0, 127, 254, 255];
    let cn = ComfortNoise::parse(&bytes).unwrap();
    assert_eq!(cn.level_dbov, 127);
    assert_eq!(cn.coefficients, &bytes[1..]);
    assert_eq!(cn.reflection_coefficient(0), Some(-127.0 / 128.0));
    assert_eq!(cn.reflection_coefficient(1), Some(0.0));
    assert_eq!(cn.reflection_coefficient(2), Some(127.0 / 128.0));
    let mut out = [0u8; 5];
    assert_eq!(cn.encoded_len(), 5);
    assert_eq!(cn.write(&mut out), Ok(5));
    assert_eq!(out, bytes);
    assert_eq!(
        cn.write(&mut out[..4]),
        Err(RtpError::BufferTooSmall {
            needed: 5,
            available: 4
        })
    );
    let e = ComfortNoise::parse(&[0xff]).unwrap_err();
    assert_eq!(e, RtpError::ComfortNoiseLevel(0xff));
    assert!(e.to_string().contains("reserved top bit"), "{e}");
    assert_eq!(ComfortNoise::parse(&[]), Err(RtpError::EmptyComfortNoise));
}

proptest! {
    /// Any packet the depacketizer accepts decodes without panicking; whatever the bytes.
    #[test]
    fn depacketizer_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400), mu in any::<bool>()) {
        let rx = G711Depacketizer::new(if mu { Law::Mu } else { Law::A });
        let mut pcm = [0i16; 320];
        if let Ok(d) = rx.depacketize_bytes(&bytes, &mut pcm) {
            let p = RtpPacket::parse(&bytes).unwrap();
            match d.payload {
                Payload::Audio { samples } => prop_assert_eq!(samples, p.payload().len()),
                Payload::ComfortNoise(cn) => prop_assert_eq!(cn.encoded_len(), p.payload().len()),
            }
        }
    }

    /// Random start numbers, laws, packet times and DTX gaps: timestamps and sequence numbers
    /// always come out as the sender meant.
    #[test]
    fn random_talkspurts_keep_numbering(
        seq in any::<u16>(),
        ts in any::<u32>(),
        law in prop_oneof![Just(Law::Mu), Just(Law::A)],
        ptime in prop_oneof![Just(FrameDuration::Ms10), Just(FrameDuration::Ms20), Just(FrameDuration::Ms30)],
        spurts in prop::collection::vec((1usize..5, 0u32..100_000), 1..10),
    ) {
        let mut tx = G711Packetizer::new(config(law, ptime, seq, ts));
        let rx = G711Depacketizer::new(law);
        let n = tx.samples_per_packet();
        let audio = signal(n);
        let mut buf = [0u8; 300];
        let mut pcm = [0i16; 300];
        let (mut want_seq, mut want_ts) = (seq, ts);
        for (packets, gap) in spurts {
            for k in 0..packets {
                let len = tx.packetize(&audio, &mut buf).unwrap();
                let d = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
                prop_assert_eq!((d.sequence_number, d.timestamp, d.marker), (want_seq, want_ts, k == 0));
                want_seq = want_seq.wrapping_add(1);
                want_ts = want_ts.wrapping_add(n as u32);
            }
            let len = tx.comfort_noise(&ComfortNoise::level_only(80), &mut buf).unwrap();
            let d = rx.depacketize_bytes(&buf[..len], &mut pcm).unwrap();
            prop_assert_eq!((d.sequence_number, d.timestamp), (want_seq, want_ts));
            want_seq = want_seq.wrapping_add(1);
            tx.skip(gap).unwrap();
            want_ts = want_ts.wrapping_add(gap);
        }
    }
}
