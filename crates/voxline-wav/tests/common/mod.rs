//! Helpers shared by the integration tests: a RIFF builder and hound-made test files.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;

/// `{0000TTTT-0000-0010-8000-00AA00389B71}` as stored in a file, for format tag `tag`.
pub fn ks_guid(tag: u16) -> [u8; 16] {
    let mut g = [0u8; 16];
    g[..2].copy_from_slice(&tag.to_le_bytes());
    g[4..].copy_from_slice(&[
        0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]);
    g
}

/// A 16-byte WAVEFORMAT/PCMWAVEFORMAT body.
pub fn fmt16(tag: u16, channels: u16, rate: u32, block_align: u16, bits: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&tag.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate.wrapping_mul(u32::from(block_align))).to_le_bytes());
    b.extend_from_slice(&block_align.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b
}

/// A WAVEFORMATEX body: 16 bytes, cbSize, then `extra`.
pub fn fmt_ex(tag: u16, channels: u16, rate: u32, bits: u16, extra: &[u8]) -> Vec<u8> {
    let mut b = fmt16(tag, channels, rate, channels * (bits / 8), bits);
    b.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    b.extend_from_slice(extra);
    b
}

/// A 40-byte WAVEFORMATEXTENSIBLE body with sub-format `guid`.
pub fn fmt_extensible(
    channels: u16,
    rate: u32,
    bits: u16,
    valid_bits: u16,
    guid: [u8; 16],
) -> Vec<u8> {
    let mut extra = Vec::new();
    extra.extend_from_slice(&valid_bits.to_le_bytes());
    extra.extend_from_slice(&0u32.to_le_bytes()); // channel mask
    extra.extend_from_slice(&guid);
    fmt_ex(0xFFFE, channels, rate, bits, &extra)
}

/// RIFF/WAVE file from chunks, each padded to even size; the RIFF size counts everything.
pub fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, data) in chunks {
        body.extend_from_slice(&id[..]);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    file.extend_from_slice(b"WAVE");
    file.extend_from_slice(&body);
    file
}

/// A G.711 WAV made by hand with `fmt ` of 16 bytes and no `fact`.
pub fn g711_wav_minimal(tag: u16, channels: u16, codes: &[u8]) -> Vec<u8> {
    riff(&[
        (b"fmt ", &fmt16(tag, channels, 8000, channels, 8)),
        (b"data", codes),
    ])
}

/// Writes `samples` with hound at the given depth and format into memory.
pub fn hound_wav<S: hound::Sample + Copy>(
    channels: u16,
    rate: u32,
    bits: u16,
    float: bool,
    samples: &[S],
) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut out = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    out.into_inner()
}

/// A deterministic pseudo-random sequence (xorshift), for test signals.
pub fn noise(n: usize, seed: u64) -> impl Iterator<Item = u32> {
    let mut x = seed | 1;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 16) as u32
    })
}

/// The workspace's `testdata/` folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}
