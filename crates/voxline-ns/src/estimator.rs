//! The statistical core: noise power tracking, a-priori SNR, speech presence probability and
//! the spectral gain, for one frame's periodogram at a time.
//!
//! * **Noise power** (Gerkmann & Hendriks, "Unbiased MMSE-based noise power estimation with
//!   low complexity and low tracking delay", IEEE TASLP 2012): the a-posteriori speech
//!   presence probability with *fixed* priors (P(H1) = 0.5, a-priori SNR under speech 15 dB)
//!   weighs each bin's periodogram against the previous estimate, `E[|N|^2 | Y] = (1 - p)|Y|^2 +
//!   p lambda`, which is then smoothed over time. A bin that stayed "speech" for long has its
//!   probability capped at 0.99 so a rise of the noise level is still followed. Minimum
//!   statistics (Martin 2001) bound the estimate: between the minimum of the smoothed
//!   periodogram over the last 1.6 s and 4 times it, so long stretches of speech cannot leak
//!   into it and an under-estimate cannot stick. The first 100 ms are taken as noise; they
//!   pass unsuppressed for 40 ms and the depth fades in over the other 60 (the first sound
//!   may be a word).
//! * **A-priori SNR** by the decision-directed approach (Ephraim & Malah 1984), with the
//!   smoothing factor lowered where the current frame clearly holds more energy than the last
//!   speech estimate explains *and* its 5-bin neighbourhood is well above the noise, so onsets
//!   are not clipped (the DD estimate lags by one frame) while single noise peaks are ignored.
//!   The a-priori SNR used is the geometric mean of that and a second estimate by selective
//!   cepstro-temporal smoothing of the maximum-likelihood estimate `gamma - 1` (Breithaupt,
//!   Gerkmann & Martin, ICASSP 2008; see `cepstrum.rs`): the envelope and pitch coefficients
//!   follow the current frame, the rest is smoothed over time, which gives the estimate less
//!   random fine structure in noise than the ML one and less lag than decision-directed
//!   (PESQ +0.038 wide-band, +0.039 narrow-band, STOI +0.003 against decision-directed alone).
//! * **Speech presence** and **gain**: the optimally-modified log-spectral amplitude estimator
//!   (OM-LSA, Cohen & Berdugo, "Speech enhancement for non-stationary noise environments",
//!   Signal Processing 2001): the a-priori speech *absence* probability comes from the
//!   recursively averaged a-priori SNR in a local (3-bin) and a global (+-450 Hz) window and a
//!   frame-level term; the conditional presence probability `p` then mixes the log-MMSE gain
//!   `G_H1 = xi / (1 + xi) exp(E1(v) / 2)` with the floor `G_min` geometrically:
//!   `G = G_H1^p G_min^(1 - p)`. In noise-only regions `p` is near 0 and every bin gets the same
//!   floor gain, so the residual noise keeps its colour and does not turn into musical tones.
//! * **Musical-noise control** beyond that: isolated bins cannot raise the presence probability
//!   on their own (the global window and the frame term must agree), and in long noise-only
//!   stretches (300 ms with the frame's speech probability below 0.6) every gain is capped at
//!   the floor in frames whose speech probability is low (below 0.1), the cap opening
//!   gradually up to a probability of 0.4. Inside speech (short pauses, weak frames) there is
//!   no cap: capping there cut speech (PESQ +0.013 wide-band, +0.025 narrow-band and STOI
//!   +0.002 without it), while in noise alone the cap is what keeps musical tones at the
//!   floor (without it noise alone came down only 15 to 17 dB at the 20 dB setting). Speech
//!   at low SNR often keeps the presence-based probability low for the whole 300 ms, so the
//!   frame's SNR over the speech band (its power over the noise estimate, averaged over two
//!   frames) also opens the cap, from 2.6 to 4.3 dB, and above 4.3 dB restarts the 300 ms:
//!   PESQ +0.008 wide-band, +0.020 narrow-band (white and pink noise +0.03 to +0.08), nearly
//!   all that removing the cap would give (+0.005 / +0.022), and noise alone still comes
//!   down by the configured depth.
//! * **Depth by the signal's dynamic range**: the floor follows the spread of the 10 ms frame
//!   levels over the last 4 s (exponentially forgotten histogram): the 95th percentile (loud
//!   speech) minus the 10th (the pauses, i.e. the noise). The configured maximum attenuation
//!   applies up to a spread of 27 dB (about 20 dB SNR by the usual active-level measure), none
//!   from 33 dB (about 26 dB SNR) on: a background that far below the talker is barely
//!   audible in a call, and removing it would only alter the recording. Unlike a speech level
//!   estimated through the noise tracker, the spread does not shrink when speech leaks into the
//!   noise estimate. Before any speech the spread is small, so noise alone is suppressed.

use crate::cepstrum::{CepstralSmoother, CepstrumParams};
use crate::fastmath::{exp, expint_e1, ln};

/// Floor of the noise power (about -120 dB re full scale): keeps ratios finite on silence.
const NOISE_FLOOR: f32 = 1e-12;
/// Fixed a-priori SNR under speech presence of the noise tracker, 15 dB.
const TRACK_XI_H1: f32 = 31.622_776;
/// Smoothing of the tracker's presence probability, and the cap applied when it stays high.
const TRACK_P_AVG: f32 = 0.9;
const TRACK_P_STUCK: f32 = 0.99;
/// Minimum statistics: smoothing of the periodogram and the window of 8 sub-windows of
/// 20 frames (1.6 s) over which its minimum is taken.
const MINSTAT_SMOOTH: f32 = 0.85;
const MINSTAT_SUB: usize = 8;
const MINSTAT_SUBLEN: usize = 20;
/// Frames at the start taken as noise to initialise the estimate (100 ms).
const STARTUP_FRAMES: usize = 10;
/// Frames with signal that pass unsuppressed at the start (40 ms); the depth then fades in
/// until `STARTUP_FRAMES`. (Suppressing from the first frame cut the first word of a
/// recording that starts with it: PESQ loss 0.16 on the clean digits recording, 0.047 /
/// 0.051 on average over the clean talkers with muted pauses, now 0.013 / 0.001.)
const STARTUP_PASS_FRAMES: usize = 4;
/// Range of the frame-level peak of the averaged a-priori SNR: 0 dB to 10 dB.
const ZETA_PEAK_MIN: f32 = 1.0;
const ZETA_PEAK_MAX: f32 = 10.0;
/// Histogram of frame levels for the dynamic range: 1 dB bins from `HIST_LOW_DB` (periodogram
/// units), forgotten with a time constant of `HIST_FRAMES` frames (4 s), and the percentiles
/// taken as the pauses' and the loud speech's level.
const HIST_LOW_DB: f32 = -150.0;
const HIST_BINS: usize = 170;
const HIST_FRAMES: f32 = 400.0;
/// Weight of a new frame at which the histogram is rescaled (every 55 s): older frames
/// have long been forgotten to below f32 precision by then.
const HIST_RESCALE: f32 = 1e6;
const HIST_LOW_SHARE: f32 = 0.1;
const HIST_HIGH_SHARE: f32 = 0.95;
/// Frequencies below this always get the floor gain (with 50 Hz bins: the bins at 0, 50 and
/// 100 Hz, i.e. everything below about 125 Hz). Only while there is noise to remove: the floor
/// follows the depth rule, so a recording with a faint background keeps its low end.
const SUB_BASS_HZ: f32 = 120.0;
/// Cohen's zeta_min at 8 kHz: -12 dB instead of -10 (narrow-band PESQ +0.004; -13 dB let pink
/// noise alone come down only 26.9 dB at the 30 dB setting).
const ZETA_MIN_NARROWBAND: f32 = 0.063_095_73;
/// Band whose mean presence probability is the frame's speech probability.
const VAD_LOW_HZ: f32 = 200.0;
const VAD_HIGH_HZ: f32 = 4000.0;

/// The tuning of the estimator (chosen with tools/eval/ns_eval.py; see README).
#[derive(Clone, Copy, Debug)]
struct Params {
    /// Smoothing of the noise estimate per 10 ms frame.
    track_alpha: f32,
    /// Safety net against speech leaking into the noise estimate (minimum statistics, Martin
    /// 2001): the estimate stays between the minimum of the smoothed periodogram over the last
    /// 1.6 s and this many times it.
    minstat_ceiling: f32,
    /// Decision-directed smoothing (steady state) and its value at detected onsets.
    dd_alpha: f32,
    dd_alpha_onset: f32,
    /// Lower bound of the a-priori SNR.
    xi_min: f32,
    /// Thresholds of the presence likelihood maps (Cohen's zeta_min, zeta_max).
    zeta_min: f32,
    zeta_max: f32,
    /// Largest a-priori speech absence probability.
    q_max: f32,
    /// Half-width of the global averaging window, in Hz.
    global_half_hz: f32,
    /// Suppression depth follows the dynamic range of the frame levels (loud speech over the
    /// pauses): the full maximum attenuation up to `depth_full_db`, none from `depth_none_db`
    /// (nothing audible is left to remove, and every change would only alter the speech).
    depth_full_db: f32,
    depth_none_db: f32,
    /// Recursive averaging of the a-priori SNR for the absence probability.
    zeta_beta: f32,
    /// Noise over-estimation factor used in the gain (more suppression of the noise between
    /// speech components).
    noise_over: f32,
    /// Mean of the a-posteriori SNR over 5 bins above which a jump counts as an onset.
    onset_gamma: f32,
    /// Frame speech probabilities between which the musical-noise cap opens.
    cap_lo: f32,
    cap_hi: f32,
    /// The cap applies only after this many frames in a row whose speech probability stayed
    /// below `cap_reset`: in long noise-only stretches, not in the short pauses and weak frames
    /// inside speech.
    cap_hang: u32,
    cap_reset: f32,
    /// The frame's a-posteriori SNR over the speech band (its power over the noise estimate,
    /// natural log, mean of this frame and the last) between which the cap also opens, and
    /// above which it also resets the hang: speech at low SNR often keeps the presence-based
    /// speech probability low for long, while its energy still stands above the noise.
    cap_snr_lo: f32,
    cap_snr_hi: f32,
    /// Cepstro-temporal smoothing of the ML a-priori SNR, and the factor applied to its result
    /// against the downward bias of averaging in the log domain (the log of a periodogram lies
    /// 2.5 dB below the log of its mean on average): 3 dB; 4 dB raised STOI a little more but
    /// let pink noise alone come down only 26 dB at the 30 dB setting.
    cepstrum: CepstrumParams,
    cepstral_bias: f32,
}

const PARAMS: Params = Params {
    track_alpha: 0.85,
    minstat_ceiling: 4.0,
    dd_alpha: 0.9,
    dd_alpha_onset: 0.6,
    xi_min: 0.003_162_3,    // -25 dB
    zeta_min: 0.1,          // -10 dB
    zeta_max: 0.316_227_77, // -5 dB
    q_max: 0.95,
    global_half_hz: 450.0,
    depth_full_db: 27.0,
    depth_none_db: 33.0,
    zeta_beta: 0.7,
    noise_over: 1.2,
    onset_gamma: 2.5,
    cap_lo: 0.1,
    cap_hi: 0.4,
    cap_hang: 30,
    cap_reset: 0.6,
    cap_snr_lo: 0.6, // 2.6 dB
    cap_snr_hi: 1.0, // 4.3 dB
    // Constants of Breithaupt et al. except the non-speech coefficients' 0.8 (0.97 in the
    // paper, which scored lower here). The pitch threshold 0.2 is passed in most frames of
    // this log-SNR cepstrum; without the pitch rule PESQ was 0.001 (WB) / 0.005 (NB) lower,
    // 1.0 or 1.5 ms of envelope and a pitch constant of 0.5 scored the same or lower.
    cepstrum: CepstrumParams {
        env_ms: 1.0,
        beta_env: 0.0,
        beta_pitch: 0.2,
        beta_const: 0.8,
        beta_avg: 0.96,
        pitch_threshold: 0.2,
    },
    cepstral_bias: 2.0,
};

/// Presence likelihood from an averaged a-priori SNR: 0 below `zmin`, 1 above `zmax`,
/// log-linear between. The logarithms of the bounds are taken once per frame, and the many
/// bins outside `zmin..zmax` need none at all.
#[derive(Clone, Copy)]
struct Likelihood {
    zmin: f32,
    zmax: f32,
    ln_zmin: f32,
    inv_span: f32,
}

impl Likelihood {
    fn new(zmin: f32, zmax: f32) -> Self {
        let ln_zmin = ln(zmin);
        Likelihood {
            zmin,
            zmax,
            ln_zmin,
            inv_span: 1.0 / (ln(zmax) - ln_zmin),
        }
    }

    #[inline]
    fn at(self, zeta: f32) -> f32 {
        if zeta <= self.zmin {
            0.0
        } else if zeta >= self.zmax {
            1.0
        } else {
            ((ln(zeta) - self.ln_zmin) * self.inv_span).clamp(0.0, 1.0)
        }
    }
}

/// Per-bin state and the gains of the last frame.
pub(crate) struct Estimator {
    prm: Params,
    /// Configured maximum attenuation (dB) and the floor gain in use now (with its log).
    max_attenuation_db: f32,
    ln_gain_min: f32,
    gain_min: f32,
    /// Dynamic range of the frame levels (dB; minus infinity before any signal), the
    /// histogram it is read from and the histogram's total weight.
    snr_db: f32,
    level_hist: Box<[f32]>,
    level_total: f32,
    /// Weight of the next frame in the histogram (grows as older frames are forgotten).
    hist_weight: f32,
    /// Lowest and highest histogram bin filled since the last reset.
    hist_range: (usize, usize),
    /// Frames since the first one with any signal (counts up to `STARTUP_FRAMES`).
    startup: usize,
    noise: Box<[f32]>,
    track_p: Box<[f32]>,
    /// Smoothed periodogram, minimum of the current sub-window and of the last ones.
    smoothed: Box<[f32]>,
    sub_min: Box<[f32]>,
    sub_mins: Box<[[f32; MINSTAT_SUB]]>,
    window_min: Box<[f32]>,
    sub_pos: usize,
    sub_index: usize,
    /// Speech power estimate of the previous frame, `G_H1^2 |Y|^2`, for the DD approach.
    speech_prev: Box<[f32]>,
    zeta: Box<[f32]>,
    /// Scratch: a-posteriori SNR, a-priori SNR, local-times-global likelihood.
    gamma: Box<[f32]>,
    xi: Box<[f32]>,
    presence: Box<[f32]>,
    gains: Box<[f32]>,
    zeta_frame_prev: f32,
    zeta_peak: f32,
    global_half: usize,
    vad_band: (usize, usize),
    /// Bins below `SUB_BASS_HZ`.
    sub_bass: usize,
    speech_probability: f32,
    /// Frames in a row whose speech probability stayed below `cap_reset` (and frame SNR below
    /// `cap_snr_hi`), and the last frame's SNR over the speech band (natural log).
    quiet_frames: u32,
    frame_snr_prev: f32,
    /// Cepstro-temporal smoothing of the ML a-priori SNR and its output (natural log).
    cepstral: CepstralSmoother,
    ln_xi_cepstral: Box<[f32]>,
}

impl Estimator {
    /// An estimator for `bins` bins `bin_hz` apart; `narrow_band` for an 8 kHz stream.
    pub(crate) fn new(
        bins: usize,
        bin_hz: f32,
        max_attenuation_db: f32,
        narrow_band: bool,
    ) -> Self {
        let gain_min = 10f32.powf(-max_attenuation_db / 20.0);
        let hz_to_bin = |hz: f32| ((hz / bin_hz).round() as usize).min(bins - 1);
        let box_of = |v: f32| vec![v; bins].into_boxed_slice();
        let mut prm = PARAMS;
        if narrow_band {
            prm.zeta_min = ZETA_MIN_NARROWBAND;
        }
        let mut e = Estimator {
            prm,
            max_attenuation_db,
            ln_gain_min: gain_min.ln(),
            gain_min,
            snr_db: f32::NEG_INFINITY,
            level_hist: vec![0.0; HIST_BINS].into_boxed_slice(),
            level_total: 0.0,
            hist_weight: 1.0,
            hist_range: (HIST_BINS - 1, 0),
            startup: 0,
            noise: box_of(NOISE_FLOOR),
            track_p: box_of(0.0),
            smoothed: box_of(0.0),
            sub_min: box_of(f32::MAX),
            sub_mins: vec![[f32::MAX; MINSTAT_SUB]; bins].into_boxed_slice(),
            window_min: box_of(f32::MAX),
            sub_pos: 0,
            sub_index: 0,
            speech_prev: box_of(0.0),
            zeta: box_of(0.0),
            gamma: box_of(0.0),
            xi: box_of(0.0),
            presence: box_of(0.0),
            gains: box_of(1.0),
            zeta_frame_prev: 0.0,
            zeta_peak: ZETA_PEAK_MIN,
            global_half: (prm.global_half_hz / bin_hz).round() as usize,
            vad_band: (hz_to_bin(VAD_LOW_HZ), hz_to_bin(VAD_HIGH_HZ).max(1)),
            sub_bass: ((SUB_BASS_HZ / bin_hz).ceil() as usize).min(bins),
            speech_probability: 0.0,
            quiet_frames: 0,
            frame_snr_prev: 0.0,
            cepstral: CepstralSmoother::new(bins, bin_hz, prm.cepstrum),
            ln_xi_cepstral: box_of(0.0),
        };
        e.set_depth();
        e
    }

    pub(crate) fn reset(&mut self) {
        self.startup = 0;
        self.noise.fill(NOISE_FLOOR);
        self.track_p.fill(0.0);
        self.smoothed.fill(0.0);
        self.sub_min.fill(f32::MAX);
        self.sub_mins.fill([f32::MAX; MINSTAT_SUB]);
        self.window_min.fill(f32::MAX);
        self.sub_pos = 0;
        self.sub_index = 0;
        self.speech_prev.fill(0.0);
        self.zeta.fill(0.0);
        self.gains.fill(1.0);
        self.zeta_frame_prev = 0.0;
        self.zeta_peak = ZETA_PEAK_MIN;
        self.speech_probability = 0.0;
        self.quiet_frames = 0;
        self.frame_snr_prev = 0.0;
        self.cepstral.reset();
        self.snr_db = f32::NEG_INFINITY;
        self.level_hist.fill(0.0);
        self.level_total = 0.0;
        self.hist_weight = 1.0;
        self.hist_range = (HIST_BINS - 1, 0);
        self.set_depth();
    }

    /// Dynamic range of the recent frame levels in dB (-inf before any signal).
    pub(crate) fn snr_db(&self) -> f32 {
        self.snr_db
    }

    /// The floor gain for the current long-term SNR.
    fn set_depth(&mut self) {
        let span = self.prm.depth_none_db - self.prm.depth_full_db;
        let share = if self.snr_db.is_finite() {
            ((self.prm.depth_none_db - self.snr_db) / span).clamp(0.0, 1.0)
        } else {
            1.0
        };
        // Start-up: nothing is known yet of what is noise, and the first sound may be a word
        // (a call or a recording that starts with speech after digital silence): no
        // suppression over the first frames, then the depth fades in by the end of start-up.
        let from = STARTUP_PASS_FRAMES as f32;
        let ramp = ((self.startup as f32 - from) / (STARTUP_FRAMES as f32 - from)).clamp(0.0, 1.0);
        let att = self.max_attenuation_db * share * ramp;
        self.ln_gain_min = -att * (core::f32::consts::LN_10 / 20.0);
        self.gain_min = self.ln_gain_min.exp();
    }

    /// Updates the level histogram with a frame, its dynamic range and the depth.
    fn track_snr(&mut self, power: &[f32], count_level: bool) {
        if !count_level {
            return;
        }
        let total: f32 = power.iter().sum();
        let db = 10.0 * core::f32::consts::LOG10_E * ln(total.max(1e-30));
        let bin = ((db - HIST_LOW_DB).max(0.0) as usize).min(HIST_BINS - 1);
        // Forgetting: rather than decaying every bin each frame, each new frame weighs
        // 1 / keep times the last (only ratios matter); all is rescaled now and then.
        let keep = 1.0 - 1.0 / HIST_FRAMES;
        self.hist_weight /= keep;
        // Bins outside the range ever filled hold exactly zero: rescale and scan only that
        // range.
        self.hist_range = (self.hist_range.0.min(bin), self.hist_range.1.max(bin));
        let (first, last) = self.hist_range;
        if self.hist_weight > HIST_RESCALE {
            let scale = 1.0 / self.hist_weight;
            for h in self.level_hist[first..=last].iter_mut() {
                *h *= scale;
            }
            self.level_total *= scale;
            self.hist_weight = 1.0;
        }
        self.level_hist[bin] += self.hist_weight;
        self.level_total += self.hist_weight;
        let (low, high) = (
            HIST_LOW_SHARE * self.level_total,
            HIST_HIGH_SHARE * self.level_total,
        );
        let (mut acc, mut lo, mut hi) = (0.0f32, None, last);
        for (i, &h) in self
            .level_hist
            .iter()
            .enumerate()
            .take(last + 1)
            .skip(first)
        {
            acc += h;
            if lo.is_none() && acc >= low {
                lo = Some(i);
            }
            if acc >= high {
                hi = i;
                break;
            }
        }
        self.snr_db = (hi - lo.unwrap_or(hi)) as f32;
        self.set_depth();
    }

    /// Gains of the last frame, one per bin.
    pub(crate) fn gains(&self) -> &[f32] {
        &self.gains
    }

    /// Noise power estimate per bin (periodogram units).
    pub(crate) fn noise(&self) -> &[f32] {
        &self.noise
    }

    /// Mean a-priori speech presence probability of the last frame over 200 Hz to 4 kHz.
    pub(crate) fn speech_probability(&self) -> f32 {
        self.speech_probability
    }

    /// Updates every statistic with one frame's periodogram `power` and computes its gains.
    /// `count_level` false leaves the frame out of the dynamic range (its level holds bursts
    /// that the transient limit removed: neither speech nor the background).
    pub(crate) fn update(&mut self, power: &[f32], count_level: bool) {
        if self.startup == 0 && power.iter().all(|&p| p <= NOISE_FLOOR) {
            // Nothing heard yet: nothing to estimate, and silence passes unchanged; it counts
            // as a (perfectly quiet) level for the dynamic range.
            self.gains.fill(1.0);
            self.track_snr(power, count_level);
            return;
        }
        if self.startup < STARTUP_FRAMES {
            self.start_up(power);
        }
        self.track_minimum(power);
        if self.startup >= STARTUP_FRAMES {
            self.track_noise(power);
        }
        if self.startup < STARTUP_FRAMES {
            // The start-up ramp moved; afterwards only the dynamic range moves the depth, and
            // `track_snr` sets it.
            self.startup += 1;
            self.set_depth();
        }
        self.a_priori_snr(power);
        self.presence_likelihood();
        self.gain(power);
        self.track_snr(power, count_level);
    }

    /// The first frames with signal are taken as noise: the estimate is their mean, smoothed
    /// over 5 bins (one frame's periodogram alone is far too variable to start from).
    fn start_up(&mut self, power: &[f32]) {
        let bins = power.len();
        let t = self.startup as f32;
        for k in 0..bins {
            let lo = k.saturating_sub(2);
            let hi = (k + 2).min(bins - 1);
            let local = power[lo..=hi].iter().sum::<f32>() / (hi - lo + 1) as f32;
            let n = if self.startup == 0 {
                local
            } else {
                (self.noise[k] * t + local) / (t + 1.0)
            };
            self.noise[k] = n.max(NOISE_FLOOR);
            self.smoothed[k] = self.noise[k];
        }
    }

    /// Minimum of the smoothed periodogram over the last 1.6 s, in sub-windows.
    fn track_minimum(&mut self, power: &[f32]) {
        for ((sm, m), &y) in self.smoothed.iter_mut().zip(&mut *self.sub_min).zip(power) {
            *sm = MINSTAT_SMOOTH * *sm + (1.0 - MINSTAT_SMOOTH) * y;
            *m = m.min(*sm);
        }
        self.sub_pos += 1;
        if self.sub_pos == MINSTAT_SUBLEN {
            self.sub_pos = 0;
            let i = self.sub_index;
            for ((mins, m), w) in self
                .sub_mins
                .iter_mut()
                .zip(&mut *self.sub_min)
                .zip(&mut *self.window_min)
            {
                mins[i] = *m;
                *w = mins.iter().copied().fold(f32::MAX, f32::min);
                *m = f32::MAX;
            }
            self.sub_index = (i + 1) % MINSTAT_SUB;
        }
    }

    /// Gerkmann-Hendriks noise tracking.
    fn track_noise(&mut self, power: &[f32]) {
        const K: f32 = TRACK_XI_H1 / (1.0 + TRACK_XI_H1);
        for (((n, tp), &y), (&w, &m)) in self
            .noise
            .iter_mut()
            .zip(&mut *self.track_p)
            .zip(power)
            .zip(self.window_min.iter().zip(&*self.sub_min))
        {
            let gamma = y / *n;
            let mut p = 1.0 / (1.0 + (1.0 + TRACK_XI_H1) * exp(-gamma * K));
            *tp = TRACK_P_AVG * *tp + (1.0 - TRACK_P_AVG) * p;
            if *tp > TRACK_P_STUCK {
                p = p.min(TRACK_P_STUCK);
            }
            let expected = (1.0 - p) * y + p * *n;
            let minimum = w.min(m);
            *n = (self.prm.track_alpha * *n + (1.0 - self.prm.track_alpha) * expected)
                .min(self.prm.minstat_ceiling * minimum)
                .max(minimum)
                .max(NOISE_FLOOR);
        }
    }

    /// Decision-directed a-priori SNR and its recursive average.
    fn a_priori_snr(&mut self, power: &[f32]) {
        let over = self.prm.noise_over;
        for ((g, &y), &n) in self.gamma.iter_mut().zip(power).zip(&*self.noise) {
            *g = y / (n * over);
        }
        let bins = self.gamma.len();
        // Running 5-bin sum of gamma: an onset must be broadband enough to show in it.
        let mut sum: f32 = self.gamma[..3.min(bins)].iter().sum();
        for k in 0..bins {
            let lo = k.saturating_sub(2);
            let hi = (k + 2).min(bins - 1);
            let local = sum / (hi - lo + 1) as f32;
            if k + 3 < bins {
                sum += self.gamma[k + 3];
            }
            if k >= 2 {
                sum -= self.gamma[k - 2];
            }
            let gamma = self.gamma[k];
            let n = self.noise[k] * over;
            let ml = (gamma - 1.0).max(0.0);
            let dd = self.speech_prev[k] / n;
            // Onset: the neighbourhood clearly holds more than noise and this bin far more than
            // the last frame's speech estimate explains (the DD estimate would lag a frame).
            let alpha = if local > self.prm.onset_gamma && ml > 4.0 * dd + 1.0 {
                self.prm.dd_alpha_onset
            } else {
                self.prm.dd_alpha
            };
            let xi = (alpha * dd + (1.0 - alpha) * ml).max(self.prm.xi_min);
            self.xi[k] = xi;
        }
        // The cepstro-temporally smoothed ML estimate, and the geometric mean of the two.
        let floor = self.prm.xi_min;
        for (c, &g) in self.ln_xi_cepstral.iter_mut().zip(&*self.gamma) {
            *c = ln((g - 1.0).max(floor));
        }
        self.cepstral.smooth(&mut self.ln_xi_cepstral);
        let ln_bias = ln(self.prm.cepstral_bias);
        let b = self.prm.zeta_beta;
        for ((z, xi), &c) in self
            .zeta
            .iter_mut()
            .zip(&mut *self.xi)
            .zip(&*self.ln_xi_cepstral)
        {
            let cepstral = exp(c + ln_bias).max(floor);
            *xi = (*xi * cepstral).sqrt();
            *z = b * *z + (1.0 - b) * *xi;
        }
    }

    /// Local and global presence likelihoods into `presence` (their product), and the frame
    /// term folded in.
    fn presence_likelihood(&mut self) {
        let bins = self.zeta.len();
        let z = &self.zeta;
        let h = self.global_half;
        // Running box sum for the global window.
        let mut sum: f32 = z[..(h + 1).min(bins)].iter().sum();
        let (lo_band, hi_band) = self.vad_band;
        let mut frame_sum = 0.0f32;
        let map = Likelihood::new(self.prm.zeta_min, self.prm.zeta_max);
        for k in 0..bins {
            let left = z[k.saturating_sub(1)];
            let right = z[(k + 1).min(bins - 1)];
            let local = 0.25 * left + 0.5 * z[k] + 0.25 * right;
            let lo = k.saturating_sub(h);
            let hi = (k + h).min(bins - 1);
            let global = sum / (hi - lo + 1) as f32;
            // Slide: add k + h + 1, drop k - h.
            if k + h + 1 < bins {
                sum += z[k + h + 1];
            }
            if k >= h {
                sum -= z[k - h];
            }
            if (lo_band..hi_band).contains(&k) {
                frame_sum += local;
            }
            let l = map.at(local);
            self.presence[k] = if l > 0.0 { l * map.at(global) } else { 0.0 };
        }
        // Frame-level term (Cohen & Berdugo 2001, eq. 27-28).
        let zeta_frame = frame_sum / (hi_band - lo_band).max(1) as f32;
        let p_frame = if zeta_frame <= self.prm.zeta_min {
            0.0
        } else if zeta_frame > self.zeta_frame_prev {
            self.zeta_peak = zeta_frame.clamp(ZETA_PEAK_MIN, ZETA_PEAK_MAX);
            1.0
        } else {
            map.at(zeta_frame / self.zeta_peak)
        };
        self.zeta_frame_prev = zeta_frame;
        for p in self.presence.iter_mut() {
            *p *= p_frame;
        }
    }

    /// OM-LSA gain per bin, the DD memory for the next frame and the frame's speech
    /// probability.
    fn gain(&mut self, power: &[f32]) {
        let (lo_band, hi_band) = self.vad_band;
        // The frame's speech probability: the mean a-priori presence (1 - q) over the band.
        let vad =
            self.presence[lo_band..hi_band].iter().sum::<f32>() / (hi_band - lo_band).max(1) as f32;
        self.speech_probability = vad;
        // Musical-noise control: in frames that are clearly noise, no bin may rise far above
        // the floor (isolated bins whose presence probability fluctuated up would otherwise
        // sound as tones); the cap opens as the frame's speech probability or its SNR over the
        // speech band rises. The SNR is averaged over two frames: a single frame of noise
        // alone fluctuates too much.
        let band_power: f32 = power[lo_band..hi_band].iter().sum();
        let band_noise: f32 = self.noise[lo_band..hi_band].iter().sum();
        let snr_now = ln(band_power.max(1e-30) / band_noise.max(1e-30));
        let frame_snr = 0.5 * (snr_now + self.frame_snr_prev);
        self.frame_snr_prev = snr_now;
        if vad < self.prm.cap_reset && frame_snr < self.prm.cap_snr_hi {
            self.quiet_frames = self.quiet_frames.saturating_add(1);
        } else {
            self.quiet_frames = 0;
        }
        let open = if self.quiet_frames < self.prm.cap_hang {
            1.0
        } else {
            let by_presence = (vad - self.prm.cap_lo) / (self.prm.cap_hi - self.prm.cap_lo);
            let by_snr =
                (frame_snr - self.prm.cap_snr_lo) / (self.prm.cap_snr_hi - self.prm.cap_snr_lo);
            by_presence.max(by_snr).clamp(0.0, 1.0)
        };
        let ln_cap = (1.0 - open) * self.ln_gain_min;
        // Pass 1: presence probability into `presence`, ln G_H1 into `xi` (no longer needed).
        for ((pres, xi), &gamma) in self
            .presence
            .iter_mut()
            .zip(&mut *self.xi)
            .zip(&*self.gamma)
        {
            let q = (1.0 - *pres).min(self.prm.q_max);
            let ratio = *xi / (1.0 + *xi);
            let v = (gamma * ratio).max(1e-12);
            // p = 1 / (1 + q / (1 - q) (1 + xi) e^-v)
            *pres = 1.0 / (1.0 + q / (1.0 - q) * (1.0 + *xi) * exp(-v));
            *xi = (ln(ratio) + 0.5 * expint_e1(v)).min(0.0);
        }
        // Pass 2: gains and the DD memory.
        for (((g, s), (&p, &ln_gh1)), &y) in self
            .gains
            .iter_mut()
            .zip(&mut *self.speech_prev)
            .zip(self.presence.iter().zip(&*self.xi))
            .zip(power)
        {
            let ln_g = (p * ln_gh1 + (1.0 - p) * self.ln_gain_min).min(ln_cap);
            *g = exp(ln_g).max(self.gain_min);
            *s = *g * *g * y;
        }
        // Below about 125 Hz: always the floor. There is rumble and hum there but little
        // speech (at most the fundamental of deep voices, whose harmonics above carry the
        // pitch), and during voiced speech the presence probability of these bins comes from
        // the harmonics above them (the global window, and the window's leakage from F0 and
        // the first formant), so noise passed there at nearly full level: wide-band PESQ
        // +0.09 over the 8 noises (car +0.24, brown +0.13, white +0.05) against a floor below
        // 60 Hz only, STOI unchanged. (The DC bin's periodogram, one degree of freedom, also
        // spikes far more often than the others.)
        for g in &mut self.gains[..self.sub_bass] {
            *g = self.gain_min;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dynamic range read from the level histogram stays exact across its periodic
    /// rescaling (every ~55 s), and follows a change of the levels within its memory.
    #[test]
    fn dynamic_range_survives_the_histogram_rescaling() {
        let bins = 81;
        let mut e = Estimator::new(bins, 50.0, 20.0, true);
        // Per-bin power giving a frame total of `db` (dB, periodogram units).
        let frame = |db: f32| vec![10f32.powf(db / 10.0) / bins as f32; bins];
        let (quiet, loud, louder) = (frame(-60.5), frame(-30.5), frame(-20.5));
        let mut last_weight = 1.0f32;
        let mut rescaled = 0;
        for i in 0..14_000 {
            // Four quiet frames in five: the pauses; one loud: the speech. After 120 s the
            // speech is 10 dB louder.
            let speech = if i < 12_000 { &loud } else { &louder };
            e.track_snr(if i % 5 == 0 { speech } else { &quiet }, true);
            if e.hist_weight < last_weight {
                rescaled += 1;
            }
            last_weight = e.hist_weight;
            if (2_000..12_000).contains(&i) {
                assert_eq!(e.snr_db(), 30.0, "frame {i}");
            }
        }
        assert_eq!(rescaled, 2);
        assert_eq!(e.snr_db(), 40.0);
    }
}
