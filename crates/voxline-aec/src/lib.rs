//! Acoustic echo cancellation for the voxline voice engine.
//!
//! The far-end talker's voice comes out of the loudspeaker, bounces around the room and back
//! into the microphone; [`EchoCanceller`] removes it from the microphone signal, 10 ms at a
//! time at 8, 16, 32 or 48 kHz, with no added latency and no allocation per frame:
//!
//! 1. **Bulk delay** between render and capture (0 to 1 s by default) is found by a
//!    generalised cross-correlation of 4 kHz-decimated signals, searched a few lags per frame.
//! 2. A **partitioned-block frequency-domain adaptive filter** (overlap-save, 10 ms partitions,
//!    250 ms tail by default) models the room after that delay. Two filters run side by side:
//!    the *main* filter's step follows the expected misalignment over the expected error power
//!    per bin (a diagonal frequency-domain Kalman filter), so double talk slows it instead of
//!    wrecking it; the *shadow* filter is a fast fixed-step NLMS that re-converges quickly after
//!    an echo path change. The better of the two is used every frame and copied into the other
//!    when one clearly wins or diverges.
//! 3. A **residual-echo suppressor** removes what the linear filter cannot (loudspeaker
//!    non-linearity, misadjustment) with a per-band gain applied through a minimum-phase FIR,
//!    and fills the removed bands with **comfort noise** at the background level.
//!
//! The crate is sans-IO: no threads, clocks or files; time is the frame count.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod canceller;
mod delay;
mod fft;
mod filter;
mod suppressor;

pub use canceller::{EchoCanceller, EchoCancellerConfig, EchoCancellerStats};
