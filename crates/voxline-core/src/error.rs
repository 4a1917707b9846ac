use thiserror::Error;

/// Errors shared by the voxline crates: invalid configuration and mismatched frames.
///
/// Messages are one line and name the offending value, so a command-line tool can print them
/// as they are.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A sample rate voxline does not process.
    #[error("unsupported sample rate {0} Hz (supported: 8000, 16000, 32000, 44100, 48000)")]
    UnsupportedSampleRate(u32),
    /// A frame duration voxline does not process.
    #[error("unsupported frame duration {0} ms (supported: 10, 20, 30)")]
    UnsupportedFrameDuration(u32),
    /// A buffer handed to a `process` call does not have the configured length.
    #[error("frame length mismatch: expected {expected} samples, got {actual}")]
    FrameLength {
        /// Samples the stage was configured for.
        expected: usize,
        /// Samples it was given.
        actual: usize,
    },
    /// A configuration value outside its valid range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// `Result` with the voxline [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
