//! Residual-echo suppression and comfort noise, with no added latency.
//!
//! What the linear filter leaves (misadjustment, echo beyond its tail, loudspeaker
//! non-linearity) is estimated per band from the filter's echo estimate and its expected
//! misalignment, and removed with a Wiener-like gain; comfort noise at the background level
//! fills what the gain takes away, so the far end hears a steady noise floor instead of
//! pumping.
//!
//! Applying a spectral gain usually costs an analysis window of delay. Here the band gains are
//! turned into a short *minimum-phase* FIR filter (real cepstrum, folded), which is applied to
//! the current block by overlap-save: a causal filter, so the output block needs no future
//! samples and the suppressor adds no latency. The comfort noise is a continuous white noise
//! stream shaped the same way.

use crate::fft::{RealFft, Spectrum};
use voxline_core::Xorshift32;

/// Frames at the start of a call over which the background trackers initialise from the
/// microphone itself (they may rise quickly), 250 ms.
const STARTUP_FRAMES: u32 = 25;

/// Consecutive echo-free frames a band needs before its smoothed power counts as background.
const ECHO_FREE_RUN: u16 = 20;
/// Echo-free frames after which the minimum over them may raise the background envelope.
const RISE_RUN: u16 = ECHO_FREE_RUN + 150;

/// Tunable behaviour of the suppressor.
pub(crate) struct SuppressorParams {
    /// Lowest gain, linear.
    pub(crate) min_gain: f32,
    /// Whether comfort noise fills suppressed bands.
    pub(crate) comfort_noise: bool,
    /// Weight of the tracked residual ratio times the echo estimate in the residual estimate
    /// (includes the bias correction of the minimum tracker).
    pub(crate) ratio_weight: f32,
    /// Weight of the filter's expected misalignment in the residual estimate.
    pub(crate) misalignment_weight: f32,
    /// Per-frame rise factor of the background noise tracker.
    pub(crate) noise_rise: f32,
    /// Over-subtraction factor of the gain rule (far-end single talk).
    pub(crate) over_subtraction: f32,
    /// Over-subtraction factor while the near end is present (double talk).
    pub(crate) near_over_subtraction: f32,
    /// Gain floor while the near end talks (double talk): the near end is never attenuated
    /// by more than this, whatever the residual echo estimate says.
    pub(crate) near_floor: f32,
    /// The near end counts as present when the error exceeds the residual echo and noise
    /// estimates by this many times the residual echo estimate.
    pub(crate) near_threshold: f32,
    /// Frames the near-end presence is held after its last detection.
    pub(crate) near_hold_frames: u32,
}

impl SuppressorParams {
    /// The tuned behaviour, with the configured gain floor and comfort-noise switch.
    pub(crate) fn tuned(min_gain: f32, comfort_noise: bool) -> Self {
        Self {
            min_gain,
            comfort_noise,
            ratio_weight: 2.0,
            misalignment_weight: 0.5,
            noise_rise: 1.0046,
            over_subtraction: 4.0,
            near_over_subtraction: 2.0,
            near_floor: 0.5,
            near_threshold: 3.0,
            near_hold_frames: 7,
        }
    }
}

/// Per-band residual-echo suppressor with comfort noise.
pub(crate) struct ResidualEchoSuppressor {
    block: usize,
    bands: usize,
    /// Full-resolution bin -> band.
    band_of_bin: Vec<usize>,
    bins_in_band: Vec<f32>,
    params: SuppressorParams,
    window: Vec<f32>,
    fft: RealFft,
    small_fft: RealFft,
    work: Vec<f32>,
    spec: Spectrum,
    error_spec: Spectrum,
    gain_response: Spectrum,
    noise_response: Spectrum,
    small_spec: Spectrum,
    cepstrum: Vec<f32>,
    impulse: Vec<f32>,
    error_prev: Vec<f32>,
    echo_prev: Vec<f32>,
    noise_prev: Vec<f32>,
    noise_now: Vec<f32>,
    bin_power: Vec<f32>,
    error_band: Vec<f32>,
    echo_band: Vec<f32>,
    misalign_band: Vec<f32>,
    ratio_smooth: Vec<f32>,
    residual_ratio: Vec<f32>,
    residual_prev: Vec<f32>,
    noise_floor: Vec<f32>,
    /// Error band power smoothed over frames (about 100 ms), for the comfort-noise level.
    smoothed_power: Vec<f32>,
    /// Minimum tracker on `smoothed_power` (fast down, slow up like `noise_floor`): the
    /// background's lower envelope.
    background_min: Vec<f32>,
    /// Per band, whether `background` has seen an echo-free frame since the start-up.
    background_measured: Vec<bool>,
    /// Per band, consecutive frames without estimated echo.
    echo_free_run: Vec<u16>,
    /// Per band, consecutive frames without estimated echo (the envelope's rise)...
    rise_run: Vec<u16>,
    /// ...and the minimum of `smoothed_power` over them.
    run_min: Vec<f32>,
    /// Start-up frames (real samples, far end silent) seen since construction or reset.
    startup_frames: u32,
    /// Mean background power (the comfort-noise level): `smoothed_power` averaged over the
    /// frames within 3 dB of its lower envelope that carry no estimated echo.
    background: Vec<f32>,
    gain: Vec<f32>,
    /// Residual echo estimate of this block per band.
    residual: Vec<f32>,
    /// Frames left of the near-end presence hold.
    near_hold: u32,
    log_mag: Vec<f32>,
    rng: Xorshift32,
}

/// Per-frame results the canceller reports.
#[derive(Clone, Copy, Default)]
pub(crate) struct SuppressionReport {
    /// Mean gain over bands, in dB (0 = nothing removed).
    pub(crate) mean_gain_db: f32,
}

impl ResidualEchoSuppressor {
    pub(crate) fn new(rate_hz: usize, params: SuppressorParams) -> Self {
        let block = rate_hz / 100;
        let grid = match rate_hz {
            8000 => 64,
            16000 | 32000 => 128,
            _ => 256,
        };
        let bands = grid / 2 + 1;
        let bins = block + 1;
        let band_of_bin: Vec<usize> = (0..bins)
            .map(|j| ((j * grid) as f32 / (2 * block) as f32).round() as usize)
            .map(|b| b.min(bands - 1))
            .collect();
        let mut bins_in_band = vec![0.0f32; bands];
        for &b in &band_of_bin {
            bins_in_band[b] += 1.0;
        }
        // Periodic Hann over the 2B analysis window.
        let n = 2 * block;
        let window = (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos())
            .collect();
        Self {
            block,
            bands,
            band_of_bin,
            bins_in_band,
            params,
            window,
            fft: RealFft::new(n),
            small_fft: RealFft::new(grid),
            work: vec![0.0; n],
            spec: Spectrum::zeros(bins),
            error_spec: Spectrum::zeros(bins),
            gain_response: Spectrum::zeros(bins),
            noise_response: Spectrum::zeros(bins),
            small_spec: Spectrum::zeros(bands),
            cepstrum: vec![0.0; grid],
            impulse: vec![0.0; grid],
            error_prev: vec![0.0; block],
            echo_prev: vec![0.0; block],
            noise_prev: vec![0.0; block],
            noise_now: vec![0.0; block],
            bin_power: vec![0.0; bins],
            error_band: vec![0.0; bands],
            echo_band: vec![0.0; bands],
            misalign_band: vec![0.0; bands],
            ratio_smooth: vec![1.0; bands],
            residual_ratio: vec![1.0; bands],
            residual_prev: vec![0.0; bands],
            noise_floor: vec![1e-3; bands],
            smoothed_power: vec![1e-3; bands],
            background_min: vec![1e-3; bands],
            echo_free_run: vec![0; bands],
            rise_run: vec![0; bands],
            run_min: vec![0.0; bands],
            background_measured: vec![false; bands],
            startup_frames: 0,
            background: vec![1e-3; bands],
            gain: vec![1.0; bands],
            residual: vec![0.0; bands],
            near_hold: 0,
            log_mag: vec![0.0; bands],
            rng: Xorshift32::new(0x5eed_ec40),
        }
    }

    pub(crate) fn reset(&mut self) {
        self.error_prev.fill(0.0);
        self.echo_prev.fill(0.0);
        self.noise_prev.fill(0.0);
        self.ratio_smooth.fill(1.0);
        self.residual_ratio.fill(1.0);
        self.residual_prev.fill(0.0);
        self.noise_floor.fill(1e-3);
        self.smoothed_power.fill(1e-3);
        self.background_min.fill(1e-3);
        self.echo_free_run.fill(0);
        self.rise_run.fill(0);
        self.background_measured.fill(false);
        self.startup_frames = 0;
        self.background.fill(1e-3);
        self.gain.fill(1.0);
        self.near_hold = 0;
    }

    /// Band powers of `block` (a new B samples following `prev`) through the Hann window.
    fn band_power(&mut self, prev: &[f32], block: &[f32], out: &mut [f32]) {
        let b = self.block;
        for i in 0..b {
            self.work[i] = prev[i] * self.window[i];
            self.work[b + i] = block[i] * self.window[b + i];
        }
        self.fft.forward(&self.work, &mut self.spec);
        self.spec.power_into(&mut self.bin_power);
        out.fill(0.0);
        for (j, &p) in self.bin_power.iter().enumerate() {
            out[self.band_of_bin[j]] += p;
        }
    }

    /// Suppresses the residual echo in `error` (the linear canceller's output block) and
    /// writes the result into `out`.
    ///
    /// `echo` is the linear echo estimate of this block; `misalign` is the expected power of
    /// the echo the linear filter has not yet learnt, per full-resolution bin, in the units of
    /// a rectangular-window FFT of one block (zero-padded to 2B); `far_active` says whether the
    /// far end is talking (echo is possible at all).
    pub(crate) fn process(
        &mut self,
        error: &[f32],
        echo: &[f32],
        misalign: &[f32],
        far_active: bool,
        out: &mut [f32],
    ) -> SuppressionReport {
        let b = self.block;
        let mut error_band = std::mem::take(&mut self.error_band);
        let mut echo_band = std::mem::take(&mut self.echo_band);
        let (ep, ec) = (
            std::mem::take(&mut self.error_prev),
            std::mem::take(&mut self.echo_prev),
        );
        self.band_power(&ep, error, &mut error_band);
        self.band_power(&ec, echo, &mut echo_band);
        self.error_prev = ep;
        self.echo_prev = ec;

        // Misalignment power, converted from zero-padded rectangular units (B samples) to the
        // Hann-windowed 2B analysis (sum of window^2 = 0.75 B).
        self.misalign_band.fill(0.0);
        for (j, &m) in misalign.iter().enumerate() {
            self.misalign_band[self.band_of_bin[j]] += 0.75 * m;
        }

        let tiny = 1e-12 * b as f32;
        let mut gain_sum_db = 0.0;
        // The background trackers initialise on the first 250 ms of real samples without
        // far-end activity: not on digital silence (a capture device starting up), not on
        // echo. Until then (and after) they track as usual from their initial level.
        let startup = self.startup_frames < STARTUP_FRAMES
            && !far_active
            && error.iter().any(|&x| x.abs() >= 1e-6);
        for k in 0..self.bands {
            let e = error_band[k] + tiny;
            let s = echo_band[k];
            // Background noise: fast down, slow up (about 2 dB/s), following frames that are
            // not dominated by the estimated echo.
            let echo_free = s * self.residual_ratio[k] < 0.5 * e || !far_active;
            let nf = &mut self.noise_floor[k];
            if e < *nf {
                *nf = 0.8 * *nf + 0.2 * e;
            } else if echo_free {
                *nf *= self.params.noise_rise;
            }
            self.track_background(k, e, s, far_active, startup);
            // Residual echo ratio (error over echo estimate): a minimum tracker over frames
            // where an echo is estimated well above the noise, rising slowly (~2 dB/s) so that
            // near-end speech in double talk cannot drive it up quickly.
            if far_active && s > 4.0 * self.noise_floor[k] {
                let q = (e / (s + tiny)).min(4.0);
                self.ratio_smooth[k] = 0.6 * self.ratio_smooth[k] + 0.4 * q;
                self.residual_ratio[k] =
                    (self.residual_ratio[k] * 1.0046).min(self.ratio_smooth[k]);
            }
            self.residual_ratio[k] = self.residual_ratio[k].clamp(1e-4, 4.0);
            // Residual echo: the tracked ratio (with a bias for the tracker's underestimate)
            // times the echo estimate, or the expected misalignment, whichever is larger, and
            // never falling faster than the room's reverberation (about -6 dB per 10 ms).
            let mut r = (self.params.ratio_weight * self.residual_ratio[k] * s)
                .max(self.params.misalignment_weight * self.misalign_band[k]);
            r = r.max(0.25 * self.residual_prev[k]);
            self.residual_prev[k] = r;
            self.residual[k] = r;
        }
        if startup {
            self.startup_frames += 1;
        }
        // Near-end presence (double talk): the error holds clearly more than the estimated
        // residual echo and background noise, summed over bands. While it holds, the gain is
        // floored (as speech-presence-dependent echo suppression limits do) and the
        // over-subtraction halved: a little residual echo under the near talker costs less than
        // gating parts of its spectrum. In far-end single talk the error is the residual echo
        // itself, so the floor does not apply and the over-subtraction is strong (including
        // what the estimate misses of a clipping loudspeaker's distortion).
        let mut excess = 0.0;
        let mut residual_total = 0.0;
        let mut noise_total = 0.0;
        for ((&e, &r), &n) in error_band.iter().zip(&self.residual).zip(&self.noise_floor) {
            excess += (e - r - n).max(0.0);
            residual_total += r;
            noise_total += n;
        }
        if far_active
            && excess > self.params.near_threshold * residual_total
            && excess > 4.0 * noise_total
        {
            self.near_hold = self.params.near_hold_frames;
        } else {
            self.near_hold = self.near_hold.saturating_sub(1);
        }
        let (floor, over) = if self.near_hold > 0 {
            (
                self.params.min_gain.max(self.params.near_floor),
                self.params.near_over_subtraction,
            )
        } else {
            (self.params.min_gain, self.params.over_subtraction)
        };
        for ((g, &e), &r) in self.gain.iter_mut().zip(&error_band).zip(&self.residual) {
            *g = (1.0 - over * r / (e + tiny)).clamp(floor, 1.0);
        }
        // Smooth across bands (musical-noise control), never above the unsmoothed maximum.
        let mut prev = self.gain[0];
        for k in 0..self.bands {
            let next = if k + 1 < self.bands {
                self.gain[k + 1]
            } else {
                self.gain[k]
            };
            let cur = self.gain[k];
            self.gain[k] = 0.25 * prev + 0.5 * cur + 0.25 * next;
            prev = cur;
        }
        let mut min_gain: f32 = 1.0;
        for &g in &self.gain {
            min_gain = min_gain.min(g);
            gain_sum_db += 20.0 * g.max(1e-6).log10();
        }
        self.error_band = error_band;
        self.echo_band = echo_band;

        // White noise for the comfort noise stream (continuous across blocks).
        for v in self.noise_now.iter_mut() {
            *v = self.rng.next_bipolar();
        }

        let report = SuppressionReport {
            mean_gain_db: gain_sum_db / self.bands as f32,
        };
        if min_gain >= 0.999 {
            // Nothing to suppress: pass the block through untouched (bit-exact).
            out.copy_from_slice(error);
            self.finish_block(error, echo);
            return report;
        }

        // Minimum-phase gain filter, applied by overlap-save to [prev, current].
        for k in 0..self.bands {
            self.log_mag[k] = self.gain[k].max(1e-4).ln();
        }
        self.min_phase_response(true);
        let ep = std::mem::take(&mut self.error_prev);
        self.work[..b].copy_from_slice(&ep);
        self.work[b..].copy_from_slice(error);
        self.error_prev = ep;
        self.fft.forward(&self.work, &mut self.error_spec);
        for f in 0..=b {
            let (xr, xi) = (self.error_spec.re[f], self.error_spec.im[f]);
            let (hr, hi) = (self.gain_response.re[f], self.gain_response.im[f]);
            self.error_spec.re[f] = xr * hr - xi * hi;
            self.error_spec.im[f] = xr * hi + xi * hr;
        }

        if self.params.comfort_noise {
            // Fill what the gain removes with noise at the background level:
            // per-bin variance = band power / bins / (0.75 B); uniform noise has variance 1/3.
            let mut any = false;
            for k in 0..self.bands {
                let g = self.gain[k];
                // Never more than the gain removed: a block whose band lies below the
                // background's mean (its level scatters) is not raised to the mean.
                let c = self.background[k].min(self.error_band[k]) * (1.0 - g * g).max(0.0);
                let var = c / self.bins_in_band[k].max(1.0) / (0.75 * b as f32);
                let mag = (3.0 * var).sqrt();
                any |= mag > 1e-7;
                self.log_mag[k] = mag.max(1e-9).ln();
            }
            if any {
                self.min_phase_response(false);
                self.work[..b].copy_from_slice(&self.noise_prev);
                self.work[b..].copy_from_slice(&self.noise_now);
                self.fft.forward(&self.work, &mut self.spec);
                for f in 0..=b {
                    let (xr, xi) = (self.spec.re[f], self.spec.im[f]);
                    let (hr, hi) = (self.noise_response.re[f], self.noise_response.im[f]);
                    self.error_spec.re[f] += xr * hr - xi * hi;
                    self.error_spec.im[f] += xr * hi + xi * hr;
                }
            }
        }
        self.fft.inverse(&self.error_spec, &mut self.work);
        let scale = 1.0 / (2 * b) as f32;
        for (o, w) in out.iter_mut().zip(&self.work[b..]) {
            *o = w * scale;
        }
        self.finish_block(error, echo);
        report
    }

    /// Tracks the background's level in band `k` for the comfort noise (`e`: error band
    /// power, `s`: echo estimate band power), initialising the trackers (and the per-frame
    /// `noise_floor`) during the start-up.
    fn track_background(&mut self, k: usize, e: f32, s: f32, far_active: bool, startup: bool) {
        // The comfort-noise level. A band holds only a few bins, so one frame's power
        // scatters widely and its minimum lies ~5 dB below the mean: comfort noise at that
        // floor would drop audibly whenever the suppressor engages. Smoothed over ~10
        // frames the scatter is about +-0.6 dB; its minimum (tracked like `noise_floor`)
        // is the background's lower envelope, and the mean of the smoothed power over the
        // echo-free frames within 4 dB of that envelope is the background's level.
        let ps = &mut self.smoothed_power[k];
        let bmin = &mut self.background_min[k];
        let bg = &mut self.background[k];
        let nf = &mut self.noise_floor[k];
        if startup {
            *ps = if self.startup_frames == 0 {
                e
            } else {
                0.7 * *ps + 0.3 * e
            };
            *bmin = *ps;
            *bg = *ps;
            self.background_measured[k] = true;
            // The per-frame floor sits a few dB below the mean power.
            *nf = 0.5 * *ps;
        } else {
            *ps = 0.9 * *ps + 0.1 * e;
            // Echo-free: the estimated echo (learnt or not) well below the error for as
            // long as the smoothing remembers, so no echo is smeared into `ps`.
            let run = &mut self.echo_free_run[k];
            if !far_active && s * self.residual_ratio[k] + self.misalign_band[k] < 0.25 * e {
                *run = run.saturating_add(1);
            } else {
                *run = 0;
            }
            // The envelope's rise: in frames where the echo estimate itself (not scaled
            // by the residual ratio: a well-cancelled echo leaves a residual that ratio
            // times estimate matches, and that residual is not background) and the echo
            // not yet learnt lie below the error.
            let rise = &mut self.rise_run[k];
            if !far_active || s + self.misalign_band[k] < 0.5 * e {
                *rise = rise.saturating_add(1);
            } else {
                *rise = 0;
            }
            if *ps < *bmin {
                *bmin = *ps;
            } else if *rise > 0 {
                *bmin *= self.params.noise_rise;
            }
            // A background that appears or jumps up (after digital silence, a fan
            // switched on) would take the 2 dB/s rise many seconds to reach: when a band
            // stays above its envelope through `RISE_RUN` such frames, the minimum over
            // them becomes the envelope (minimum statistics over 1.5 s; speech this long
            // without a dip in its 100 ms power is rare).
            let run_min = &mut self.run_min[k];
            if *rise == ECHO_FREE_RUN {
                *run_min = *ps;
            } else if *rise > ECHO_FREE_RUN {
                *run_min = run_min.min(*ps);
                if *rise >= RISE_RUN {
                    *bmin = bmin.max(*run_min);
                    *rise = ECHO_FREE_RUN;
                    *run_min = *ps;
                }
            }
            let measured = &mut self.background_measured[k];
            if *run >= ECHO_FREE_RUN && *ps < 2.5 * *bmin {
                *bg = if *measured {
                    0.95 * *bg + 0.05 * *ps
                } else {
                    *ps
                };
                *measured = true;
            } else if !*measured {
                // Echo from the first frame on: no echo-free frame measured yet. The
                // smoothed power's lower envelope lies about 1 dB below its mean, but here
                // it may be echo; the per-frame floor (3-6 dB below the mean of a noise,
                // lower in the gaps of an echo) keeps the guess on the quiet side.
                *bg = (1.25 * *bmin).min(2.0 * *nf);
            }
            *bg = bg.clamp(*bmin, 2.5 * *bmin);
        }
    }

    /// Keeps this block's inputs as the previous blocks of the next overlap-save.
    fn finish_block(&mut self, error: &[f32], echo: &[f32]) {
        self.error_prev.copy_from_slice(error);
        self.echo_prev.copy_from_slice(echo);
        std::mem::swap(&mut self.noise_prev, &mut self.noise_now);
    }

    /// Turns `log_mag` (natural log of the magnitude on the band grid) into the full-resolution
    /// response of a minimum-phase FIR of at most grid/2 taps.
    fn min_phase_response(&mut self, gain: bool) {
        let grid = self.small_fft.len();
        let half = grid / 2;
        self.small_spec.re.copy_from_slice(&self.log_mag);
        self.small_spec.im.fill(0.0);
        self.small_fft.inverse(&self.small_spec, &mut self.cepstrum);
        let inv = 1.0 / grid as f32;
        // Fold the (even) real cepstrum onto positive quefrencies: the minimum-phase cepstrum.
        self.cepstrum[0] *= inv;
        for c in self.cepstrum[1..half].iter_mut() {
            *c *= 2.0 * inv;
        }
        self.cepstrum[half] *= inv;
        self.cepstrum[half + 1..].fill(0.0);
        self.small_fft.forward(&self.cepstrum, &mut self.small_spec);
        for k in 0..self.bands {
            let m = self.small_spec.re[k].exp();
            let (s, c) = self.small_spec.im[k].sin_cos();
            self.small_spec.re[k] = m * c;
            self.small_spec.im[k] = m * s;
        }
        self.small_fft.inverse(&self.small_spec, &mut self.impulse);
        // Keep the first half (a minimum-phase response has its energy there), with a short
        // taper so the truncation does not ring.
        let taper = half / 4;
        self.work.fill(0.0);
        for i in 0..half {
            let w = if i >= half - taper {
                let t = (half - i) as f32 / taper as f32;
                0.5 - 0.5 * (std::f32::consts::PI * t).cos()
            } else {
                1.0
            };
            self.work[i] = self.impulse[i] * inv * w;
        }
        let target = if gain {
            &mut self.gain_response
        } else {
            &mut self.noise_response
        };
        self.fft.forward(&self.work, target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_level_is_the_mean_band_power() {
        for rate in [8000, 16000, 32000, 48000] {
            let mut sup = ResidualEchoSuppressor::new(rate, SuppressorParams::tuned(0.001, true));
            let b = rate / 100;
            let mut rng = Xorshift32::new(9);
            let zeros = vec![0.0f32; b];
            let misalign = vec![0.0f32; b + 1];
            let mut out = vec![0.0f32; b];
            let mut sum = vec![0.0f64; sup.bands];
            let frames = 1500;
            for f in 0..frames {
                let x: Vec<f32> = (0..b).map(|_| 0.01 * rng.next_bipolar()).collect();
                sup.process(&x, &zeros, &misalign, false, &mut out);
                if f >= 500 {
                    for (acc, &p) in sum.iter_mut().zip(&sup.error_band) {
                        *acc += p as f64;
                    }
                }
            }
            let n = (frames - 500) as f64;
            let mut worst: f64 = 0.0;
            let mut mean_db = 0.0;
            for (&total, &bg) in sum.iter().zip(&sup.background) {
                let mean = total / n;
                let db = 10.0 * (bg as f64 / mean).log10();
                worst = worst.max(db.abs());
                mean_db += db / sup.bands as f64;
            }
            // (The old per-frame minimum tracker sat 6-12 dB below the mean.)
            assert!(
                worst < 1.5,
                "{rate} Hz: background off by {worst:.2} dB in a band"
            );
            assert!(
                mean_db.abs() < 0.5,
                "{rate} Hz: background off by {mean_db:.2} dB"
            );
        }
    }
}
