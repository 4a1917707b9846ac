//! Noise suppressor of the voxline voice engine: removes steady and slowly changing background
//! noise (fans, traffic, hum, car cabins, crowds) from a talker's signal, 10 ms at a time.
//!
//! [`NoiseSuppressor`] is a statistical spectral suppressor, not a gate. Each 10 ms hop is
//! analysed with a 20 ms square-root-Hann window (50 % overlap, `realfft`); per frequency bin it
//!
//! 1. tracks the noise power with a speech-presence-probability estimator (Gerkmann &
//!    Hendriks 2012) that follows level changes within about a second and holds still under
//!    speech,
//! 2. estimates the a-priori SNR by the decision-directed approach (Ephraim & Malah 1984),
//!    reacting faster at onsets so the starts of words are not clipped, combined with a
//!    selective cepstro-temporal smoothing of the maximum-likelihood estimate (Breithaupt,
//!    Gerkmann & Martin 2008),
//! 3. applies the OM-LSA gain (Cohen & Berdugo 2001): the log-spectral amplitude estimator
//!    weighted by the speech presence probability, floored at the configured maximum
//!    attenuation ([`NsConfig::max_attenuation_db`], 6 to 30 dB, default 20 dB),
//!
//! and overlap-adds the result. Before the gains, in voiced frames, a pitch filter moves the
//! noise between the harmonics onto them (the input one pitch period earlier is added per band
//! where the band is periodic and noisy, the band's energy kept; the period is searched in the
//! suppressor's own, far less noisy output): the harmonics of a low voice lie too close
//! together for per-bin gains to take out what lies between. Impulsive noise
//! (typing, clicks), which the noise estimate cannot follow, is limited in the time domain:
//! while isolated bursts of a few milliseconds are frequent, output samples that rise far
//! above the level around them are brought down, using the 10 ms of input the output lags
//! behind ([`NoiseSuppressor::transient_rate`]). The added latency is one hop, 10 ms
//! ([`Latency`]). The mean
//! speech presence probability of each frame is exposed as a voice-activity measure
//! ([`NoiseSuppressor::speech_probability`]).
//!
//! Sans-IO, 8, 16, 32, 44.1 and 48 kHz natively, no allocation or lock after construction,
//! NaN/Inf/denormal input handled. What it cannot do: remove noise that is as speech-like and
//! non-stationary as the speech itself (a competing talker) beyond what the presence
//! probability catches, or clicks that last longer than about 10 ms; that needs a learned
//! model.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cepstrum;
mod estimator;
mod fastmath;
mod pitch;
mod stft;
mod transient;

use estimator::Estimator;
use pitch::PitchFilter;
use stft::Stft;
use transient::TransientLimiter;
use voxline_core::{sanitize, Error, Latency, Result, SampleRate};

/// Length of the analysis window in 10 ms hops: 2 (20 ms, 50 Hz bins, the symmetric
/// square-root-Hann pair). The STFT supports longer, asymmetric low-delay windows at the same
/// one-hop latency; 4 (40 ms) resolved harmonics better but smeared onsets and scored lower in
/// the evaluation, so it is not used.
const WINDOW_HOPS: usize = 2;

/// Largest magnitude accepted from the input; anything beyond is clipped (full scale is 1.0).
const INPUT_LIMIT: f32 = 64.0;

/// Configuration of a [`NoiseSuppressor`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NsConfig {
    /// Largest attenuation applied to noise, in dB: the gain floor. 6 to 30, default 20.
    pub max_attenuation_db: f32,
}

impl NsConfig {
    /// Smallest allowed [`max_attenuation_db`](Self::max_attenuation_db).
    pub const MIN_ATTENUATION_DB: f32 = 6.0;
    /// Largest allowed [`max_attenuation_db`](Self::max_attenuation_db).
    pub const MAX_ATTENUATION_DB: f32 = 30.0;

    /// A configuration with the given maximum attenuation (checked by [`NoiseSuppressor::new`]).
    #[must_use]
    pub fn with_max_attenuation_db(max_attenuation_db: f32) -> Self {
        NsConfig { max_attenuation_db }
    }

    /// Checks the ranges; the error names the offending value.
    pub fn validate(&self) -> Result<()> {
        let a = self.max_attenuation_db;
        if !(Self::MIN_ATTENUATION_DB..=Self::MAX_ATTENUATION_DB).contains(&a) {
            return Err(Error::InvalidConfig(format!(
                "maximum attenuation {a} dB is outside 6 to 30 dB"
            )));
        }
        Ok(())
    }
}

impl Default for NsConfig {
    fn default() -> Self {
        NsConfig {
            max_attenuation_db: 20.0,
        }
    }
}

/// A noise suppressor for one mono stream: construct with a rate and an [`NsConfig`], then
/// call [`process`](Self::process) on consecutive frames of 10 ms (or multiples).
pub struct NoiseSuppressor {
    rate: SampleRate,
    config: NsConfig,
    hop: usize,
    stft: Stft,
    estimator: Estimator,
    transients: TransientLimiter,
    pitch: PitchFilter,
    input: Box<[f32]>,
    power: Box<[f32]>,
}

impl NoiseSuppressor {
    /// A suppressor for `rate`; fails with [`Error::InvalidConfig`] when `config` is out of
    /// range.
    pub fn new(rate: SampleRate, config: NsConfig) -> Result<Self> {
        config.validate()?;
        let hop = rate.samples_per_10ms();
        let stft = Stft::new(hop, WINDOW_HOPS);
        let bins = stft.bins();
        let bin_hz = 100.0 / WINDOW_HOPS as f32;
        Ok(NoiseSuppressor {
            rate,
            config,
            hop,
            stft,
            estimator: Estimator::new(
                bins,
                bin_hz,
                config.max_attenuation_db,
                rate == SampleRate::Hz8000,
            ),
            transients: TransientLimiter::new(hop),
            pitch: PitchFilter::new(rate.hz(), WINDOW_HOPS * hop, hop, bin_hz),
            input: vec![0.0; hop].into_boxed_slice(),
            power: vec![0.0; bins].into_boxed_slice(),
        })
    }

    /// The sample rate.
    pub fn rate(&self) -> SampleRate {
        self.rate
    }

    /// The configuration.
    pub fn config(&self) -> NsConfig {
        self.config
    }

    /// Samples per 10 ms frame.
    pub fn frame_len(&self) -> usize {
        self.hop
    }

    /// Suppresses noise in `input` into `output`, both a whole number of 10 ms frames of the
    /// same length. The output lags the input by [`latency_samples`](Latency::latency_samples).
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) -> Result<()> {
        self.check(input.len())?;
        if output.len() != input.len() {
            return Err(Error::FrameLength {
                expected: input.len(),
                actual: output.len(),
            });
        }
        for (x, y) in input
            .chunks_exact(self.hop)
            .zip(output.chunks_exact_mut(self.hop))
        {
            self.input.copy_from_slice(x);
            self.frame(y);
        }
        Ok(())
    }

    /// As [`process`](Self::process), writing the result over the input.
    pub fn process_in_place(&mut self, frame: &mut [f32]) -> Result<()> {
        self.check(frame.len())?;
        for chunk in frame.chunks_exact_mut(self.hop) {
            self.input.copy_from_slice(chunk);
            self.frame(chunk);
        }
        Ok(())
    }

    fn check(&self, len: usize) -> Result<()> {
        if len == 0 || !len.is_multiple_of(self.hop) {
            return Err(Error::FrameLength {
                expected: self.hop * len.div_ceil(self.hop).max(1),
                actual: len,
            });
        }
        Ok(())
    }

    /// One hop: `self.input` in, `out` written.
    fn frame(&mut self, out: &mut [f32]) {
        for x in self.input.iter_mut() {
            *x = sanitize(*x).clamp(-INPUT_LIMIT, INPUT_LIMIT);
        }
        self.transients.push(&self.input);
        self.pitch.push(&self.input);
        self.pitch.prepare(&mut self.stft);
        let spectrum = self.stft.analyse(&self.input);
        for (p, c) in self.power.iter_mut().zip(spectrum.iter()) {
            *p = c.norm_sqr();
        }
        // Frames around limited bursts stay out of the dynamic range that sets the depth:
        // their level is neither the speech's nor the background's.
        let count_level = !self.transients.burst_near();
        self.estimator.update(&self.power, count_level);
        self.pitch.filter(spectrum, self.estimator.gains());
        for (c, &g) in spectrum.iter_mut().zip(self.estimator.gains()) {
            *c *= g;
        }
        self.stft.synthesise(out);
        // The pitch period of the next frames is searched in the output: far less noise.
        self.pitch.push_output(out);
        self.transients.apply(out);
        for y in out.iter_mut() {
            *y = sanitize(*y);
        }
    }

    /// Mean a-priori speech presence probability (0 to 1) over 200 Hz to 4 kHz of the most recent
    /// frame: a voice-activity measure for later stages. It describes the audio that the
    /// *next* output hop completes (the output lags by one hop).
    pub fn speech_probability(&self) -> f32 {
        self.estimator.speech_probability()
    }

    /// Isolated transients per second at which the transient limit starts to engage.
    pub const TRANSIENT_LIMIT_FROM: f32 = transient::RATE_OFF;
    /// Isolated transients per second from which the transient limit acts fully.
    pub const TRANSIENT_LIMIT_FULL: f32 = transient::RATE_FULL;

    /// Isolated transients (clicks, taps) per second over about the last 2 s. From
    /// [`TRANSIENT_LIMIT_FROM`](Self::TRANSIENT_LIMIT_FROM) on, short bursts are limited to the
    /// level around them (fully from [`TRANSIENT_LIMIT_FULL`](Self::TRANSIENT_LIMIT_FULL)).
    pub fn transient_rate(&self) -> f32 {
        self.transients.rate()
    }

    /// The per-bin gains applied to the most recent frame (`frame_len() + 1` bins, 50 Hz apart).
    pub fn gains(&self) -> &[f32] {
        self.estimator.gains()
    }

    /// The current noise power estimate per bin, as a mean-square level per bin of the
    /// normalised periodogram (white noise of variance `s^2` gives `s^2` in every bin).
    pub fn noise_power(&self) -> &[f32] {
        self.estimator.noise()
    }

    /// The SNR proxy that sets the suppression depth, in dB: the dynamic range of the 10 ms
    /// frame levels over the last few seconds (95th over 10th percentile: loud speech over the
    /// pauses); minus infinity before any signal. About 7 dB above the SNR by the active-level
    /// measure. Depth: full up to 27 dB, none from 33 dB.
    pub fn snr_estimate_db(&self) -> f32 {
        self.estimator.snr_db()
    }

    /// Forgets the signal and every statistic, as if newly constructed.
    pub fn reset(&mut self) {
        self.stft.reset();
        self.estimator.reset();
        self.transients.reset();
        self.pitch.reset();
    }
}

impl Latency for NoiseSuppressor {
    /// One hop: 10 ms.
    fn latency_samples(&self) -> usize {
        self.hop
    }
}

/// Suppresses noise in a whole recording, offline: the result has the input's length and is
/// aligned with it (the latency is removed; a trailing partial frame is padded with zeros).
pub fn suppress_recording(rate: SampleRate, config: NsConfig, input: &[f32]) -> Result<Vec<f32>> {
    let mut ns = NoiseSuppressor::new(rate, config)?;
    let hop = ns.frame_len();
    let latency = ns.latency_samples();
    let frames = (input.len() + latency).div_ceil(hop);
    let mut padded = vec![0.0f32; frames * hop];
    padded[..input.len()].copy_from_slice(input);
    let mut out = vec![0.0f32; padded.len()];
    ns.process(&padded, &mut out)?;
    out.drain(..latency);
    out.truncate(input.len());
    Ok(out)
}
