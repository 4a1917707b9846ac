//! `voxline resample`: change a file's sample rate with the front-end resampler.

use crate::error::{CliError, CliResult};
use crate::files::{container_of, read_input, require_mono, write_mono_wav, Container};
use std::path::Path;
use voxline_core::SampleRate;
use voxline_frontend::resample_all;

/// Resamples `input` to `rate` Hz and writes a 16-bit PCM WAV.
pub fn run(input: &Path, output: &Path, rate: u32, downmix: bool) -> CliResult {
    let to = SampleRate::from_hz(rate).map_err(|e| CliError::bad_input(format!("--rate: {e}")))?;
    if container_of(output)? != Container::Wav {
        return Err(CliError::bad_input(format!(
            "{}: output must be a .wav file",
            output.display()
        )));
    }
    let audio = read_input(input, None, 8000)?;
    let audio = require_mono(input, audio, downmix)?;
    let from = SampleRate::from_hz(audio.sample_rate)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", input.display())))?;
    let pcm = resample_all(from, to, &audio.to_f32())?;
    write_mono_wav(output, to.hz(), &pcm)?;
    outln!(
        "resampled {} samples at {from} to {} samples at {to}: {}",
        audio.frames(),
        pcm.len(),
        output.display()
    );
    Ok(())
}
