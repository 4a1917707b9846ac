//! Audio file formats for the voxline voice engine: WAV (PCM, float, G.711) and raw G.711.
//!
//! Reading detects the format from the RIFF/WAVE header: 8-bit (unsigned), 16, 24 and 32-bit
//! integer PCM and 32-bit float are decoded with `hound`; G.711 A-law (format tag 6) and mu-law
//! (tag 7), which hound does not read, keep their codes as bytes so transcoding and conformance
//! checks stay lossless. WAVE_FORMAT_EXTENSIBLE forms of all of these are accepted. Headerless
//! `.ul`/`.al` streams are read with [`read_raw_g711`]. Writing produces 16-bit PCM WAV,
//! G.711 WAV (with the `fact` chunk the WAV specification asks of non-PCM formats) and raw codes.
//!
//! The crate works on `std::io` readers and writers (or byte slices); opening files, and writing
//! to a temporary file then renaming it, is the caller's business. No input makes it panic: every
//! problem is a [`WavError`] with a one-line message.
//!
//! ```
//! use voxline_g711::Law;
//! use voxline_wav::{read_audio_bytes, write_g711_wav, SampleFormat};
//!
//! let mut file = Vec::new();
//! write_g711_wav(&mut file, Law::A, 8000, 1, &[0xD5, 0x55, 0xD5]).unwrap();
//! let audio = read_audio_bytes(&file).unwrap();
//! assert_eq!(audio.format, SampleFormat::G711(Law::A));
//! assert_eq!(audio.g711_codes(), Some(&[0xD5, 0x55, 0xD5][..]));
//! assert_eq!(audio.to_i16()[0], 8);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod audio;
mod error;
mod read;
mod write;

pub use audio::{Audio, SampleFormat, MAX_SAMPLE_RATE};
pub use error::WavError;
pub use read::{law_from_extension, read_audio, read_audio_bytes, read_raw_g711};
pub use write::{write_g711_wav, write_pcm16_wav, write_raw};
