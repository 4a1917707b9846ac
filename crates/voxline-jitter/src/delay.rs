//! Target delay from the recent distribution of packet transit times.
//!
//! Each packet's transit time is its arrival time minus its media time (RTP timestamp in ms),
//! which is the one-way delay plus an unknown constant clock offset. Playing media time `m` at
//! receiver time `m + offset` makes every packet with `transit <= offset` arrive in time, so
//! the target offset is a high quantile of the transit times over a sliding window of arrival
//! time (default 2 minutes).
//!
//! Clock skew between sender and receiver makes transit times drift (0.2 ms per second at
//! 200 ppm, 24 ms over the window). The drift is estimated as the least-squares slope of the
//! per-block minimum transit (blocks of `BLOCK_MS`), used only when significant (beyond two
//! standard errors) and clamped to `MAX_SKEW`, and every transit in
//! the window is projected to the present along it before the quantile is taken, so skew
//! neither inflates nor shrinks the target.
//!
//! Cost: the transit times live in a Fenwick tree (binary indexed tree) over 0.25 ms bins, so
//! adding or forgetting a packet and reading a quantile are O(log bins), about 14 steps; the
//! tree is rebuilt (O(packets in the window)) only when the skew estimate changes, at most
//! once per 5 s block.

use std::collections::VecDeque;

/// Length of the blocks whose minimum transit tracks the clock drift, in ms.
const BLOCK_MS: f64 = 5_000.0;
/// Largest clock skew compensated, as a slope (ms of transit per ms of arrival): 500 ppm.
const MAX_SKEW: f64 = 500e-6;
/// Blocks needed before a slope is estimated.
const MIN_BLOCKS: usize = 4;
/// Resolution of the transit-time histogram, in ms.
const BIN_MS: f64 = 0.25;
/// Bins of the histogram (a power of two for the Fenwick search): 4.096 s of range.
const BINS: usize = 1 << 14;
/// Where the range starts below the smallest key at a rebuild, in ms.
const RANGE_BELOW_MS: f64 = 1000.0;

/// Sliding-window quantile of transit times; allocation-free after construction.
#[derive(Debug, Clone)]
pub(crate) struct DelayEstimator {
    /// (arrival ms, transit ms), oldest first.
    history: VecDeque<(f64, f64)>,
    capacity: usize,
    window_ms: f64,
    /// Fenwick tree of counts per bin of `key = transit - slope * arrival`.
    tree: Vec<u32>,
    /// Key at the lower edge of bin 0.
    origin: f64,
    /// (block start ms, minimum transit in the block), oldest first.
    blocks: VecDeque<(f64, f64)>,
    /// Estimated drift of transit time per ms of arrival time.
    slope: f64,
}

impl DelayEstimator {
    pub(crate) fn new(capacity: usize, window_ms: f64) -> Self {
        Self {
            history: VecDeque::with_capacity(capacity),
            capacity,
            window_ms,
            tree: vec![0; BINS + 1],
            origin: 0.0,
            blocks: VecDeque::with_capacity((window_ms / BLOCK_MS) as usize + 2),
            slope: 0.0,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.history.clear();
        self.blocks.clear();
        self.slope = 0.0;
        self.tree.fill(0);
    }

    /// The clock skew estimate, as transit drift per ms of arrival time.
    pub(crate) fn skew(&self) -> f64 {
        self.slope
    }

    fn update_blocks(&mut self, arrival_ms: f64, transit_ms: f64) -> bool {
        let before = self.slope;
        match self.blocks.back_mut() {
            Some((start, min)) if arrival_ms < *start + BLOCK_MS => *min = min.min(transit_ms),
            _ => {
                if self.blocks.len() == self.blocks.capacity() {
                    self.blocks.pop_front();
                }
                let start = self.blocks.back().map_or(arrival_ms, |&(s, _)| {
                    s + BLOCK_MS * ((arrival_ms - s) / BLOCK_MS).floor()
                });
                self.blocks.push_back((start, transit_ms));
            }
        }
        while self
            .blocks
            .front()
            .is_some_and(|&(s, _)| s + BLOCK_MS < arrival_ms - self.window_ms)
        {
            self.blocks.pop_front();
        }
        // Least-squares slope over the completed blocks (the newest is still filling).
        let done = self.blocks.len().saturating_sub(1);
        if done < MIN_BLOCKS {
            self.slope = 0.0;
            return self.slope != before;
        }
        let n = done as f64;
        let (mut sx, mut sy) = (0.0, 0.0);
        for &(x, y) in self.blocks.iter().take(done) {
            sx += x;
            sy += y;
        }
        let (mx, my) = (sx / n, sy / n);
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for &(x, y) in self.blocks.iter().take(done) {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
        }
        if sxx <= 0.0 {
            self.slope = 0.0;
            return self.slope != before;
        }
        let slope = sxy / sxx;
        // Only a significant drift is compensated (|slope| over two standard errors): on a
        // skew-free link the block minima jitter, and a spurious slope would tilt the target.
        let mut sse = 0.0;
        for &(x, y) in self.blocks.iter().take(done) {
            let r = y - my - slope * (x - mx);
            sse += r * r;
        }
        let stderr = (sse / (n - 2.0).max(1.0) / sxx).sqrt();
        self.slope = if slope.abs() > 2.0 * stderr {
            slope.clamp(-MAX_SKEW, MAX_SKEW)
        } else {
            0.0
        };
        self.slope != before
    }

    pub(crate) fn len(&self) -> usize {
        self.history.len()
    }

    fn key(&self, arrival_ms: f64, transit_ms: f64) -> f64 {
        transit_ms - self.slope * arrival_ms
    }

    fn bin(&self, key: f64) -> Option<usize> {
        let b = ((key - self.origin) / BIN_MS).floor();
        (b >= 0.0 && b < BINS as f64).then_some(b as usize)
    }

    fn add(&mut self, bin: usize, delta: i32) {
        let mut i = bin + 1;
        while i <= BINS {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// The smallest bin whose cumulative count reaches `rank` (1-based).
    fn search(&self, rank: u32) -> usize {
        let (mut pos, mut remaining) = (0, rank);
        let mut step = BINS;
        while step > 0 {
            let next = pos + step;
            if next <= BINS && self.tree[next] < remaining {
                pos = next;
                remaining -= self.tree[next];
            }
            step >>= 1;
        }
        pos.min(BINS - 1)
    }

    /// Refills the tree from the history, with the current slope and a fresh origin.
    fn rebuild(&mut self) {
        self.tree.fill(0);
        let min_key = self
            .history
            .iter()
            .map(|&(a, t)| self.key(a, t))
            .fold(f64::INFINITY, f64::min);
        self.origin = if min_key.is_finite() {
            min_key - RANGE_BELOW_MS
        } else {
            0.0
        };
        for i in 0..self.history.len() {
            let (a, t) = self.history[i];
            let b = self.bin(self.key(a, t)).unwrap_or(BINS - 1);
            self.add(b, 1);
        }
    }

    /// Records one packet.
    pub(crate) fn update(&mut self, arrival_ms: f64, transit_ms: f64) {
        while let Some(&(a, t)) = self.history.front() {
            if a >= arrival_ms - self.window_ms && self.history.len() < self.capacity {
                break;
            }
            self.history.pop_front();
            let b = self.bin(self.key(a, t)).unwrap_or(BINS - 1);
            self.add(b, -1);
        }
        self.history.push_back((arrival_ms, transit_ms));
        let slope_changed = self.update_blocks(arrival_ms, transit_ms);
        match self.bin(self.key(arrival_ms, transit_ms)) {
            Some(b) if !slope_changed && self.history.len() > 1 => self.add(b, 1),
            // First packet, a new skew estimate, or a key out of range (the delay moved by
            // seconds): rebuild around the present values.
            _ => self.rebuild(),
        }
    }

    /// The quantile `q` of the transit times in the window (projected to the newest arrival
    /// along the drift), raised by `sigmas` binomial standard deviations of its rank, or
    /// `None` when empty. Resolution 0.25 ms, rounded up.
    pub(crate) fn quantile(&mut self, q: f64, sigmas: f64) -> Option<f64> {
        let &(now, _) = self.history.back()?;
        let n = self.history.len();
        // An upper confidence bound on the quantile: with few packets the estimate is
        // unreliable (most of all with a heavy tail, whose rare spikes a short history has
        // not seen yet), so the rank moves up by `sigmas` binomial standard deviations. With
        // many packets this tends to the quantile itself.
        let nf = n as f64;
        let rank = q * nf + sigmas * (nf * q * (1.0 - q)).sqrt();
        let rank = (rank.ceil() as usize).clamp(1, n) as u32;
        let b = self.search(rank);
        Some(self.origin + (b as f64 + 1.0) * BIN_MS + self.slope * now)
    }

    /// The smallest transit time in the window (projected to the present along the drift),
    /// rounded down to the resolution.
    pub(crate) fn min(&mut self) -> Option<f64> {
        let &(now, _) = self.history.back()?;
        let b = self.search(1);
        Some(self.origin + b as f64 * BIN_MS + self.slope * now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_and_window() {
        let mut d = DelayEstimator::new(1000, 10_000.0);
        assert_eq!(d.quantile(0.99, 0.0), None);
        for i in 0..100 {
            d.update(f64::from(i) * 20.0, f64::from(i % 100));
        }
        // Values are integers; the quantile reads the upper edge of its 0.25 ms bin.
        assert_eq!(d.quantile(0.99, 0.0), Some(98.25));
        assert_eq!(d.quantile(0.5, 0.0), Some(49.25));
        // One standard deviation of the rank of the median of 100 is 5 ranks.
        assert_eq!(d.quantile(0.5, 1.0), Some(54.25));
        assert_eq!(d.min(), Some(0.0));
        // Everything older than 10 s falls out of the window.
        d.update(20_000.0, 500.0);
        assert_eq!(d.len(), 1);
        assert_eq!(d.quantile(0.99, 0.0), Some(500.25));
    }

    #[test]
    fn skew_is_estimated_and_removed() {
        let mut d = DelayEstimator::new(100_000, 120_000.0);
        // Transit drifts down 0.2 ms per second (receiver 200 ppm slow), jitter 0..9 ms.
        for i in 0..6000u32 {
            let a = f64::from(i) * 20.0;
            d.update(a, 50.0 - 200e-6 * a + f64::from(i * 7 % 10));
        }
        assert!((d.skew() + 200e-6).abs() < 20e-6, "skew {}", d.skew());
        // Without projection the 99th percentile would sit ~24 ms high (the window's oldest
        // packets); projected, it is the present level plus the jitter.
        let now_level = 50.0 - 200e-6 * 119_980.0;
        let q = d.quantile(0.99, 0.0).unwrap();
        assert!(
            (q - (now_level + 9.0)).abs() < 2.0,
            "q {q} vs {}",
            now_level + 9.0
        );
    }

    #[test]
    fn matches_a_sorted_reference_on_random_data() {
        let mut d = DelayEstimator::new(500, 1e12);
        let mut reference = Vec::new();
        let mut x = 12345u32;
        for i in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let t = 30.0 + f64::from(x % 4000) / 16.0; // 30..280 ms, 1/16 ms steps
            d.update(f64::from(i), t);
            reference.push(t);
            if reference.len() > 500 {
                reference.remove(0);
            }
            let mut sorted = reference.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.5, 0.9, 0.99] {
                let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
                let got = d.quantile(q, 0.0).unwrap();
                assert!(
                    got >= sorted[k] && got <= sorted[k] + BIN_MS + 1e-9,
                    "{got} vs {}",
                    sorted[k]
                );
            }
            let m = d.min().unwrap();
            assert!(m <= sorted[0] && m > sorted[0] - BIN_MS - 1e-9);
        }
    }

    #[test]
    fn capacity_is_respected() {
        let mut d = DelayEstimator::new(8, 1e9);
        for i in 0..100 {
            d.update(f64::from(i), f64::from(i));
        }
        assert_eq!(d.len(), 8);
        assert_eq!(d.min(), Some(92.0));
    }
}
