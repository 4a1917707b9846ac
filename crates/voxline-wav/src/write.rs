//! Writing: 16-bit PCM WAV (through hound), G.711 WAV and raw G.711 codes.
//!
//! Every writer validates its parameters and the RIFF size limit before writing a byte, so a
//! failed call leaves nothing half-written in the output (beyond what the caller had).

use crate::audio::{check_frames, check_rate};
use crate::error::{from_hound, WavError};
use std::io::{Cursor, Write};
use voxline_g711::Law;

/// Size of the G.711 WAV header: RIFF (12) + `fmt ` (8 + 18) + `fact` (8 + 4) + `data` (8).
pub(crate) const G711_HEADER_LEN: u64 = 58;

/// The RIFF size field for `header_len` header bytes (including the 8 of `RIFF<size>`) and
/// `data_len` bytes of audio (plus a pad byte when odd), or [`WavError::TooLarge`] above 4 GiB.
pub(crate) fn riff_size(header_len: u64, data_len: u64) -> Result<u32, WavError> {
    let total = (header_len - 8)
        .checked_add(data_len)
        .and_then(|n| n.checked_add(data_len & 1));
    match total.map(u32::try_from) {
        Some(Ok(size)) => Ok(size),
        _ => Err(WavError::TooLarge { bytes: data_len }),
    }
}

/// `nAvgBytesPerSec`, or an error if it overflows its 32-bit field.
fn byte_rate(sample_rate: u32, block_align: u32) -> Result<u32, WavError> {
    sample_rate.checked_mul(block_align).ok_or_else(|| {
        WavError::Unrepresentable(format!(
            "byte rate of {sample_rate} Hz x {block_align}-byte frames overflows 32 bits"
        ))
    })
}

/// Block align (bytes per frame) for `channels` samples of `bytes` bytes, checked to fit u16.
fn block_align(channels: u16, bytes: u32) -> Result<u16, WavError> {
    u16::try_from(u32::from(channels) * bytes).map_err(|_| {
        WavError::Unrepresentable(format!(
            "{channels} channels of {bytes} bytes overflow the 16-bit block align"
        ))
    })
}

/// Writes interleaved 16-bit samples as a canonical PCM WAV file (via hound); more than two
/// channels get a WAVE_FORMAT_EXTENSIBLE `fmt ` chunk, as the WAV specification requires.
///
/// The file is assembled in memory and written with one `write_all`, so `writer` needs no
/// `Seek` and may be at any position. The writer is flushed.
///
/// # Errors
/// Zero channels, a rate outside 1..=768000 Hz, samples that are not whole frames, a file that
/// would exceed 4 GiB ([`WavError::TooLarge`]), or an I/O error.
pub fn write_pcm16_wav(
    mut writer: impl Write,
    sample_rate: u32,
    channels: u16,
    samples: &[i16],
) -> Result<(), WavError> {
    check_rate(sample_rate)?;
    check_frames(samples.len(), channels)?;
    byte_rate(sample_rate, u32::from(block_align(channels, 2)?))?;
    // hound writes a 16-byte `fmt ` (44-byte header) up to 2 channels, else a 40-byte one.
    let header_len: u64 = if channels > 2 { 68 } else { 44 };
    let data_len = samples.len() as u64 * 2;
    riff_size(header_len, data_len)?;

    let mut file = Cursor::new(Vec::with_capacity((header_len + data_len) as usize));
    let spec = hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::new(&mut file, spec).map_err(from_hound)?;
    for &s in samples {
        wav.write_sample(s).map_err(from_hound)?;
    }
    wav.finalize().map_err(from_hound)?;
    writer.write_all(file.get_ref())?;
    writer.flush()?;
    Ok(())
}

/// Writes interleaved G.711 codes as a WAV file: `fmt ` of 18 bytes (WAVEFORMATEX, format tag
/// 7 mu-law or 6 A-law, 8 bits, block align = channels, cbSize 0), a `fact` chunk with the
/// frame count (required for non-PCM formats), and `data`, padded to an even size.
///
/// # Errors
/// As [`write_pcm16_wav`]. The writer is flushed.
pub fn write_g711_wav(
    mut writer: impl Write,
    law: Law,
    sample_rate: u32,
    channels: u16,
    codes: &[u8],
) -> Result<(), WavError> {
    check_rate(sample_rate)?;
    check_frames(codes.len(), channels)?;
    let align = block_align(channels, 1)?;
    let bytes_per_sec = byte_rate(sample_rate, u32::from(align))?;
    let data_len = codes.len() as u64;
    let riff = riff_size(G711_HEADER_LEN, data_len)?;
    // riff_size succeeded, so data_len (and the frame count) fit in u32.
    let data_size = data_len as u32;
    let frames = data_size / u32::from(channels);

    let mut header = Vec::with_capacity(G711_HEADER_LEN as usize);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&riff.to_le_bytes());
    header.extend_from_slice(b"WAVE");
    header.extend_from_slice(b"fmt ");
    header.extend_from_slice(&18u32.to_le_bytes());
    header.extend_from_slice(&law.wav_format_tag().to_le_bytes());
    header.extend_from_slice(&channels.to_le_bytes());
    header.extend_from_slice(&sample_rate.to_le_bytes());
    header.extend_from_slice(&bytes_per_sec.to_le_bytes());
    header.extend_from_slice(&align.to_le_bytes());
    header.extend_from_slice(&8u16.to_le_bytes()); // wBitsPerSample
    header.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    header.extend_from_slice(b"fact");
    header.extend_from_slice(&4u32.to_le_bytes());
    header.extend_from_slice(&frames.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_size.to_le_bytes());
    debug_assert_eq!(header.len() as u64, G711_HEADER_LEN);

    writer.write_all(&header)?;
    writer.write_all(codes)?;
    if data_size % 2 == 1 {
        writer.write_all(&[0])?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes G.711 codes as a headerless raw stream (`.ul`, `.al`): the bytes as they are.
///
/// # Errors
/// An I/O error. The writer is flushed.
pub fn write_raw(mut writer: impl Write, codes: &[u8]) -> Result<(), WavError> {
    writer.write_all(codes)?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riff_size_refuses_more_than_4_gib() {
        assert_eq!(riff_size(44, 0).ok(), Some(36));
        assert_eq!(riff_size(G711_HEADER_LEN, 3).ok(), Some(50 + 4));
        let max_even = u64::from(u32::MAX) - 50 - 1;
        assert_eq!(
            riff_size(G711_HEADER_LEN, max_even).ok(),
            Some(u32::MAX - 1)
        );
        // One more byte is odd and needs a pad byte: 2 bytes more than fit.
        for data in [max_even + 1, max_even + 2, 4 << 30, 5 << 30, u64::MAX] {
            let e = riff_size(G711_HEADER_LEN, data).unwrap_err();
            assert!(matches!(e, WavError::TooLarge { bytes } if bytes == data));
        }
        let e = riff_size(44, 5_000_000_000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "too large for a WAV file: 5000000000 bytes of audio data exceed the 4 GiB RIFF limit"
        );
    }

    #[test]
    fn byte_rate_and_block_align_overflow_are_errors() {
        assert_eq!(byte_rate(8000, 2).ok(), Some(16000));
        assert!(matches!(
            byte_rate(768_000, 65_535),
            Err(WavError::Unrepresentable(_))
        ));
        assert_eq!(block_align(65_535, 1).ok(), Some(65_535));
        assert!(matches!(
            block_align(40_000, 2),
            Err(WavError::Unrepresentable(_))
        ));
    }
}
