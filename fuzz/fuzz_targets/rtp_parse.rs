//! Fuzz target: arbitrary bytes through `RtpPacket::parse`. Nothing may panic; whatever parses
//! must rebuild into a packet that parses to the same fields, and must go through the G.711
//! depacketizer (both laws) and the receive statistics without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voxline_g711::Law;
use voxline_rtp::{
    ComfortNoise, G711Depacketizer, JitterEstimator, Payload, RtpPacket, SequenceUnwrapper,
    SourceState, TimestampUnwrapper, PT_CN,
};

fuzz_target!(|data: &[u8]| {
    let parsed = RtpPacket::parse(data);

    if let Ok(packet) = parsed {
        assert_eq!(packet.version(), 2);
        assert_eq!(
            packet.header_len() + packet.payload().len() + usize::from(packet.padding_len()),
            data.len()
        );
        assert_eq!(packet.csrcs().len(), packet.csrc_count());

        // Rebuild and re-parse: same header, extension, payload and padding length.
        let builder = packet.to_builder();
        let mut out = vec![0u8; builder.encoded_len()];
        let written = builder.write(&mut out).expect("a parsed packet rebuilds");
        assert_eq!(written, data.len());
        let again = RtpPacket::parse(&out).expect("a rebuilt packet parses");
        assert_eq!(again.header(), packet.header());
        assert_eq!(again.marker(), packet.marker());
        assert_eq!(again.payload_type(), packet.payload_type());
        assert_eq!(again.sequence_number(), packet.sequence_number());
        assert_eq!(again.timestamp(), packet.timestamp());
        assert_eq!(again.ssrc(), packet.ssrc());
        assert!(again.csrcs().eq(packet.csrcs()));
        assert_eq!(again.extension(), packet.extension());
        assert_eq!(again.payload(), packet.payload());
        assert_eq!(again.padding_len(), packet.padding_len());
        assert_eq!(again.to_builder(), builder);

        // Receive side: statistics take any numbers.
        let mut source = SourceState::new(packet.ssrc());
        let mut seq = SequenceUnwrapper::new();
        let mut ts = TimestampUnwrapper::new();
        let mut jitter = JitterEstimator::new();
        for step in 0..3u16 {
            source.update(packet.sequence_number().wrapping_add(step));
            seq.unwrap(packet.sequence_number().wrapping_sub(step));
            ts.unwrap(packet.timestamp());
            jitter.update(packet.timestamp(), u32::from(step) * 160);
        }
        let _ = source.loss_report();
    }

    // The depacketizer parses by itself, so it sees malformed packets too.
    let mut pcm = [0i16; 512];
    for law in [Law::Mu, Law::A] {
        match G711Depacketizer::new(law).depacketize_bytes(data, &mut pcm) {
            Ok(got) => {
                let packet = parsed.expect("the depacketizer accepts only parsable packets");
                assert_eq!(got.sequence_number, packet.sequence_number());
                assert_eq!(got.timestamp, packet.timestamp());
                match got.payload {
                    Payload::Audio { samples } => {
                        assert_eq!(packet.payload_type(), law.rtp_payload_type());
                        assert_eq!(samples, packet.payload().len());
                        for (code, sample) in packet.payload().iter().zip(&pcm) {
                            assert_eq!(law.decode_sample(*code), *sample);
                        }
                    }
                    Payload::ComfortNoise(cn) => {
                        assert_eq!(packet.payload_type(), PT_CN);
                        assert_eq!(Ok(cn), ComfortNoise::parse(packet.payload()));
                        let mut out = vec![0u8; cn.encoded_len()];
                        assert_eq!(cn.write(&mut out), Ok(out.len()));
                        assert_eq!(&out[..], packet.payload());
                    }
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
});
