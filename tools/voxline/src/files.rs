//! Files: reading inputs by path (WAV or raw G.711) and writing outputs atomically.

use crate::error::{CliError, CliResult};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use voxline_core::SampleRate;
use voxline_g711::Law;
use voxline_wav::{read_audio, read_raw_g711, Audio};

/// What a path's extension says the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A RIFF/WAVE file.
    Wav,
    /// Headerless G.711 codes; the law when the extension implies one (.ul, .al).
    Raw(Option<Law>),
}

/// The container for `path` from its extension; an unknown extension is an error.
pub fn container_of(path: &Path) -> CliResult<Container> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext == "wav" || ext == "wave" {
        return Ok(Container::Wav);
    }
    if ext == "raw" {
        // `name.ulaw.raw`, `name.al.raw`: the inner extension names the law.
        let inner = path.file_stem().map(Path::new);
        return Ok(Container::Raw(
            inner.and_then(voxline_wav::law_from_extension),
        ));
    }
    match voxline_wav::law_from_extension(path) {
        Some(law) => Ok(Container::Raw(Some(law))),
        None => Err(CliError::bad_input(format!(
            "{}: unknown file type '.{ext}' (use .wav, .ul, .al or .raw)",
            path.display()
        ))),
    }
}

/// Resolves the law of a raw G.711 file from `--law` and the extension; they must agree.
pub fn raw_law(path: &Path, implied: Option<Law>, given: Option<Law>) -> CliResult<Law> {
    match (implied, given) {
        (Some(a), Some(b)) if a != b => Err(CliError::bad_input(format!(
            "{}: extension means {a} but --law says {b}",
            path.display()
        ))),
        (Some(law), _) | (None, Some(law)) => Ok(law),
        (None, None) => Err(CliError::bad_input(format!(
            "{}: raw G.711 file needs --law mu or --law a",
            path.display()
        ))),
    }
}

/// Reads `path` as a WAV file, or as raw G.711 when its extension is .ul, .al or .raw
/// (`law` and `rate` describe raw input).
pub fn read_input(path: &Path, law: Option<Law>, rate: u32) -> CliResult<Audio> {
    let container = container_of(path).unwrap_or(Container::Wav);
    let file = File::open(path)
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {}", path.display(), e)))?;
    let reader = BufReader::new(file);
    let audio = match container {
        Container::Wav => read_audio(reader),
        Container::Raw(implied) => {
            let law = raw_law(path, implied, law)?;
            let rate = SampleRate::from_hz(rate)
                .map_err(|e| CliError::bad_input(format!("--rate: {e}")))?;
            read_raw_g711(reader, law, rate.hz())
        }
    }
    .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    if audio.frames() == 0 {
        return Err(CliError::bad_input(format!(
            "{}: contains no audio samples",
            path.display()
        )));
    }
    Ok(audio)
}

/// Makes `audio` mono: averages channels with `downmix`, otherwise refuses multi-channel input.
pub fn require_mono(path: &Path, audio: Audio, downmix: bool) -> CliResult<Audio> {
    match audio.channels {
        1 => Ok(audio),
        n if downmix => audio
            .downmix()
            .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))
            .inspect(|_| eprintln!("voxline: averaged {n} channels of {}", path.display())),
        n => Err(CliError::bad_input(format!(
            "{}: has {n} channels; voxline processes mono audio (add --downmix to average them)",
            path.display()
        ))),
    }
}

/// Refuses multi-channel input to a command that has no `--downmix` (`command` needs `what`,
/// e.g. "mono speech"), suggesting the conversion to a mono file at `rate` Hz.
pub fn require_mono_input(
    path: &Path,
    audio: &Audio,
    command: &str,
    what: &str,
    rate: u32,
) -> CliResult {
    if audio.channels == 1 {
        return Ok(());
    }
    Err(CliError::bad_input(format!(
        "{}: has {} channels; voxline {command} needs {what} (convert it first, e.g. voxline \
         resample --downmix --rate {rate} {} mono.wav)",
        path.display(),
        audio.channels,
        path.display()
    )))
}

/// An output written completely to a temporary file beside its target, not yet renamed into
/// place: [`Staged::commit`] publishes it; dropping it instead deletes the temporary file.
pub struct Staged<'a> {
    path: &'a Path,
    tmp: tempfile::NamedTempFile,
}

impl Staged<'_> {
    /// Renames the temporary file over the target.
    pub fn commit(self) -> CliResult {
        let path = self.path;
        self.tmp.persist(path).map_err(|e| {
            CliError::bad_input(format!("cannot write {}: {}", path.display(), e.error))
        })?;
        Ok(())
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        self.path
    }
}

fn cannot_write(path: &Path, e: &dyn std::fmt::Display) -> CliError {
    CliError::bad_input(format!("cannot write {}: {e}", path.display()))
}

/// The directory an output `path` goes to (`.` for a bare file name).
fn output_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_beside(path: &Path) -> CliResult<tempfile::NamedTempFile> {
    if path.is_dir() {
        return Err(cannot_write(path, &"is a directory"));
    }
    let dir = output_dir(path);
    if !dir.is_dir() {
        return Err(cannot_write(
            path,
            &format_args!("no directory {}", dir.display()),
        ));
    }
    tempfile::Builder::new()
        .prefix(".voxline-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| cannot_write(path, &e))
}

/// Checks that `path` can be written (not a directory, in an existing writable directory)
/// before any work is done, by creating and deleting a temporary file beside it.
pub fn check_writable(path: &Path) -> CliResult {
    temp_beside(path).map(drop)
}

/// Writes `path` through `write` into a temporary file in the same directory and returns it
/// unpublished; see [`Staged`].
pub fn stage<'a>(
    path: &'a Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> CliResult,
) -> CliResult<Staged<'a>> {
    let cannot = |e: &dyn std::fmt::Display| cannot_write(path, e);
    let tmp = temp_beside(path)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w)?;
        w.flush().map_err(|e| cannot(&e))?;
    }
    tmp.as_file().sync_all().map_err(|e| cannot(&e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile creates 0600 files; an output file should be readable like any other.
        let perms = std::fs::Permissions::from_mode(0o644);
        tmp.as_file()
            .set_permissions(perms)
            .map_err(|e| cannot(&e))?;
    }
    Ok(Staged { path, tmp })
}

/// Writes `path` through `write`, into a temporary file in the same directory that is renamed
/// over `path` only when `write` succeeded, so no partial output is ever left behind.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> CliResult,
) -> CliResult {
    stage(path, write)?.commit()
}

/// Writes mono `f32` audio to `path` as 16-bit PCM WAV at `rate_hz` (rounded, saturated),
/// atomically: the output of plc, ns, aec, resample, demo and live.
pub fn write_mono_wav(path: &Path, rate_hz: u32, samples: &[f32]) -> CliResult {
    let mut pcm = vec![0i16; samples.len()];
    voxline_frontend::convert::f32_to_i16_slice(samples, &mut pcm)?;
    write_atomic(path, |w| {
        voxline_wav::write_pcm16_wav(w, rate_hz, 1, &pcm)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", path.display())))
    })
}

/// Size of a file in bytes, for reports (0 when it cannot be read).
pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Checks, before any work, that `output` is a writable `.wav` path distinct from every input:
/// the commands that write 16-bit PCM WAV (plc, ns, aec) all start with this.
pub fn check_wav_output(output: &Path, inputs: &[&Path]) -> CliResult {
    if container_of(output).ok() != Some(Container::Wav) {
        return Err(CliError::bad_input(format!(
            "{}: the output is written as 16-bit PCM WAV; name it .wav",
            output.display()
        )));
    }
    if inputs.contains(&output) {
        return Err(CliError::bad_input(format!(
            "{}: input and output must be different files",
            output.display()
        )));
    }
    check_writable(output)
}
