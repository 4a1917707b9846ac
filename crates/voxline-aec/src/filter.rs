//! Partitioned-block frequency-domain adaptive filter (overlap-save, one partition per 10 ms
//! block) and the ring of render spectra it filters.
//!
//! The echo path is modelled as `P` partitions of `B` taps (one frame each). With the render
//! spectrum `X_j` of the block `j` frames ago (an FFT of 2B samples: previous and current
//! block), the echo estimate of the current block is the last `B` samples of
//! `IFFT(sum_p W_p X_{d+p})`, where `d` is the bulk delay in blocks. Coefficients are updated
//! in the frequency domain (`W_p += G * conj(X_{d+p})` with a per-bin step `G`); the time-domain
//! constraint (each partition's impulse response has only `B` taps) is re-imposed on a couple of
//! partitions per frame in turn, which keeps the per-frame cost bounded.

use crate::fft::{RealFft, Spectrum};

/// The render spectra of the last `len` blocks, newest first.
pub(crate) struct RenderSpectra {
    bins: usize,
    len: usize,
    head: usize,
    re: Vec<f32>,
    im: Vec<f32>,
}

impl RenderSpectra {
    pub(crate) fn new(bins: usize, len: usize) -> Self {
        Self {
            bins,
            len,
            head: 0,
            re: vec![0.0; bins * len],
            im: vec![0.0; bins * len],
        }
    }

    /// Adds the newest block's spectrum.
    pub(crate) fn push(&mut self, spectrum: &Spectrum) {
        self.head = (self.head + 1) % self.len;
        let at = self.head * self.bins;
        self.re[at..at + self.bins].copy_from_slice(&spectrum.re);
        self.im[at..at + self.bins].copy_from_slice(&spectrum.im);
    }

    /// The spectrum of the block `age` blocks before the newest (`age < len`).
    #[inline]
    pub(crate) fn get(&self, age: usize) -> (&[f32], &[f32]) {
        let slot = (self.head + self.len - age % self.len) % self.len;
        let at = slot * self.bins;
        (&self.re[at..at + self.bins], &self.im[at..at + self.bins])
    }

    /// Writes `sum_p |X_{delay+p}|^2` for `p < partitions` into `out`.
    pub(crate) fn power_sum(&self, delay: usize, partitions: usize, out: &mut [f32]) {
        out.fill(0.0);
        for p in 0..partitions {
            let (xr, xi) = self.get(delay + p);
            for ((o, r), i) in out.iter_mut().zip(xr).zip(xi) {
                *o += r * r + i * i;
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.re.fill(0.0);
        self.im.fill(0.0);
    }
}

/// The coefficients of one partitioned frequency-domain filter.
#[derive(Clone)]
pub(crate) struct PartitionedFilter {
    bins: usize,
    partitions: usize,
    re: Vec<f32>,
    im: Vec<f32>,
    next_constrained: usize,
    next_sanitized: usize,
}

impl PartitionedFilter {
    pub(crate) fn new(bins: usize, partitions: usize) -> Self {
        Self {
            bins,
            partitions,
            re: vec![0.0; bins * partitions],
            im: vec![0.0; bins * partitions],
            next_constrained: 0,
            next_sanitized: 0,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.re.fill(0.0);
        self.im.fill(0.0);
    }

    /// Copies the coefficients of `other` (same shape).
    pub(crate) fn copy_from(&mut self, other: &PartitionedFilter) {
        self.re.copy_from_slice(&other.re);
        self.im.copy_from_slice(&other.im);
    }

    /// Moves the modelled impulse response by `blocks` partitions towards the start (positive:
    /// the bulk delay grew by that many blocks), zeroing what moves in.
    pub(crate) fn shift(&mut self, blocks: isize) {
        let n = self.bins;
        let p = self.partitions as isize;
        if blocks.unsigned_abs() >= self.partitions {
            self.reset();
            return;
        }
        if blocks > 0 {
            let s = blocks as usize * n;
            self.re.copy_within(s.., 0);
            self.im.copy_within(s.., 0);
            let tail = (p - blocks) as usize * n;
            self.re[tail..].fill(0.0);
            self.im[tail..].fill(0.0);
        } else if blocks < 0 {
            let s = (-blocks) as usize * n;
            let keep = self.re.len() - s;
            self.re.copy_within(..keep, s);
            self.im.copy_within(..keep, s);
            self.re[..s].fill(0.0);
            self.im[..s].fill(0.0);
        }
    }

    /// `out = sum_p W_p X_{delay+p}`.
    pub(crate) fn filter(&self, render: &RenderSpectra, delay: usize, out: &mut Spectrum) {
        out.clear();
        let n = self.bins;
        for p in 0..self.partitions {
            let (xr, xi) = render.get(delay + p);
            let wr = &self.re[p * n..(p + 1) * n];
            let wi = &self.im[p * n..(p + 1) * n];
            for f in 0..n {
                out.re[f] += wr[f] * xr[f] - wi[f] * xi[f];
                out.im[f] += wr[f] * xi[f] + wi[f] * xr[f];
            }
        }
    }

    /// `W_p += g_p G conj(X_{delay+p})` where `G` is the per-bin step times the error
    /// spectrum and `g_p` the partition's weight.
    pub(crate) fn adapt(
        &mut self,
        render: &RenderSpectra,
        delay: usize,
        gain: &Spectrum,
        weights: &[f32],
    ) {
        let n = self.bins;
        for (p, &g) in weights.iter().enumerate().take(self.partitions) {
            let (xr, xi) = render.get(delay + p);
            let wr = &mut self.re[p * n..(p + 1) * n];
            let wi = &mut self.im[p * n..(p + 1) * n];
            for f in 0..n {
                let (gr, gi) = (g * gain.re[f], g * gain.im[f]);
                wr[f] += gr * xr[f] + gi * xi[f];
                wi[f] += gi * xr[f] - gr * xi[f];
            }
        }
    }

    /// Proportionate step weights of the partitions (IPNLMS): half uniform, half in
    /// proportion to each partition's share of the filter's energy, scaled to average 1.
    /// Partitions that hold the echo adapt faster, which speeds up convergence on the
    /// exponentially decaying responses of real rooms.
    pub(crate) fn proportionate_weights(&self, out: &mut [f32]) {
        let n = self.bins;
        let mut total = 0.0;
        for (p, o) in out.iter_mut().enumerate().take(self.partitions) {
            let wr = &self.re[p * n..(p + 1) * n];
            let wi = &self.im[p * n..(p + 1) * n];
            *o = wr.iter().zip(wi).map(|(r, i)| r * r + i * i).sum();
            total += *o;
        }
        let parts = self.partitions as f32;
        for o in out.iter_mut().take(self.partitions) {
            *o = 0.5 + 0.5 * parts * *o / (total + 1e-20);
        }
    }

    /// `|W_p|^2` per bin of partition `p` into `out`; returns its sum over bins.
    pub(crate) fn partition_power(&self, p: usize, out: &mut [f32]) -> f32 {
        let n = self.bins;
        let wr = &self.re[p * n..(p + 1) * n];
        let wi = &self.im[p * n..(p + 1) * n];
        let mut total = 0.0;
        for ((o, r), i) in out.iter_mut().zip(wr).zip(wi) {
            *o = r * r + i * i;
            total += *o;
        }
        total
    }

    /// Sum over bins of `|W_p|^2` for partition `p`.
    pub(crate) fn partition_energy(&self, p: usize) -> f32 {
        let n = self.bins;
        let wr = &self.re[p * n..(p + 1) * n];
        let wi = &self.im[p * n..(p + 1) * n];
        wr.iter().zip(wi).map(|(r, i)| r * r + i * i).sum()
    }

    /// Weighted render power `sum_p g_p |X_{delay+p}|^2` per bin, into `out`.
    pub(crate) fn weighted_power(
        render: &RenderSpectra,
        delay: usize,
        weights: &[f32],
        out: &mut [f32],
    ) {
        out.fill(0.0);
        for (p, &g) in weights.iter().enumerate() {
            let (xr, xi) = render.get(delay + p);
            for ((o, r), i) in out.iter_mut().zip(xr).zip(xi) {
                *o += g * (r * r + i * i);
            }
        }
    }

    /// Re-imposes the `B`-tap constraint on the next `count` partitions in turn.
    pub(crate) fn constrain_some(
        &mut self,
        count: usize,
        fft: &mut RealFft,
        spec: &mut Spectrum,
        time: &mut [f32],
    ) {
        let n = self.bins;
        let half = fft.len() / 2;
        let scale = 1.0 / fft.len() as f32;
        for _ in 0..count.min(self.partitions) {
            let p = self.next_constrained;
            self.next_constrained = (p + 1) % self.partitions;
            spec.re.copy_from_slice(&self.re[p * n..(p + 1) * n]);
            spec.im.copy_from_slice(&self.im[p * n..(p + 1) * n]);
            fft.inverse(spec, time);
            for t in time[..half].iter_mut() {
                *t *= scale;
            }
            time[half..].fill(0.0);
            fft.forward(time, spec);
            self.re[p * n..(p + 1) * n].copy_from_slice(&spec.re);
            self.im[p * n..(p + 1) * n].copy_from_slice(&spec.im);
        }
    }

    /// Flushes coefficients that have decayed to denormal magnitudes and replaces any
    /// non-finite value (which only a bug could produce) by zero, in the next `count`
    /// partitions in turn.
    pub(crate) fn sanitize_some(&mut self, count: usize) {
        let n = self.bins;
        for _ in 0..count.min(self.partitions) {
            let p = self.next_sanitized;
            self.next_sanitized = (p + 1) % self.partitions;
            for v in self.re[p * n..(p + 1) * n]
                .iter_mut()
                .chain(self.im[p * n..(p + 1) * n].iter_mut())
            {
                if !v.is_finite() || v.abs() < 1e-25 {
                    *v = 0.0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_moves_partitions() {
        let mut f = PartitionedFilter::new(2, 4);
        for p in 0..4 {
            f.re[p * 2] = p as f32 + 1.0;
        }
        f.shift(1);
        assert_eq!(f.re, vec![2.0, 0.0, 3.0, 0.0, 4.0, 0.0, 0.0, 0.0]);
        f.shift(-2);
        assert_eq!(f.re, vec![0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0, 0.0]);
        f.shift(9);
        assert!(f.re.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn render_ring_returns_blocks_by_age() {
        let mut r = RenderSpectra::new(1, 3);
        for v in 1..=4 {
            let mut s = Spectrum::zeros(1);
            s.re[0] = v as f32;
            r.push(&s);
        }
        assert_eq!(r.get(0).0[0], 4.0);
        assert_eq!(r.get(1).0[0], 3.0);
        assert_eq!(r.get(2).0[0], 2.0);
    }
}
