//! Reading: RIFF/WAVE parsing, PCM decoding through hound, G.711 codes, raw G.711 streams.
//!
//! The chunk walk is our own for every format (written from Microsoft's RIFF and WAVEFORMATEX
//! specifications), so that all files get the same checks and messages and so that what hound
//! does not handle is handled: pad bytes after odd-sized chunks, `fmt ` chunks of any size,
//! streaming sizes, and the G.711 format tags. PCM samples are then decoded by hound from a
//! canonical header plus the `data` bytes.

use crate::audio::{check_rate, Audio, Samples};
use crate::error::{from_hound, WavError};
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use voxline_g711::Law;

/// Format tags of the encodings this crate reads (`wFormatTag`).
const TAG_PCM: u16 = 0x0001;
const TAG_FLOAT: u16 = 0x0003;
const TAG_ALAW: u16 = 0x0006;
const TAG_MULAW: u16 = 0x0007;
const TAG_EXTENSIBLE: u16 = 0xFFFE;

/// Bytes 4..16 of the `KSDATAFORMAT_SUBTYPE_*` GUIDs of WAVE_FORMAT_EXTENSIBLE that wrap a
/// format tag: `{0000TTTT-0000-0010-8000-00AA00389B71}`, stored little-endian.
const GUID_AUDIO_TAIL: [u8; 12] = [
    0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// A `data` size meaning "unknown, read to the end of the input" (streaming writers).
const STREAMING_SIZE: u32 = u32::MAX;

/// What the `fmt ` chunk describes, validated.
#[derive(Clone, Copy, Debug)]
struct Fmt {
    kind: Kind,
    channels: u16,
    sample_rate: u32,
    block_align: u16,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Int { bits: u16 },
    Float,
    G711(Law),
}

/// Reads any supported WAV file: PCM (8-bit unsigned, 16, 24, 32-bit integer), 32-bit float,
/// and G.711 A-law / mu-law, including WAVE_FORMAT_EXTENSIBLE forms of all of them.
///
/// The reader's current position is taken as the start of the file. Chunks other than `fmt `
/// and `data` (`fact`, `LIST`, ...) are skipped, odd-sized chunks with their pad byte; anything
/// after `data` is ignored. A `data` size of 0xFFFFFFFF, or 0 with a RIFF size that ends at the
/// `data` header (live recorders that never patched their header), means "read to the end".
/// Otherwise a `data` chunk shorter than declared is an error. A trailing partial frame is
/// dropped. `nAvgBytesPerSec` is not checked.
///
/// # Errors
/// See [`WavError`]; never panics on any input.
pub fn read_audio(reader: impl Read + Seek) -> Result<Audio, WavError> {
    let mut src = Source::new(reader)?;
    if src.len == 0 {
        return Err(WavError::Empty);
    }

    let mut head = [0u8; 12];
    let got = src.read_up_to(&mut head)?;
    check_riff_header(&head[..got])?;
    let riff_size = u32_at(&head, 4);

    let mut fmt: Option<Fmt> = None;
    // A `data` chunk seen before `fmt `: its offset and declared size.
    let mut early_data: Option<(u64, u32)> = None;
    loop {
        let remaining = src.remaining();
        if remaining == 0 {
            break;
        }
        if remaining < 8 {
            if early_data.is_some() {
                break;
            }
            return Err(WavError::TruncatedHeader(format!(
                "a chunk header ({remaining} of 8 bytes present)"
            )));
        }
        let mut header = [0u8; 8];
        src.read_exact(&mut header)?;
        let id = [header[0], header[1], header[2], header[3]];
        let size = u32_at(&header, 4);
        let body = src.pos;
        let available = src.remaining();

        match &id {
            b"fmt " if fmt.is_none() => {
                if u64::from(size) > available {
                    return Err(WavError::TruncatedHeader(format!(
                        "the 'fmt ' chunk (declares {size} bytes, {available} present)"
                    )));
                }
                // 40 bytes hold the largest structure we read (WAVEFORMATEXTENSIBLE).
                let mut buf = [0u8; 40];
                let take = (size as usize).min(buf.len());
                src.read_exact(&mut buf[..take])?;
                let parsed = parse_fmt(&buf[..take], size)?;
                if let Some((offset, declared)) = early_data {
                    src.seek_to(offset)?;
                    return read_data(src, parsed, declared, riff_size);
                }
                fmt = Some(parsed);
            }
            b"data" => {
                if let Some(fmt) = fmt {
                    return read_data(src, fmt, size, riff_size);
                }
                if early_data.is_none() {
                    early_data = Some((body, size));
                }
                if size == STREAMING_SIZE {
                    // A streaming `data` chunk runs to the end: no `fmt ` can follow it.
                    return Err(WavError::MissingChunk("fmt "));
                }
            }
            _ => {}
        }
        // Skip the rest of this chunk's body and its pad byte (which may be missing at the end).
        let body_end = body + u64::from(size);
        if body_end > src.len {
            if early_data.is_some() {
                // Only reachable without `fmt `, which cannot follow a chunk that overruns.
                break;
            }
            return Err(WavError::TruncatedHeader(format!(
                "chunk \"{}\" (declares {size} bytes, {available} present)",
                escape(&id)
            )));
        }
        src.seek_to((body_end + u64::from(size & 1)).min(src.len))?;
    }
    Err(WavError::MissingChunk(if fmt.is_none() {
        "fmt "
    } else {
        "data"
    }))
}

/// [`read_audio`] on a byte slice.
///
/// # Errors
/// As [`read_audio`].
pub fn read_audio_bytes(bytes: &[u8]) -> Result<Audio, WavError> {
    read_audio(Cursor::new(bytes))
}

/// Reads a headerless G.711 stream (`.ul`, `.al`, `.raw`): every byte is one mono code of `law`.
///
/// # Errors
/// [`WavError::Empty`] for 0 bytes, [`WavError::BadSampleRate`], or an I/O error.
pub fn read_raw_g711(mut reader: impl Read, law: Law, sample_rate: u32) -> Result<Audio, WavError> {
    check_rate(sample_rate)?;
    let mut codes = Vec::new();
    reader.read_to_end(&mut codes)?;
    if codes.is_empty() {
        return Err(WavError::Empty);
    }
    Ok(Audio::new_unchecked(
        sample_rate,
        1,
        Samples::G711 { law, codes },
    ))
}

/// The G.711 law a raw file's extension implies (ASCII case-insensitive): `.ul`, `.ulaw`, `.mu`
/// for mu-law, `.al`, `.alaw` for A-law; `None` otherwise, e.g. `.raw` (the caller must say).
#[must_use]
pub fn law_from_extension(path: &Path) -> Option<Law> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "ul" | "ulaw" | "mu" => Some(Law::Mu),
        "al" | "alaw" => Some(Law::A),
        _ => None,
    }
}

/// A reader with its length known, positions relative to where it started.
struct Source<R> {
    reader: R,
    start: u64,
    pos: u64,
    len: u64,
}

impl<R: Read + Seek> Source<R> {
    fn new(mut reader: R) -> Result<Self, WavError> {
        let start = reader.stream_position()?;
        let end = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(start))?;
        Ok(Source {
            reader,
            start,
            pos: 0,
            len: end.saturating_sub(start),
        })
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    /// Reads as many bytes as fit in `buf` or remain; returns how many.
    fn read_up_to(&mut self, buf: &mut [u8]) -> Result<usize, WavError> {
        let n = (self.remaining().min(buf.len() as u64)) as usize;
        self.read_exact(&mut buf[..n])?;
        Ok(n)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), WavError> {
        self.reader.read_exact(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn seek_to(&mut self, pos: u64) -> Result<(), WavError> {
        if pos != self.pos {
            self.reader.seek(SeekFrom::Start(self.start + pos))?;
            self.pos = pos;
        }
        Ok(())
    }
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Printable rendering of raw bytes: ASCII as is, anything else as `\xNN`.
fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
}

/// Checks the 12-byte `RIFF <size> WAVE` header (`head` may be shorter if the input is).
fn check_riff_header(head: &[u8]) -> Result<(), WavError> {
    let magic = &head[..head.len().min(4)];
    if magic != &b"RIFF"[..magic.len()] {
        let hint = match magic {
            b"RIFX" => " (big-endian RIFX is not supported)",
            b"RF64" | b"BW64" => " (64-bit RF64 WAV is not supported)",
            b"FORM" => " (looks like AIFF)",
            b"fLaC" => " (looks like FLAC)",
            b"OggS" => " (looks like Ogg)",
            b".snd" => " (looks like Sun/NeXT .au)",
            [b'I', b'D', b'3', ..] => " (looks like MP3 with an ID3 tag)",
            [0xFF, b, ..] if b & 0xE0 == 0xE0 => " (looks like MPEG audio)",
            _ => "",
        };
        return Err(WavError::NotWav(format!(
            "starts with \"{}\"{hint}",
            escape(magic)
        )));
    }
    if head.len() < 12 {
        if head.len() > 8 && head[8..] != b"WAVE"[..head.len() - 8] {
            return Err(WavError::NotWav(format!(
                "RIFF form type is \"{}\", not \"WAVE\"",
                escape(&head[8..])
            )));
        }
        return Err(WavError::TruncatedHeader(format!(
            "the RIFF header ({} of 12 bytes present)",
            head.len()
        )));
    }
    if &head[8..12] != b"WAVE" {
        return Err(WavError::NotWav(format!(
            "RIFF form type is \"{}\", not \"WAVE\"",
            escape(&head[8..12])
        )));
    }
    Ok(())
}

/// Validates a `fmt ` chunk: `body` is its first up-to-40 bytes, `size` its declared size.
fn parse_fmt(body: &[u8], size: u32) -> Result<Fmt, WavError> {
    if body.len() < 16 {
        return Err(WavError::Malformed(format!(
            "'fmt ' chunk is {size} bytes, needs at least 16"
        )));
    }
    let mut tag = u16_at(body, 0);
    let channels = u16_at(body, 2);
    let sample_rate = u32_at(body, 4);
    let block_align = u16_at(body, 12);
    let bits = u16_at(body, 14);

    if tag == TAG_EXTENSIBLE {
        if body.len() < 40 {
            return Err(WavError::Malformed(format!(
                "WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {size} bytes, needs 40"
            )));
        }
        let cb_size = u16_at(body, 16);
        if cb_size < 22 {
            return Err(WavError::Malformed(format!(
                "WAVE_FORMAT_EXTENSIBLE cbSize is {cb_size}, needs 22"
            )));
        }
        // wValidBitsPerSample (offset 18) may be below the container size; the valid bits are
        // the most significant ones, so reading whole containers is right. Channel mask: unused.
        let guid = &body[24..40];
        if guid[4..] != GUID_AUDIO_TAIL || guid[2..4] != [0, 0] {
            return Err(WavError::UnsupportedSubFormat(guid_string(guid)));
        }
        tag = u16_at(guid, 0);
    }

    let kind = match tag {
        TAG_PCM => Kind::Int { bits },
        TAG_FLOAT => Kind::Float,
        TAG_ALAW => Kind::G711(Law::A),
        TAG_MULAW => Kind::G711(Law::Mu),
        _ => return Err(WavError::UnsupportedFormat { tag }),
    };
    if channels == 0 {
        return Err(WavError::ZeroChannels);
    }
    check_rate(sample_rate)?;
    let bits_ok = match kind {
        Kind::Int { bits } => matches!(bits, 8 | 16 | 24 | 32),
        Kind::Float => bits == 32,
        Kind::G711(_) => bits == 8,
    };
    if !bits_ok {
        let (format, supported) = match kind {
            Kind::Int { .. } => ("PCM", "8, 16, 24, 32"),
            Kind::Float => ("float", "32"),
            Kind::G711(Law::A) => ("A-law", "8"),
            Kind::G711(Law::Mu) => ("mu-law", "8"),
        };
        return Err(WavError::UnsupportedBitDepth {
            format,
            bits,
            supported,
        });
    }
    let expected = u32::from(channels) * u32::from(bits / 8);
    if u32::from(block_align) != expected {
        return Err(WavError::BlockAlign {
            block_align,
            expected,
            channels,
            bits,
        });
    }
    // nAvgBytesPerSec must be representable, or the writers could not write this audio back.
    if sample_rate.checked_mul(u32::from(block_align)).is_none() {
        return Err(byte_rate_overflow(sample_rate, block_align));
    }
    Ok(Fmt {
        kind,
        channels,
        sample_rate,
        block_align,
    })
}

fn byte_rate_overflow(sample_rate: u32, block_align: u16) -> WavError {
    WavError::Malformed(format!(
        "byte rate of {sample_rate} Hz x {block_align}-byte frames overflows 32 bits"
    ))
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` form of a GUID stored little-endian.
fn guid_string(g: &[u8]) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02X}")).collect::<String>();
    format!(
        "{:08X}-{:04X}-{:04X}-{}-{}",
        u32_at(g, 0),
        u16_at(g, 4),
        u16_at(g, 6),
        hex(&g[8..10]),
        hex(&g[10..16])
    )
}

/// Reads the `data` chunk body at the current position and decodes it.
fn read_data<R: Read + Seek>(
    mut src: Source<R>,
    fmt: Fmt,
    declared: u32,
    riff_size: u32,
) -> Result<Audio, WavError> {
    let available = src.remaining();
    let streaming = declared == STREAMING_SIZE
        || (declared == 0
            && (riff_size == 0
                || riff_size == STREAMING_SIZE
                || u64::from(riff_size) + 8 <= src.pos));
    let len = if streaming {
        available
    } else if u64::from(declared) > available {
        return Err(WavError::TruncatedData {
            declared: u64::from(declared),
            present: available,
        });
    } else {
        u64::from(declared)
    };
    let block = u64::from(fmt.block_align);
    let len = len - len % block;
    if len > u64::from(u32::MAX) {
        return Err(WavError::TooLarge { bytes: len });
    }
    // `len` is at most what the input holds, so this allocation is bounded by the input.
    let mut bytes = vec![0u8; len as usize];
    src.read_exact(&mut bytes)?;

    let samples = match fmt.kind {
        Kind::G711(law) => Samples::G711 { law, codes: bytes },
        Kind::Int { bits } => Samples::Int {
            bits,
            values: decode_with_hound(&fmt, TAG_PCM, bits, bytes)?,
        },
        Kind::Float => Samples::Float(decode_with_hound(&fmt, TAG_FLOAT, 32, bytes)?),
    };
    Ok(Audio::new_unchecked(fmt.sample_rate, fmt.channels, samples))
}

/// Decodes PCM `data` bytes with hound, behind a canonical 44-byte header built from `fmt`.
fn decode_with_hound<S: hound::Sample>(
    fmt: &Fmt,
    tag: u16,
    bits: u16,
    data: Vec<u8>,
) -> Result<Vec<S>, WavError> {
    let data_len = data.len() as u32; // checked <= u32::MAX by the caller
    let byte_rate = fmt
        .sample_rate
        .checked_mul(u32::from(fmt.block_align))
        .ok_or_else(|| byte_rate_overflow(fmt.sample_rate, fmt.block_align))?;
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&36u32.saturating_add(data_len).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&tag.to_le_bytes());
    header.extend_from_slice(&fmt.channels.to_le_bytes());
    header.extend_from_slice(&fmt.sample_rate.to_le_bytes());
    header.extend_from_slice(&byte_rate.to_le_bytes());
    header.extend_from_slice(&fmt.block_align.to_le_bytes());
    header.extend_from_slice(&bits.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_len.to_le_bytes());
    let reader =
        hound::WavReader::new(Cursor::new(header).chain(Cursor::new(data))).map_err(from_hound)?;
    reader
        .into_samples::<S>()
        .collect::<Result<Vec<S>, _>>()
        .map_err(from_hound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_formatting() {
        let mut g = [0u8; 16];
        g[0] = 0x06;
        g[4..].copy_from_slice(&GUID_AUDIO_TAIL);
        assert_eq!(guid_string(&g), "00000006-0000-0010-8000-00AA00389B71");
    }

    #[test]
    fn escape_keeps_output_printable() {
        assert_eq!(escape(b"ID3\x03"), "ID3\\x03");
        assert_eq!(escape(b"\"\\\n"), "\\\"\\\\\\n");
    }
}
