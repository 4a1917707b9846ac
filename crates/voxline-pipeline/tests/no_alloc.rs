//! Real-time safety: after construction, 10,000 frames of the full send and receive paths
//! (packets in with loss, reordering and garbage, loudspeaker out, microphone in, packets
//! out) allocate nothing.

mod common;

use voxline_core::SampleRate;
use voxline_pipeline::{Call, PipelineConfig, SendPath, MAX_PACKET_LEN};

#[global_allocator]
static ALLOCATOR: voxline_testkit::CountingAllocator = voxline_testkit::CountingAllocator;

/// Packets in flight: a fixed ring, so the simulated network allocates nothing either.
const IN_FLIGHT: usize = 16;

fn run(rate: SampleRate, processing: SampleRate, frames: usize) {
    let mut config = PipelineConfig::new(rate);
    config.processing_rate = processing;
    let mut far_config = config.clone();
    far_config.echo_canceller = None;
    far_config.noise_suppressor = None;
    let mut far = SendPath::new(&far_config).expect("far end");
    let mut call = Call::new(&config).expect("call");
    let n = call.frame_len();
    let speech = common::speech("speech/jfk_inaugural.wav", rate);
    let noise = common::noise(speech.len(), 0.01, 5);
    let mut ring = vec![[0u8; MAX_PACKET_LEN]; IN_FLIGHT];
    let mut ring_len = [0usize; IN_FLIGHT];
    let mut ring_due = [f64::INFINITY; IN_FLIGHT];
    let mut out = vec![0.0f32; n];
    let mut mic = vec![0.0f32; n];
    let mut far_frame = vec![0.0f32; n];
    let silence = vec![0.0f32; n];
    // RTP version 1: refused and counted.
    let garbage = [0x40u8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
    let mut rng = voxline_core::SplitMix64::new(9);
    let frames_in_speech = speech.len() / n;
    let mut sent = 0u64;
    let before = voxline_testkit::allocations();
    for k in 0..frames {
        let now = k as f64 * 10.0;
        let start = (k % frames_in_speech) * n;
        far_frame.copy_from_slice(&speech[start..start + n]);
        far.process(&silence, &far_frame).expect("far end");
        while let Some(p) = far.poll_packet() {
            let r = rng.next_u64();
            if r.is_multiple_of(50) {
                continue; // lost
            }
            let slot = (r as usize / 64) % IN_FLIGHT;
            ring[slot][..p.len()].copy_from_slice(p);
            ring_len[slot] = p.len();
            ring_due[slot] = now + 20.0 + (r % 40) as f64;
        }
        for i in 0..IN_FLIGHT {
            if ring_due[i] <= now {
                let _ = call.receive_packet(&ring[i][..ring_len[i]], now);
                ring_due[i] = f64::INFINITY;
            }
        }
        if k.is_multiple_of(97) {
            let _ = call.receive_packet(&garbage, now);
        }
        call.render(now, &mut out).expect("render");
        for (i, m) in mic.iter_mut().enumerate() {
            *m = 0.5 * out[i] + noise[start + i];
        }
        call.capture(&mic).expect("capture");
        while call.poll_packet().is_some() {
            sent += 1;
        }
        let _ = call.stats();
    }
    let allocated = voxline_testkit::allocations() - before;
    assert_eq!(
        allocated, 0,
        "{rate:?}: {allocated} allocations over {frames} frames"
    );
    assert_eq!(sent, frames as u64 / 2);
    let s = call.stats();
    assert!(s.receive.jitter.packets_invalid > 0);
    assert!(s.receive.concealed_frames > 0);
    assert!(s.send.echo.is_some_and(|e| e.frames == frames as u64));
}

#[test]
fn ten_thousand_frames_of_both_paths_allocate_nothing() {
    run(SampleRate::Hz16000, SampleRate::Hz8000, 10_000);
}

#[test]
fn other_rates_allocate_nothing() {
    run(SampleRate::Hz48000, SampleRate::Hz16000, 1_500);
    run(SampleRate::Hz44100, SampleRate::Hz8000, 1_500);
    run(SampleRate::Hz8000, SampleRate::Hz8000, 1_500);
}
