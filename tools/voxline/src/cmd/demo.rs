//! `voxline demo`: the quick-start job, a simulated two-party call on bundled data.
//!
//! The far end's speech is G.711-encoded into RTP packets that cross a simulated network
//! (a lossy, jittery profile by default) into the near end's pipeline: jitter buffer and
//! concealment, loudspeaker, then a bundled office room turns the loudspeaker into echo at the
//! microphone, where the near-end talker and background noise join it; the send path removes
//! the echo and the noise and encodes what is sent back. Every signal is written as a WAV
//! file, a report with plots as HTML, and a summary table is printed.
//! Simplified: the near-end talker is the dry recording added at the microphone (no room path
//! of its own) and the fan noise is filtered white noise.

use crate::error::{CliError, CliResult};
use crate::files::{write_atomic, write_mono_wav};
use crate::plot::{self, Series};
use std::fmt::Write as _;
use std::io::{Cursor, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};
use voxline_core::{SampleRate, SplitMix64};
use voxline_pipeline::simulate::{
    simulate_call_observed, CallRecording, CallScenario, PacketArrival, SimulationEvent,
};
use voxline_pipeline::{FrameKind, PipelineConfig};

/// The bundled far-end recording (public domain: J. F. Kennedy's 1961 inaugural address, 16 kHz).
pub(crate) const SPEECH: &[u8] = include_bytes!("../../../../testdata/speech/jfk_inaugural.wav");
pub(crate) const SPEECH_NAME: &str = "jfk_inaugural.wav (J. F. Kennedy, 1961, public domain)";
/// The near-end talker (LibriSpeech 2412-153948-0001, CC BY 4.0, 16 kHz).
const NEAR: &[u8] = include_bytes!("../../../../testdata/speech/2412-153948-0001.wav");
const NEAR_NAME: &str = "2412-153948-0001.wav (LibriSpeech, CC BY 4.0)";
/// The office room between loudspeaker and microphone (testdata/demo/README.md).
const ROOM: &[u8] = include_bytes!("../../../../testdata/demo/room_ir_16k.wav");

/// The simulated sound card's rate.
const DEVICE_RATE: SampleRate = SampleRate::Hz16000;
/// When the far-end talker starts, in seconds (the call opens with background noise only).
const FAR_START_S: f32 = 1.5;
/// When the near-end talker starts, in seconds: far-end single talk before, double talk while
/// both speak, near-end single talk after the far end stops.
const NEAR_START_S: f32 = 8.5;
/// Background noise alone at the end of the call, in seconds.
const TAIL_S: f32 = 1.5;
/// Near-end speech level at the microphone, dBFS (RMS over the recording).
const NEAR_LEVEL_DBFS: f32 = -26.0;
/// Background noise level at the microphone, dBFS (RMS): a fan, about 20 dB below the talker.
const NOISE_LEVEL_DBFS: f32 = -45.0;
/// Mean square above which a talker counts as active in a window (-50 dBFS).
const ACTIVE: f64 = 1e-5;
/// Analysis window of the summary and plots.
const WINDOW_S: f32 = 0.1;

/// The demo's options.
pub struct DemoOptions<'a> {
    /// Output folder.
    pub out: &'a Path,
    /// Network profile name (voxline netsim's profiles).
    pub network: &'a str,
    /// Seed of the network simulation.
    pub seed: u64,
}

fn bundled(bytes: &[u8], what: &str) -> CliResult<Vec<f32>> {
    let audio = voxline_wav::read_audio(Cursor::new(bytes))
        .map_err(|e| CliError::bad_input(format!("bundled {what}: {e}")))?;
    if audio.sample_rate != DEVICE_RATE.hz() {
        return Err(CliError::bad_input(format!(
            "bundled {what}: {} Hz, expected {}",
            audio.sample_rate,
            DEVICE_RATE.hz()
        )));
    }
    Ok(audio.to_mono_f32())
}

fn rms_db(x: &[f32]) -> f32 {
    db(power(x))
}

fn gain_to(x: &mut [f32], target_dbfs: f32) {
    let g = 10f32.powf((target_dbfs - rms_db(x)) / 20.0);
    x.iter_mut().for_each(|v| *v *= g);
}

/// Fan-like noise: white noise through a gentle low-pass, deterministic.
fn fan_noise(len: usize, level_dbfs: f32) -> Vec<f32> {
    let mut rng = SplitMix64::new(0xfa7);
    let mut y = 0.0f32;
    let mut x: Vec<f32> = (0..len)
        .map(|_| {
            let w = (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            y = 0.9 * y + 0.1 * w;
            y + 0.15 * w
        })
        .collect();
    gain_to(&mut x, level_dbfs);
    x
}

fn power(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64
}

fn db(ratio: f64) -> f32 {
    (10.0 * ratio.max(1e-20).log10()) as f32
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

fn fmt_db(v: Option<f32>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.1} dB"))
}

/// What happens in one analysis window, from the separate components at the microphone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Talk {
    FarOnly,
    NearOnly,
    Double,
    NoiseOnly,
    Other,
}

/// Per-window measurements.
struct Windows {
    times: Vec<f32>,
    talk: Vec<Talk>,
    /// Microphone over after-echo-canceller power, dB.
    aec_reduction: Vec<f32>,
    /// Microphone over sent power, dB.
    path_reduction: Vec<f32>,
    /// Sent over near-end talker power, dB.
    near_change: Vec<f32>,
}

fn analyse(rec: &CallRecording, near: &[f32], noise: &[f32], send_latency_ms: f32) -> Windows {
    let dev = DEVICE_RATE.hz() as f32;
    let proc = rec.processing_rate.hz() as f32;
    let wn = (WINDOW_S * dev) as usize;
    let count = rec.mic.len() / wn;
    let sent_lag = (send_latency_ms / 1000.0 * 8000.0) as usize;
    // Mean square of window `k` of `x` (at `rate`), `lag` samples late.
    let window_power = |x: &[f32], rate: f32, k: usize, lag: usize| -> f64 {
        let n = (WINDOW_S * rate) as usize;
        let a = (k * n + lag).min(x.len());
        let b = (a + n).min(x.len());
        power(&x[a..b])
    };
    let mut w = Windows {
        times: Vec::new(),
        talk: Vec::new(),
        aec_reduction: Vec::new(),
        path_reduction: Vec::new(),
        near_change: Vec::new(),
    };
    for k in 0..count {
        let e = window_power(&rec.echo, dev, k, 0);
        let s = window_power(near, dev, k, 0);
        let v = window_power(noise, dev, k, 0);
        let m = window_power(&rec.mic, dev, k, 0);
        let talk = if e > ACTIVE && e > 100.0 * v && s < 0.01 * e {
            Talk::FarOnly
        } else if s > ACTIVE && s > 30.0 * v && e < 0.01 * s {
            Talk::NearOnly
        } else if e > ACTIVE && s > ACTIVE && e > 10.0 * v && s > 10.0 * v {
            Talk::Double
        } else if e < v && s < v {
            Talk::NoiseOnly
        } else {
            Talk::Other
        };
        let after_echo = window_power(&rec.after_echo, proc, k, 0);
        let sent = window_power(&rec.sent, 8000.0, k, sent_lag);
        w.times.push((k as f32 + 0.5) * WINDOW_S);
        w.talk.push(talk);
        w.aec_reduction.push(db(m / after_echo.max(1e-20)));
        w.path_reduction.push(db(m / sent.max(1e-20)));
        w.near_change.push(db(sent / s.max(1e-20)));
    }
    w
}

fn select(w: &Windows, values: &[f32], talk: Talk, from_s: f32) -> Vec<f32> {
    values
        .iter()
        .zip(&w.talk)
        .zip(&w.times)
        .filter(|((_, &t), &time)| t == talk && time >= from_s)
        .map(|((&v, _), _)| v)
        .collect()
}

/// Runs the demo and writes its files into `out`.
pub fn run(opts: &DemoOptions<'_>) -> CliResult {
    let profile = voxline_netsim::Profile::by_name(opts.network).ok_or_else(|| {
        CliError::bad_input(format!(
            "unknown network profile {:?} (choose from: {})",
            opts.network,
            voxline_netsim::Profile::NAMES.join(", ")
        ))
    })?;
    let far_dry = bundled(SPEECH, "far-end speech")?;
    let mut near_dry = bundled(NEAR, "near-end speech")?;
    let room = bundled(ROOM, "room response")?;
    gain_to(&mut near_dry, NEAR_LEVEL_DBFS);
    let dev = DEVICE_RATE.hz() as usize;
    let at = |s: f32| (s * dev as f32) as usize;
    let total =
        (at(FAR_START_S) + far_dry.len()).max(at(NEAR_START_S) + near_dry.len()) + at(TAIL_S);
    let mut far = vec![0.0f32; total];
    far[at(FAR_START_S)..at(FAR_START_S) + far_dry.len()].copy_from_slice(&far_dry);
    let mut near = vec![0.0f32; total];
    near[at(NEAR_START_S)..at(NEAR_START_S) + near_dry.len()].copy_from_slice(&near_dry);
    let noise = fan_noise(total, NOISE_LEVEL_DBFS);
    let seconds = total as f32 / dev as f32;

    let config = PipelineConfig::new(DEVICE_RATE);
    let ptime = config.ptime.ms();
    let trace = voxline_netsim::try_simulate(&profile, ptime, f64::from(seconds) + 1.0, opts.seed)
        .map_err(|e| CliError::bad_input(format!("network simulation: {e}")))?;
    let arrivals: Vec<PacketArrival> = trace
        .entries()
        .iter()
        .map(|e| PacketArrival {
            index: e.seq,
            arrival_ms: e.arrival_ms,
        })
        .collect();
    std::fs::create_dir_all(opts.out)
        .map_err(|e| CliError::bad_input(format!("cannot create {}: {e}", opts.out.display())))?;

    outln!("voxline demo: a simulated call, {seconds:.1} s");
    outln!("  far end:  {SPEECH_NAME} from {FAR_START_S:.1} s, G.711 mu-law, {ptime} ms packets");
    outln!(
        "  network:  {} (seed {}): {}",
        opts.network,
        opts.seed,
        describe_trace(&trace)
    );
    outln!("  near end: {NEAR_NAME} from {NEAR_START_S:.1} s at {NEAR_LEVEL_DBFS:.0} dBFS, fan noise at {NOISE_LEVEL_DBFS:.0} dBFS, office room (RT60 0.35 s)");
    outln!(
        "  pipeline: device {} Hz, processing {} Hz, DC removal, echo canceller, noise suppressor",
        config.device_rate.hz(),
        config.processing_rate.hz()
    );

    let scenario = CallScenario {
        near_config: config.clone(),
        far_speech: &far,
        near_speech: &near,
        noise: &noise,
        room_ir: &room,
        arrivals: &arrivals,
    };
    let bar = crate::progress::bar(
        2 * total.div_ceil(DEVICE_RATE.samples_per_10ms()) as u64,
        "frames",
    );
    let mut busy = Duration::ZERO;
    let mut entered = Instant::now();
    let mut worst = Duration::ZERO;
    let mut frame_time = Duration::ZERO;
    let started = Instant::now();
    let rec = simulate_call_observed(&scenario, &mut |event| match event {
        SimulationEvent::Enter { .. } => entered = Instant::now(),
        SimulationEvent::Leave { stage, frame, .. } => {
            let d = entered.elapsed();
            busy += d;
            frame_time += d;
            if stage == voxline_pipeline::simulate::Stage::Capture {
                worst = worst.max(frame_time);
                frame_time = Duration::ZERO;
                if frame % 10 == 0 {
                    bar.set_position(frame as u64);
                }
            }
        }
    })?;
    // The same call again with only the echo at the microphone (no talker, no noise): the
    // far end, network and loudspeaker are identical (deterministic), and what is left after
    // the echo canceller is residual echo alone, so its echo reduction is not capped by the
    // noise floor.
    let silent = vec![0.0f32; total];
    let echo_only = simulate_call_observed(
        &CallScenario {
            near_speech: &silent,
            noise: &[],
            ..scenario.clone()
        },
        &mut |event| {
            if let SimulationEvent::Leave { frame, frames, .. } = event {
                if frame % 10 == 0 {
                    bar.set_position((frames + frame) as u64);
                }
            }
        },
    )?;
    bar.finish_and_clear();
    let wall = started.elapsed();
    let frames = rec.frame_kinds.len().max(1);

    // Files.
    let out = opts.out;
    let proc = rec.processing_rate;
    let wavs: [(&str, SampleRate, &[f32], &str); 10] = [
        (
            "01_far_talker.wav",
            DEVICE_RATE,
            &far,
            "far-end talker (their microphone)",
        ),
        (
            "02_far_on_the_wire.wav",
            SampleRate::Hz8000,
            &rec.far_sent,
            "far end as sent: G.711, 8 kHz",
        ),
        (
            "03_loudspeaker.wav",
            DEVICE_RATE,
            &rec.render,
            "near-end loudspeaker: after network, jitter buffer and concealment",
        ),
        (
            "04_echo.wav",
            DEVICE_RATE,
            &rec.echo,
            "the loudspeaker's echo at the microphone",
        ),
        (
            "05_near_talker.wav",
            DEVICE_RATE,
            &near,
            "near-end talker at the microphone",
        ),
        (
            "06_noise.wav",
            DEVICE_RATE,
            &noise,
            "background noise at the microphone",
        ),
        (
            "07_microphone.wav",
            DEVICE_RATE,
            &rec.mic,
            "microphone: echo + talker + noise",
        ),
        (
            "08_after_echo_canceller.wav",
            proc,
            &rec.after_echo,
            "after the echo canceller",
        ),
        (
            "09_after_noise_suppressor.wav",
            proc,
            &rec.after_noise,
            "after the noise suppressor",
        ),
        (
            "10_sent.wav",
            SampleRate::Hz8000,
            &rec.sent,
            "sent to the far end (decoded G.711)",
        ),
    ];
    for (name, rate, samples, _) in &wavs {
        write_mono_wav(&out.join(name), rate.hz(), samples)?;
    }

    // Measurements.
    let send_latency = voxline_pipeline::SendPath::new(&config)?.latency_ms();
    let w = analyse(&rec, &near, &noise, send_latency);
    let echo_w = analyse(&echo_only, &silent, &silent, send_latency);
    let stats = rec.stats;
    let echo = stats.send.echo.unwrap_or_default();
    let far_on = FAR_START_S + 1.0;
    let aec_far = median(select(
        &echo_w,
        &echo_w.aec_reduction,
        Talk::FarOnly,
        far_on,
    ));
    let aec_first = median(
        select(&echo_w, &echo_w.aec_reduction, Talk::FarOnly, 0.0)
            .into_iter()
            .take(10)
            .collect(),
    );
    let path_far = median(select(
        &echo_w,
        &echo_w.path_reduction,
        Talk::FarOnly,
        far_on,
    ));
    let path_noisy = median(select(&w, &w.path_reduction, Talk::FarOnly, far_on));
    let noise_red = median(select(&w, &w.path_reduction, Talk::NoiseOnly, 1.0));
    let near_only = median(select(&w, &w.near_change, Talk::NearOnly, 0.0));
    let near_double = median(select(&w, &w.near_change, Talk::Double, 0.0));
    let j = stats.receive.jitter;
    let per_frame_us = busy.as_secs_f64() * 1e6 / frames as f64;
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    row(
        "network: packets received / lost / late",
        format!(
            "{} / {} / {}",
            j.packets_received, j.packets_lost, j.packets_late
        ),
    );
    row(
        "jitter buffer: mean / 95th pct buffering delay",
        format!(
            "{:.0} / {:.0} ms",
            j.mean_buffering_delay_ms, j.p95_buffering_delay_ms
        ),
    );
    row(
        "receive: frames concealed / stretched",
        format!(
            "{} ({:.1} %) / {}",
            stats.receive.concealed_frames,
            100.0 * stats.receive.concealed_frames as f64 / frames as f64,
            stats.receive.stretched_frames
        ),
    );
    row(
        "echo canceller: delay found",
        echo.delay_ms
            .map_or_else(|| "none".into(), |d| format!("{d:.1} ms")),
    );
    row(
        "echo reduction by the canceller, far-end single talk (median)",
        fmt_db(aec_far),
    );
    row("  in the first second of far-end speech", fmt_db(aec_first));
    row(
        "echo reduction, microphone to sent (+ noise suppressor)",
        fmt_db(path_far),
    );
    row(
        "  the same in the noisy call (the noise removed as well)",
        fmt_db(path_noisy),
    );
    row(
        "noise reduction in pauses, microphone to sent",
        fmt_db(noise_red),
    );
    row(
        "near-end level, sent vs talker: alone / in double talk",
        format!("{} / {}", fmt_db(near_only), fmt_db(near_double)),
    );
    row(
        "send-path latency (plus packetisation)",
        format!("{send_latency:.1} ms (+{ptime} ms)"),
    );
    row(
        "pipeline time per 10 ms frame (send + receive): mean / worst",
        format!("{per_frame_us:.0} us / {:.0} us", worst.as_secs_f64() * 1e6),
    );
    row(
        "calls per core at that cost",
        format!("{:.0}", 10_000.0 / per_frame_us.max(1e-3)),
    );
    outln!();
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in &rows {
        outln!("  {k:<width$}  {v}");
    }

    let report = report_html(
        &rec,
        &echo_w,
        &rows,
        &wavs.map(|(n, _, _, d)| (n, d)),
        &far,
        &near,
        seconds,
    );
    let report_path = out.join("report.html");
    write_atomic(&report_path, |f| {
        f.write_all(report.as_bytes()).map_err(|e| {
            CliError::bad_input(format!("cannot write {}: {e}", report_path.display()))
        })
    })?;
    outln!();
    outln!(
        "  wrote 10 WAV files and report.html to {} in {:.1} s",
        out.display(),
        wall.as_secs_f64()
    );
    Ok(())
}

fn describe_trace(trace: &voxline_netsim::Trace) -> String {
    let entries = trace.entries();
    let lost = entries.iter().filter(|e| e.arrival_ms.is_none()).count();
    let mut delays: Vec<f32> = entries
        .iter()
        .filter_map(|e| e.delay_ms())
        .map(|d| d as f32)
        .collect();
    delays.sort_by(f32::total_cmp);
    let pct = |q: f32| {
        delays
            .get(((delays.len() as f32 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    format!(
        "{} packets, {:.1} % lost, one-way delay {:.0} ms median, {:.0} ms 99th percentile",
        entries.len(),
        100.0 * lost as f64 / entries.len().max(1) as f64,
        pct(0.5),
        pct(0.99)
    )
}

fn series(w: &Windows, values: &[f32], keep: &[Talk]) -> Vec<(f32, f32)> {
    w.times
        .iter()
        .zip(values)
        .zip(&w.talk)
        .map(|((&t, &v), talk)| (t, if keep.contains(talk) { v } else { f32::NAN }))
        .collect()
}

fn report_html(
    rec: &CallRecording,
    echo_w: &Windows,
    rows: &[(String, String)],
    files: &[(&str, &str)],
    far: &[f32],
    near: &[f32],
    seconds: f32,
) -> String {
    let dev = DEVICE_RATE.hz();
    let proc = rec.processing_rate.hz();
    let mut h = String::new();
    h.push_str("<!doctype html><html><head><meta charset=\"utf-8\"><title>voxline demo</title><style>body{font-family:sans-serif;max-width:940px;margin:20px auto;color:#222}table{border-collapse:collapse}td{padding:2px 10px;border-bottom:1px solid #eee}h2{margin-top:28px}svg{display:block;margin:6px 0}</style></head><body>");
    h.push_str("<h1>voxline demo: a simulated call</h1><p>Far-end speech crosses a simulated network into the near end's pipeline (jitter buffer, concealment, loudspeaker); a simulated office room returns the loudspeaker to the microphone as echo, with the near-end talker (from 7 s) and fan noise; the send path cancels the echo, suppresses the noise and encodes what is sent back. All from bundled files, deterministic.</p><h2>Summary</h2><table>");
    for (k, v) in rows {
        let _ = write!(h, "<tr><td>{k}</td><td><b>{v}</b></td></tr>");
    }
    h.push_str("</table><h2>Receive path</h2>");
    let to_points = |v: &[f32]| -> Vec<(f32, f32)> {
        v.iter()
            .enumerate()
            .map(|(k, &x)| (k as f32 * 0.01, x))
            .collect()
    };
    let delay = to_points(&rec.jitter_delay_ms);
    let target = to_points(&rec.jitter_target_ms);
    let concealed: Vec<(f32, f32)> = rec
        .frame_kinds
        .iter()
        .enumerate()
        .map(|(k, kind)| {
            (
                k as f32 * 0.01,
                if *kind == FrameKind::Concealed {
                    5.0
                } else {
                    f32::NAN
                },
            )
        })
        .collect();
    let top = rec
        .jitter_delay_ms
        .iter()
        .chain(&rec.jitter_target_ms)
        .fold(50.0f32, |a, &b| a.max(b));
    h.push_str(&plot::lines(
        "jitter buffer delay over time (concealed frames marked at the bottom)",
        seconds,
        (0.0, (top / 40.0).ceil() * 40.0),
        "ms",
        &[
            Series {
                name: "playout delay",
                color: "#1f77b4",
                points: &delay,
            },
            Series {
                name: "target",
                color: "#ff7f0e",
                points: &target,
            },
            Series {
                name: "concealed",
                color: "#d62728",
                points: &concealed,
            },
        ],
    ));
    h.push_str(&plot::waveform(
        "far end as sent (G.711, 8 kHz)",
        &rec.far_sent,
        8000,
        seconds,
        "#555",
    ));
    h.push_str(&plot::waveform(
        "near-end loudspeaker",
        &rec.render,
        dev,
        seconds,
        "#1f77b4",
    ));
    h.push_str("<h2>Send path</h2>");
    let aec = series(echo_w, &echo_w.aec_reduction, &[Talk::FarOnly]);
    let path = series(echo_w, &echo_w.path_reduction, &[Talk::FarOnly]);
    let internal: Vec<(f32, f32)> = rec
        .erle_db
        .iter()
        .enumerate()
        .step_by(5)
        .map(|(k, &v)| (k as f32 * 0.01, v))
        .collect();
    h.push_str(&plot::lines(
        "echo reduction over time (100 ms windows of far-end speech, echo-only run; AEC's own estimate in the full call)",
        seconds,
        (0.0, 80.0),
        "dB",
        &[
            Series {
                name: "canceller",
                color: "#2ca02c",
                points: &aec,
            },
            Series {
                name: "mic to sent",
                color: "#9467bd",
                points: &path,
            },
            Series {
                name: "AEC estimate",
                color: "#aaa",
                points: &internal,
            },
        ],
    ));
    h.push_str(&plot::waveform(
        "far-end talker (reference)",
        far,
        dev,
        seconds,
        "#999",
    ));
    h.push_str(&plot::waveform(
        "near-end talker (reference)",
        near,
        dev,
        seconds,
        "#999",
    ));
    h.push_str(&plot::waveform(
        "microphone: echo + near-end talker + noise",
        &rec.mic,
        dev,
        seconds,
        "#d62728",
    ));
    h.push_str(&plot::waveform(
        "after the echo canceller",
        &rec.after_echo,
        proc,
        seconds,
        "#2ca02c",
    ));
    h.push_str(&plot::waveform(
        "after the noise suppressor",
        &rec.after_noise,
        proc,
        seconds,
        "#2ca02c",
    ));
    h.push_str(&plot::waveform(
        "sent (decoded G.711)",
        &rec.sent,
        8000,
        seconds,
        "#1f77b4",
    ));
    h.push_str("<h2>Listen</h2><table>");
    for (name, what) in files {
        let _ = write!(h, "<tr><td>{what}</td><td><audio controls preload=\"none\" src=\"{name}\"></audio></td><td><a href=\"{name}\">{name}</a></td></tr>");
    }
    h.push_str("</table></body></html>\n");
    h
}
