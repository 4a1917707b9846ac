//! `encode`, `decode` and `transcode`: G.711 between files.

use crate::error::{CliError, CliResult};
use crate::files::{
    container_of, file_len, raw_law, read_input, require_mono, write_atomic, Container,
};
use std::path::Path;
use voxline_core::SampleRate;
use voxline_frontend::convert::f32_to_i16_slice;
use voxline_frontend::resample_all;
use voxline_g711::Law;
use voxline_wav::{write_g711_wav, write_pcm16_wav, write_raw, Audio, SampleFormat};

/// G.711's sample rate: every telephone network runs it at 8 kHz.
const G711_RATE: u32 = 8000;

/// Writes G.711 `codes` to `output` in the container its extension names.
fn write_codes(output: &Path, law: Law, rate: u32, channels: u16, codes: &[u8]) -> CliResult {
    let container = container_of(output)?;
    write_atomic(output, |w| {
        let r = match container {
            Container::Wav => write_g711_wav(w, law, rate, channels, codes),
            Container::Raw(_) => write_raw(w, codes),
        };
        r.map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", output.display())))
    })
}

/// Checks that `output` can hold `law` (a .ul file cannot hold A-law) and returns the law.
fn output_law(output: &Path, law: Option<Law>) -> CliResult<Law> {
    match container_of(output)? {
        Container::Raw(implied) => raw_law(output, implied, law),
        Container::Wav => law.ok_or_else(|| {
            CliError::bad_input("--law mu or --law a is needed for a .wav or .raw output")
        }),
    }
}

fn require_wav_output(output: &Path) -> CliResult {
    match container_of(output)? {
        Container::Wav => Ok(()),
        Container::Raw(_) => Err(CliError::bad_input(format!(
            "{}: output must be a .wav file",
            output.display()
        ))),
    }
}

/// The G.711 law of `audio`, or an error when it is PCM.
fn g711_law(path: &Path, audio: &Audio) -> CliResult<Law> {
    match audio.format {
        SampleFormat::G711(law) => Ok(law),
        other => Err(CliError::bad_input(format!(
            "{}: is {other}, not G.711 (use encode for PCM input)",
            path.display()
        ))),
    }
}

/// `voxline encode`: PCM WAV -> G.711.
pub fn encode(
    input: &Path,
    output: &Path,
    law: Option<Law>,
    resample: bool,
    downmix: bool,
) -> CliResult {
    let law = output_law(output, law)?;
    let audio = read_input(input, None, G711_RATE)?;
    if let SampleFormat::G711(have) = audio.format {
        return Err(CliError::bad_input(format!(
            "{}: is already G.711 ({have}); use transcode or decode",
            input.display()
        )));
    }
    let audio = require_mono(input, audio, downmix)?;
    let mut pcm = audio.to_f32();
    if audio.sample_rate != G711_RATE {
        if !resample {
            return Err(CliError::bad_input(format!(
                "{}: is {} Hz; G.711 runs at 8000 Hz (add --resample to convert it)",
                input.display(),
                audio.sample_rate
            )));
        }
        let from = SampleRate::from_hz(audio.sample_rate)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", input.display())))?;
        pcm = resample_all(from, SampleRate::Hz8000, &pcm)?;
    }
    let mut linear = vec![0i16; pcm.len()];
    f32_to_i16_slice(&pcm, &mut linear)?;
    let mut codes = vec![0u8; linear.len()];
    law.encode(&linear, &mut codes)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    write_codes(output, law, G711_RATE, 1, &codes)?;
    outln!(
        "encoded {} samples ({:.2} s at {G711_RATE} Hz) to {law}: {} ({} bytes)",
        codes.len(),
        codes.len() as f64 / f64::from(G711_RATE),
        output.display(),
        file_len(output)
    );
    Ok(())
}

/// `voxline decode`: G.711 -> 16-bit PCM WAV.
pub fn decode(input: &Path, output: &Path, law: Option<Law>, rate: u32) -> CliResult {
    require_wav_output(output)?;
    let audio = read_input(input, law, rate)?;
    let have = g711_law(input, &audio)?;
    if let Some(given) = law {
        if given != have {
            return Err(CliError::bad_input(format!(
                "{}: header says {have} but --law says {given}",
                input.display()
            )));
        }
    }
    let pcm = audio.to_i16();
    write_atomic(output, |w| {
        write_pcm16_wav(w, audio.sample_rate, audio.channels, &pcm)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", output.display())))
    })?;
    outln!(
        "decoded {} samples of {have} ({:.2} s at {} Hz, {} channel(s)) to {}",
        pcm.len(),
        audio.duration_secs(),
        audio.sample_rate,
        audio.channels,
        output.display()
    );
    Ok(())
}

/// `voxline transcode`: A-law <-> mu-law without going through linear PCM.
pub fn transcode(
    input: &Path,
    output: &Path,
    law: Option<Law>,
    to: Option<Law>,
    rate: u32,
) -> CliResult {
    let audio = read_input(input, law, rate)?;
    let from = g711_law(input, &audio)?;
    let implied = match container_of(output)? {
        Container::Raw(implied) => implied,
        Container::Wav => None,
    };
    let target = match (implied, to) {
        (Some(a), Some(b)) if a != b => return raw_law(output, implied, to).map(|_| ()),
        (Some(law), _) | (None, Some(law)) => law,
        (None, None) => match from {
            Law::Mu => Law::A,
            Law::A => Law::Mu,
        },
    };
    let codes_in = audio
        .g711_codes()
        .ok_or_else(|| CliError::bad_input(format!("{}: not G.711", input.display())))?;
    let mut codes = vec![0u8; codes_in.len()];
    voxline_g711::transcode(from, target, codes_in, &mut codes)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    write_codes(output, target, audio.sample_rate, audio.channels, &codes)?;
    outln!(
        "transcoded {} samples from {from} to {target}: {}",
        codes.len(),
        output.display()
    );
    Ok(())
}
