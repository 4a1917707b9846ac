//! ITU-T G.711 Appendix I packet-loss concealment.
//!
//! A clean-room implementation of the concealment algorithm of ITU-T Recommendation G.711
//! Appendix I ("A high quality low-complexity algorithm for packet loss concealment with
//! G.711"), written from the Recommendation's description and from the algorithm description in
//! the project's conformance set (`testdata/conformance/README.md`, section 4). At 8 kHz it is
//! bit-exact with the ITU-T STL reference tool `g711iplc` built with `USEDOUBLES=1` (checked by
//! `tests/appendix_i.rs` on every conformance vector).
//!
//! # How it works
//!
//! The concealer keeps a history of the recent output and delays its output by `POVERLAPMAX`
//! samples (3.75 ms), so that the start of a loss can be cross-faded into the end of the last
//! received frame. At the first lost frame of a loss it estimates the pitch period by
//! normalised cross-correlation (a coarse search on a 2:1 decimated signal, then a fine search
//! around the coarse maximum), and synthesises speech by repeating the last pitch period, with
//! an overlap-add of a quarter period at the seam. The 2nd and 3rd lost frames each add one more
//! period to the repeated buffer (to avoid a buzzy, over-periodic sound); from the 2nd lost frame
//! on the output is attenuated by 20 % per 10 ms (linearly, sample by sample), so it reaches
//! silence at the end of the 6th lost frame (60 ms); later lost frames are silence. The first
//! good frame after a loss is cross-faded with the continued synthetic signal over a window that
//! grows by 4 ms per extra lost frame (at most one frame).
//!
//! # Parameters (8 kHz, as in the Recommendation)
//!
//! | constant | value | meaning |
//! |---|---|---|
//! | `FRAMESZ` | 80 | 10 ms frame |
//! | `PITCH_MIN` | 40 | shortest pitch period, 5 ms (200 Hz) |
//! | `PITCH_MAX` | 120 | longest pitch period, 15 ms (66.7 Hz) |
//! | `PITCHDIFF` | 80 | `PITCH_MAX − PITCH_MIN` |
//! | `POVERLAPMAX` | 30 | `PITCH_MAX/4`: longest overlap-add window and the output delay |
//! | `HISTORYLEN` | 390 | `3·PITCH_MAX + POVERLAPMAX` |
//! | `NDEC` | 2 | decimation of the coarse pitch search |
//! | `CORRLEN` | 160 | correlation window, 20 ms |
//! | `CORRBUFLEN` | 280 | `CORRLEN + PITCH_MAX` |
//! | `CORRMINPOWER` | 250.0 | floor on the energy normalising the correlation |
//! | `EOVERLAPINCR` | 32 | end-of-loss overlap grows by 4 ms per extra lost frame |
//! | `ATTENFAC` | 0.2 | attenuation per 10 ms |
//! | `ATTENINCR` | 0.2/80 | attenuation per sample |
//!
//! Samples are processed in the Recommendation's 16-bit domain: an input sample `x` becomes
//! `x·32768` rounded to the nearest integer and saturated to `i16` (exact for samples that came
//! from 16-bit PCM; NaN counts as 0), and an output sample `s` is returned as `s/32768`. The
//! floating-point parts run in `f64` with the exact operation order, incremental weight and gain
//! updates and truncation toward zero of the reference (no fused multiply-add).
//!
//! # Rates above 8 kHz
//!
//! The Recommendation is defined at 8 kHz only. At a rate `r` every length is scaled by
//! `k = r/8000` (2, 4 or 6 at 16, 32 and 48 kHz; rounded to the nearest sample for a rate that
//! is not a multiple of 8 kHz): `FRAMESZ`, `PITCH_MIN`, `PITCH_MAX`, `CORRLEN` and
//! `EOVERLAPINCR` are multiplied by `k`, and `PITCHDIFF`, `POVERLAPMAX` (= the latency),
//! `HISTORYLEN` and `CORRBUFLEN` follow from them by the formulas above. So the pitch range,
//! windows, delay and cross-fades cover the same durations at every rate. Further choices:
//!
//! * `NDEC` is scaled too (`2k`): the coarse search evaluates the same lag grid (every 0.25 ms)
//!   on the same number of products (80) as at 8 kHz, so its cost does not grow with the rate,
//!   and the fine search covers every lag within `NDEC − 1` samples of the coarse maximum
//!   (`±1` at 8 kHz, as in the Recommendation).
//! * `CORRMINPOWER` is scaled with the number of products summed: 250 in the coarse pass (80
//!   products at every rate) and `250·k` in the fine pass (`160·k` products).
//! * `ATTENINCR` is `0.2/FRAMESZ`, so the attenuation is still 20 % per 10 ms.
//!
//! Everything is allocated in [`AppendixI::new`]; processing a frame allocates nothing and takes
//! bounded time (the pitch search, once per loss, is a few thousand multiply-adds at 8 kHz and
//! about 25 000 at 48 kHz).

use crate::Engine;
use voxline_core::SampleRate;

/// Attenuation per 10 ms frame (`ATTENFAC`).
const ATTENFAC: f64 = 0.2;

/// Lost frames after which the output is muted: the 7th and later lost frames are silence.
const MUTE_AFTER: u32 = 5;

/// Lengths of the algorithm at one sample rate (the 8 kHz values scaled, see the module docs).
#[derive(Debug, Clone, Copy)]
struct Params {
    /// `FRAMESZ`.
    frame: usize,
    /// `PITCH_MAX`.
    pitch_max: usize,
    /// `PITCHDIFF`.
    pitch_diff: usize,
    /// `POVERLAPMAX`, also the output delay.
    poverlap_max: usize,
    /// `HISTORYLEN`.
    history_len: usize,
    /// `NDEC`.
    ndec: usize,
    /// `CORRLEN`.
    corr_len: usize,
    /// `CORRBUFLEN`.
    corr_buf_len: usize,
    /// `CORRMINPOWER` in the coarse (decimated) pass.
    min_power_coarse: f64,
    /// `CORRMINPOWER` in the fine (full-rate) pass.
    min_power_fine: f64,
    /// `EOVERLAPINCR`.
    eoverlap_incr: usize,
    /// `ATTENINCR`.
    atten_incr: f64,
}

impl Params {
    fn new(hz: u32) -> Self {
        // `len` at 8 kHz scaled to `hz`, rounded to the nearest sample (exact for multiples of
        // 8 kHz), never below 1.
        let scale = |len: usize| -> usize {
            let hz = usize::try_from(hz.max(1)).unwrap_or(usize::MAX / 1024);
            ((len * hz + 4000) / 8000).max(1)
        };
        let frame = scale(80);
        let pitch_min = scale(40).max(4);
        let pitch_max = scale(120).max(pitch_min);
        let poverlap_max = pitch_max >> 2;
        let corr_len = scale(160);
        let k = f64::from(hz) / 8000.0;
        Self {
            frame,
            pitch_max,
            pitch_diff: pitch_max - pitch_min,
            poverlap_max,
            history_len: 3 * pitch_max + poverlap_max,
            ndec: scale(2),
            corr_len,
            corr_buf_len: corr_len + pitch_max,
            min_power_coarse: 250.0,
            min_power_fine: 250.0 * k,
            eoverlap_incr: scale(32),
            atten_incr: ATTENFAC / frame as f64,
        }
    }
}

/// `clip`: limits a value to the 16-bit range (the double stays a double).
#[inline]
fn clip(x: f64) -> f64 {
    x.clamp(-32768.0, 32767.0)
}

/// `trunc`: C's `(short)` cast, truncation toward zero (saturating; NaN gives 0).
#[inline]
fn trunc(x: f64) -> i16 {
    x as i16
}

/// An input sample in [-1, 1) to the 16-bit domain: `x·32768`, exact for values that came from
/// `i16`, otherwise rounded to nearest and saturated; NaN gives 0.
#[inline]
fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round() as i16
}

/// A 16-bit sample back to [-1, 1).
#[inline]
fn to_f32(s: i16) -> f32 {
    f32::from(s) / 32768.0
}

/// `getfespeech`: reads `dst.len()` samples cyclically from the pitch buffer (the last
/// `pitchblen` samples of `pitchbuf`), starting at and advancing `poffset`, truncating each.
fn read_pitch_buffer(pitchbuf: &[f64], pitchblen: usize, poffset: &mut usize, dst: &mut [i16]) {
    let start = pitchbuf.len() - pitchblen;
    for d in dst {
        *d = trunc(pitchbuf[start + *poffset]);
        *poffset += 1;
        if *poffset == pitchblen {
            *poffset = 0;
        }
    }
}

/// Normalised cross-correlation score `corr / sqrt(max(energy, floor))`.
#[inline]
fn score(corr: f64, energy: f64, floor: f64) -> f64 {
    let e = if energy < floor { floor } else { energy };
    corr / e.sqrt()
}

/// ITU-T G.711 Appendix I packet-loss concealer for one stream.
///
/// Feed every 10 ms frame in order: received frames through `good`, lost ones through
/// `conceal` (both via [`crate::PacketLossConcealer`]). The output is delayed by
/// `POVERLAPMAX` = 3.75 ms (30 samples at 8 kHz). At 8 kHz the output is bit-exact with the
/// ITU-T reference; at higher rates the parameters are scaled (see the module documentation).
pub struct AppendixI {
    /// The lengths in use.
    p: Params,
    /// `history`: the recent output, `POVERLAPMAX` samples ahead of what has been played.
    history: Vec<i16>,
    /// `pitchbuf`: copy of `history` at the start of a loss, in double; its last `pitchblen`
    /// samples are the repeated pitch buffer.
    pitchbuf: Vec<f64>,
    /// `lastq`: the last `poverlap` samples of the history at the start of the loss.
    lastq: Vec<f64>,
    /// The frame being processed (16-bit domain).
    frame: Vec<i16>,
    /// Synthetic continuation used by the cross-fades (`POVERLAPMAX` or one frame long).
    tmp: Vec<i16>,
    /// `erasecnt`: consecutive lost frames so far.
    erasecnt: u32,
    /// `pitch`: pitch period found at the start of the current loss.
    pitch: usize,
    /// `poverlap`: `pitch/4`, the overlap-add length.
    poverlap: usize,
    /// `poffset`: read position in the pitch buffer.
    poffset: usize,
    /// `pitchblen`: pitch buffer length (1, 2 or 3 periods).
    pitchblen: usize,
}

impl core::fmt::Debug for AppendixI {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppendixI")
            .field("frame", &self.p.frame)
            .field("latency", &self.p.poverlap_max)
            .field("erasecnt", &self.erasecnt)
            .field("pitch", &self.pitch)
            .finish_non_exhaustive()
    }
}

impl AppendixI {
    /// A concealer for `rate`, in its starting state (silent history, no loss in progress).
    ///
    /// All buffers are allocated here; processing allocates nothing. Rates other than 8 kHz
    /// scale the Recommendation's parameters by `rate/8000` (see the module documentation).
    #[must_use]
    pub fn new(rate: SampleRate) -> Self {
        let p = Params::new(rate.hz());
        Self {
            p,
            history: vec![0; p.history_len],
            pitchbuf: vec![0.0; p.history_len],
            lastq: vec![0.0; p.poverlap_max],
            frame: vec![0; p.frame],
            tmp: vec![0; p.frame.max(p.poverlap_max)],
            erasecnt: 0,
            pitch: p.pitch_max,
            poverlap: p.poverlap_max,
            poffset: 0,
            pitchblen: p.pitch_max,
        }
    }

    /// `findpitch`: the pitch period of the end of `pitchbuf`, by normalised cross-correlation
    /// of its last `CORRLEN` samples against earlier ones.
    fn find_pitch(&self) -> usize {
        let p = &self.p;
        let h = p.history_len;
        let l = &self.pitchbuf[h - p.corr_len..];
        let r = &self.pitchbuf[h - p.corr_buf_len..];
        let ndec = p.ndec;
        // Products per coarse sum and the span they cover (`CORRLEN` when it divides).
        let span = p.corr_len.div_ceil(ndec) * ndec;

        // Coarse pass: every NDEC-th lag, every NDEC-th sample; `>=` (the later lag wins ties).
        let mut energy = 0.0f64;
        for i in (0..p.corr_len).step_by(ndec) {
            energy += r[i] * r[i];
        }
        let mut best = f64::MIN;
        let mut best_j = 0;
        let mut j = 0;
        while j <= p.pitch_diff {
            let mut corr = 0.0f64;
            for i in (0..p.corr_len).step_by(ndec) {
                corr += r[j + i] * l[i];
            }
            let s = score(corr, energy, p.min_power_coarse);
            if s >= best {
                best = s;
                best_j = j;
            }
            if j + ndec > p.pitch_diff {
                break;
            }
            energy -= r[j] * r[j];
            energy += r[j + span] * r[j + span];
            j += ndec;
        }

        // Fine pass: every lag within NDEC-1 of the coarse best, every sample; `>` (the earlier
        // lag wins ties).
        let lo = best_j.saturating_sub(ndec - 1);
        let hi = (best_j + ndec - 1).min(p.pitch_diff);
        let mut energy = 0.0f64;
        for &x in &r[lo..lo + p.corr_len] {
            energy += x * x;
        }
        let mut best = f64::MIN;
        let mut best_j = lo;
        for j in lo..=hi {
            let mut corr = 0.0f64;
            for i in 0..p.corr_len {
                corr += r[j + i] * l[i];
            }
            let s = score(corr, energy, p.min_power_fine);
            if s > best {
                best = s;
                best_j = j;
            }
            energy -= r[j] * r[j];
            energy += r[j + p.corr_len] * r[j + p.corr_len];
        }
        p.pitch_max - best_j
    }

    /// The overlap-add at the seam of the pitch buffer: the last `poverlap` samples of
    /// `pitchbuf` become a cross-fade from `lastq` into the samples one buffer length earlier.
    fn overlap_add_seam(&mut self) {
        let h = self.p.history_len;
        let po = self.poverlap;
        let src = h - self.pitchblen - po;
        let incr = 1.0 / po as f64;
        let mut lw = 1.0 - incr;
        let mut rw = incr;
        for i in 0..po {
            let t = lw * self.lastq[i] + rw * self.pitchbuf[src + i];
            self.pitchbuf[h - po + i] = clip(t);
            lw -= incr;
            rw += incr;
        }
    }

    /// `scalespeech`: the attenuation ramp of the 2nd to 6th lost frames.
    fn scale_frame(&mut self) {
        let mut g = 1.0 - f64::from(self.erasecnt - 1) * ATTENFAC;
        for s in &mut self.frame {
            *s = trunc(f64::from(*s) * g);
            g -= self.p.atten_incr;
        }
    }

    /// `dofe`: synthesises the lost frame into `self.frame`.
    fn synthesize(&mut self) {
        let h = self.p.history_len;
        if self.erasecnt == 0 {
            for (d, &s) in self.pitchbuf.iter_mut().zip(&self.history) {
                *d = f64::from(s);
            }
            self.pitch = self.find_pitch();
            self.poverlap = self.pitch >> 2;
            let po = self.poverlap;
            self.lastq[..po].copy_from_slice(&self.pitchbuf[h - po..]);
            self.poffset = 0;
            self.pitchblen = self.pitch;
            self.overlap_add_seam();
            for (d, &s) in self.history[h - po..]
                .iter_mut()
                .zip(&self.pitchbuf[h - po..])
            {
                *d = trunc(s);
            }
            read_pitch_buffer(
                &self.pitchbuf,
                self.pitchblen,
                &mut self.poffset,
                &mut self.frame,
            );
        } else if self.erasecnt <= 2 {
            let po = self.poverlap;
            let saved = self.poffset;
            read_pitch_buffer(
                &self.pitchbuf,
                self.pitchblen,
                &mut self.poffset,
                &mut self.tmp[..po],
            );
            self.poffset = saved;
            while self.poffset > self.pitch {
                self.poffset -= self.pitch;
            }
            self.pitchblen += self.pitch;
            self.overlap_add_seam();
            read_pitch_buffer(
                &self.pitchbuf,
                self.pitchblen,
                &mut self.poffset,
                &mut self.frame,
            );
            let incr = 1.0 / po as f64;
            let mut lw = 1.0 - incr;
            let mut rw = incr;
            for (o, &t) in self.frame[..po].iter_mut().zip(&self.tmp[..po]) {
                *o = trunc(clip(lw * f64::from(t) + rw * f64::from(*o)));
                lw -= incr;
                rw += incr;
            }
            self.scale_frame();
        } else if self.erasecnt > MUTE_AFTER {
            self.frame.fill(0);
        } else {
            read_pitch_buffer(
                &self.pitchbuf,
                self.pitchblen,
                &mut self.poffset,
                &mut self.frame,
            );
            self.scale_frame();
        }
        self.erasecnt = self.erasecnt.saturating_add(1);
    }

    /// `overlapaddatend`: cross-fades the first good frame after a loss (in `self.frame`) with
    /// the continued synthetic signal, then ends the loss.
    fn end_of_loss(&mut self) {
        let lost = usize::try_from(self.erasecnt - 1).unwrap_or(usize::MAX);
        let olen = lost
            .saturating_mul(self.p.eoverlap_incr)
            .saturating_add(self.poverlap)
            .min(self.p.frame);
        read_pitch_buffer(
            &self.pitchbuf,
            self.pitchblen,
            &mut self.poffset,
            &mut self.tmp[..olen],
        );
        let mut gain = 1.0 - f64::from(self.erasecnt - 1) * ATTENFAC;
        if gain < 0.0 {
            gain = 0.0;
        }
        let incr = 1.0 / olen as f64;
        let incr_g = incr * gain;
        let mut lw = (1.0 - incr) * gain;
        let mut rw = incr;
        for (s, &f) in self.frame[..olen].iter_mut().zip(&self.tmp[..olen]) {
            *s = trunc(clip(lw * f64::from(f) + rw * f64::from(*s)));
            lw -= incr_g;
            rw += incr;
        }
        self.erasecnt = 0;
    }

    /// `savespeech`: pushes `self.frame` into the history and writes the frame that leaves the
    /// delay line (`POVERLAPMAX` samples late) to `out`.
    fn push_and_output(&mut self, out: &mut [f32]) {
        let n = self.p.frame;
        let h = self.p.history_len;
        self.history.copy_within(n.., 0);
        self.history[h - n..].copy_from_slice(&self.frame);
        let delayed = &self.history[h - n - self.p.poverlap_max..h - self.p.poverlap_max];
        for (o, &s) in out.iter_mut().zip(delayed) {
            *o = to_f32(s);
        }
    }
}

impl Engine for AppendixI {
    /// A received frame (`addtohistory`). `input` and `out` are one 10 ms frame; a shorter
    /// `input` is padded with zeros, and only the first `out.len()` samples are written.
    fn good(&mut self, input: &[f32], out: &mut [f32]) {
        self.frame.fill(0);
        for (d, &x) in self.frame.iter_mut().zip(input) {
            *d = to_i16(x);
        }
        if self.erasecnt > 0 {
            self.end_of_loss();
        }
        self.push_and_output(out);
    }

    /// A lost frame (`dofe`): writes one 10 ms frame of concealment (delayed like `good`).
    fn conceal(&mut self, out: &mut [f32]) {
        self.synthesize();
        self.push_and_output(out);
    }

    /// `POVERLAPMAX`: 30 samples at 8 kHz, scaled by `rate/8000`.
    fn latency(&self) -> usize {
        self.p.poverlap_max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_at_8k_are_the_recommendations() {
        let p = Params::new(8000);
        assert_eq!(
            (
                p.frame,
                p.pitch_max,
                p.pitch_diff,
                p.poverlap_max,
                p.history_len
            ),
            (80, 120, 80, 30, 390)
        );
        assert_eq!(
            (p.ndec, p.corr_len, p.corr_buf_len, p.eoverlap_incr),
            (2, 160, 280, 32)
        );
        assert_eq!(
            (p.min_power_coarse, p.min_power_fine, p.atten_incr),
            (250.0, 250.0, 0.0025)
        );
    }

    #[test]
    fn params_scale_with_rate() {
        for (hz, k) in [(16_000, 2), (32_000, 4), (48_000, 6)] {
            let p = Params::new(hz);
            assert_eq!(p.frame, 80 * k);
            assert_eq!(p.pitch_max, 120 * k);
            assert_eq!(p.pitch_diff, 80 * k);
            assert_eq!(p.poverlap_max, 30 * k);
            assert_eq!(p.history_len, 390 * k);
            assert_eq!(p.ndec, 2 * k);
            assert_eq!(p.corr_len, 160 * k);
            assert_eq!(p.corr_buf_len, 280 * k);
            assert_eq!(p.eoverlap_incr, 32 * k);
            assert_eq!(p.min_power_fine, 250.0 * k as f64);
        }
        // 44.1 kHz (rejected by `PacketLossConcealer`, but must not panic here).
        let mut e = AppendixI::new(SampleRate::Hz44100);
        let n = SampleRate::Hz44100.samples_per_10ms();
        assert_eq!(e.p.frame, n);
        let mut out = vec![0.0; n];
        for k in 0..20 {
            if k % 3 == 0 {
                e.conceal(&mut out);
            } else {
                let x: Vec<f32> = (0..n)
                    .map(|i| ((i * 7 % 50) as f32 - 25.0) / 100.0)
                    .collect();
                e.good(&x, &mut out);
            }
        }
    }

    #[test]
    fn conversion_to_16_bit() {
        assert_eq!(to_i16(-1.0), -32768);
        assert_eq!(to_i16(1.0), 32767);
        assert_eq!(to_i16(f32::NAN), 0);
        assert_eq!(to_i16(f32::INFINITY), 32767);
        assert_eq!(to_i16(f32::NEG_INFINITY), -32768);
        for s in [-32768i16, -12345, -1, 0, 1, 31000, 32767] {
            assert_eq!(to_i16(to_f32(s)), s);
        }
    }
}
