//! `voxline ns`: suppress background noise in a recording with `voxline-ns`.
//!
//! The output has the input's rate and length and is aligned with it: the suppressor's 10 ms
//! latency, which a live stream pays, is removed for a file. The summary reports the frames
//! the suppressor judged to hold speech (speech probability above one half) and the level
//! change between input and output.

use crate::error::{CliError, CliResult};
use crate::files::{check_wav_output, read_input, require_mono_input, write_mono_wav};
use std::path::Path;
use voxline_core::{Latency, SampleRate};
use voxline_ns::{NoiseSuppressor, NsConfig};

/// Options of `voxline ns`.
pub struct NsArgs<'a> {
    /// Input WAV.
    pub input: &'a Path,
    /// Output WAV.
    pub output: &'a Path,
    /// Maximum attenuation in dB (6 to 30).
    pub max_attenuation_db: f32,
}

/// Root-mean-square level of `x` in dBFS (-inf for digital silence).
fn level_db(x: &[f32]) -> f64 {
    let energy: f64 = x.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    10.0 * (energy / x.len().max(1) as f64).log10()
}

/// Runs `voxline ns`.
pub fn run(args: &NsArgs<'_>) -> CliResult {
    let (input, output) = (args.input, args.output);
    // 1. Arguments and the output path, before any work.
    let config = NsConfig::with_max_attenuation_db(args.max_attenuation_db);
    config
        .validate()
        .map_err(|e| CliError::bad_input(format!("--max-attenuation-db: {e}")))?;
    check_wav_output(output, &[input])?;

    // 2. Input.
    let audio = read_input(input, None, 8000)?;
    require_mono_input(input, &audio, "ns", "mono audio", audio.sample_rate)?;
    let rate = SampleRate::from_hz(audio.sample_rate).map_err(|_| {
        CliError::bad_input(format!(
            "{}: {} Hz is not supported (8000, 16000, 32000, 44100 or 48000 Hz); resample it \
             first, e.g. voxline resample --rate 16000 {} in-16k.wav",
            input.display(),
            audio.sample_rate,
            input.display()
        ))
    })?;
    let pcm = audio.to_f32();

    // 3. Suppression, frame by frame as a live stream would run it, with the latency removed.
    let mut ns = NoiseSuppressor::new(rate, config)?;
    let hop = ns.frame_len();
    let latency = ns.latency_samples();
    let frames = (pcm.len() + latency).div_ceil(hop);
    let mut padded = vec![0.0f32; frames * hop];
    padded[..pcm.len()].copy_from_slice(&pcm);
    let mut out = vec![0.0f32; padded.len()];
    let mut speech_frames = 0usize;
    for (x, y) in padded.chunks_exact(hop).zip(out.chunks_exact_mut(hop)) {
        ns.process(x, y)?;
        speech_frames += usize::from(ns.speech_probability() > 0.5);
    }
    out.drain(..latency);
    out.truncate(pcm.len());

    // 4. Output.
    write_mono_wav(output, rate.hz(), &out)?;
    let seconds = pcm.len() as f64 / f64::from(rate.hz());
    outln!(
        "voxline ns: {} ({} Hz, {seconds:.2} s), max attenuation {} dB",
        input.display(),
        rate.hz(),
        config.max_attenuation_db
    );
    let (level_in, level_out) = (level_db(&pcm), level_db(&out));
    let change = if level_in.is_finite() && level_out.is_finite() {
        format!("{:+.1} dB", level_out - level_in)
    } else {
        "n/a (silent)".to_string()
    };
    outln!(
        "  {speech_frames} of {frames} frames of 10 ms judged speech; level {level_in:.1} dBFS in, \
         {level_out:.1} dBFS out ({change})"
    );
    outln!(
        "  latency {:.2} ms ({latency} samples) in a live stream; the output is aligned with the \
         input",
        latency as f64 * 1000.0 / f64::from(rate.hz())
    );
    outln!("  wrote {}", output.display());
    Ok(())
}
