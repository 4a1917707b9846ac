//! The CLI's error: one line for the user and the process exit code.

use std::fmt;

/// Exit code for bad input, bad arguments or an output that cannot be written.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for a conformance run that found mismatches.
pub const EXIT_MISMATCH: u8 = 1;

/// A failure the CLI reports as `voxline: error: <message>` and a non-zero exit.
#[derive(Debug)]
pub struct CliError {
    /// One line naming the problem (and the file it concerns).
    pub message: String,
    /// Process exit code.
    pub code: u8,
}

impl CliError {
    /// Bad input, arguments or output path (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: EXIT_BAD_INPUT,
        }
    }

    /// A conformance mismatch (exit code 1).
    pub fn mismatch(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: EXIT_MISMATCH,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<voxline_core::Error> for CliError {
    fn from(e: voxline_core::Error) -> Self {
        CliError::bad_input(e.to_string())
    }
}

/// `Result` of a CLI command.
pub type CliResult<T = ()> = Result<T, CliError>;
