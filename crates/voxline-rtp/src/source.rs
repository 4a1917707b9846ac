//! Per-source sequence validation and loss statistics (RFC 3550 Appendix A.1 and A.3).

/// Packets that must arrive in sequence before a new source is declared valid (RFC 3550 A.1).
pub const MIN_SEQUENTIAL: u32 = 2;

/// Largest forward jump in sequence numbers still taken as the same stream with losses.
pub const MAX_DROPOUT: u16 = 3000;

/// Backward steps shorter than this are late or duplicated packets of the same stream; longer
/// ones are treated as a jump (RFC 3550 A.1).
pub const MAX_MISORDER: u16 = 100;

const SEQ_MOD: u32 = 1 << 16;

/// What [`SourceState::update`] concluded about one packet's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqStatus {
    /// The source is still on probation: not enough packets in sequence yet. Not valid.
    Probation,
    /// In order: `skipped` numbers between the previous highest and this one are missing
    /// (0 for the next packet in sequence). Valid.
    InOrder {
        /// Sequence numbers skipped (lost or still to come), below [`MAX_DROPOUT`].
        skipped: u16,
    },
    /// Same number as the highest seen: a duplicate. Counted as received, as A.1 does.
    Duplicate,
    /// 1 to [`MAX_MISORDER`]` - 1` behind the highest: a late or duplicated packet. Counted as
    /// received, as A.1 does; a jitter buffer that already played its slot drops it.
    Late,
    /// A jump too large to be loss or misorder. Dropped; if the next packet follows this one
    /// in sequence, the sender is taken to have restarted.
    Jumped,
    /// Follows a [`Jumped`](Self::Jumped) packet in sequence: the sender restarted its numbering,
    /// the statistics start over from this packet. Valid.
    Restarted,
}

impl SeqStatus {
    /// Whether the packet belongs to the validated stream (RFC 3550's `update_seq` returned 1).
    pub fn is_valid(self) -> bool {
        !matches!(self, SeqStatus::Probation | SeqStatus::Jumped)
    }
}

/// Loss figures for one RTCP reception report block (RFC 3550 §6.4.1, computed as in A.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LossReport {
    /// Packets lost since the previous report, as a fraction of those expected, times 256.
    pub fraction_lost: u8,
    /// Packets expected minus packets received since the stream (re)started, clamped to the
    /// report block's signed 24 bits; duplicates can make it negative.
    pub cumulative_lost: i32,
    /// Highest sequence number received, extended with 16 bits of wrap count.
    pub extended_highest_seq: u32,
}

/// Sequence-number state of one synchronisation source: validation with probation, resync
/// after a sender restart, wrap counting and loss statistics, as in RFC 3550 Appendix A.1.
///
/// Create one per SSRC and pass it the sequence number of every packet of that SSRC,
/// including the first, in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceState {
    ssrc: u32,
    started: bool,
    max_seq: u16,
    /// Wraps of the sequence number since the stream (re)started.
    cycles: u64,
    base_seq: u16,
    /// The number that would confirm a jump, or `SEQ_MOD + 1` (none).
    bad_seq: u32,
    probation: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
}

impl SourceState {
    /// State for `ssrc`, before its first packet.
    pub const fn new(ssrc: u32) -> Self {
        SourceState {
            ssrc,
            started: false,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
        }
    }

    /// The synchronisation source this state belongs to.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Starts the statistics over at `seq` (A.1 `init_seq`).
    fn init_seq(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        self.bad_seq = SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// Takes the sequence number of the next arriving packet and says whether it is valid
    /// (A.1 `update_seq`), updating the counters.
    pub fn update(&mut self, seq: u16) -> SeqStatus {
        if !self.started {
            // First packet heard from this source: probation starts with it.
            self.started = true;
            self.init_seq(seq);
            self.max_seq = seq.wrapping_sub(1);
            self.probation = MIN_SEQUENTIAL;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SeqStatus::InOrder { skipped: 0 };
                }
            } else {
                // Out of sequence: this packet is the first of a new run.
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SeqStatus::Probation;
        }
        let status = if udelta < MAX_DROPOUT {
            if udelta == 0 {
                SeqStatus::Duplicate
            } else {
                if seq < self.max_seq {
                    self.cycles += 1;
                }
                self.max_seq = seq;
                SeqStatus::InOrder {
                    skipped: udelta - 1,
                }
            }
        } else if u32::from(udelta) <= SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // Two packets in sequence after a jump: the sender restarted.
                self.init_seq(seq);
                SeqStatus::Restarted
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (SEQ_MOD - 1);
                return SeqStatus::Jumped;
            }
        } else {
            SeqStatus::Late
        };
        self.received += 1;
        status
    }

    /// Whether the source has passed probation.
    pub fn is_valid(&self) -> bool {
        self.started && self.probation == 0
    }

    /// Valid packets counted since the stream (re)started, duplicates and late ones included.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Wraps of the sequence number since the stream (re)started.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// The sequence number the statistics start from (the packet that ended probation, or the
    /// one that confirmed a restart).
    pub fn base_seq(&self) -> u16 {
        self.base_seq
    }

    /// Highest sequence number received, extended by the wrap count (`cycles * 65536 + max`).
    pub fn extended_max_seq(&self) -> u64 {
        (self.cycles << 16) + u64::from(self.max_seq)
    }

    /// Packets expected since the stream (re)started: extended highest minus base, plus one.
    /// Zero while on probation.
    pub fn expected(&self) -> u64 {
        if self.is_valid() {
            (self.extended_max_seq() + 1).saturating_sub(u64::from(self.base_seq))
        } else {
            0
        }
    }

    /// Expected minus received: packets lost, negative when duplicates outnumber losses.
    pub fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Loss figures for the next RTCP report, with the fraction lost over the interval since
    /// the previous call (A.3); starts the next interval.
    pub fn loss_report(&mut self) -> LossReport {
        let expected = self.expected();
        let expected_interval = expected as i64 - self.expected_prior as i64;
        self.expected_prior = expected;
        let received_interval = self.received as i64 - self.received_prior as i64;
        self.received_prior = self.received;
        let lost_interval = expected_interval - received_interval;
        let fraction_lost = if expected_interval <= 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval).min(255) as u8
        };
        LossReport {
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_seq: self.extended_max_seq() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_in_sequence_validate_the_source() {
        let mut s = SourceState::new(7);
        assert_eq!(s.update(100), SeqStatus::Probation);
        assert!(!s.is_valid());
        assert_eq!(s.expected(), 0);
        assert_eq!(s.update(101), SeqStatus::InOrder { skipped: 0 });
        assert!(s.is_valid());
        assert_eq!((s.base_seq(), s.received(), s.expected()), (101, 1, 1));
        assert_eq!(s.ssrc(), 7);
    }

    #[test]
    fn probation_restarts_on_a_gap() {
        let mut s = SourceState::new(1);
        assert_eq!(s.update(10), SeqStatus::Probation);
        assert_eq!(s.update(12), SeqStatus::Probation);
        assert_eq!(s.update(13), SeqStatus::InOrder { skipped: 0 });
        assert_eq!(s.base_seq(), 13);
    }
}
