//! What the buffer plays when the audio it needs is missing.
//!
//! The [`Concealer`] trait is the seam where a packet-loss concealer plugs in: the buffer shows
//! it every sample it plays from real packets and asks it for samples when a packet is lost or
//! late. When the packet after a gap is already in the buffer, it first offers the concealer
//! the whole gap together with that following audio ([`Concealer::conceal_gap`]), so a
//! concealer that can interpolate across the gap does.
//!
//! The default is voxline's own concealer, [`voxline_plc::VoxlineConcealer`].

use voxline_plc::VoxlineConcealer;

/// A packet-loss concealer as the jitter buffer drives it.
pub trait Concealer {
    /// Records samples that were played from real audio (the history to continue from).
    fn good(&mut self, samples: &[f32]);
    /// Fills `out` with samples continuing the history across a gap. Consecutive calls
    /// continue the same concealment event until [`resume`](Self::resume).
    fn conceal(&mut self, out: &mut [f32]);
    /// Real audio follows: the next `conceal` starts a new event.
    fn resume(&mut self);
    /// Conceals a whole gap of `out.len()` samples knowing the audio that follows it (`next`),
    /// so that the gap ends exactly on it. Returns `false` (writing nothing) when the
    /// concealer cannot; the buffer then conceals with [`conceal`](Self::conceal) and merges.
    fn conceal_gap(&mut self, out: &mut [f32], next: &[f32]) -> bool {
        let _ = (out, next);
        false
    }
}

impl Concealer for VoxlineConcealer {
    fn good(&mut self, samples: &[f32]) {
        self.observe(samples);
    }
    fn conceal(&mut self, out: &mut [f32]) {
        self.extrapolate(out);
    }
    fn resume(&mut self) {
        self.end_loss();
    }
    fn conceal_gap(&mut self, out: &mut [f32], next: &[f32]) -> bool {
        VoxlineConcealer::conceal_gap(self, out, next)
    }
}
