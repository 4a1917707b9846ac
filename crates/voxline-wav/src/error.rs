//! [`WavError`]: everything that can go wrong reading or writing an audio file.

use std::io;

/// Why an audio file could not be read or written; each message is one line naming the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WavError {
    /// The input has no bytes at all.
    #[error("empty input: 0 bytes")]
    Empty,

    /// The input is not a RIFF/WAVE file; the text shows what it starts with.
    #[error("not a WAV file: {0}")]
    NotWav(String),

    /// The input ends inside the RIFF header, a chunk header or a chunk before the audio data.
    #[error("truncated WAV header: input ends inside {0}")]
    TruncatedHeader(String),

    /// The `data` chunk declares more bytes than the input holds.
    #[error("truncated data chunk: declares {declared} bytes, only {present} present")]
    TruncatedData {
        /// Size in the chunk header.
        declared: u64,
        /// Bytes actually present after the chunk header.
        present: u64,
    },

    /// A required chunk (`"fmt "` or `"data"`) is missing.
    #[error("missing '{0}' chunk")]
    MissingChunk(&'static str),

    /// The `fmt ` chunk's format tag names an encoding this crate does not read.
    #[error(
        "unsupported WAV format tag 0x{tag:04X}{}; supported: PCM, IEEE float, A-law, mu-law",
        format_name_suffix(*tag)
    )]
    UnsupportedFormat {
        /// The format tag (for WAVE_FORMAT_EXTENSIBLE, the one in its sub-format GUID).
        tag: u16,
    },

    /// WAVE_FORMAT_EXTENSIBLE with a sub-format GUID outside the standard audio family.
    #[error("unsupported WAVE_FORMAT_EXTENSIBLE sub-format {{{0}}}")]
    UnsupportedSubFormat(String),

    /// The bit depth is not one this crate reads for the file's format.
    #[error("unsupported bit depth: {bits}-bit {format} (supported: {supported})")]
    UnsupportedBitDepth {
        /// The format, e.g. `"PCM"`.
        format: &'static str,
        /// `wBitsPerSample` from the `fmt ` chunk.
        bits: u16,
        /// The depths that are supported for this format.
        supported: &'static str,
    },

    /// The `fmt ` chunk (or a caller) says zero channels.
    #[error("zero channels: audio needs at least one channel")]
    ZeroChannels,

    /// A sample rate of 0 Hz or above 768 kHz.
    #[error("absurd sample rate {0} Hz (supported: 1 to 768000 Hz)")]
    BadSampleRate(u32),

    /// `nBlockAlign` disagrees with the channel count and sample size.
    #[error(
        "inconsistent block align: {block_align} bytes per frame, expected {expected} \
         ({channels} channels of {bits} bits)"
    )]
    BlockAlign {
        /// `nBlockAlign` from the `fmt ` chunk.
        block_align: u16,
        /// `channels * bits / 8`.
        expected: u32,
        /// Channel count.
        channels: u16,
        /// Bits per sample.
        bits: u16,
    },

    /// A structural problem not covered above, e.g. a `fmt ` chunk shorter than 16 bytes.
    #[error("malformed WAV file: {0}")]
    Malformed(String),

    /// The number of samples given to a writer or constructor is not a whole number of frames.
    #[error("{samples} samples do not divide into whole frames of {channels} channels")]
    PartialFrame {
        /// Number of interleaved samples.
        samples: usize,
        /// Channel count.
        channels: u16,
    },

    /// The audio would need a RIFF size above 4 GiB, which the 32-bit header cannot hold.
    #[error("too large for a WAV file: {bytes} bytes of audio data exceed the 4 GiB RIFF limit")]
    TooLarge {
        /// Bytes of audio data.
        bytes: u64,
    },

    /// The parameters cannot be written into a WAV header (e.g. the byte rate overflows 32 bits).
    #[error("cannot write WAV: {0}")]
    Unrepresentable(String),

    /// The underlying reader or writer failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Common names of WAV format tags, for error messages.
#[must_use]
pub(crate) fn format_name(tag: u16) -> Option<&'static str> {
    Some(match tag {
        0x0000 => "unknown/invalid",
        0x0001 => "PCM",
        0x0002 => "Microsoft ADPCM",
        0x0003 => "IEEE float",
        0x0006 => "A-law",
        0x0007 => "mu-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0050 => "MPEG Layer 1/2",
        0x0055 => "MPEG Layer 3",
        0x0064 => "G.726 ADPCM",
        0x0065 => "G.722 ADPCM",
        0x00FF => "AAC",
        0x0161 => "Windows Media Audio",
        0x2000 => "AC-3",
        0xF1AC => "FLAC",
        0xFFFE => "WAVE_FORMAT_EXTENSIBLE",
        _ => return None,
    })
}

fn format_name_suffix(tag: u16) -> String {
    format_name(tag).map_or_else(String::new, |name| format!(" ({name})"))
}

/// Maps a hound error into [`WavError`], keeping hound's wording where no variant fits.
pub(crate) fn from_hound(e: hound::Error) -> WavError {
    match e {
        hound::Error::IoError(e) => WavError::Io(e),
        hound::Error::FormatError(msg) => match msg {
            "no RIFF tag found" => WavError::NotWav("no RIFF tag".into()),
            "no WAVE tag found" => WavError::NotWav("RIFF form type is not WAVE".into()),
            "missing fmt chunk" => WavError::MissingChunk("fmt "),
            "file contains zero channels" => WavError::ZeroChannels,
            other => WavError::Malformed(other.into()),
        },
        hound::Error::UnfinishedSample => {
            WavError::Malformed("the last frame is incomplete".into())
        }
        hound::Error::Unsupported => WavError::Malformed("hound: unsupported WAV format".into()),
        hound::Error::TooWide => WavError::Malformed("hound: sample too wide".into()),
        hound::Error::InvalidSampleFormat => {
            WavError::Malformed("hound: sample format mismatch".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hound_errors_map_to_our_variants() {
        let io = from_hound(hound::Error::IoError(io::Error::other("disk on fire")));
        assert!(matches!(io, WavError::Io(_)));
        assert_eq!(io.to_string(), "I/O error: disk on fire");
        assert!(matches!(
            from_hound(hound::Error::FormatError("no RIFF tag found")),
            WavError::NotWav(_)
        ));
        assert!(matches!(
            from_hound(hound::Error::FormatError("missing fmt chunk")),
            WavError::MissingChunk("fmt ")
        ));
        assert!(matches!(
            from_hound(hound::Error::FormatError("file contains zero channels")),
            WavError::ZeroChannels
        ));
        let other = from_hound(hound::Error::FormatError("inconsistent fmt chunk"));
        assert_eq!(
            other.to_string(),
            "malformed WAV file: inconsistent fmt chunk"
        );
        for e in [
            hound::Error::UnfinishedSample,
            hound::Error::Unsupported,
            hound::Error::TooWide,
            hound::Error::InvalidSampleFormat,
        ] {
            assert!(matches!(from_hound(e), WavError::Malformed(_)));
        }
    }

    #[test]
    fn format_tag_names() {
        let e = WavError::UnsupportedFormat { tag: 0x55 };
        assert_eq!(
            e.to_string(),
            "unsupported WAV format tag 0x0055 (MPEG Layer 3); \
             supported: PCM, IEEE float, A-law, mu-law"
        );
        let e = WavError::UnsupportedFormat { tag: 0x1234 };
        assert_eq!(
            e.to_string(),
            "unsupported WAV format tag 0x1234; supported: PCM, IEEE float, A-law, mu-law"
        );
    }
}
