//! The echo canceller: render queue, delay estimation, main and shadow adaptive filters,
//! filter management and the residual-echo suppressor, wired together per 10 ms frame.

use crate::delay::DelayEstimator;
use crate::fft::{RealFft, Spectrum};
use crate::filter::{PartitionedFilter, RenderSpectra};
use crate::suppressor::{ResidualEchoSuppressor, SuppressorParams};
use voxline_core::{Error, Latency, Result, SampleRate};

/// Settings of an [`EchoCanceller`], validated by [`EchoCanceller::new`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EchoCancellerConfig {
    /// Rate of both the render and the capture signal: 8, 16, 32 or 48 kHz.
    pub sample_rate: SampleRate,
    /// Length of the echo tail the linear filter models after the bulk delay, 20 to 1000 ms.
    pub tail_ms: u32,
    /// Largest bulk delay between render and capture that is searched, 0 to 2000 ms.
    pub max_delay_ms: u32,
    /// Remove the residual (non-linear, not yet learnt) echo after the linear filter.
    pub residual_suppression: bool,
    /// Deepest attenuation of the residual-echo suppressor, 10 to 80 dB.
    pub max_suppression_db: f32,
    /// Fill suppressed bands with comfort noise at the background level.
    pub comfort_noise: bool,
}

impl EchoCancellerConfig {
    /// The defaults for `sample_rate`: 250 ms tail, delays up to 1 s, suppression to 60 dB
    /// with comfort noise.
    pub fn new(sample_rate: SampleRate) -> Self {
        Self {
            sample_rate,
            tail_ms: 250,
            max_delay_ms: 1000,
            residual_suppression: true,
            max_suppression_db: 60.0,
            comfort_noise: true,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.sample_rate == SampleRate::Hz44100 {
            return Err(Error::InvalidConfig(
                "the echo canceller runs at 8, 16, 32 or 48 kHz; resample 44.1 kHz audio to 48 kHz first"
                    .into(),
            ));
        }
        if !(20..=1000).contains(&self.tail_ms) {
            return Err(Error::InvalidConfig(format!(
                "echo tail {} ms is outside 20..=1000 ms",
                self.tail_ms
            )));
        }
        if self.max_delay_ms > 2000 {
            return Err(Error::InvalidConfig(format!(
                "maximum echo delay {} ms is above 2000 ms",
                self.max_delay_ms
            )));
        }
        if !(10.0..=80.0).contains(&self.max_suppression_db) {
            return Err(Error::InvalidConfig(format!(
                "maximum suppression {} dB is outside 10..=80 dB",
                self.max_suppression_db
            )));
        }
        Ok(())
    }
}

/// What the canceller has measured and done so far, for statistics and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EchoCancellerStats {
    /// Frames processed.
    pub frames: u64,
    /// Estimated bulk delay from render to capture, once found, in milliseconds.
    pub delay_ms: Option<f32>,
    /// How many times the delay estimate jumped to a new value.
    pub delay_changes: u64,
    /// Echo return loss enhancement of the whole canceller (microphone over output energy,
    /// recursively averaged over frames where the far end is active), in dB.
    pub erle_db: f32,
    /// The same for the linear filter alone (microphone over the filter's error).
    pub linear_erle_db: f32,
    /// Mean residual-echo suppressor gain of the last frame, in dB (0 = nothing removed).
    pub suppression_db: f32,
    /// Estimated clock drift between render and capture, in parts per million (positive: the
    /// echo arrives later and later).
    pub drift_ppm: f32,
    /// Times the main filter took a copy of the shadow filter (which cancelled better).
    pub main_from_shadow: u64,
    /// Echo path changes detected (the converged filters stopped modelling the echo).
    pub echo_path_changes: u64,
    /// Times the shadow filter was reset to the main filter (it diverged in double talk).
    pub shadow_from_main: u64,
    /// Capture frames that found no render frame waiting (render treated as silence).
    pub render_underruns: u64,
    /// Render frames dropped because more than the queue's capacity were waiting.
    pub render_overruns: u64,
    /// NaN or infinite input samples replaced by silence.
    pub non_finite_samples: u64,
}

/// Render frames that may wait for their capture frame (320 ms).
/// Per-frame smoothing of the error/echo-estimate cross-spectrum (~10 frames).
const COHERENCE_SMOOTHING: f32 = 0.8;
/// Coherent power a ~10-frame estimate shows between unrelated signals, as a fraction of
/// the error's power (about 1 / the number of frames averaged, with a margin).
const COHERENCE_BIAS: f32 = 0.35;
/// Weight of the coherent residual in the expected misalignment (the suppressor weighs
/// misalignment by 0.5, so 2 counts it in full).
const COHERENT_WEIGHT: f32 = 2.0;
const RENDER_QUEUE_FRAMES: usize = 32;
/// Where the echo's main peak is kept inside the filter window, from its start.
const HEADROOM_MS: usize = 15;
/// Partitions checked for denormal or non-finite coefficients per frame and filter.
const SANITIZED_PER_FRAME: usize = 2;
/// Partitions re-constrained per frame and filter.
const CONSTRAINED_PER_FRAME: usize = 2;
/// How much more energy than the microphone both filters' errors must have before the
/// microphone is passed instead (+3 dB).
const PASSTHROUGH_MARGIN: f32 = 2.0;
/// Step of the background NLMS filter while it learns.
const BACKGROUND_STEP: f32 = 1.0;
/// Step of the background NLMS filter once the foreground filter is good (leakage below
/// [`FINE_LEAKAGE`]).
const FINE_BACKGROUND_STEP: f32 = 0.6;
/// Leakage below which the background filter takes the finer step (-15 dB).
const FINE_LEAKAGE: f32 = 0.03;
/// Leakage below which the main filter counts as converged (-10 dB): the delay estimate may
/// then not move the filter window by more than one block.
const CONVERGED_LEAKAGE: f32 = 0.1;
/// Echo reduction of the linear stage, averaged over far-active frames, at which the filters
/// count as converged (12 dB), unless the background noise limits it (see
/// [`NOISE_LIMITED_REDUCTION`]).
const CONVERGED_REDUCTION: f32 = 16.0;
/// The same after a detected echo path change (15 dB): the leakage estimate the suppressor
/// then relies on lags behind a filter that is still re-learning, so it needs more proof.
const RECONVERGED_REDUCTION: f32 = 32.0;
/// With the error within 3 dB of the microphone's background floor, a linear stage that
/// cancels at least this much (6 dB) counts as converged: the noise, not the filter, limits it.
const NOISE_LIMITED_REDUCTION: f32 = 4.0;
/// Forgetting factor of the convergence sums per far-active frame (time constant 0.33 s).
const CONVERGENCE_FORGET: f32 = 0.97;
/// Far-active frames summed before convergence may be declared.
const CONVERGENCE_MIN_FRAMES: u32 = 20;
/// Per-frame rise of the microphone background floor (about 2 dB/s).
const FLOOR_RISE: f32 = 1.0046;
/// Averaging rate of the leakage regression per frame (when the echo dominates the error).
const LEAKAGE_RATE: f32 = 0.05;
/// Smallest leakage: the filter is never assumed better than -30 dB.
const MIN_LEAKAGE: f32 = 1e-3;
/// Per-frame forgetting factor of the drift fit (time constant 10 s).
const DRIFT_FORGET: f64 = 0.999;
/// Half the length of the fractional-delay interpolator that compensates clock drift on the
/// render signal (taps on each side); it also delays the filters' render by this many samples.
const INTERP_HALF: usize = 8;
/// Smallest drift estimate compensated (3 ppm): below it the estimate is mostly the fit's own
/// noise on a still delay, and the filters' adaptation follows such slow motion by itself.
const MIN_COMPENSATED_DRIFT: f32 = 3e-6;
/// Largest clock drift followed (1000 ppm).
const MAX_DRIFT: f32 = 1e-3;
/// Mean render power (per sample) above which the far end counts as active (-70 dBFS).
const RENDER_ACTIVE: f32 = 1e-7;

/// Acoustic echo canceller: removes the far-end signal (render) that the microphone
/// (capture) picks up from the loudspeaker, 10 ms at a time, with no added latency.
///
/// Feed each render frame with [`analyze_render`](Self::analyze_render) as it goes to the
/// loudspeaker and each capture frame with [`process_capture`](Self::process_capture), or both
/// together with [`process`](Self::process). The bulk delay between them (0 to
/// `max_delay_ms`) is found automatically; the signals need not be aligned.
pub struct EchoCanceller {
    config: EchoCancellerConfig,
    block: usize,
    bins: usize,
    partitions: usize,
    headroom: usize,
    fft: RealFft,
    render_queue: Vec<f32>,
    queue_read: usize,
    queue_len: usize,
    render_started: bool,
    render_prev: Vec<f32>,
    render: Vec<f32>,
    /// The last raw render samples (ring, `render_history.len()` a power of two) from which
    /// the filters' drift-compensated render is interpolated.
    render_history: Vec<f32>,
    /// Raw render samples written to `render_history` so far.
    history_written: u64,
    /// The filters' render block: the raw render delayed by `INTERP_HALF + render_delay`
    /// samples (fractional), which follows the clock drift so the filters see a still echo
    /// path.
    render_block: Vec<f32>,
    /// Drift compensation delay of the filters' render, in samples, within `[0, block)`:
    /// whole blocks are moved into the filter window (`delay_blocks`).
    render_delay: f64,
    /// Interpolator taps (reversed: tap `t` weighs `render_span[i + t]`).
    interp: [f32; 2 * INTERP_HALF],
    /// The raw render samples one interpolated block reads, contiguous.
    render_span: Vec<f32>,
    capture: Vec<f32>,
    window: Vec<f32>,
    time: Vec<f32>,
    spec: Spectrum,
    render_spectra: RenderSpectra,
    delay: DelayEstimator,
    delay_blocks: usize,
    main: PartitionedFilter,
    shadow: PartitionedFilter,
    echo_main: Vec<f32>,
    echo_shadow: Vec<f32>,
    error_main: Vec<f32>,
    error_shadow: Vec<f32>,
    error_spec: Spectrum,
    step_spec: Spectrum,
    render_power: Vec<f32>,
    weighted_power: Vec<f32>,
    weights: Vec<f32>,
    echo_spec: Spectrum,
    echo_power: Vec<f32>,
    /// Smoothed cross-spectrum of the main filter's error and echo estimate (re, im) and
    /// the echo estimate's smoothed power: the part of the error coherent with the echo
    /// estimate is residual echo (see `coherent_residual`).
    coh_cross_re: Vec<f32>,
    coh_cross_im: Vec<f32>,
    coh_echo: Vec<f32>,
    coh_error: Vec<f32>,
    error_power: Vec<f32>,
    echo_power_avg: Vec<f32>,
    error_power_avg: Vec<f32>,
    leak_cross: f32,
    leak_auto: f32,
    /// Leakage: the fraction of the main filter's echo estimate power that is still left as
    /// residual echo (Valin 2007).
    leakage: f32,
    misalign_power: Vec<f32>,
    no_echo: Vec<f32>,
    /// Weights of a room-like decay over the partitions (sum 1), for the echo estimate used
    /// before the filters have converged.
    decay_profile: Vec<f32>,
    /// The foreground filter holds a converged echo path.
    main_converged: bool,
    /// Recursive sums over far-active frames of the microphone energy, the linear stage's
    /// error energy and the microphone's background floor, which decide convergence.
    convergence: [f32; 3],
    convergence_frames: u32,
    /// Convergence was lost to an echo path change and is being regained.
    relearning: bool,
    /// Background level of the microphone (frame energy, fast down, slow up).
    mic_floor: f32,
    /// Estimated echo power from beyond the filter's tail (late reverberation), per bin, in
    /// error-spectrum units.
    late_reverb: Vec<f32>,
    tail_power: Vec<f32>,
    shadow_better_frames: u32,
    /// Microphone, foreground and background error energy summed over the current run of
    /// frames where the background filter cancels better.
    streak: [f32; 3],
    /// Exponentially weighted least-squares fit of the delay estimate against time (frames):
    /// sums of 1, t, t^2, d and t*d. Its slope is the clock drift.
    drift_fit: [f64; 5],
    drift_frame: u64,
    drift_changes: u64,
    /// Estimated clock drift: how many samples per sample the echo path moves later.
    drift: f32,
    main_diverged_frames: u32,
    suppressor: ResidualEchoSuppressor,
    erle_mic: f32,
    erle_out: f32,
    erle_linear: f32,
    stats: EchoCancellerStats,
}

impl std::fmt::Debug for EchoCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoCanceller")
            .field("config", &self.config)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl EchoCanceller {
    /// Builds a canceller; all buffers are allocated here, none per frame.
    pub fn new(config: EchoCancellerConfig) -> Result<Self> {
        config.validate()?;
        let rate = config.sample_rate.hz() as usize;
        let block = config.sample_rate.samples_per_10ms();
        let bins = block + 1;
        let headroom = rate * HEADROOM_MS / 1000;
        // The direct path sits 10..35 ms into the window (with hysteresis), then the tail.
        let partitions = (config.tail_ms as usize + HEADROOM_MS + 20).div_ceil(10);
        let max_delay_blocks = (config.max_delay_ms as usize).div_ceil(10) + 1;
        let fft = RealFft::new(2 * block);
        let min_gain = 10f32.powf(-config.max_suppression_db / 20.0);
        Ok(Self {
            config,
            block,
            bins,
            partitions,
            headroom,
            fft,
            render_queue: vec![0.0; RENDER_QUEUE_FRAMES * block],
            queue_read: 0,
            queue_len: 0,
            render_started: false,
            render_prev: vec![0.0; block],
            render: vec![0.0; block],
            render_history: vec![0.0; (4 * block + 4 * INTERP_HALF).next_power_of_two()],
            history_written: 0,
            render_block: vec![0.0; block],
            render_delay: 0.0,
            interp: [0.0; 2 * INTERP_HALF],
            render_span: vec![0.0; block + 2 * INTERP_HALF],
            capture: vec![0.0; block],
            window: vec![0.0; 2 * block],
            time: vec![0.0; 2 * block],
            spec: Spectrum::zeros(bins),
            render_spectra: RenderSpectra::new(bins, max_delay_blocks + partitions + 2),
            delay: DelayEstimator::new(rate, config.max_delay_ms as usize),
            delay_blocks: 0,
            main: PartitionedFilter::new(bins, partitions),
            shadow: PartitionedFilter::new(bins, partitions),
            echo_main: vec![0.0; block],
            echo_shadow: vec![0.0; block],
            error_main: vec![0.0; block],
            error_shadow: vec![0.0; block],
            error_spec: Spectrum::zeros(bins),
            step_spec: Spectrum::zeros(bins),
            render_power: vec![0.0; bins],
            weighted_power: vec![0.0; bins],
            weights: vec![1.0; partitions],
            echo_spec: Spectrum::zeros(bins),
            echo_power: vec![0.0; bins],
            coh_cross_re: vec![0.0; bins],
            coh_cross_im: vec![0.0; bins],
            coh_echo: vec![0.0; bins],
            coh_error: vec![0.0; bins],
            error_power: vec![0.0; bins],
            echo_power_avg: vec![0.0; bins],
            error_power_avg: vec![0.0; bins],
            leak_cross: 0.0,
            leak_auto: 0.0,
            leakage: 1.0,
            misalign_power: vec![0.0; bins],
            no_echo: vec![0.0; block],
            decay_profile: {
                // -1.5 dB per 10 ms partition (about RT60 0.4 s), normalised to sum 1.
                let decay = 10f32.powf(-0.15);
                let w: Vec<f32> = (0..partitions).map(|p| decay.powi(p as i32)).collect();
                let total: f32 = w.iter().sum();
                w.iter().map(|v| v / total).collect()
            },
            main_converged: false,
            convergence: [0.0; 3],
            convergence_frames: 0,
            relearning: false,
            mic_floor: 0.0,
            late_reverb: vec![0.0; bins],
            tail_power: vec![0.0; bins],
            shadow_better_frames: 0,
            streak: [0.0; 3],
            drift_fit: [0.0; 5],
            drift_frame: 0,
            drift_changes: 0,
            drift: 0.0,
            main_diverged_frames: 0,
            suppressor: ResidualEchoSuppressor::new(
                rate,
                SuppressorParams::tuned(min_gain, config.comfort_noise),
            ),
            erle_mic: 0.0,
            erle_out: 0.0,
            erle_linear: 0.0,
            stats: EchoCancellerStats::default(),
        })
    }

    /// The configuration this canceller was built with.
    pub fn config(&self) -> &EchoCancellerConfig {
        &self.config
    }

    /// Samples per frame (10 ms at the configured rate).
    pub fn frame_len(&self) -> usize {
        self.block
    }

    /// Statistics so far.
    pub fn stats(&self) -> EchoCancellerStats {
        self.stats
    }

    /// Forgets the learnt echo path, delay and noise level (for example after a device
    /// change); the configuration is kept.
    pub fn reset(&mut self) {
        self.queue_len = 0;
        self.queue_read = 0;
        self.render_started = false;
        self.render_prev.fill(0.0);
        self.render_history.fill(0.0);
        self.history_written = 0;
        self.render_delay = 0.0;
        self.render_spectra.clear();
        self.delay.reset();
        self.delay_blocks = 0;
        self.main.reset();
        self.shadow.reset();
        self.echo_power_avg.fill(0.0);
        self.error_power_avg.fill(0.0);
        self.coh_cross_re.fill(0.0);
        self.coh_cross_im.fill(0.0);
        self.coh_echo.fill(0.0);
        self.coh_error.fill(0.0);
        self.leak_cross = 0.0;
        self.leak_auto = 0.0;
        self.leakage = 1.0;
        self.restart_convergence();
        self.relearning = false;
        self.mic_floor = 0.0;
        self.late_reverb.fill(0.0);
        self.shadow_better_frames = 0;
        self.streak = [0.0; 3];
        self.main_diverged_frames = 0;
        self.drift_fit = [0.0; 5];
        self.drift_frame = 0;
        self.drift_changes = 0;
        self.drift = 0.0;
        self.suppressor.reset();
        self.erle_mic = 0.0;
        self.erle_out = 0.0;
        self.erle_linear = 0.0;
        self.stats = EchoCancellerStats::default();
    }

    fn check_len(&self, len: usize) -> Result<()> {
        if len == self.block {
            Ok(())
        } else {
            Err(Error::FrameLength {
                expected: self.block,
                actual: len,
            })
        }
    }

    /// Queues one 10 ms far-end frame, as it is sent to the loudspeaker.
    pub fn analyze_render(&mut self, render: &[f32]) -> Result<()> {
        self.check_len(render.len())?;
        if self.queue_len == RENDER_QUEUE_FRAMES {
            self.queue_read = (self.queue_read + 1) % RENDER_QUEUE_FRAMES;
            self.queue_len -= 1;
            self.stats.render_overruns += 1;
        }
        let slot = (self.queue_read + self.queue_len) % RENDER_QUEUE_FRAMES;
        let dst = &mut self.render_queue[slot * self.block..(slot + 1) * self.block];
        for (d, &s) in dst.iter_mut().zip(render) {
            if !s.is_finite() {
                self.stats.non_finite_samples += 1;
            }
            *d = voxline_core::sanitize(s);
        }
        self.queue_len += 1;
        self.render_started = true;
        Ok(())
    }

    /// Feeds a render frame and a capture frame together and writes the echo-free capture
    /// frame into `out`.
    pub fn process(&mut self, render: &[f32], capture: &[f32], out: &mut [f32]) -> Result<()> {
        self.analyze_render(render)?;
        self.process_capture(capture, out)
    }

    /// Removes the echo from one 10 ms microphone frame, writing the result into `out`.
    pub fn process_capture(&mut self, capture: &[f32], out: &mut [f32]) -> Result<()> {
        self.check_len(capture.len())?;
        self.check_len(out.len())?;
        let b = self.block;
        for (d, &s) in self.capture.iter_mut().zip(capture) {
            if !s.is_finite() {
                self.stats.non_finite_samples += 1;
            }
            *d = voxline_core::sanitize(s);
        }
        self.next_render_frame();

        // The filters' render block (drift-compensated) and its spectrum of [previous,
        // current] block; around a whole-block move of the compensation, two blocks or none.
        self.write_history();
        if self.drift.abs() >= MIN_COMPENSATED_DRIFT {
            self.render_delay += f64::from(self.drift) * b as f64;
        }
        if self.render_delay >= b as f64 {
            // The echo has moved one more block later: finish the block at the old alignment,
            // then continue one block further on and read the filters one block older.
            self.push_render_block();
            self.render_delay -= b as f64;
            self.delay_blocks += 1;
            self.push_render_block();
        } else if self.render_delay < 0.0 && self.delay_blocks > 0 {
            // One block earlier: the block at the new alignment is the one pushed last.
            self.render_delay += b as f64;
            self.delay_blocks -= 1;
        } else {
            // (An echo that would arrive before its render cannot be followed further.)
            self.render_delay = self.render_delay.max(0.0);
            self.push_render_block();
        }

        if self.delay.process(&self.render, &self.capture) {
            self.follow_delay();
        }
        let d = self.delay_blocks;
        let p = self.partitions;

        // Echo estimates and errors of both filters.
        Self::estimate(
            &self.main,
            &self.render_spectra,
            d,
            &mut self.fft,
            &mut self.spec,
            &mut self.time,
            &mut self.echo_main,
        );
        Self::estimate(
            &self.shadow,
            &self.render_spectra,
            d,
            &mut self.fft,
            &mut self.spec,
            &mut self.time,
            &mut self.echo_shadow,
        );
        let mut mic_energy = 0.0;
        let mut main_energy = 0.0;
        let mut shadow_energy = 0.0;
        let mut saturated = false;
        for i in 0..b {
            let y = self.capture[i];
            saturated |= y.abs() >= 0.999;
            self.error_main[i] = y - self.echo_main[i];
            self.error_shadow[i] = y - self.echo_shadow[i];
            mic_energy += y * y;
            main_energy += self.error_main[i] * self.error_main[i];
            shadow_energy += self.error_shadow[i] * self.error_shadow[i];
        }

        self.render_spectra.power_sum(d, p, &mut self.render_power);
        let render_total: f32 = self.render_power.iter().sum();
        let render_mean_square = render_total / (p * 2 * b * b) as f32;
        let far_active = render_mean_square > RENDER_ACTIVE;

        // Spectra of the main filter's echo estimate and error (one block, zero-padded), the
        // leakage estimate, and from it the residual echo left by the main filter per bin.
        self.window[..b].fill(0.0);
        self.window[b..].copy_from_slice(&self.echo_main);
        self.fft.forward(&self.window, &mut self.echo_spec);
        self.echo_spec.power_into(&mut self.echo_power);
        self.window[b..].copy_from_slice(&self.error_main);
        self.fft.forward(&self.window, &mut self.error_spec);
        self.error_spec.power_into(&mut self.error_power);
        if far_active {
            self.update_leakage();
            self.update_coherence();
        }
        for f in 0..self.bins {
            self.misalign_power[f] = self.leakage * self.echo_power[f];
        }
        if far_active {
            self.coherent_residual();
        }
        self.update_late_reverb(d);
        for (m, late) in self.misalign_power.iter_mut().zip(&self.late_reverb) {
            *m += late;
        }
        if !self.main_converged {
            // No linear model yet (start of the call, or after a reset): assume an echo path of
            // up to +6 dB gain (a loud loudspeaker near the microphone) with a room-like decay
            // over the filter window, so the suppressor removes the echo until the filters have
            // learnt it.
            PartitionedFilter::weighted_power(
                &self.render_spectra,
                d,
                &self.decay_profile,
                &mut self.weighted_power,
            );
            for f in 0..self.bins {
                self.misalign_power[f] += 2.0 * self.weighted_power[f];
            }
        }

        // Output of the linear stage: the better filter, or the microphone itself when both
        // clearly add energy (a filter that has just been shifted or has diverged). The margin
        // matters in double talk: the error of a good filter (near end + residual) can exceed
        // the microphone (near end + echo) by a little through the near end's chance
        // correlation with the echo within one frame, and passing the microphone then would
        // let the whole echo through (about one frame in ten of double talk).
        let use_shadow = shadow_energy < 0.5 * main_energy;
        let best_energy = main_energy.min(shadow_energy);
        let (linear_out, echo_est): (&[f32], &[f32]) =
            if best_energy > PASSTHROUGH_MARGIN * mic_energy {
                (&self.capture, &self.no_echo)
            } else if use_shadow {
                (&self.error_shadow, &self.echo_shadow)
            } else {
                (&self.error_main, &self.echo_main)
            };

        if self.config.residual_suppression {
            let report = self.suppressor.process(
                linear_out,
                echo_est,
                &self.misalign_power,
                far_active,
                out,
            );
            self.stats.suppression_db = report.mean_gain_db;
        } else {
            out.copy_from_slice(linear_out);
        }
        let linear_energy = best_energy.min(mic_energy);

        // Never louder than the microphone (comfort noise and filter transients included):
        // cap the frame at +1 dB over the input.
        let mut out_energy: f32 = out.iter().map(|v| v * v).sum();
        let cap = 1.25 * mic_energy + 1e-9 * b as f32;
        if out_energy > cap {
            let g = (cap / out_energy).sqrt();
            for v in out.iter_mut() {
                *v *= g;
            }
            out_energy = cap;
        }

        if mic_energy < self.mic_floor || self.mic_floor == 0.0 {
            self.mic_floor = mic_energy;
        } else {
            self.mic_floor *= FLOOR_RISE;
        }
        if far_active {
            self.track_convergence(mic_energy, linear_energy);
        }
        if far_active && !saturated {
            self.adapt(mic_energy, main_energy, shadow_energy);
        }
        self.track_drift();
        // A few partitions of each filter per frame (bounded cost).
        self.main.sanitize_some(SANITIZED_PER_FRAME);
        self.shadow.sanitize_some(SANITIZED_PER_FRAME);

        if far_active {
            self.erle_mic = 0.98 * self.erle_mic + mic_energy;
            self.erle_out = 0.98 * self.erle_out + out_energy;
            self.erle_linear = 0.98 * self.erle_linear + linear_energy;
            let floor = 1e-12;
            self.stats.erle_db = 10.0 * ((self.erle_mic + floor) / (self.erle_out + floor)).log10();
            self.stats.linear_erle_db =
                10.0 * ((self.erle_mic + floor) / (self.erle_linear + floor)).log10();
        }
        self.stats.frames += 1;
        self.stats.delay_ms = self
            .delay
            .delay_samples()
            .map(|s| s as f32 * 1000.0 / self.config.sample_rate.hz() as f32);
        self.stats.delay_changes = self.delay.changes();
        Ok(())
    }

    /// Appends the raw render frame to the interpolator's history.
    fn write_history(&mut self) {
        let mask = self.render_history.len() - 1;
        for &v in &self.render {
            self.render_history[(self.history_written as usize) & mask] = v;
            self.history_written += 1;
        }
    }

    /// Copies raw render samples `first..first + out.len()` (absolute indices; before the
    /// first sample: silence) out of the history ring.
    fn read_history(history: &[f32], first: i64, out: &mut [f32]) {
        let mask = history.len() - 1;
        for (j, o) in out.iter_mut().enumerate() {
            let k = first + j as i64;
            *o = if k >= 0 {
                history[k as usize & mask]
            } else {
                0.0
            };
        }
    }

    /// Interpolates the filters' render block (the raw render delayed by `INTERP_HALF +
    /// render_delay` samples) and pushes its spectrum, with the previous block's, into the
    /// ring the filters read. Without drift compensation it is an exact delay.
    fn push_render_block(&mut self) {
        let b = self.block;
        let whole = self.render_delay.floor();
        let phase = (self.render_delay - whole) as f32;
        // Raw index of the block's first sample after the whole part of the delay.
        let start = self.history_written as i64 - b as i64 - INTERP_HALF as i64 - whole as i64;
        if phase == 0.0 {
            Self::read_history(&self.render_history, start, &mut self.render_block);
        } else {
            // Windowed-sinc taps for a further delay of `phase` samples: x(c - phase) from
            // x[c - H ..= c + H - 1] (Hann window over +-H, normalised to unit gain); tap t
            // weighs x[c - H + t], which lies t - H + phase from the wanted point.
            let h = INTERP_HALF as f32;
            let mut sum = 0.0;
            for (t, w) in self.interp.iter_mut().enumerate() {
                let u = t as f32 - h + phase;
                let x = std::f32::consts::PI * u;
                let sinc = if u.abs() < 1e-6 { 1.0 } else { x.sin() / x };
                let win = 0.5 + 0.5 * (std::f32::consts::PI * u / h).cos();
                *w = sinc * win;
                sum += *w;
            }
            for w in self.interp.iter_mut() {
                *w /= sum;
            }
            // The raw samples start - H .. start + B + H - 1, contiguous.
            Self::read_history(
                &self.render_history,
                start - INTERP_HALF as i64,
                &mut self.render_span,
            );
            // One tap at a time over the whole block (vectorises; a dot product per sample
            // does not, its sum being sequential).
            self.render_block.fill(0.0);
            for (t, &w) in self.interp.iter().enumerate() {
                for (o, x) in self
                    .render_block
                    .iter_mut()
                    .zip(&self.render_span[t..t + b])
                {
                    *o += w * x;
                }
            }
        }
        self.window[..b].copy_from_slice(&self.render_prev);
        self.window[b..].copy_from_slice(&self.render_block);
        self.render_prev.copy_from_slice(&self.render_block);
        self.fft.forward(&self.window, &mut self.spec);
        self.render_spectra.push(&self.spec);
    }

    /// Takes the oldest queued render frame, or silence when none is waiting.
    fn next_render_frame(&mut self) {
        let b = self.block;
        if self.queue_len == 0 {
            self.render.fill(0.0);
            if self.render_started {
                self.stats.render_underruns += 1;
            }
            return;
        }
        let slot = self.queue_read;
        self.render
            .copy_from_slice(&self.render_queue[slot * b..(slot + 1) * b]);
        self.queue_read = (self.queue_read + 1) % RENDER_QUEUE_FRAMES;
        self.queue_len -= 1;
    }

    /// Moves the filter window to a new delay estimate, shifting what the filters have learnt
    /// along with it (a pure delay change keeps the room's response).
    fn follow_delay(&mut self) {
        let Some(delay) = self.delay.delay_samples() else {
            return;
        };
        let b = self.block;
        // Where the filter window starts in the raw render: whole blocks, the interpolator's
        // delay and the drift compensation.
        let lag = INTERP_HALF + self.render_delay.round() as usize;
        let current_start = self.delay_blocks * b + lag;
        // Keep the window while the main peak stays 10..35 ms into it.
        let offset = delay as isize - current_start as isize;
        let low = self.headroom as isize - (b / 2) as isize;
        let high = (self.headroom + 3 * b / 2) as isize;
        if (low..=high).contains(&offset)
            || (self.delay_blocks == 0 && offset >= 0 && offset <= high)
        {
            return;
        }
        let new_blocks = delay.saturating_sub(self.headroom + lag) / b;
        let shift = new_blocks as isize - self.delay_blocks as isize;
        // A filter that still models the echo (low leakage, which double talk does not raise)
        // is evidence against a jump: near-end speech or a periodic far end can fool the
        // correlation for a moment, and throwing a converged filter away is costly. After a
        // real jump the filter's estimate stops matching and the leakage rises to about 1.
        // One-block moves (clock drift) always follow.
        if shift.abs() > 1 && self.leakage < CONVERGED_LEAKAGE {
            return;
        }
        if shift != 0 {
            self.main.shift(shift);
            self.shadow.shift(shift);
            self.delay_blocks = new_blocks;
        }
    }

    /// Follows clock drift between render and capture. The drift is the slope of the delay
    /// estimate over time (a least-squares fit over the last ~10 s, at the delay estimator's
    /// 0.25 ms resolution); it is applied to the filters' render signal (see
    /// `push_render_block`), so they see a still echo path and need not re-learn it.
    fn track_drift(&mut self) {
        let b = self.block as f32;
        let Some(delay) = self.delay.delay_samples() else {
            return;
        };
        if self.delay.changes() != self.drift_changes {
            // The delay jumped (not a drift step): start the fit again.
            self.drift_changes = self.delay.changes();
            self.drift_fit = [0.0; 5];
        }
        self.drift_frame += 1;
        let t = self.drift_frame as f64;
        let d = delay as f64;
        let f = &mut self.drift_fit;
        for v in f.iter_mut() {
            *v *= DRIFT_FORGET;
        }
        f[0] += 1.0;
        f[1] += t;
        f[2] += t * t;
        f[3] += d;
        f[4] += t * d;
        // Weight of the fit equivalent to about 3 s of frames before trusting it.
        if f[0] < 300.0 {
            return;
        }
        let det = f[0] * f[2] - f[1] * f[1];
        if det <= 0.0 {
            return;
        }
        let slope = (f[0] * f[4] - f[1] * f[3]) / det; // samples per frame
        self.drift = ((slope / f64::from(b)) as f32).clamp(-MAX_DRIFT, MAX_DRIFT);
        self.stats.drift_ppm = self.drift * 1e6;
    }

    /// Late reverberation beyond the filter's tail, which no linear filter of this length can
    /// cancel: the room's decay is read off the foreground filter's last partitions and
    /// extrapolated, and the render leaving the filter window feeds a recursive sum
    /// `R = decay (R + |W_last|^2 |X_(d+P)|^2)`: an exponential reverberation model at O(bins)
    /// cost per frame, given to the residual-echo suppressor.
    fn update_late_reverb(&mut self, d: usize) {
        let p = self.partitions;
        let k = (p / 3).max(1);
        let late = self.main.partition_power(p - 1, &mut self.tail_power);
        let earlier = self.main.partition_energy(p - 1 - k);
        let decay = if earlier > 0.0 && late > 0.0 {
            (late / earlier).powf(1.0 / k as f32).clamp(0.3, 0.95)
        } else {
            0.0
        };
        let (xr, xi) = self.render_spectra.get(d + p);
        for f in 0..self.bins {
            let x2 = xr[f] * xr[f] + xi[f] * xi[f];
            let r = decay * (self.late_reverb[f] + self.tail_power[f] * 0.5 * x2);
            self.late_reverb[f] = if r > 1e-30 { r } else { 0.0 };
        }
    }

    /// Updates the leakage estimate: the regression of the error power's fluctuations on the
    /// echo estimate's, summed over bins (Valin 2007). Near-end speech is uncorrelated with the
    /// echo estimate, so it adds variance but no bias; the averaging slows down when the error
    /// is much louder than the echo estimate (double talk).
    fn update_leakage(&mut self) {
        let mut cross = 0.0;
        let mut auto = 0.0;
        let mut echo_total = 0.0;
        let mut error_total = 0.0;
        for f in 0..self.bins {
            let (y, e) = (self.echo_power[f], self.error_power[f]);
            self.echo_power_avg[f] = 0.95 * self.echo_power_avg[f] + 0.05 * y;
            self.error_power_avg[f] = 0.95 * self.error_power_avg[f] + 0.05 * e;
            let dy = y - self.echo_power_avg[f];
            let de = e - self.error_power_avg[f];
            cross += dy * de;
            auto += dy * dy;
            echo_total += y;
            error_total += e;
        }
        let rate = LEAKAGE_RATE * (echo_total / (error_total + 1e-20)).min(1.0);
        self.leak_cross = (1.0 - rate) * self.leak_cross + rate * cross;
        self.leak_auto = (1.0 - rate) * self.leak_auto + rate * auto;
        if self.leak_auto > 1e-20 {
            self.leakage = (self.leak_cross / self.leak_auto).clamp(MIN_LEAKAGE, 1.0);
        }
    }

    /// Smooths the cross-spectrum of the main filter's error and echo estimate over ~10
    /// frames of far-end activity.
    fn update_coherence(&mut self) {
        let a = COHERENCE_SMOOTHING;
        let b = 1.0 - a;
        let n = self.bins;
        for (((((cr, ci), ce), cy), e), y) in self.coh_cross_re[..n]
            .iter_mut()
            .zip(&mut self.coh_cross_im[..n])
            .zip(&mut self.coh_error[..n])
            .zip(&mut self.coh_echo[..n])
            .zip(self.error_spec.re[..n].iter().zip(&self.error_spec.im[..n]))
            .zip(self.echo_spec.re[..n].iter().zip(&self.echo_spec.im[..n]))
        {
            let ((er, ei), (yr, yi)) = ((*e.0, *e.1), (*y.0, *y.1));
            // E * conj(Y)
            *cr = a * *cr + b * (er * yr + ei * yi);
            *ci = a * *ci + b * (ei * yr - er * yi);
            *ce = a * *ce + b * (er * er + ei * ei);
            *cy = a * *cy + b * (yr * yr + yi * yi);
        }
    }

    /// Raises the expected misalignment to the residual echo the error visibly holds: the
    /// power of the error's part that is coherent with the echo estimate,
    /// `|S_ey|^2 / S_yy`, less the bias of a ~10-frame coherence estimate on unrelated signals.
    /// While the filter is still poor in some bands (the first seconds, the tail of a long
    /// room), the leakage and the residual ratio (both averaged, the ratio rising slowly so
    /// double talk cannot push it) under-estimate that residual; the error then looks like a
    /// near-end talker and the suppressor would let the echo through at its double-talk floor.
    /// A near-end talker is not coherent with the echo estimate, so this leaves it alone.
    fn coherent_residual(&mut self) {
        let n = self.bins;
        for ((((m, &cr), &ci), &ce), &cy) in self.misalign_power[..n]
            .iter_mut()
            .zip(&self.coh_cross_re[..n])
            .zip(&self.coh_cross_im[..n])
            .zip(&self.coh_error[..n])
            .zip(&self.coh_echo[..n])
        {
            let coherent = (cr * cr + ci * ci) / (cy + 1e-20) - COHERENCE_BIAS * ce;
            *m = m.max(COHERENT_WEIGHT * coherent);
        }
    }

    /// Echo estimate of `filter` for the current block (time domain, `B` samples).
    fn estimate(
        filter: &PartitionedFilter,
        render: &RenderSpectra,
        delay: usize,
        fft: &mut RealFft,
        spec: &mut Spectrum,
        time: &mut [f32],
        out: &mut [f32],
    ) {
        filter.filter(render, delay, spec);
        fft.inverse(spec, time);
        let b = out.len();
        let scale = 1.0 / (2 * b) as f32;
        for (o, t) in out.iter_mut().zip(&time[b..]) {
            *o = t * scale;
        }
    }

    /// The echo path changed: back to the start-up echo model (and the full background step)
    /// until the filters model the new path.
    fn lose_convergence(&mut self) {
        self.restart_convergence();
        self.relearning = true;
        self.stats.echo_path_changes += 1;
    }

    /// The filters no longer count as converged; the evidence for convergence starts afresh.
    fn restart_convergence(&mut self) {
        self.main_converged = false;
        self.convergence = [0.0; 3];
        self.convergence_frames = 0;
    }

    /// Decides when the filters model the echo well enough for the residual-echo suppressor to
    /// trust them instead of the start-up echo model: the linear stage's echo reduction,
    /// averaged over the last ~0.3 s of far-end activity, reaches 12 dB (15 dB after an echo
    /// path change), or at least 6 dB with
    /// the error down at the microphone's background noise. One lucky frame is not enough
    /// (declaring convergence early leaves echo through while the filters still learn).
    fn track_convergence(&mut self, mic_energy: f32, error_energy: f32) {
        let c = &mut self.convergence;
        c[0] = CONVERGENCE_FORGET * c[0] + mic_energy;
        c[1] = CONVERGENCE_FORGET * c[1] + error_energy;
        c[2] = CONVERGENCE_FORGET * c[2] + self.mic_floor;
        self.convergence_frames = self.convergence_frames.saturating_add(1);
        let needed = if self.relearning {
            RECONVERGED_REDUCTION
        } else {
            CONVERGED_REDUCTION
        };
        if !self.main_converged
            && self.convergence_frames >= CONVERGENCE_MIN_FRAMES
            && (c[0] > needed * c[1]
                || (c[1] < 2.0 * c[2] && c[0] > NOISE_LIMITED_REDUCTION * c[1]))
        {
            self.main_converged = true;
            self.relearning = false;
        }
    }

    /// Adapts the background filter from this block's error and manages the pair.
    fn adapt(&mut self, mic_energy: f32, main_energy: f32, shadow_energy: f32) {
        let b = self.block;
        let p = self.partitions;
        let d = self.delay_blocks;
        let regularisation = (p * 2 * b * b) as f32 * 1e-6 / self.bins as f32;

        // Background filter: NLMS with a fixed step, proportionate across partitions: it
        // converges and re-converges fast but is not protected against double talk; the
        // foreground filter below is.
        self.shadow.proportionate_weights(&mut self.weights);
        PartitionedFilter::weighted_power(
            &self.render_spectra,
            d,
            &self.weights,
            &mut self.weighted_power,
        );
        self.window[..b].fill(0.0);
        self.window[b..].copy_from_slice(&self.error_shadow);
        self.fft.forward(&self.window, &mut self.error_spec);
        // Full step while learning (start, echo path change: the leakage is high), a smaller
        // one once the foreground filter models the echo well, for a lower misadjustment (the
        // steady-state residual of NLMS grows with its step) and less disturbance in double
        // talk.
        let step = if self.main_converged && self.leakage < FINE_LEAKAGE {
            FINE_BACKGROUND_STEP
        } else {
            BACKGROUND_STEP
        };
        for f in 0..self.bins {
            let step = step / (self.weighted_power[f] + regularisation);
            self.step_spec.re[f] = step * self.error_spec.re[f];
            self.step_spec.im[f] = step * self.error_spec.im[f];
        }
        self.shadow
            .adapt(&self.render_spectra, d, &self.step_spec, &self.weights);
        self.shadow.constrain_some(
            CONSTRAINED_PER_FRAME,
            &mut self.fft,
            &mut self.spec,
            &mut self.time,
        );

        // Filter management: the foreground (main) filter makes the output and only changes
        // by taking a copy of the background filter once that clearly cancels better; a
        // background filter that diverged restarts from the foreground.
        if shadow_energy < 0.5 * main_energy && shadow_energy < 0.25 * mic_energy {
            self.shadow_better_frames += 1;
            self.streak[0] += mic_energy;
            self.streak[1] += main_energy;
            self.streak[2] += shadow_energy;
        } else {
            self.shadow_better_frames = 0;
            self.streak = [0.0; 3];
        }
        if self.shadow_better_frames >= 3 {
            // A converged foreground filter that cancels less than 1.5 dB over the run while
            // the background one cancels 6 dB more has lost the echo path (someone moved).
            // Double talk does not do this: it disturbs the background filter (which has no
            // protection against it) more than the foreground. (The leakage estimate is no
            // good sign here: it rose above 0.3 in double talk in the evaluation, and stayed
            // low after some real path changes.)
            let [mic, main, shadow] = self.streak;
            if self.main_converged && main > 0.7 * mic && shadow * 4.0 < main {
                self.lose_convergence();
            }
            self.streak = [0.0; 3];
            self.main.copy_from(&self.shadow);
            self.shadow_better_frames = 0;
            self.stats.main_from_shadow += 1;
        } else if shadow_energy > 4.0 * main_energy && shadow_energy > mic_energy {
            self.shadow.copy_from(&self.main);
            self.stats.shadow_from_main += 1;
        }
        if main_energy > 4.0 * mic_energy && shadow_energy > mic_energy {
            self.main_diverged_frames += 1;
            if self.main_diverged_frames >= 10 {
                self.main.reset();
                self.shadow.reset();
                self.leakage = 1.0;
                self.restart_convergence();
                self.main_diverged_frames = 0;
            }
        } else {
            self.main_diverged_frames = 0;
        }
    }
}

impl Latency for EchoCanceller {
    /// The canceller adds no delay: each output frame is the input frame, cleaned.
    fn latency_samples(&self) -> usize {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use voxline_core::{SampleRate, Xorshift32};

    /// Runs 60 frames of the coherence estimate on random spectra where the error is
    /// `coupling` times the echo estimate plus an independent signal `other` times as strong
    /// as the estimate, and returns the mean over bins of the misalignment it then sets,
    /// relative to the echo estimate's power.
    fn coherent_share(coupling: f32, other: f32) -> f32 {
        let mut aec =
            EchoCanceller::new(EchoCancellerConfig::new(SampleRate::Hz16000)).expect("config");
        let mut rng = Xorshift32::new(5);
        let n = aec.bins;
        for _ in 0..60 {
            for f in 0..n {
                let (yr, yi) = (rng.next_bipolar(), rng.next_bipolar());
                let (vr, vi) = (rng.next_bipolar(), rng.next_bipolar());
                aec.echo_spec.re[f] = yr;
                aec.echo_spec.im[f] = yi;
                aec.error_spec.re[f] = coupling * yr + other * vr;
                aec.error_spec.im[f] = coupling * yi + other * vi;
            }
            aec.update_coherence();
        }
        aec.misalign_power.fill(0.0);
        aec.coherent_residual();
        // |Y|^2 has mean 2/3 for uniform re and im in [-1, 1].
        aec.misalign_power.iter().sum::<f32>() / n as f32 / (2.0 / 3.0)
    }

    #[test]
    fn coherent_residual_finds_echo_and_ignores_an_unrelated_talker() {
        // An error that is a scaled copy of the echo estimate (a filter that has learnt half
        // of the echo path) is residual echo: counted in full (weight 2 for the suppressor's
        // 0.5, less the bias allowance)...
        let residual = coherent_share(1.0, 0.0);
        assert!(
            (1.0..=2.0).contains(&residual),
            "pure residual counted as {residual:.2} of its power"
        );
        // ...the same residual under a near-end talker as strong is still seen...
        let mixed = coherent_share(1.0, 1.0);
        assert!(
            (0.3..=1.5).contains(&mixed),
            "residual under a talker counted as {mixed:.2}"
        );
        // ...and an error independent of the estimate (a near-end talker alone) is not.
        let unrelated = coherent_share(0.0, 1.0);
        assert!(
            unrelated < 0.05,
            "unrelated error counted as {unrelated:.2}"
        );
    }
}
