//! The one error type of voxline-io, with one-line messages.

/// What can go wrong opening or running audio devices.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IoError {
    /// A frame passed to the processing side was not one 10 ms frame at the device rate.
    #[error("frame of {actual} samples, expected {expected} (10 ms at the device rate)")]
    FrameLength {
        /// Samples per frame the device runs at.
        expected: usize,
        /// Samples passed.
        actual: usize,
    },
    /// The configuration is invalid.
    #[error("invalid audio configuration: {0}")]
    Config(String),
    /// No device of that name (the message lists the devices there are).
    #[error("no {direction} device named {name:?} (available: {available})")]
    NoSuchDevice {
        /// "input" or "output".
        direction: &'static str,
        /// The name asked for.
        name: String,
        /// Names of the devices of that direction, comma-separated.
        available: String,
    },
    /// The host has no default device of this direction.
    #[error("no default {0} audio device (is a sound server or card available?)")]
    NoDefaultDevice(&'static str),
    /// The devices cannot run in a way voxline supports (rate, format, channels).
    #[error("unsupported audio device configuration: {0}")]
    Unsupported(String),
    /// The audio backend refused an operation.
    #[error("audio backend error: {0}")]
    Backend(String),
    /// A running stream failed (for example the device was unplugged); the device is closed.
    #[error("{direction} stream failed: {message}")]
    StreamFailed {
        /// "input" or "output".
        direction: &'static str,
        /// The backend's description.
        message: String,
    },
    /// The capture device delivered nothing for this long.
    #[error("the input device delivered no audio for {0} ms")]
    Timeout(u64),
}
