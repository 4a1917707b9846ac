//! `voxline jitter`: replay a packet trace through the adaptive jitter buffer and report what
//! a listener would get (late loss, delay, time-stretching, webrtc-stats counters).

use crate::cmd::demo::{SPEECH, SPEECH_NAME};
use crate::cmd::netsim::{check_packet_ms, ms_or_na, MAX_SECONDS, ORACLE_LATE_FRACTION};
use crate::error::{CliError, CliResult};
use crate::files::{
    check_writable, container_of, read_input, require_mono_input, stage, Container,
};
use serde_json::{json, Value};
use std::fs::File;
use std::io::{Cursor, Write};
use std::path::Path;
use voxline_core::SampleRate;
use voxline_frontend::convert::f32_to_i16_slice;
use voxline_frontend::resample_all;
use voxline_jitter::replay::{replay, ReplayConfig, ReplayReport, TracePacket};
use voxline_jitter::JitterStats;
use voxline_netsim::{oracle_delay_ms, Trace};
use voxline_wav::write_pcm16_wav;

/// Largest time accepted in a trace, in ms (about 31 years): the replay steps its clock by
/// 10 ms, which must stay exact in an f64.
const MAX_TIME_MS: f64 = 1e12;

/// The bundled speech recording at the 8 kHz call rate.
pub fn bundled_speech_8k() -> CliResult<Vec<f32>> {
    let audio = voxline_wav::read_audio(Cursor::new(SPEECH))
        .map_err(|e| CliError::bad_input(format!("bundled speech: {e}")))?;
    let rate = SampleRate::from_hz(audio.sample_rate)?;
    Ok(resample_all(
        rate,
        SampleRate::Hz8000,
        &audio.to_mono_f32(),
    )?)
}

/// Reads speech for the replay from `path`: mono, any supported rate (resampled to 8 kHz).
fn read_speech_8k(path: &Path) -> CliResult<Vec<f32>> {
    let audio = read_input(path, None, 8000)?;
    require_mono_input(path, &audio, "jitter", "mono speech", 8000)?;
    let rate = SampleRate::from_hz(audio.sample_rate)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    let pcm = audio.to_f32();
    if rate == SampleRate::Hz8000 {
        Ok(pcm)
    } else {
        Ok(resample_all(rate, SampleRate::Hz8000, &pcm)?)
    }
}

/// Reads and checks a trace file: valid JSON of the trace format, at least one packet, times
/// within a day of each other.
pub fn read_trace(path: &Path) -> CliResult<Trace> {
    let file = File::open(path)
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let trace = Trace::from_json_reader(file)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    let bad = |msg: String| Err(CliError::bad_input(format!("{}: {msg}", path.display())));
    if trace.is_empty() {
        return bad("trace has no packets".into());
    }
    let times = trace
        .entries()
        .iter()
        .flat_map(|e| std::iter::once(e.send_ms).chain(e.arrival_ms));
    let (lo, hi) = times.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
        (lo.min(t), hi.max(t))
    });
    if hi > MAX_TIME_MS {
        return bad(format!("trace time {hi} ms is beyond {MAX_TIME_MS} ms"));
    }
    if hi - lo > MAX_SECONDS * 1000.0 {
        return bad(format!(
            "trace spans {:.0} s; voxline jitter replays at most {MAX_SECONDS} s",
            (hi - lo) / 1000.0
        ));
    }
    Ok(trace)
}

/// The trace in the replay harness's form.
///
/// The harness stamps packet `seq` with RTP timestamp `seq * samples_per_packet`, so it needs
/// packet numbers that keep counting. A trace of 16-bit RTP sequence numbers (all below 65536)
/// that wrap is therefore unwrapped here, in trace order, as a receiver extends sequence
/// numbers (RFC 3550, A.1); the extended numbers are congruent to the given ones modulo 65536,
/// and for a trace that does not wrap they are the given ones. Traces with larger numbers
/// (simulated packet indices) are passed as they are.
pub fn packets(trace: &Trace) -> Vec<TracePacket> {
    let entries = trace.entries();
    let rtp = entries.iter().all(|e| e.seq < 1 << 16);
    let mut seqs: Vec<i64> = Vec::with_capacity(entries.len());
    if rtp {
        let mut last: Option<(u16, i64)> = None;
        for e in entries {
            let s16 = e.seq as u16;
            let ext = match last {
                None => i64::from(s16),
                Some((prev, prev_ext)) => prev_ext + i64::from(s16.wrapping_sub(prev) as i16),
            };
            // Follow the newest packet, so a late one does not drag the reference back.
            if last.is_none_or(|(_, prev_ext)| ext > prev_ext) {
                last = Some((s16, ext));
            }
            seqs.push(ext);
        }
        // Keep them non-negative, still congruent modulo 65536.
        let lowest = seqs.iter().copied().min().unwrap_or(0);
        if lowest < 0 {
            let shift = (-lowest + 0xFFFF) / 0x1_0000 * 0x1_0000;
            seqs.iter_mut().for_each(|s| *s += shift);
        }
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| TracePacket {
            seq: if rtp { seqs[i] as u64 } else { e.seq },
            send_ms: e.send_ms,
            arrival_ms: e.arrival_ms,
        })
        .collect()
}

/// Gives the playout entries the trace's own packet numbers (undoes the unwrapping of
/// [`packets`]).
fn restore_trace_seqs(trace: &Trace, report: &mut ReplayReport) {
    if trace.entries().iter().all(|e| e.seq < 1 << 16) {
        report.playout.iter_mut().for_each(|p| p.0 &= 0xFFFF);
    }
}

/// The replay settings for `packet_ms` packets and optional delay bounds.
pub fn replay_config(
    packet_ms: u32,
    min_delay_ms: Option<u32>,
    max_delay_ms: Option<u32>,
) -> CliResult<ReplayConfig> {
    let mut config = ReplayConfig {
        packet_ms,
        ..ReplayConfig::default()
    };
    if let Some(max) = max_delay_ms {
        config.jitter.max_delay_ms = max;
        // The start-up delay must fit under the bound the user asked for.
        config.jitter.initial_delay_ms = config.jitter.initial_delay_ms.min(max);
    }
    if let Some(min) = min_delay_ms {
        config.jitter.min_delay_ms = min;
    }
    config
        .jitter
        .validate()
        .map_err(|e| CliError::bad_input(format!("--min-delay-ms / --max-delay-ms: {e}")))?;
    Ok(config)
}

/// Every field of [`JitterStats`], by its name, as JSON numbers.
pub fn stats_fields(s: &JitterStats) -> Vec<(&'static str, Value)> {
    vec![
        ("packets_received", json!(s.packets_received)),
        ("packets_lost", json!(s.packets_lost)),
        ("packets_late", json!(s.packets_late)),
        ("packets_discarded", json!(s.packets_discarded)),
        ("packets_duplicated", json!(s.packets_duplicated)),
        ("packets_invalid", json!(s.packets_invalid)),
        ("samples_played", json!(s.samples_played)),
        ("concealed_samples", json!(s.concealed_samples)),
        ("concealed_lost_samples", json!(s.concealed_lost_samples)),
        ("late_outage_samples", json!(s.late_outage_samples)),
        ("concealment_events", json!(s.concealment_events)),
        ("comfort_noise_samples", json!(s.comfort_noise_samples)),
        ("silence_samples", json!(s.silence_samples)),
        (
            "inserted_samples_for_deceleration",
            json!(s.inserted_samples_for_deceleration),
        ),
        (
            "removed_samples_for_acceleration",
            json!(s.removed_samples_for_acceleration),
        ),
        ("resyncs", json!(s.resyncs)),
        ("current_delay_ms", json!(s.current_delay_ms)),
        ("target_delay_ms", json!(s.target_delay_ms)),
        ("estimated_skew_ppm", json!(s.estimated_skew_ppm)),
        ("buffered_ms", json!(s.buffered_ms)),
        ("mean_buffering_delay_ms", json!(s.mean_buffering_delay_ms)),
        ("p95_buffering_delay_ms", json!(s.p95_buffering_delay_ms)),
        ("packets_played", json!(s.packets_played)),
    ]
}

/// A JSON number as a table cell: integers as they are, other numbers with two decimals.
fn cell(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_f64() => {
            n.as_f64().map_or_else(String::new, |x| format!("{x:.2}"))
        }
        other => other.to_string(),
    }
}

/// JSON text of a finite number (`null` otherwise), exact on reading back.
fn num(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_else(|_| "null".into())
}

/// The report: pretty JSON, with `playout` last and one `[seq, t_ms]` pair per line.
fn report_json(
    trace_path: &Path,
    config: &ReplayConfig,
    report: &ReplayReport,
    oracle: Option<f64>,
) -> CliResult<String> {
    let stats: serde_json::Map<String, Value> = stats_fields(&report.stats)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let head = json!({
        "trace": trace_path.display().to_string(),
        "packet_ms": config.packet_ms,
        "jitter_config": {
            "min_delay_ms": config.jitter.min_delay_ms,
            "max_delay_ms": config.jitter.max_delay_ms,
        },
        "packets_sent": report.packets_sent,
        "packets_arrived": report.packets_arrived,
        "stats": stats,
        "late_loss": report.late_loss,
        "mean_delay_ms": report.mean_delay_ms,
        "p95_delay_ms": report.p95_delay_ms,
        "stretch_percent": report.stretch_percent,
        "oracle_delay_ms": oracle,
    });
    let text = serde_json::to_string_pretty(&head)
        .map_err(|e| CliError::bad_input(format!("cannot format the report: {e}")))?;
    let body = text
        .strip_suffix("\n}")
        .ok_or_else(|| CliError::bad_input("cannot format the report"))?;
    let mut out = String::with_capacity(body.len() + 32 * report.playout.len() + 32);
    out.push_str(body);
    out.push_str(",\n  \"playout\": [");
    for (i, &(seq, t)) in report.playout.iter().enumerate() {
        out.push_str(if i == 0 { "\n    [" } else { ",\n    [" });
        out.push_str(&seq.to_string());
        out.push_str(", ");
        out.push_str(&num(t));
        out.push(']');
    }
    out.push_str(if report.playout.is_empty() {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    });
    Ok(out)
}

/// Typical spacing of the send times (median of the gaps between distinct times), in ms.
fn send_interval_ms(trace: &Trace) -> Option<f64> {
    let mut sends: Vec<f64> = trace.entries().iter().map(|e| e.send_ms).collect();
    sends.sort_by(f64::total_cmp);
    sends.dedup();
    let mut gaps: Vec<f64> = sends.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f64::total_cmp);
    gaps.get(gaps.len() / 2).copied()
}

/// The part of the replayed audio the listener hears: up to the end of the last packet played
/// (plus one packet for any slow-down), without the drain time after it.
fn heard(report: &ReplayReport, start_ms: f64, packet_ms: u32) -> &[f32] {
    let end = report
        .playout
        .iter()
        .map(|&(_, t)| t)
        .fold(f64::NEG_INFINITY, f64::max);
    if !end.is_finite() {
        return &report.audio;
    }
    let ms = end - start_ms + 2.0 * f64::from(packet_ms);
    let samples = (ms.max(0.0) * 8.0).round() as usize;
    &report.audio[..samples.min(report.audio.len())]
}

/// Options of `voxline jitter`.
pub struct JitterArgs<'a> {
    /// Trace to replay.
    pub trace: &'a Path,
    /// Packet duration, ms.
    pub frame_ms: u32,
    /// JSON report output.
    pub out: Option<&'a Path>,
    /// Speech input and heard-audio output.
    pub audio: Option<(&'a Path, &'a Path)>,
    /// Lower bound of the target delay.
    pub min_delay_ms: Option<u32>,
    /// Upper bound of the target delay.
    pub max_delay_ms: Option<u32>,
}

/// Runs `voxline jitter`.
pub fn run(args: &JitterArgs<'_>) -> CliResult {
    // 1. Every argument and output path, before any work.
    check_packet_ms("--frame-ms", args.frame_ms)?;
    let config = replay_config(args.frame_ms, args.min_delay_ms, args.max_delay_ms)?;
    if let Some((_, wav)) = args.audio {
        if container_of(wav).ok() != Some(Container::Wav) {
            return Err(CliError::bad_input(format!(
                "{}: the heard audio is written as WAV; name it .wav",
                wav.display()
            )));
        }
        if args.out == Some(wav) {
            return Err(CliError::bad_input(format!(
                "{}: --out and the --audio output must be different files",
                wav.display()
            )));
        }
        check_writable(wav)?;
    }
    if let Some(out) = args.out {
        check_writable(out)?;
    }

    // 2. Inputs.
    let trace = read_trace(args.trace)?;
    let (speech, speech_name) = match args.audio {
        Some((input, _)) => (read_speech_8k(input)?, input.display().to_string()),
        None => (bundled_speech_8k()?, SPEECH_NAME.to_string()),
    };
    if let Some(gap) = send_interval_ms(&trace) {
        if (gap - f64::from(args.frame_ms)).abs() > 0.5 {
            eprintln!(
                "voxline: warning: {} sends a packet every {gap} ms but --frame-ms is {}",
                args.trace.display(),
                args.frame_ms
            );
        }
    }

    // 3. The replay.
    let mut report = replay(&packets(&trace), &speech, &config)?;
    restore_trace_seqs(&trace, &mut report);
    let oracle = oracle_delay_ms(&trace, ORACLE_LATE_FRACTION);

    // 4. Outputs: both staged completely before either is published.
    let wav = match args.audio {
        Some((_, path)) => {
            let start = trace
                .entries()
                .iter()
                .map(|e| e.send_ms)
                .fold(f64::INFINITY, f64::min);
            let audio = heard(&report, start, args.frame_ms);
            let mut pcm = vec![0i16; audio.len()];
            f32_to_i16_slice(audio, &mut pcm)?;
            let staged = stage(path, |w| {
                write_pcm16_wav(w, 8000, 1, &pcm).map_err(|e| {
                    CliError::bad_input(format!("cannot write {}: {e}", path.display()))
                })
            })?;
            Some((staged, pcm.len()))
        }
        None => None,
    };
    let json = match args.out {
        Some(path) => {
            let text = report_json(args.trace, &config, &report, oracle)?;
            Some(stage(path, |w| {
                w.write_all(text.as_bytes()).map_err(|e| {
                    CliError::bad_input(format!("cannot write {}: {e}", path.display()))
                })
            })?)
        }
        None => None,
    };
    let mut wrote = Vec::new();
    if let Some((staged, samples)) = wav {
        wrote.push(format!(
            "{} ({:.2} s heard at 8 kHz)",
            staged.path().display(),
            samples as f64 / 8000.0
        ));
        staged.commit()?;
    }
    if let Some(staged) = json {
        let path = staged.path().to_path_buf();
        if let Err(e) = staged.commit() {
            // Do not leave the audio written without its report.
            if let Some((_, wav)) = args.audio {
                let _ = std::fs::remove_file(wav);
            }
            return Err(e);
        }
        wrote.push(path.display().to_string());
    }

    print_report(args.trace, &speech_name, &config, &trace, &report, oracle);
    if !wrote.is_empty() {
        outln!("  wrote {}", wrote.join(" and "));
    }
    Ok(())
}

fn print_report(
    trace_path: &Path,
    speech_name: &str,
    config: &ReplayConfig,
    trace: &Trace,
    report: &ReplayReport,
    oracle: Option<f64>,
) {
    let t = trace.stats();
    outln!(
        "voxline jitter: {}, {} ms packets, speech {speech_name}",
        trace_path.display(),
        config.packet_ms
    );
    outln!(
        "  trace: {} packets, {} lost ({:.2} %), {} duplicates, {} reordered, one-way delay \
         mean {} ms, p95 {} ms, max {} ms",
        t.packets,
        t.lost,
        100.0 * t.loss_rate,
        t.duplicates,
        t.reordered,
        ms_or_na(t.mean_delay_ms),
        ms_or_na(t.p95_delay_ms),
        ms_or_na(t.max_delay_ms)
    );
    let rows = [
        (
            "packets sent / arrived".to_string(),
            format!("{} / {}", report.packets_sent, report.packets_arrived),
        ),
        (
            "late loss".to_string(),
            format!("{:.2} %", 100.0 * report.late_loss),
        ),
        (
            "delay, send to playout".to_string(),
            format!(
                "mean {:.1} ms, p95 {:.1} ms",
                report.mean_delay_ms, report.p95_delay_ms
            ),
        ),
        (
            "oracle fixed delay (1 % late)".to_string(),
            oracle.map_or_else(|| "n/a".into(), |o| format!("{o:.1} ms")),
        ),
        (
            "mean / oracle".to_string(),
            oracle.filter(|&o| o > 0.0).map_or_else(
                || "n/a".into(),
                |o| format!("{:.2}", report.mean_delay_ms / o),
            ),
        ),
        (
            "time-stretch".to_string(),
            format!("{:.2} % of samples played", report.stretch_percent),
        ),
    ];
    for (name, value) in rows {
        outln!("  {name:<34} {value}");
    }
    outln!("  jitter buffer statistics (webrtc-stats names):");
    for (name, value) in stats_fields(&report.stats) {
        outln!("    {name:<34} {:>10}", cell(&value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The report must carry every field of `JitterStats`: compare with its `Debug` output,
    /// which names them all.
    #[test]
    fn stats_fields_cover_every_jitter_stats_field() {
        let debug = format!("{:?}", JitterStats::default());
        let inner = debug
            .split_once('{')
            .and_then(|(_, rest)| rest.rsplit_once('}'))
            .map(|(inner, _)| inner)
            .expect("struct Debug output");
        let mut want: Vec<&str> = inner
            .split(',')
            .filter_map(|f| f.split_once(':').map(|(name, _)| name.trim()))
            .collect();
        let mut got: Vec<&str> = stats_fields(&JitterStats::default())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn report_json_is_valid_with_and_without_playout() {
        let config = ReplayConfig::default();
        let speech: Vec<f32> = (0..8000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let trace = [TracePacket {
            seq: 0,
            send_ms: 0.0,
            arrival_ms: Some(30.0),
        }];
        let mut report = replay(&trace, &speech, &config).unwrap();
        for playout in [vec![], vec![(1, 60.0), (2, 80.5)]] {
            report.playout = playout.clone();
            let text = report_json(Path::new("t.json"), &config, &report, None).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["playout"].as_array().unwrap().len(), playout.len());
            assert!(v["oracle_delay_ms"].is_null());
            assert_eq!(v["packet_ms"], 20);
        }
    }
}
