use crate::{Error, Result};
use core::fmt;

/// A sample rate that voxline processes natively.
///
/// 8 kHz is narrow-band telephony (G.711), 16 kHz wide-band, 32 kHz super-wide-band, 44.1 and
/// 48 kHz are what sound cards run at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SampleRate {
    /// 8000 Hz, narrow-band telephony.
    Hz8000,
    /// 16000 Hz, wide-band.
    Hz16000,
    /// 32000 Hz, super-wide-band.
    Hz32000,
    /// 44100 Hz, consumer audio devices.
    Hz44100,
    /// 48000 Hz, most audio devices.
    Hz48000,
}

impl SampleRate {
    /// Every supported rate, ascending.
    pub const ALL: [SampleRate; 5] = [
        SampleRate::Hz8000,
        SampleRate::Hz16000,
        SampleRate::Hz32000,
        SampleRate::Hz44100,
        SampleRate::Hz48000,
    ];

    /// The rate in hertz.
    pub const fn hz(self) -> u32 {
        match self {
            SampleRate::Hz8000 => 8000,
            SampleRate::Hz16000 => 16000,
            SampleRate::Hz32000 => 32000,
            SampleRate::Hz44100 => 44100,
            SampleRate::Hz48000 => 48000,
        }
    }

    /// The rate for `hz`, or [`Error::UnsupportedSampleRate`].
    pub const fn from_hz(hz: u32) -> Result<Self> {
        match hz {
            8000 => Ok(SampleRate::Hz8000),
            16000 => Ok(SampleRate::Hz16000),
            32000 => Ok(SampleRate::Hz32000),
            44100 => Ok(SampleRate::Hz44100),
            48000 => Ok(SampleRate::Hz48000),
            other => Err(Error::UnsupportedSampleRate(other)),
        }
    }

    /// Samples in one 10 ms frame at this rate (80, 160, 320, 441 or 480).
    pub const fn samples_per_10ms(self) -> usize {
        (self.hz() / 100) as usize
    }

    /// Samples in one frame of `duration` at this rate.
    pub const fn samples_in(self, duration: FrameDuration) -> usize {
        self.samples_per_10ms() * duration.tens_of_ms()
    }

    /// Nyquist frequency in hertz.
    pub fn nyquist_hz(self) -> f32 {
        self.hz() as f32 / 2.0
    }
}

impl TryFrom<u32> for SampleRate {
    type Error = Error;
    fn try_from(hz: u32) -> Result<Self> {
        SampleRate::from_hz(hz)
    }
}

impl From<SampleRate> for u32 {
    fn from(rate: SampleRate) -> u32 {
        rate.hz()
    }
}

impl fmt::Display for SampleRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Hz", self.hz())
    }
}

/// Length of one processing frame or packet: 10 ms (the processing unit) or a multiple used
/// for packetisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum FrameDuration {
    /// 10 ms, the unit every `process` call works on.
    #[default]
    Ms10,
    /// 20 ms, the most common VoIP packet size.
    Ms20,
    /// 30 ms.
    Ms30,
}

impl FrameDuration {
    /// The duration in milliseconds.
    pub const fn ms(self) -> u32 {
        match self {
            FrameDuration::Ms10 => 10,
            FrameDuration::Ms20 => 20,
            FrameDuration::Ms30 => 30,
        }
    }

    /// How many 10 ms frames this duration holds.
    pub const fn tens_of_ms(self) -> usize {
        (self.ms() / 10) as usize
    }

    /// The duration for `ms`, or [`Error::UnsupportedFrameDuration`].
    pub const fn from_ms(ms: u32) -> Result<Self> {
        match ms {
            10 => Ok(FrameDuration::Ms10),
            20 => Ok(FrameDuration::Ms20),
            30 => Ok(FrameDuration::Ms30),
            other => Err(Error::UnsupportedFrameDuration(other)),
        }
    }
}

impl fmt::Display for FrameDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_trip_and_frame_sizes() {
        let expect = [80, 160, 320, 441, 480];
        for (rate, n) in SampleRate::ALL.iter().zip(expect) {
            assert_eq!(SampleRate::from_hz(rate.hz()), Ok(*rate));
            assert_eq!(rate.samples_per_10ms(), n);
            assert_eq!(rate.samples_in(FrameDuration::Ms30), 3 * n);
        }
    }

    #[test]
    fn unsupported_values_are_named_in_the_error() {
        let e = SampleRate::from_hz(22050).unwrap_err();
        assert_eq!(e, Error::UnsupportedSampleRate(22050));
        assert!(e.to_string().contains("22050"));
        let e = FrameDuration::from_ms(15).unwrap_err();
        assert!(e.to_string().contains("15 ms"));
        assert_eq!(SampleRate::from_hz(0), Err(Error::UnsupportedSampleRate(0)));
    }
}
