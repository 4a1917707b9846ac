//! An offline, deterministic two-party call for demos, tests and evaluation: the far end's
//! speech crosses a simulated network into a [`Call`], whose loudspeaker output returns to its
//! microphone through a room impulse response, mixed with the near-end talker and noise.
//!
//! Sans-IO like the rest of the crate: signals and packet arrival times come in, every signal
//! along the way comes out. Unlike the per-frame calls it allocates (whole recordings); it is
//! not for the real-time path.

use voxline_core::{Error, Result, SampleRate};
use voxline_jitter::FrameKind;
use voxline_rtp::RtpPacket;

use crate::call::{Call, CallStats};
use crate::config::PipelineConfig;
use crate::send::SendPath;

/// When (if ever) one copy of the far end's packet number `index` (0, 1, 2, ... in send order,
/// sent every `ptime`) arrived, in ms on the near end's clock. A packet may appear more than
/// once (duplicates) or in any order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacketArrival {
    /// Packet number in send order.
    pub index: u64,
    /// Arrival time in ms, or `None` if lost.
    pub arrival_ms: Option<f64>,
}

/// The inputs of a simulated call; all signals at the near end's device rate
/// (`near_config.device_rate`).
#[derive(Debug, Clone)]
pub struct CallScenario<'a> {
    /// The near end's pipeline.
    pub near_config: PipelineConfig,
    /// What the far-end talker says (their microphone, clean).
    pub far_speech: &'a [f32],
    /// The near-end talker as it reaches the microphone (silence for far-end single talk).
    pub near_speech: &'a [f32],
    /// Background noise at the microphone (may be empty).
    pub noise: &'a [f32],
    /// Loudspeaker-to-microphone impulse response (room echo path, including its gain).
    pub room_ir: &'a [f32],
    /// Fate of each far-end packet on the network.
    pub arrivals: &'a [PacketArrival],
}

/// Every signal of a simulated call, and how the call went.
#[derive(Debug, Clone)]
pub struct CallRecording {
    /// The far end's audio as it went on the wire (decoded G.711, 8 kHz).
    pub far_sent: Vec<f32>,
    /// The near end's loudspeaker (jitter buffer, concealment, resampling), device rate.
    pub render: Vec<f32>,
    /// The echo alone at the microphone, device rate.
    pub echo: Vec<f32>,
    /// The microphone: echo + near-end speech + noise, device rate.
    pub mic: Vec<f32>,
    /// After the echo canceller, processing rate.
    pub after_echo: Vec<f32>,
    /// After the noise suppressor, processing rate.
    pub after_noise: Vec<f32>,
    /// What the near end sent (decoded from its RTP packets), 8 kHz.
    pub sent: Vec<f32>,
    /// Per 10 ms frame: the echo canceller's running ERLE estimate, dB (NaN when it is off).
    pub erle_db: Vec<f32>,
    /// Per frame: the jitter buffer's current playout delay, ms.
    pub jitter_delay_ms: Vec<f32>,
    /// Per frame: the jitter buffer's target delay, ms.
    pub jitter_target_ms: Vec<f32>,
    /// Per frame: what the jitter buffer played.
    pub frame_kinds: Vec<FrameKind>,
    /// Statistics at the end of the call.
    pub stats: CallStats,
    /// Rate of `after_echo` and `after_noise`.
    pub processing_rate: SampleRate,
}

/// Which of the near end's calls a [`SimulationEvent`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// [`Call::render`]: jitter buffer, concealment, resampling, echo reference.
    Render,
    /// [`Call::capture`] and packet polling: the send path.
    Capture,
}

/// Moments of a simulated call reported to an observer, e.g. to time the pipeline with a clock
/// (this crate reads none) or to show progress. Every `Enter` is followed by its `Leave`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulationEvent {
    /// The near end's pipeline is about to run `stage` of frame `frame` (of `frames`).
    Enter {
        /// Which call.
        stage: Stage,
        /// Frame number.
        frame: usize,
        /// Frames in the call.
        frames: usize,
    },
    /// It has finished that stage.
    Leave {
        /// Which call.
        stage: Stage,
        /// Frame number.
        frame: usize,
        /// Frames in the call.
        frames: usize,
    },
}

/// Runs the call frame by frame: each 10 ms, the far end encodes a frame (G.711, RTP), the
/// packets that have arrived by now enter the near end's jitter buffer, the near end renders
/// its loudspeaker frame, the room turns it into echo, and the near end captures echo + speech
/// + noise. Lasts as long as `far_speech` and `near_speech`, whichever is longer.
pub fn simulate_call(scenario: &CallScenario<'_>) -> Result<CallRecording> {
    simulate_call_observed(scenario, &mut |_| {})
}

/// [`simulate_call`], telling `observer` when the near end's pipeline starts and ends each
/// frame (the room and the far end are simulated outside those moments).
pub fn simulate_call_observed(
    scenario: &CallScenario<'_>,
    observer: &mut dyn FnMut(SimulationEvent),
) -> Result<CallRecording> {
    let config = &scenario.near_config;
    let mut far_config = PipelineConfig::new(config.device_rate);
    far_config.high_pass = None;
    far_config.echo_canceller = None;
    far_config.noise_suppressor = None;
    far_config.ptime = config.ptime;
    far_config.law = config.law;
    far_config.ssrc = config.ssrc ^ 0x5a5a_5a5a;
    far_config.packet_queue = 64;
    let mut far = SendPath::new(&far_config)?;
    let mut call = Call::new(config)?;
    let n = far.frame_len();
    let ptime_ms = f64::from(config.ptime.ms());
    let total = scenario.far_speech.len().max(scenario.near_speech.len());
    let frames = total.div_ceil(n);
    if frames == 0 {
        return Err(Error::InvalidConfig(
            "the simulated call has no audio".into(),
        ));
    }
    if scenario.room_ir.len() > 10 * config.device_rate.hz() as usize {
        return Err(Error::InvalidConfig(
            "room impulse response longer than 10 s".into(),
        ));
    }

    // Far-end packets, numbered in send order, kept until delivered.
    let mut packets: Vec<Vec<u8>> = Vec::new();
    let mut far_sent = Vec::with_capacity(frames * 80);
    // Arrivals sorted by time; delivered when due.
    let mut arrivals: Vec<(f64, u64)> = scenario
        .arrivals
        .iter()
        .filter_map(|a| a.arrival_ms.map(|t| (t, a.index)))
        .filter(|(t, _)| t.is_finite())
        .collect();
    arrivals.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut next_arrival = 0;

    let proc_frame = config.processing_rate.samples_per_10ms();
    let mut rec = CallRecording {
        far_sent: Vec::new(),
        render: Vec::with_capacity(frames * n),
        echo: Vec::with_capacity(frames * n),
        mic: Vec::with_capacity(frames * n),
        after_echo: Vec::with_capacity(frames * proc_frame),
        after_noise: Vec::with_capacity(frames * proc_frame),
        sent: Vec::with_capacity(frames * 80),
        erle_db: Vec::with_capacity(frames),
        jitter_delay_ms: Vec::with_capacity(frames),
        jitter_target_ms: Vec::with_capacity(frames),
        frame_kinds: Vec::with_capacity(frames),
        stats: CallStats::default(),
        processing_rate: config.processing_rate,
    };
    let ir = scenario.room_ir;
    let mut frame = vec![0.0f32; n];
    let mut loudspeaker = vec![0.0f32; n];
    let mut mic = vec![0.0f32; n];
    let silence = vec![0.0f32; n];
    for k in 0..frames {
        let now_ms = k as f64 * 10.0;
        // The far end talks and packetises.
        fill(&mut frame, scenario.far_speech, k * n);
        far.process(&silence, &frame)?;
        while let Some(p) = far.poll_packet() {
            decode_into(p, &mut far_sent);
            packets.push(p.to_vec());
        }
        // Packets that have arrived by now (a packet can only arrive once it was sent).
        while next_arrival < arrivals.len() && arrivals[next_arrival].0 <= now_ms {
            let (t, index) = arrivals[next_arrival];
            next_arrival += 1;
            let sent_at = index as f64 * ptime_ms;
            if let Some(p) = usize::try_from(index).ok().and_then(|i| packets.get(i)) {
                if t >= sent_at {
                    // A refused packet is counted by the jitter buffer; the call goes on.
                    let _ = call.receive_packet(p, t);
                }
            }
        }
        // The near end plays, the room echoes, the microphone hears. The echo of this frame
        // depends on this frame's loudspeaker output, so the room runs between render and
        // capture; the observer hears about each call separately.
        let event = |enter: bool, stage: Stage| {
            if enter {
                SimulationEvent::Enter {
                    stage,
                    frame: k,
                    frames,
                }
            } else {
                SimulationEvent::Leave {
                    stage,
                    frame: k,
                    frames,
                }
            }
        };
        observer(event(true, Stage::Render));
        let info = call.render(now_ms, &mut loudspeaker)?;
        observer(event(false, Stage::Render));
        rec.render.extend_from_slice(&loudspeaker);
        let start = k * n;
        for (i, m) in mic.iter_mut().enumerate() {
            let t = start + i;
            let e = echo_at(&rec.render, ir, t);
            rec.echo.push(e);
            *m = e + at(scenario.near_speech, t) + at(scenario.noise, t);
        }
        rec.mic.extend_from_slice(&mic);
        observer(event(true, Stage::Capture));
        call.capture(&mic)?;
        while let Some(p) = call.poll_packet() {
            decode_into(p, &mut rec.sent);
        }
        observer(event(false, Stage::Capture));
        let taps = call.send_path().taps();
        rec.after_echo.extend_from_slice(taps.after_echo);
        rec.after_noise.extend_from_slice(taps.after_noise);
        let stats = call.stats();
        rec.erle_db
            .push(stats.send.echo.map_or(f32::NAN, |e| e.erle_db));
        rec.jitter_delay_ms
            .push(stats.receive.jitter.current_delay_ms as f32);
        rec.jitter_target_ms
            .push(stats.receive.jitter.target_delay_ms as f32);
        rec.frame_kinds.push(info.kind);
    }
    rec.far_sent = far_sent;
    rec.stats = call.stats();
    Ok(rec)
}

fn at(signal: &[f32], i: usize) -> f32 {
    signal.get(i).copied().unwrap_or(0.0)
}

fn fill(frame: &mut [f32], signal: &[f32], start: usize) {
    for (i, f) in frame.iter_mut().enumerate() {
        *f = at(signal, start + i);
    }
}

/// Echo sample `t`: the loudspeaker signal so far convolved with the room response.
fn echo_at(render: &[f32], ir: &[f32], t: usize) -> f32 {
    let taps = ir.len().min(t + 1);
    let mut acc = 0.0f32;
    for (j, &h) in ir[..taps].iter().enumerate() {
        acc += h * render[t - j];
    }
    acc
}

/// Appends the decoded G.711 payload of an RTP packet the pipeline wrote.
fn decode_into(packet: &[u8], out: &mut Vec<f32>) {
    if let Ok(p) = RtpPacket::parse(packet) {
        let law = match p.payload_type() {
            voxline_rtp::PT_PCMU => voxline_g711::Law::Mu,
            voxline_rtp::PT_PCMA => voxline_g711::Law::A,
            _ => return,
        };
        out.extend(
            p.payload()
                .iter()
                .map(|&c| f32::from(law.decode_sample(c)) / 32768.0),
        );
    }
}
