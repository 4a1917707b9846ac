//! RFC 3550 Appendix A.1 source validation and A.3 loss statistics, scenario by scenario.

use proptest::prelude::*;
use voxline_rtp::{SeqStatus, SourceState, MAX_DROPOUT, MAX_MISORDER};

fn validated(start: u16) -> SourceState {
    let mut s = SourceState::new(0xabc);
    assert_eq!(s.update(start.wrapping_sub(1)), SeqStatus::Probation);
    assert_eq!(s.update(start), SeqStatus::InOrder { skipped: 0 });
    s
}

#[test]
fn probation_needs_two_in_sequence() {
    let mut s = SourceState::new(1);
    assert!(!s.is_valid());
    assert_eq!(s.update(500), SeqStatus::Probation);
    assert_eq!(s.update(700), SeqStatus::Probation); // not sequential: probation restarts
    assert_eq!(s.update(702), SeqStatus::Probation);
    assert!(!s.is_valid());
    assert_eq!(s.received(), 0);
    assert_eq!(s.update(703), SeqStatus::InOrder { skipped: 0 });
    assert!(s.is_valid());
    assert_eq!(s.base_seq(), 703);
    assert_eq!((s.received(), s.expected(), s.cumulative_lost()), (1, 1, 0));
}

#[test]
fn probation_across_the_wrap() {
    let mut s = SourceState::new(1);
    assert_eq!(s.update(65535), SeqStatus::Probation);
    assert_eq!(s.update(0), SeqStatus::InOrder { skipped: 0 });
    assert_eq!(s.cycles(), 0); // statistics start at 0, after the wrap
    assert_eq!(s.update(1), SeqStatus::InOrder { skipped: 0 });
    assert_eq!(s.expected(), 2);
}

#[test]
fn gaps_count_as_losses() {
    let mut s = validated(10);
    assert_eq!(s.update(11), SeqStatus::InOrder { skipped: 0 });
    assert_eq!(s.update(15), SeqStatus::InOrder { skipped: 3 });
    assert_eq!(s.expected(), 6); // 10..=15
    assert_eq!(s.received(), 3);
    assert_eq!(s.cumulative_lost(), 3);
    // A gap just under MAX_DROPOUT is still loss.
    let next = 15 + MAX_DROPOUT - 1;
    assert_eq!(
        s.update(next),
        SeqStatus::InOrder {
            skipped: MAX_DROPOUT - 2
        }
    );
    assert_eq!(s.extended_max_seq(), u64::from(next));
}

#[test]
fn large_jump_then_resync_after_two_sequential() {
    let mut s = validated(1000);
    s.update(1001);
    // A jump of MAX_DROPOUT or more: the packet is dropped, nothing counted.
    assert_eq!(s.update(1001 + MAX_DROPOUT), SeqStatus::Jumped);
    assert_eq!(s.update(30_000), SeqStatus::Jumped);
    assert_eq!(s.received(), 2);
    assert_eq!(s.extended_max_seq(), 1001);
    // The old stream goes on undisturbed.
    assert_eq!(s.update(1002), SeqStatus::InOrder { skipped: 0 });
    // The sender restarted at 30_000: the next one in sequence confirms it.
    assert_eq!(s.update(30_000), SeqStatus::Jumped);
    assert_eq!(s.update(30_001), SeqStatus::Restarted);
    assert_eq!(s.base_seq(), 30_001);
    assert_eq!((s.received(), s.expected(), s.cycles()), (1, 1, 0));
    assert_eq!(s.update(30_002), SeqStatus::InOrder { skipped: 0 });
    assert_eq!(s.update(1003), SeqStatus::Jumped); // the old numbering is now the jump
}

#[test]
fn jump_not_followed_in_sequence_does_not_resync() {
    let mut s = validated(100);
    assert_eq!(s.update(20_000), SeqStatus::Jumped);
    assert_eq!(s.update(20_002), SeqStatus::Jumped); // not 20_001
    assert_eq!(s.update(101), SeqStatus::InOrder { skipped: 0 });
    assert_eq!(s.base_seq(), 100);
}

#[test]
fn misorder_under_100_is_late_beyond_is_a_jump() {
    let mut s = validated(5000);
    for seq in 5001..=5200 {
        s.update(seq);
    }
    assert_eq!(s.update(5200), SeqStatus::Duplicate);
    assert_eq!(s.update(5199), SeqStatus::Late);
    assert_eq!(s.update(5200 - (MAX_MISORDER - 1)), SeqStatus::Late);
    assert_eq!(s.update(5200 - MAX_MISORDER), SeqStatus::Jumped);
    // Late and duplicate packets are counted as received (A.1), so loss can go negative.
    assert_eq!(s.expected(), 201);
    assert_eq!(s.received(), 201 + 3);
    assert_eq!(s.cumulative_lost(), -3);
    assert_eq!(s.extended_max_seq(), 5200);
    assert!(SeqStatus::Late.is_valid() && SeqStatus::Duplicate.is_valid());
    assert!(!SeqStatus::Jumped.is_valid() && !SeqStatus::Probation.is_valid());
}

#[test]
fn late_packet_across_the_wrap() {
    let mut s = validated(65534);
    assert_eq!(s.update(1), SeqStatus::InOrder { skipped: 2 });
    assert_eq!(s.cycles(), 1);
    assert_eq!(s.update(0), SeqStatus::Late); // 65536, behind 65537
    assert_eq!(s.update(65535), SeqStatus::Late);
    assert_eq!(s.cycles(), 1);
    assert_eq!(s.extended_max_seq(), 65537);
    assert_eq!(s.expected(), 4);
    assert_eq!(s.cumulative_lost(), 0);
}

#[test]
fn wrap_around_counts_cycles() {
    let mut s = validated(0);
    let mut seq = 0u16;
    for _ in 0..3 * 65536 + 10 {
        seq = seq.wrapping_add(1);
        assert_eq!(s.update(seq), SeqStatus::InOrder { skipped: 0 });
    }
    assert_eq!(s.cycles(), 3);
    assert_eq!(s.extended_max_seq(), 3 * 65536 + 10);
    assert_eq!(s.expected(), 3 * 65536 + 11);
    assert_eq!(s.cumulative_lost(), 0);
}

#[test]
fn wrap_with_a_gap_counts_a_cycle() {
    let mut s = validated(65000);
    assert_eq!(s.update(500), SeqStatus::InOrder { skipped: 1035 });
    assert_eq!(s.cycles(), 1);
    assert_eq!(s.extended_max_seq(), 65536 + 500);
    assert_eq!(s.expected(), 1037);
    assert_eq!(s.cumulative_lost(), 1035);
}

#[test]
fn fraction_lost_per_interval() {
    let mut s = validated(0);
    // Interval 1: 0..=99 expected, every fourth lost: 25 of 100.
    for seq in 1..100u16 {
        if seq % 4 != 0 {
            s.update(seq);
        }
    }
    // seq 0 was received (validation), 4, 8, ... 96 lost: 24 lost; 99 is the highest.
    let r = s.loss_report();
    assert_eq!(r.extended_highest_seq, 99);
    assert_eq!(r.cumulative_lost, 24);
    assert_eq!(r.fraction_lost, (24 * 256 / 100) as u8);
    // Interval 2: nothing lost.
    for seq in 100..200u16 {
        s.update(seq);
    }
    let r = s.loss_report();
    assert_eq!((r.fraction_lost, r.cumulative_lost), (0, 24));
    // Interval 3: no packets: no expected, fraction 0.
    assert_eq!(s.loss_report().fraction_lost, 0);
    // Interval 4: duplicates outnumber losses: fraction 0 (not negative).
    s.update(201);
    s.update(201);
    s.update(201);
    let r = s.loss_report();
    assert_eq!((r.fraction_lost, r.cumulative_lost), (0, 23));
}

#[test]
fn cumulative_lost_is_clamped_to_24_bits() {
    let mut s = validated(0);
    let mut seq = 0u16;
    // Jump forward by MAX_DROPOUT - 1 repeatedly: 2999 lost per packet.
    for _ in 0..3000 {
        seq = seq.wrapping_add(MAX_DROPOUT - 1);
        s.update(seq);
    }
    assert!(s.cumulative_lost() > 8_000_000);
    s.update(seq.wrapping_add(MAX_DROPOUT - 1));
    let lost = s.cumulative_lost();
    let r = s.loss_report();
    assert_eq!(i64::from(r.cumulative_lost), lost.min(0x7f_ffff));
    assert_eq!(r.extended_highest_seq, s.extended_max_seq() as u32);
    assert!(r.fraction_lost > 250);
}

proptest! {
    /// Whatever the sequence numbers, the counters stay consistent and nothing panics.
    #[test]
    fn arbitrary_sequences_keep_counters_consistent(seqs in prop::collection::vec(any::<u16>(), 0..500)) {
        let mut s = SourceState::new(9);
        for seq in seqs {
            let status = s.update(seq);
            if s.is_valid() {
                prop_assert!(s.expected() >= 1);
                prop_assert!(s.received() >= 1 || status == SeqStatus::Jumped);
            } else {
                prop_assert_eq!(status, SeqStatus::Probation);
                prop_assert_eq!(s.expected(), 0);
            }
            let r = s.loss_report();
            prop_assert!(i64::from(r.cumulative_lost) <= s.cumulative_lost().max(-0x80_0000));
        }
    }

    /// A validated in-order stream with random single losses counts exactly those losses.
    #[test]
    fn random_losses_are_counted_exactly(
        start in any::<u16>(),
        lost in prop::collection::vec(any::<bool>(), 10..3000),
    ) {
        let mut s = validated(start);
        // Offsets from `start`; `start` itself validated the source.
        let mut last_received = 0u64;
        let mut dropped = 0u64;
        for (i, &drop) in lost.iter().enumerate() {
            let offset = 1 + i as u64;
            if drop {
                dropped += 1;
            } else {
                let skipped = (offset - last_received - 1) as u16;
                prop_assert_eq!(
                    s.update(start.wrapping_add(offset as u16)),
                    SeqStatus::InOrder { skipped }
                );
                last_received = offset;
            }
        }
        prop_assert_eq!(s.expected(), last_received + 1);
        // Losses after the last received packet are not known yet.
        let trailing = lost.len() as u64 - last_received;
        prop_assert_eq!(s.cumulative_lost(), (dropped - trailing) as i64);
    }
}
