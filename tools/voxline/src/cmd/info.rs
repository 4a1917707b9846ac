//! `voxline info`: what an audio file holds.

use crate::error::CliResult;
use crate::files::read_input;
use std::path::Path;
use voxline_frontend::LevelMeter;
use voxline_g711::Law;

/// Prints format, rate, channels, length and level of `input`.
pub fn run(input: &Path, law: Option<Law>, rate: u32) -> CliResult {
    let audio = read_input(input, law, rate)?;
    let samples = audio.to_f32();
    let mut meter = LevelMeter::new();
    meter.process(&samples);
    outln!("file:        {}", input.display());
    outln!("format:      {}", audio.format);
    outln!("sample rate: {} Hz", audio.sample_rate);
    outln!("channels:    {}", audio.channels);
    outln!("frames:      {}", audio.frames());
    outln!("duration:    {:.3} s", audio.duration_secs());
    outln!("peak:        {:.2} dBFS", meter.peak_dbfs());
    outln!("rms:         {:.2} dBFS", meter.rms_dbfs());
    Ok(())
}
