//! `voxline resample`: change a file's sample rate with the front-end resampler.

use crate::error::{CliError, CliResult};
use crate::files::{container_of, read_input, require_mono, write_atomic, Container};
use std::path::Path;
use voxline_core::SampleRate;
use voxline_frontend::convert::f32_to_i16_slice;
use voxline_frontend::resample_all;
use voxline_wav::write_pcm16_wav;

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
    let mut out = vec![0i16; pcm.len()];
    f32_to_i16_slice(&pcm, &mut out)?;
    write_atomic(output, |w| {
        write_pcm16_wav(w, to.hz(), 1, &out)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", output.display())))
    })?;
    outln!(
        "resampled {} samples at {from} to {} samples at {to}: {}",
        audio.frames(),
        out.len(),
        output.display()
    );
    Ok(())
}
