//! `voxline aec`: remove the far-end echo from a microphone recording.
//!
//! FAR.wav is what the loudspeaker played (the render signal), MIC.wav what the microphone
//! recorded at the same time (the capture signal); both mono, same rate (8, 16, 32 or
//! 48 kHz). They need not be aligned: the bulk delay between them is found automatically. The
//! output has the microphone's rate and length. A FAR shorter than MIC is padded with silence.

use crate::error::{CliError, CliResult};
use crate::files::{check_wav_output, read_input, require_mono_input, write_mono_wav};
use std::path::Path;
use voxline_aec::{EchoCanceller, EchoCancellerConfig};
use voxline_core::SampleRate;

/// Options of `voxline aec`, as given on the command line (checked by [`run`]).
pub struct AecArgs<'a> {
    /// Far-end (loudspeaker) WAV.
    pub far: &'a Path,
    /// Microphone WAV.
    pub mic: &'a Path,
    /// Output WAV.
    pub output: &'a Path,
    /// Echo tail length in ms.
    pub tail_ms: u32,
    /// Largest bulk delay searched, in ms.
    pub max_delay_ms: u32,
    /// Linear filter only (no residual-echo suppression or comfort noise).
    pub linear_only: bool,
}

/// Runs `voxline aec`.
pub fn run(args: &AecArgs<'_>) -> CliResult {
    // 1. Arguments and the output path, before any work.
    check_wav_output(args.output, &[args.far, args.mic])?;

    // 2. Inputs.
    let far = read_input(args.far, None, 8000)?;
    let mic = read_input(args.mic, None, 8000)?;
    require_mono_input(
        args.far,
        &far,
        "aec",
        "a mono far-end signal",
        far.sample_rate,
    )?;
    require_mono_input(
        args.mic,
        &mic,
        "aec",
        "a mono microphone signal",
        mic.sample_rate,
    )?;
    if far.sample_rate != mic.sample_rate {
        return Err(CliError::bad_input(format!(
            "{} is at {} Hz but {} is at {} Hz; the far end and the microphone must have the \
             same rate (convert one with voxline resample)",
            args.far.display(),
            far.sample_rate,
            args.mic.display(),
            mic.sample_rate
        )));
    }
    let rate = SampleRate::from_hz(mic.sample_rate)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.mic.display())))?;
    let mut config = EchoCancellerConfig::new(rate);
    config.tail_ms = args.tail_ms;
    config.max_delay_ms = args.max_delay_ms;
    config.residual_suppression = !args.linear_only;
    config.comfort_noise = !args.linear_only;
    let mut aec = EchoCanceller::new(config)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.mic.display())))?;

    // 3. Cancellation, 10 ms at a time; the last partial frame is padded and trimmed.
    let far = far.to_f32();
    let mic = mic.to_f32();
    let n = aec.frame_len();
    let frames = mic.len().div_ceil(n);
    let mut out = vec![0.0f32; frames * n];
    let mut render = vec![0.0f32; n];
    let mut capture = vec![0.0f32; n];
    for k in 0..frames {
        let r = k * n..(k + 1) * n;
        fill_padded(&mut render, &far, r.start);
        fill_padded(&mut capture, &mic, r.start);
        aec.process(&render, &capture, &mut out[r])?;
    }
    out.truncate(mic.len());
    let stats = aec.stats();

    // 4. Output.
    write_mono_wav(args.output, rate.hz(), &out)?;
    let delay = stats.delay_ms.map_or_else(
        || "not found (no far-end echo heard)".to_string(),
        |d| format!("{d:.1} ms"),
    );
    outln!(
        "voxline aec: {} ({} Hz, {:.2} s): echo delay {delay}, echo reduction {:.1} dB \
         (linear filter {:.1} dB) over far-end activity",
        args.mic.display(),
        rate.hz(),
        mic.len() as f64 / f64::from(rate.hz()),
        stats.erle_db,
        stats.linear_erle_db
    );
    if stats.delay_changes > 0 {
        outln!("  the delay changed {} times", stats.delay_changes);
    }
    if stats.echo_path_changes > 0 {
        outln!(
            "  the echo path changed {} times (the filter re-learnt it)",
            stats.echo_path_changes
        );
    }
    if stats.non_finite_samples > 0 {
        outln!(
            "  {} NaN/infinite samples were replaced by silence",
            stats.non_finite_samples
        );
    }
    outln!("wrote {}", args.output.display());
    Ok(())
}

/// Copies `src[start..start + dst.len()]` into `dst`, with zeros past the end of `src`.
fn fill_padded(dst: &mut [f32], src: &[f32], start: usize) {
    for (i, d) in dst.iter_mut().enumerate() {
        *d = src.get(start + i).copied().unwrap_or(0.0);
    }
}
