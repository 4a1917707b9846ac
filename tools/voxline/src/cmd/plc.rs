//! `voxline plc`: conceal lost packets in a recording with one of the PLC modes, or check
//! G.711 Appendix I against the ITU-T reference vectors (`--conformance DIR`).
//!
//! The loss mask is JSON: a list of 0-based lost packet indices, or an object whose
//! `lost_frames` member is that list (the conformance set's pattern format). Indices count
//! packets of `--frame-ms`: at 20 ms, index k means 10 ms frames 2k and 2k+1 are lost.
//!
//! The conformance check reads `manifest.json` (key `g711_plc`) of a directory laid out like
//! the project's conformance set. Every vector is run through
//! [`conceal_recording`] at 8 kHz and compared sample by sample, as 16-bit integers, with the
//! reference output; a vector passes when no sample differs by more than 1. The one vector made
//! with `g711iplc -noplc` (silence insertion through the tool's 30-sample delay line, delay
//! removed, no overlap-add) has a reference equal to the input with the lost frames zeroed, so
//! it is checked against [`PlcMode::Zero`]: that verifies the alignment and the mask handling.

use crate::cmd::netsim::check_packet_ms;
use crate::error::{CliError, CliResult};
use crate::files::{check_wav_output, read_input, require_mono_input, write_mono_wav};
use serde_json::Value;
use std::path::{Path, PathBuf};
use voxline_core::{Latency, SampleRate};
use voxline_plc::{
    conceal_recording, conceal_recording_with_lookahead, PacketLossConcealer, PlcMode,
};

/// Largest |difference| (in 16-bit LSB) with the reference for which a vector passes.
pub const CONFORMANCE_TOLERANCE: u32 = 1;

/// Options of `voxline plc`, as given on the command line (checked by [`run`]).
pub struct PlcArgs<'a> {
    /// Loss mask (JSON).
    pub loss: Option<&'a Path>,
    /// Packet duration in ms: the unit of the mask's indices.
    pub frame_ms: Option<u32>,
    /// Concealment mode name (default `voxline`).
    pub mode: Option<&'a str>,
    /// Conceal gaps knowing the audio after them (`--lookahead`).
    pub lookahead: bool,
    /// Conformance directory: run the Appendix I check instead.
    pub conformance: Option<&'a Path>,
    /// Input WAV.
    pub input: Option<&'a Path>,
    /// Output WAV.
    pub output: Option<&'a Path>,
}

/// Runs `voxline plc`.
pub fn run(args: &PlcArgs<'_>) -> CliResult {
    if let Some(dir) = args.conformance {
        let extra = [
            (args.loss.is_some(), "--loss"),
            (args.frame_ms.is_some(), "--frame-ms"),
            (args.mode.is_some(), "--mode"),
            (args.lookahead, "--lookahead"),
            (
                args.input.is_some() || args.output.is_some(),
                "IN.wav OUT.wav",
            ),
        ];
        if let Some((_, what)) = extra.iter().find(|(given, _)| *given) {
            return Err(CliError::bad_input(format!(
                "--conformance runs the reference vectors on its own; it takes no {what}"
            )));
        }
        return conformance(dir);
    }
    let usage = "voxline plc --loss MASK.json --frame-ms 10|20|30 [--mode M] IN.wav OUT.wav";
    let (Some(input), Some(output)) = (args.input, args.output) else {
        return Err(CliError::bad_input(format!(
            "plc needs an input and an output WAV: {usage}"
        )));
    };
    let Some(loss) = args.loss else {
        return Err(CliError::bad_input(format!(
            "plc needs --loss MASK.json (lost packet indices): {usage}"
        )));
    };
    let Some(frame_ms) = args.frame_ms else {
        return Err(CliError::bad_input(format!(
            "plc needs --frame-ms 10, 20 or 30 (the packet duration the mask counts in): {usage}"
        )));
    };
    let mode = parse_mode(args.mode.unwrap_or("voxline"))?;
    conceal_file(loss, frame_ms, mode, args.lookahead, input, output)
}

/// The mode named `name`, or a one-line error listing the modes.
pub fn parse_mode(name: &str) -> CliResult<PlcMode> {
    name.parse::<PlcMode>()
        .map_err(|e| CliError::bad_input(format!("--mode: {e}")))
}

/// A loss mask: the lost packet indices (sorted, without duplicates) and the packet
/// duration the file declares, if any.
#[derive(Debug)]
pub struct Mask {
    /// Lost packet indices.
    pub lost: Vec<u64>,
    /// `frame_ms` member of an object mask.
    pub frame_ms: Option<u64>,
}

/// Parses mask JSON text; `what` names the file in errors.
pub fn parse_mask(what: &str, text: &str) -> CliResult<Mask> {
    let bad = |msg: String| CliError::bad_input(format!("{what}: {msg}"));
    let value: Value = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "not valid JSON ({e}); expected a list of lost frame indices"
        ))
    })?;
    let (list, frame_ms) =
        match &value {
            Value::Array(list) => (list, None),
            Value::Object(map) => {
                let list = match map.get("lost_frames") {
                    Some(Value::Array(list)) => list,
                    Some(_) => return Err(bad("\"lost_frames\" is not a list".into())),
                    None => {
                        return Err(bad(
                            "object has no \"lost_frames\" list of lost frame indices".into(),
                        ))
                    }
                };
                let frame_ms =
                    match map.get("frame_ms") {
                        None | Some(Value::Null) => None,
                        Some(v) => Some(v.as_u64().ok_or_else(|| {
                            bad(format!("\"frame_ms\" {v} is not a whole number"))
                        })?),
                    };
                (list, frame_ms)
            }
            _ => return Err(bad(
                "expected a list of lost frame indices, or an object with a \"lost_frames\" list"
                    .into(),
            )),
        };
    let mut lost = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let k = v.as_u64().ok_or_else(|| {
            bad(format!(
                "entry {i} ({v}) is not a frame index (a whole number, 0 or more)"
            ))
        })?;
        lost.push(k);
    }
    lost.sort_unstable();
    lost.dedup();
    Ok(Mask { lost, frame_ms })
}

/// Reads and parses the mask file `path`.
pub fn read_mask(path: &Path) -> CliResult<Mask> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
    parse_mask(&path.display().to_string(), &text)
}

/// Expands lost packets of `per` 10 ms frames each into per-10-ms flags for `frames10` frames.
/// Returns the flags and how many indices lay beyond the end.
pub fn lost_flags(lost: &[u64], per: usize, frames10: usize) -> (Vec<bool>, usize) {
    let mut flags = vec![false; frames10];
    let mut beyond = 0;
    for &k in lost {
        let first = usize::try_from(k)
            .ok()
            .and_then(|k| k.checked_mul(per))
            .filter(|&f| f < frames10);
        match first {
            Some(f) => flags[f..(f + per).min(frames10)].fill(true),
            None => beyond += 1,
        }
    }
    (flags, beyond)
}

/// Samples as 16-bit integers the way the reference tool stores them: `(x * 32768) as i16`.
fn to_i16_trunc(x: &[f32]) -> Vec<i16> {
    x.iter().map(|&s| (s * 32768.0) as i16).collect()
}

fn conceal_file(
    loss: &Path,
    frame_ms: u32,
    mode: PlcMode,
    lookahead: bool,
    input: &Path,
    output: &Path,
) -> CliResult {
    // 1. Arguments and the output path, before any work.
    check_packet_ms("--frame-ms", frame_ms)?;
    check_wav_output(output, &[input])?;

    // 2. Inputs.
    let mask = read_mask(loss)?;
    if let Some(ms) = mask.frame_ms.filter(|&ms| ms != u64::from(frame_ms)) {
        return Err(CliError::bad_input(format!(
            "{}: the mask counts {ms} ms frames but --frame-ms is {frame_ms}",
            loss.display()
        )));
    }
    let audio = read_input(input, None, 8000)?;
    require_mono_input(input, &audio, "plc", "mono audio", audio.sample_rate)?;
    let rate = plc_rate(input, audio.sample_rate)?;
    let pcm = audio.to_f32();

    // 3. Concealment.
    let per = (frame_ms / 10) as usize;
    let frame10 = rate.samples_per_10ms();
    let frames10 = pcm.len() / frame10;
    let packets = frames10.div_ceil(per);
    let (flags, beyond) = lost_flags(&mask.lost, per, frames10);
    if beyond > 0 {
        eprintln!(
            "voxline: warning: {}: ignored {beyond} lost frame {} beyond the end of {} ({packets} \
             frames of {frame_ms} ms)",
            loss.display(),
            if beyond == 1 { "index" } else { "indices" },
            input.display()
        );
    }
    let lost_packets = mask.lost.len() - beyond;
    let latency = PacketLossConcealer::new(rate, mode)?.latency_samples();
    let out = if lookahead {
        conceal_recording_with_lookahead(rate, mode, &pcm, &flags)?
    } else {
        conceal_recording(rate, mode, &pcm, &flags)?
    };

    // 4. Output.
    write_mono_wav(output, rate.hz(), &out)?;
    let percent = if packets == 0 {
        0.0
    } else {
        100.0 * lost_packets as f64 / packets as f64
    };
    outln!(
        "voxline plc: {} ({} Hz, {:.2} s), mode {mode}: {packets} frames of {frame_ms} ms, \
         {lost_packets} lost ({percent:.2} %)",
        input.display(),
        rate.hz(),
        pcm.len() as f64 / f64::from(rate.hz())
    );
    outln!(
        "  latency {:.2} ms ({latency} samples) in a live stream; the output is aligned with the \
         input",
        latency as f64 * 1000.0 / f64::from(rate.hz())
    );
    outln!("  wrote {}", output.display());
    Ok(())
}

/// The input's rate, if PLC runs at it (8, 16, 32 or 48 kHz).
fn plc_rate(input: &Path, hz: u32) -> CliResult<SampleRate> {
    let rate = SampleRate::from_hz(hz)
        .ok()
        .filter(|&r| r != SampleRate::Hz44100);
    rate.ok_or_else(|| {
        let to = if hz > 32_000 { 48_000 } else { 16_000 };
        CliError::bad_input(format!(
            "{}: {hz} Hz is not supported by PLC (8000, 16000, 32000 or 48000 Hz); resample it \
             first, e.g. voxline resample --rate {to} {} in-{}k.wav",
            input.display(),
            input.display(),
            to / 1000
        ))
    })
}

/// One reference vector of the manifest.
struct Vector {
    name: String,
    input: PathBuf,
    pattern: PathBuf,
    output: PathBuf,
    silence_insertion: bool,
}

/// What one vector gave.
struct Outcome {
    lost: usize,
    differing: usize,
    max_diff: u32,
}

/// The conformance root (holding `manifest.json`) for `dir`: `dir` itself, or its parent when
/// `dir` is the `g711_plc` folder.
fn conformance_root(dir: &Path) -> CliResult<PathBuf> {
    if !dir.is_dir() {
        return Err(CliError::bad_input(format!(
            "{}: no such directory (give the conformance set's root or its g711_plc folder)",
            dir.display()
        )));
    }
    if dir.join("manifest.json").is_file() {
        return Ok(dir.to_path_buf());
    }
    let parent = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.parent().map(Path::to_path_buf));
    match parent {
        Some(p) if p.join("manifest.json").is_file() => Ok(p),
        _ => Err(CliError::bad_input(format!(
            "{}: no manifest.json here or in the parent directory (give the conformance set's \
             root or its g711_plc folder)",
            dir.display()
        ))),
    }
}

/// Reads the `g711_plc` list of `root/manifest.json`.
fn read_manifest(root: &Path) -> CliResult<Vec<Vector>> {
    let path = root.join("manifest.json");
    let bad = |msg: String| CliError::bad_input(format!("{}: {msg}", path.display()));
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    let list = match value.get("g711_plc") {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad("\"g711_plc\" is not a list of vectors".into())),
        None => return Err(bad("has no \"g711_plc\" list of vectors".into())),
    };
    if list.is_empty() {
        return Err(bad("the \"g711_plc\" list is empty".into()));
    }
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = |key: &str| -> CliResult<&str> {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("g711_plc entry {i} has no \"{key}\" string")))
            };
            let (input, pattern) = (field("input")?, field("pattern_json")?);
            let (output, command) = (field("output")?, field("command")?);
            let name = match entry.get("name").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => Path::new(output)
                    .file_stem()
                    .map_or_else(|| format!("vector {i}"), |s| s.to_string_lossy().into()),
            };
            Ok(Vector {
                name,
                input: root.join(input),
                pattern: root.join(pattern),
                output: root.join(output),
                silence_insertion: command.split_whitespace().any(|w| w == "-noplc"),
            })
        })
        .collect()
}

/// Reads an 8 kHz mono WAV of the conformance set.
fn read_vector_wav(path: &Path) -> CliResult<voxline_wav::Audio> {
    let audio = read_input(path, None, 8000)?;
    if audio.channels != 1 || audio.sample_rate != 8000 {
        return Err(CliError::bad_input(format!(
            "{}: expected 8000 Hz mono, found {} Hz with {} channels",
            path.display(),
            audio.sample_rate,
            audio.channels
        )));
    }
    Ok(audio)
}

fn run_vector(v: &Vector) -> CliResult<Outcome> {
    let input = read_vector_wav(&v.input)?;
    let mask = read_mask(&v.pattern)?;
    if let Some(ms) = mask.frame_ms.filter(|&ms| ms != 10) {
        return Err(CliError::bad_input(format!(
            "{}: the reference tool works on 10 ms frames, the pattern says {ms} ms",
            v.pattern.display()
        )));
    }
    let reference = read_vector_wav(&v.output)?.to_i16();
    let pcm = input.to_f32();
    let frames10 = pcm.len() / SampleRate::Hz8000.samples_per_10ms();
    let (flags, _) = lost_flags(&mask.lost, 1, frames10);
    let mode = if v.silence_insertion {
        PlcMode::Zero
    } else {
        PlcMode::AppendixI
    };
    let ours = to_i16_trunc(&conceal_recording(SampleRate::Hz8000, mode, &pcm, &flags)?);
    let mut differing = ours.len().abs_diff(reference.len());
    let mut max_diff = if differing > 0 { u32::MAX } else { 0 };
    for (&a, &b) in ours.iter().zip(&reference) {
        let d = u32::from(a.abs_diff(b));
        if d > 0 {
            differing += 1;
            max_diff = max_diff.max(d);
        }
    }
    Ok(Outcome {
        lost: flags.iter().filter(|&&l| l).count(),
        differing,
        max_diff,
    })
}

fn conformance(dir: &Path) -> CliResult {
    let root = conformance_root(dir)?;
    let vectors = read_manifest(&root)?;
    outln!(
        "voxline plc --conformance {}: G.711 Appendix I at 8 kHz against {} reference vectors \
         (pass: max |diff| <= {CONFORMANCE_TOLERANCE})",
        root.display(),
        vectors.len()
    );
    let width = vectors.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let (mut passed, mut failed, mut skipped) = (0usize, Vec::new(), 0usize);
    let (mut total_lost, mut total_diff) = (0usize, 0usize);
    for v in &vectors {
        let missing = [&v.input, &v.pattern, &v.output]
            .into_iter()
            .find(|p| !p.is_file());
        if let Some(path) = missing {
            skipped += 1;
            outln!("  {:<width$}  skipped (missing {})", v.name, path.display());
            continue;
        }
        let o = run_vector(v)?;
        total_lost += o.lost;
        total_diff += o.differing;
        let ok = o.max_diff <= CONFORMANCE_TOLERANCE;
        let max = if o.max_diff == u32::MAX {
            "length differs".to_string()
        } else {
            o.max_diff.to_string()
        };
        outln!(
            "  {:<width$}  {:>4} lost frames  {:>6} differing samples  max |diff| {max:>5}  {}{}",
            v.name,
            o.lost,
            o.differing,
            if ok { "ok" } else { "FAIL" },
            if v.silence_insertion {
                " (silence-insertion reference: zero mode)"
            } else {
                ""
            }
        );
        if ok {
            passed += 1;
        } else {
            failed.push(v.name.clone());
        }
    }
    let run = passed + failed.len();
    outln!(
        "  total: {run} vectors run, {passed} passed, {} failed, {skipped} skipped; {total_lost} \
         lost frames, {total_diff} differing samples",
        failed.len()
    );
    if run == 0 {
        return Err(CliError::bad_input(format!(
            "{}: none of the {} vectors' files were found",
            root.display(),
            vectors.len()
        )));
    }
    if !failed.is_empty() {
        return Err(CliError::mismatch(format!(
            "{} of {run} PLC vectors differ from the reference by more than \
             {CONFORMANCE_TOLERANCE} (first: {})",
            failed.len(),
            failed[0]
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_parse_in_both_forms() {
        let m = parse_mask("m", "[3, 1, 3, 0]").unwrap();
        assert_eq!(m.lost, vec![0, 1, 3]);
        assert_eq!(m.frame_ms, None);
        let m = parse_mask("m", r#"{"frame_ms": 10, "lost_frames": [5]}"#).unwrap();
        assert_eq!(m.lost, vec![5]);
        assert_eq!(m.frame_ms, Some(10));
        for bad in [
            "[-1]",
            "[1.5]",
            "[\"2\"]",
            "{}",
            "{\"lost_frames\": 3}",
            "7",
            "[",
            "",
        ] {
            assert!(parse_mask("m", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn packets_expand_to_10ms_frames() {
        let (f, beyond) = lost_flags(&[0, 2, 9, u64::MAX], 2, 5);
        assert_eq!(f, vec![true, true, false, false, true]);
        assert_eq!(beyond, 2);
        let (f, beyond) = lost_flags(&[1], 3, 7);
        assert_eq!(f, vec![false, false, false, true, true, true, false]);
        assert_eq!(beyond, 0);
    }
}
