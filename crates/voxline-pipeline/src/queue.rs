//! A fixed ring of outgoing RTP packets, allocated at construction.

use voxline_rtp::{FIXED_HEADER_LEN, MAX_SAMPLES_PER_PACKET};

/// Longest packet the send path writes: an RTP header and 30 ms of G.711.
pub const MAX_PACKET_LEN: usize = FIXED_HEADER_LEN + MAX_SAMPLES_PER_PACKET;

/// Packets waiting to be polled; when full, the oldest is overwritten (and counted).
#[derive(Debug, Clone)]
pub(crate) struct PacketQueue {
    slots: Vec<[u8; MAX_PACKET_LEN]>,
    lens: Vec<usize>,
    head: usize,
    len: usize,
    dropped: u64,
}

impl PacketQueue {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            slots: vec![[0; MAX_PACKET_LEN]; capacity],
            lens: vec![0; capacity],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    /// The slot the next packet goes to: the oldest packet's when the queue is full.
    pub(crate) fn next_slot(&mut self) -> &mut [u8; MAX_PACKET_LEN] {
        let index = self.write_index();
        &mut self.slots[index]
    }

    fn write_index(&self) -> usize {
        if self.len == self.slots.len() {
            self.head
        } else {
            (self.head + self.len) % self.slots.len()
        }
    }

    /// Commits the packet of `len` bytes just written into [`next_slot`](Self::next_slot).
    pub(crate) fn commit(&mut self, len: usize) {
        let index = self.write_index();
        self.lens[index] = len;
        if self.len == self.slots.len() {
            self.head = (self.head + 1) % self.slots.len();
            self.dropped += 1;
        } else {
            self.len += 1;
        }
    }

    /// Takes the oldest packet.
    pub(crate) fn pop(&mut self) -> Option<&[u8]> {
        if self.len == 0 {
            return None;
        }
        let index = self.head;
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        Some(&self.slots[index][..self.lens[index]])
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(q: &mut PacketQueue, byte: u8) {
        q.next_slot()[0] = byte;
        q.commit(1 + usize::from(byte));
    }

    #[test]
    fn fifo_order_and_overflow_drops_the_oldest() {
        let mut q = PacketQueue::new(3);
        for b in 1..=5 {
            push(&mut q, b);
        }
        assert_eq!(q.dropped(), 2);
        assert_eq!(q.len(), 3);
        for expected in 3..=5u8 {
            let p = q.pop().expect("packet");
            assert_eq!(p[0], expected);
            assert_eq!(p.len(), 1 + usize::from(expected));
        }
        assert!(q.pop().is_none());
        push(&mut q, 9);
        assert_eq!(q.pop().map(|p| p[0]), Some(9));
    }
}
