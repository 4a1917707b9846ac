//! End-to-end behaviour of the pipeline: speech crosses a call, echo is removed from what is
//! sent, the near-end talker survives, every device rate works, bad input gets clear errors.

mod common;

use common::*;
use proptest::prelude::*;
use voxline_core::{FrameDuration, SampleRate};
use voxline_pipeline::simulate::{simulate_call, CallScenario};
use voxline_pipeline::{
    Call, EchoSettings, FrameKind, JitterConfig, Law, NsConfig, PipelineConfig, SendPath,
};
use voxline_rtp::RtpPacket;

const SPEECH: &str = "speech/jfk_inaugural.wav";
const NEAR: &str = "speech/2412-153948-0001.wav";

fn scenario<'a>(
    config: PipelineConfig,
    far: &'a [f32],
    near: &'a [f32],
    noise: &'a [f32],
    ir: &'a [f32],
    arrivals: &'a [voxline_pipeline::simulate::PacketArrival],
) -> CallScenario<'a> {
    CallScenario {
        near_config: config,
        far_speech: far,
        near_speech: near,
        noise,
        room_ir: ir,
        arrivals,
    }
}

#[test]
fn far_speech_reaches_the_loudspeaker() {
    let rate = SampleRate::Hz16000;
    let far = speech(SPEECH, rate);
    let packets = (far.len() / 320) as u64;
    let arrivals = network(packets, 20.0, 40.0, 0.0, 0.0, 1);
    let rec = simulate_call(&scenario(
        PipelineConfig::new(rate),
        &far,
        &[],
        &[],
        &[],
        &arrivals,
    ))
    .expect("call");
    // The loudspeaker reproduces the far end's G.711 audio (upsampled), about one network
    // delay later.
    let render_8k =
        voxline_frontend::resample_all(rate, SampleRate::Hz8000, &rec.render).expect("resample");
    // Compare 3 s after the buffer has settled (its first second trims the start-up delay by
    // time-stretching, which shifts the alignment).
    let (snr, lag) = aligned_snr_db(&rec.far_sent[24_000..48_000], &render_8k[24_000..], 2000);
    println!("loudspeaker vs far end: {snr:.1} dB at lag {lag} samples");
    assert!(snr > 20.0, "loudspeaker SNR {snr:.1} dB");
    assert!((100..1200).contains(&lag), "lag {lag}");
    let r = rec.stats.receive;
    // Only the end of the stream (no packet follows the last) may be concealed.
    assert!(r.concealed_frames <= 8, "{r:?}");
    assert!(r.normal_frames > 900, "{r:?}");
    // The last packets arrive after the call ends.
    assert!(r.jitter.packets_received + 3 >= packets, "{r:?}");
}

#[test]
fn echo_is_removed_from_what_is_sent() {
    let rate = SampleRate::Hz16000;
    let far = speech(SPEECH, rate);
    let packets = (far.len() / 320) as u64;
    let arrivals = network(packets, 20.0, 60.0, 15.0, 0.02, 2);
    let ir = room_ir();
    let background = noise(far.len(), 3e-4, 3);
    let rec = simulate_call(&scenario(
        PipelineConfig::new(rate),
        &far,
        &[],
        &background,
        &ir,
        &arrivals,
    ))
    .expect("call");
    // Echo reduction from the microphone to what was sent, after 3 s of convergence; the
    // sent audio is 8 kHz, the microphone 16 kHz: compare mean-square levels over the
    // same time span.
    let mic = &rec.mic[48_000..];
    let sent = &rec.sent[24_000..rec.sent.len().min(rec.mic.len() / 2)];
    let erle = db(power(mic) / power(sent));
    let stats = rec.stats.send.echo.expect("echo canceller on");
    println!("echo reduction {erle:.1} dB; canceller: {stats:?}");
    assert!(erle >= 30.0, "echo reduced by only {erle:.1} dB");
    assert!(stats.delay_ms.is_some());
    assert!(
        rec.stats.receive.concealed_frames > 0,
        "the network lost packets"
    );
    assert_eq!(rec.stats.send.packets_dropped, 0);
}

#[test]
fn near_end_speech_survives() {
    let rate = SampleRate::Hz16000;
    let near = speech(NEAR, rate);
    let rec = simulate_call(&scenario(
        PipelineConfig::new(rate),
        &[],
        &near,
        &[],
        &[],
        &[],
    ))
    .expect("call");
    let near_8k =
        voxline_frontend::resample_all(rate, SampleRate::Hz8000, &near).expect("resample");
    let (snr, lag) = aligned_snr_db(&near_8k, &rec.sent, 400);
    let level = db(power(&rec.sent) / power(&near_8k));
    println!("sent vs near end: {snr:.1} dB at lag {lag}, level {level:+.2} dB");
    assert!(snr > 15.0, "near end distorted: {snr:.1} dB");
    assert!(level.abs() < 1.0, "near-end level changed by {level:.2} dB");
    // Resampling 16 -> 8 kHz (5 ms) + noise suppressor (10 ms) + 8 kHz resampler (none):
    // 15 ms = 120 samples at 8 kHz; the reported latency says the same.
    let path = SendPath::new(&PipelineConfig::new(rate)).expect("path");
    assert_eq!(path.latency_ms(), 15.0);
    assert!((lag as i64 - 120).abs() <= 2, "lag {lag}");
}

#[test]
fn every_device_rate_runs() {
    for rate in SampleRate::ALL {
        let mut config = PipelineConfig::new(rate);
        config.processing_rate = if rate == SampleRate::Hz44100 {
            SampleRate::Hz16000
        } else {
            rate
        };
        let mut far_config = config.clone();
        far_config.echo_canceller = None;
        far_config.noise_suppressor = None;
        let mut far = SendPath::new(&far_config).expect("far");
        let mut call = Call::new(&config).expect("call");
        let n = call.frame_len();
        assert_eq!(n, rate.samples_per_10ms());
        let tone: Vec<f32> = (0..n * 200)
            .map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / rate.hz() as f32).sin())
            .collect();
        let mut out = vec![0.0; n];
        let mut sent = 0;
        for (k, frame) in tone.chunks_exact(n).enumerate() {
            far.process(&out, frame).expect("far");
            let now = k as f64 * 10.0;
            while let Some(p) = far.poll_packet() {
                let p = p.to_vec();
                call.receive_packet(&p, now).expect("packet");
            }
            call.render(now, &mut out).expect("render");
            call.capture(&vec![0.0; n]).expect("capture");
            while call.poll_packet().is_some() {
                sent += 1;
            }
        }
        assert_eq!(sent, 100, "{rate:?}");
        let stats = call.stats();
        assert!(
            stats.receive.output_level_dbfs > -15.0,
            "{rate:?}: {stats:?}"
        );
    }
}

#[test]
fn packets_are_numbered_and_typed() {
    for (law, pt) in [(Law::Mu, 0u8), (Law::A, 8u8)] {
        for (ptime, samples) in [
            (FrameDuration::Ms10, 80usize),
            (FrameDuration::Ms20, 160),
            (FrameDuration::Ms30, 240),
        ] {
            let mut config = PipelineConfig::new(SampleRate::Hz8000);
            config.law = law;
            config.ptime = ptime;
            config.ssrc = 0xdead_beef;
            config.initial_sequence = 65_530;
            config.initial_timestamp = u32::MAX - 100;
            let mut path = SendPath::new(&config).expect("path");
            let mut seen = Vec::new();
            for _ in 0..60 {
                path.process(&[0.0; 80], &[0.01; 80]).expect("frame");
                while let Some(p) = path.poll_packet() {
                    let p = RtpPacket::parse(p).expect("valid RTP");
                    assert_eq!(p.payload_type(), pt);
                    assert_eq!(p.ssrc(), 0xdead_beef);
                    assert_eq!(p.payload().len(), samples);
                    seen.push((p.sequence_number(), p.timestamp(), p.marker()));
                }
            }
            assert_eq!(seen.len(), 60 * 80 / samples);
            assert!(seen[0].2 && !seen[1].2, "marker only on the first packet");
            for w in seen.windows(2) {
                assert_eq!(w[1].0, w[0].0.wrapping_add(1));
                assert_eq!(w[1].1, w[0].1.wrapping_add(samples as u32));
            }
        }
    }
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts() {
    let mut config = PipelineConfig::new(SampleRate::Hz8000);
    config.packet_queue = 2;
    config.ptime = FrameDuration::Ms10;
    let mut path = SendPath::new(&config).expect("path");
    for _ in 0..5 {
        path.process(&[0.0; 80], &[0.0; 80]).expect("frame");
    }
    let stats = path.stats();
    assert_eq!(stats.packets_sent, 5);
    assert_eq!(stats.packets_dropped, 3);
    let first = RtpPacket::parse(path.poll_packet().expect("packet"))
        .expect("rtp")
        .sequence_number();
    assert_eq!(first, 3, "the two newest remain");
    assert!(path.poll_packet().is_some());
    assert!(path.poll_packet().is_none());
}

#[test]
fn bad_configurations_are_refused_with_the_reason() {
    let base = PipelineConfig::new(SampleRate::Hz48000);
    let cases: Vec<(PipelineConfig, &str)> = vec![
        (
            PipelineConfig {
                processing_rate: SampleRate::Hz44100,
                ..base.clone()
            },
            "processing rate 44100",
        ),
        (
            PipelineConfig {
                jitter: JitterConfig::for_rate(SampleRate::Hz16000),
                ..base.clone()
            },
            "8000 Hz",
        ),
        (
            PipelineConfig {
                packet_queue: 0,
                ..base.clone()
            },
            "packet queue",
        ),
        (
            PipelineConfig {
                noise_suppressor: Some(NsConfig::with_max_attenuation_db(50.0)),
                ..base.clone()
            },
            "attenuation",
        ),
        (
            PipelineConfig {
                echo_canceller: Some(EchoSettings {
                    tail_ms: 5,
                    ..EchoSettings::default()
                }),
                ..base.clone()
            },
            "tail",
        ),
        (
            PipelineConfig {
                jitter: JitterConfig {
                    max_delay_ms: 0,
                    ..JitterConfig::default()
                },
                ..base.clone()
            },
            "max_delay_ms",
        ),
    ];
    for (config, needle) in cases {
        let err = Call::new(&config).expect_err(needle).to_string();
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }
}

#[test]
fn wrong_frame_lengths_are_errors_and_change_nothing() {
    let mut call = Call::new(&PipelineConfig::new(SampleRate::Hz16000)).expect("call");
    assert!(call.capture(&[0.0; 80]).is_err());
    let mut short = [0.0; 100];
    assert!(call.render(0.0, &mut short).is_err());
    assert_eq!(call.stats().send.frames, 0);
    assert_eq!(call.stats().receive.frames, 0);
}

#[test]
fn non_finite_and_extreme_input_is_contained() {
    let mut call = Call::new(&PipelineConfig::new(SampleRate::Hz16000)).expect("call");
    let mut out = vec![0.0; 160];
    let patterns: [f32; 5] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-40, 8.0];
    for k in 0..300 {
        let x = patterns[k % patterns.len()];
        let frame: Vec<f32> = (0..160).map(|i| if i % 3 == 0 { x } else { 0.9 }).collect();
        call.render(k as f64 * 10.0, &mut out).expect("render");
        call.capture(&frame).expect("capture");
        while let Some(p) = call.poll_packet() {
            assert!(RtpPacket::parse(p).is_ok());
        }
        let taps = call.send_path().taps();
        assert!(taps.encoded.iter().all(|v| v.is_finite()));
    }
    let s = call.stats().send;
    assert!(s.non_finite_samples > 0);
    assert!(s.output_level_dbfs.is_finite());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Garbage from the network is refused and counted; the call goes on.
    #[test]
    fn garbage_packets_never_break_the_call(packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..20)) {
        let mut call = Call::new(&PipelineConfig::new(SampleRate::Hz8000)).expect("call");
        let mut out = [0.0f32; 80];
        for (k, p) in packets.iter().enumerate() {
            let _ = call.receive_packet(p, k as f64 * 10.0);
            call.render(k as f64 * 10.0, &mut out).expect("render");
            prop_assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
        }
        let s = call.stats().receive.jitter;
        prop_assert!(s.packets_invalid + s.packets_received + s.packets_duplicated + s.packets_late >= packets.len() as u64);
    }
}

#[test]
fn stages_can_be_switched_off() {
    let mut config = PipelineConfig::new(SampleRate::Hz8000);
    config.echo_canceller = None;
    config.noise_suppressor = None;
    config.high_pass = None;
    let mut path = SendPath::new(&config).expect("path");
    assert_eq!(path.latency_ms(), 0.0);
    let frame: Vec<f32> = (0..80).map(|i| (i as f32 * 0.3).sin() * 0.5).collect();
    path.process(&[0.0; 80], &frame).expect("frame");
    // Nothing between the microphone and the encoder: the encoded frame is the input.
    assert_eq!(path.taps().encoded, &frame[..]);
    let s = path.stats();
    assert!(s.echo.is_none() && s.speech_probability.is_none());
    // A frame kind exists for every jitter-buffer outcome.
    let _ = FrameKind::Normal;
}
