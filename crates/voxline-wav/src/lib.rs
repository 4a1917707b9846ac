//! WAV files (being written).
