//! Sampling and quantisation front-end of voxline: the edge between the 16-bit integer world of
//! devices, codecs and files and the `f32` world of the DSP stages.
//!
//! - [`convert`]: i16 <-> f32 with one symmetric scale (`1/32768` in, `32768` out) and
//!   saturation, so `i16 -> f32 -> i16` is exact.
//! - [`Quantizer`]: f32 -> i16 with optional seeded TPDF dither (deterministic).
//! - [`Biquad`], [`HighPassFilter`]: DC removal (the default) and a configurable rumble
//!   high-pass, as the first stage of a send path.
//! - [`LevelMeter`]: RMS and peak level in dBFS.
//! - [`Resampler`]: a streaming, allocation-free resampler between 8, 16, 32, 44.1 and 48 kHz
//!   built on rubato's FFT resampler, taking and giving fixed 10 ms frames and reporting its
//!   latency; [`resample_all`] converts a whole clip with that latency removed.
//!
//! Everything here is sans-IO: no I/O, no threads, no clocks. `process` methods allocate
//! nothing; buffers are sized at construction.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod convert;
mod filter;
mod level;
mod quantize;
mod resample;

pub use filter::{Biquad, FilterConfig, HighPassFilter};
pub use level::{LevelMeter, LEVEL_FLOOR_DBFS};
pub use quantize::{Dither, Quantizer};
pub use resample::{resample_all, Resampler};
