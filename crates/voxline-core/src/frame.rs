use crate::{Error, FrameDuration, Result, SampleRate};

/// One mono frame of audio as `f32` in [-1.0, 1.0], with its rate, allocated once.
///
/// The buffer is sized at construction for its rate and duration and never reallocates, so a
/// stage can own one and reuse it on every `process` call of a real-time audio callback.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    rate: SampleRate,
    duration: FrameDuration,
    samples: Box<[f32]>,
}

impl AudioFrame {
    /// A silent frame of `duration` at `rate`.
    pub fn new(rate: SampleRate, duration: FrameDuration) -> Self {
        AudioFrame {
            rate,
            duration,
            samples: vec![0.0; rate.samples_in(duration)].into_boxed_slice(),
        }
    }

    /// The frame's sample rate.
    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// The frame's duration.
    pub fn duration(&self) -> FrameDuration {
        self.duration
    }

    /// Number of samples (fixed for the frame's life).
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Always false: a frame holds at least 80 samples. Present for API completeness.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples.
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// The samples, writable.
    pub fn samples_mut(&mut self) -> &mut [f32] {
        &mut self.samples
    }

    /// Copies `src` into the frame; `src` must have exactly [`len`](Self::len) samples.
    pub fn copy_from(&mut self, src: &[f32]) -> Result<()> {
        check_len(self.samples.len(), src.len())?;
        self.samples.copy_from_slice(src);
        Ok(())
    }

    /// Sets every sample to zero.
    pub fn clear(&mut self) {
        self.samples.fill(0.0);
    }
}

/// Returns [`Error::FrameLength`] unless `actual == expected`; for `process` entry points.
pub(crate) fn check_len(expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::FrameLength { expected, actual })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_is_sized_for_rate_and_duration() {
        let mut f = AudioFrame::new(SampleRate::Hz16000, FrameDuration::Ms20);
        assert_eq!(f.len(), 320);
        assert!(f.samples().iter().all(|&s| s == 0.0));
        assert_eq!(
            f.copy_from(&[0.0; 160]),
            Err(Error::FrameLength {
                expected: 320,
                actual: 160
            })
        );
        f.copy_from(&[0.25; 320]).unwrap();
        assert_eq!(f.samples()[319], 0.25);
        f.clear();
        assert_eq!(f.samples()[0], 0.0);
    }
}
