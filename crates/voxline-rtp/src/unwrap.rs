//! Extending 16-bit sequence numbers and 32-bit timestamps past their wrap-around.

/// Turns 16-bit RTP sequence numbers into a 64-bit count that keeps increasing across the
/// 65535 -> 0 wrap, so packets can be ordered and gaps measured with plain subtraction.
///
/// Each number is placed at the extended value nearest the highest one seen so far (within
/// ±32768), so packets reordered around the wrap land on the right side of it. The first
/// number maps to itself (0..=65535); a packet older than the first may map below it, even
/// below zero, hence the signed result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SequenceUnwrapper {
    highest: Option<i64>,
}

impl SequenceUnwrapper {
    /// An unwrapper that has seen no number yet.
    pub const fn new() -> Self {
        SequenceUnwrapper { highest: None }
    }

    /// The extended value of `seq`, remembering it if it is the highest so far.
    pub fn unwrap(&mut self, seq: u16) -> i64 {
        let extended = self.peek(seq);
        if self.highest.is_none_or(|h| extended > h) {
            self.highest = Some(extended);
        }
        extended
    }

    /// The extended value [`unwrap`](Self::unwrap) would return, without updating the state.
    pub fn peek(&self, seq: u16) -> i64 {
        match self.highest {
            None => i64::from(seq),
            // Truncating the reference to 16 bits keeps it congruent modulo 2^16.
            Some(h) => h + i64::from(seq.wrapping_sub(h as u16) as i16),
        }
    }

    /// The highest extended value returned so far.
    pub fn highest(&self) -> Option<i64> {
        self.highest
    }

    /// Forgets everything, as for a new stream.
    pub fn reset(&mut self) {
        self.highest = None;
    }
}

/// Turns 32-bit RTP timestamps into a 64-bit value that keeps increasing across the wrap, for
/// computing play-out times and durations with plain subtraction.
///
/// Works like [`SequenceUnwrapper`]: each timestamp is placed nearest the highest one seen
/// (within ±2^31), the first maps to itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TimestampUnwrapper {
    highest: Option<i64>,
}

impl TimestampUnwrapper {
    /// An unwrapper that has seen no timestamp yet.
    pub const fn new() -> Self {
        TimestampUnwrapper { highest: None }
    }

    /// The extended value of `timestamp`, remembering it if it is the highest so far.
    pub fn unwrap(&mut self, timestamp: u32) -> i64 {
        let extended = self.peek(timestamp);
        if self.highest.is_none_or(|h| extended > h) {
            self.highest = Some(extended);
        }
        extended
    }

    /// The extended value [`unwrap`](Self::unwrap) would return, without updating the state.
    pub fn peek(&self, timestamp: u32) -> i64 {
        match self.highest {
            None => i64::from(timestamp),
            Some(h) => h + i64::from(timestamp.wrapping_sub(h as u32) as i32),
        }
    }

    /// The highest extended value returned so far.
    pub fn highest(&self) -> Option<i64> {
        self.highest
    }

    /// Forgets everything, as for a new stream.
    pub fn reset(&mut self) {
        self.highest = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_wraps_forward_and_reorders_back() {
        let mut u = SequenceUnwrapper::new();
        assert_eq!(u.unwrap(65534), 65534);
        assert_eq!(u.unwrap(1), 65537);
        assert_eq!(u.unwrap(65535), 65535);
        assert_eq!(u.unwrap(0), 65536);
        assert_eq!(u.highest(), Some(65537));
        assert_eq!(u.peek(2), 65538);
    }

    #[test]
    fn packet_older_than_the_first_goes_negative() {
        let mut u = SequenceUnwrapper::new();
        assert_eq!(u.unwrap(0), 0);
        assert_eq!(u.unwrap(65535), -1);
        u.reset();
        assert_eq!(u.unwrap(65535), 65535);
    }

    #[test]
    fn timestamp_wraps() {
        let mut u = TimestampUnwrapper::new();
        assert_eq!(u.unwrap(u32::MAX - 79), i64::from(u32::MAX) - 79);
        assert_eq!(u.unwrap(80), (1 << 32) + 80);
        assert_eq!(u.unwrap(u32::MAX), i64::from(u32::MAX));
    }
}
