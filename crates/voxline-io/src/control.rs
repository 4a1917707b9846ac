//! Keeping a ring buffer's fill level near a target while the clocks on its two sides drift
//! apart, and estimating that drift.
//!
//! A capture device and a render device each run on their own crystal, and neither runs
//! exactly at the processing side's 100 frames per second: a ring between them slowly fills up
//! (growing delay) or drains (underruns). [`FillController`] watches the fill level once per
//! processing frame. Because callbacks arrive in bursts of 64 to thousands of samples, the
//! level seen at any one frame swings by a callback's worth; the controller therefore acts on
//! the **floor**, the lowest level over a window of frames (0.5 s by default), which is the
//! delay that is really in excess of what the bursts need. When the floor leaves
//! `target ± margin` it asks the processing side to drop or insert samples, a few per frame
//! (see [`crate::splice`]), until the floor is back on target; so the delay stays bounded
//! whatever the drift. Only two windows in a row on the same side of the band trigger a
//! correction: scheduling jitter moves single windows, drift persists. Windows in which a
//! correction was applied are not used for a decision, so a correction is never counted twice.
//!
//! The drift estimate is an exponentially weighted least-squares line through the ring's
//! "excess" — fill level plus samples dropped minus samples inserted minus device-side losses
//! — against time: its slope over the nominal samples per frame is the producer's clock rate
//! over the consumer's, minus one, in parts per million.

/// What the processing side should do to the current frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// Move exactly one frame's worth of samples.
    None,
    /// Move this many samples more than a frame through the ring (the ring holds too much).
    Drop(usize),
    /// Move this many samples fewer than a frame through the ring (it holds too little).
    Insert(usize),
}

/// Settings of a [`FillController`], all in samples (at the device rate) or frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillConfig {
    /// Samples per processing frame (10 ms).
    pub frame_len: usize,
    /// Floor fill level to hold.
    pub target: usize,
    /// Dead band around the target in which nothing is corrected.
    pub margin: usize,
    /// Largest target the controller may raise itself to after device underruns.
    pub max_target: usize,
    /// Frames per observation window (the floor is the minimum over one window).
    pub window_frames: usize,
    /// Most samples dropped or inserted in one frame.
    pub max_step: usize,
    /// A floor this far above the target is cut at once (a jump) instead of step by step.
    pub jump_threshold: usize,
}

impl FillConfig {
    /// Defaults for `frame_len` samples per frame and a `target` floor: margin half a frame,
    /// 50-frame windows, steps of up to a tenth of a frame, jumps beyond 20 frames of excess,
    /// and a target that may grow to 8 frames above the initial one.
    pub fn new(frame_len: usize, target: usize) -> Self {
        let frame_len = frame_len.max(1);
        Self {
            frame_len,
            target,
            margin: frame_len / 2,
            max_target: target + 8 * frame_len,
            window_frames: 50,
            max_step: (frame_len / 10).max(1),
            jump_threshold: 20 * frame_len,
        }
    }
}

/// Decides per frame how many samples to drop or insert so that a ring's floor fill level stays
/// near its target, and estimates the clock drift across the ring. Pure: no clock, no I/O, no
/// allocation.
#[derive(Debug, Clone)]
pub struct FillController {
    config: FillConfig,
    target: usize,
    /// The target without underrun reserve (the configured one or what `ensure_target` asked).
    base_target: usize,
    /// Frames since the target was last raised.
    frames_since_raise: u64,
    /// Window and margin in force: the configured ones, widened for large callbacks.
    window_frames: usize,
    margin: usize,
    seen: usize,
    window_min: usize,
    corrected_in_window: bool,
    raised_in_window: bool,
    /// Which side of the dead band the last window's floor was on (-1, 0, +1), and that floor.
    last_side: i8,
    last_floor: usize,
    /// A jump is under way: `pending` is applied as fast as the caller can.
    jumping: bool,
    /// Samples still to drop (positive) or insert (negative).
    pending: i64,
    floor: Option<usize>,
    dropped: u64,
    inserted: u64,
    jumps: u64,
    /// Exponentially weighted sums for the drift line: 1, t, t^2, x, t*x (t in frames since
    /// `origin`).
    fit: [f64; 5],
    t: f64,
    frames: u64,
}

/// Per-frame forgetting factor of the drift fit (time constant 60 s at 10 ms frames: the fill
/// level swings by whole callbacks, so the trend needs a long look).
const DRIFT_FORGET: f64 = 1.0 - 1.0 / 6000.0;
/// Frames before the drift estimate is reported (5 s).
const DRIFT_WARMUP: u64 = 500;
/// Frames without underrun after which half a frame of underrun reserve is given back (10 s).
const RESERVE_DECAY_FRAMES: u64 = 1000;
/// Rebase the fit's time axis when it gets this large, to keep the sums well conditioned.
const REBASE_T: f64 = 10_000.0;

impl FillController {
    /// A controller with `config`; nothing is allocated.
    pub fn new(config: FillConfig) -> Self {
        let mut config = config;
        config.frame_len = config.frame_len.max(1);
        config.window_frames = config.window_frames.max(1);
        config.max_step = config.max_step.clamp(1, config.frame_len);
        config.max_target = config.max_target.max(config.target);
        Self {
            config,
            target: config.target,
            base_target: config.target,
            frames_since_raise: 0,
            window_frames: config.window_frames,
            margin: config.margin,
            seen: 0,
            window_min: usize::MAX,
            corrected_in_window: false,
            raised_in_window: false,
            last_side: 0,
            last_floor: 0,
            jumping: false,
            pending: 0,
            floor: None,
            dropped: 0,
            inserted: 0,
            jumps: 0,
            fit: [0.0; 5],
            t: 0.0,
            frames: 0,
        }
    }

    /// The settings (with the target as configured, see [`target`](Self::target)).
    pub fn config(&self) -> &FillConfig {
        &self.config
    }

    /// Observes the ring's fill level at this frame and returns the correction to apply now.
    ///
    /// `lost` is the running total of samples the device side lost or invented on its own
    /// (capture overruns: positive; render underrun silence: negative), which the drift estimate
    /// needs. The caller must apply the returned correction and then report it with
    /// [`applied`](Self::applied) (it may apply less, e.g. when the ring has less data; the
    /// rest stays pending). Normal corrections are at most `max_step`; after a jump decision the
    /// whole excess is asked for until it has been applied.
    pub fn observe(&mut self, fill: usize, lost: i64) -> Correction {
        self.track_drift(fill, lost);
        self.frames_since_raise += 1;
        if self.frames_since_raise >= RESERVE_DECAY_FRAMES && self.target > self.base_target {
            // No underrun for a while: give back half a frame of the reserve.
            let step = (self.config.frame_len / 2).max(1);
            self.target = self.target.saturating_sub(step).max(self.base_target);
            self.frames_since_raise = 0;
        }
        self.window_min = self.window_min.min(fill);
        self.seen += 1;
        if self.seen >= self.window_frames {
            let floor = self.window_min;
            self.floor = Some(floor);
            if !self.corrected_in_window && self.pending == 0 {
                let hi = self.target + self.margin;
                let lo = self.target.saturating_sub(self.margin);
                if floor > self.target + self.config.jump_threshold {
                    // Far too much: one jump now, then fine corrections.
                    self.jumps += 1;
                    self.jumping = true;
                    self.pending = (floor - self.target) as i64;
                } else {
                    // Correct only when two windows in a row agree (scheduling jitter makes
                    // single windows stray; drift persists), by the smaller of the two errors.
                    let side = if floor > hi {
                        1
                    } else if floor < lo {
                        -1
                    } else {
                        0
                    };
                    if side != 0 && side == self.last_side {
                        let error = |f: usize| f as i64 - self.target as i64;
                        let (a, b) = (error(floor), error(self.last_floor));
                        self.pending = if side > 0 { a.min(b) } else { a.max(b) };
                        self.last_side = 0;
                    } else {
                        self.last_side = side;
                    }
                    self.last_floor = floor;
                }
            } else {
                self.last_side = 0;
            }
            self.seen = 0;
            self.window_min = usize::MAX;
            self.corrected_in_window = false;
            self.raised_in_window = false;
        }
        let step = if self.jumping {
            i64::MAX
        } else {
            self.config.max_step as i64
        };
        if self.pending > 0 {
            Correction::Drop(self.pending.min(step) as usize)
        } else if self.pending < 0 {
            Correction::Insert((-self.pending).min(step) as usize)
        } else {
            Correction::None
        }
    }

    /// Reports the correction really applied this frame (samples dropped and inserted).
    pub fn applied(&mut self, dropped: usize, inserted: usize) {
        if dropped == 0 && inserted == 0 {
            return;
        }
        self.corrected_in_window = true;
        self.dropped += dropped as u64;
        self.inserted += inserted as u64;
        if self.pending > 0 {
            self.pending = (self.pending - dropped as i64).max(0);
        } else if self.pending < 0 {
            self.pending = (self.pending + inserted as i64).min(0);
        }
        if self.pending == 0 {
            self.jumping = false;
        }
    }

    /// The device side ran dry (or over): raise the target by half a frame, up to
    /// `max_target`, so the ring keeps more in reserve. At most once per window, so one long
    /// gap (say, a stalled processing thread) does not push it to the limit; after 10 s without
    /// underruns half a frame of the reserve is given back, and so on down to the base target.
    pub fn raise_target(&mut self) {
        if self.raised_in_window {
            return;
        }
        self.raised_in_window = true;
        self.frames_since_raise = 0;
        let raised = self.target + (self.config.frame_len / 2).max(1);
        self.target = raised.min(self.config.max_target);
    }

    /// Tells the controller the largest device callback (burst) seen on either side of the
    /// ring, in samples: the observation window grows to span at least 8 such bursts and the
    /// dead band to three quarters of a burst, so the burst pattern itself is not mistaken for
    /// drift.
    pub fn set_burst(&mut self, burst: usize) {
        let n = self.config.frame_len;
        self.window_frames = self.config.window_frames.max((8 * burst).div_ceil(n));
        self.margin = self.config.margin.max(3 * burst / 4);
    }

    /// Raises the target to at least `target` (capped at `max_target`); never lowers it.
    pub fn ensure_target(&mut self, target: usize) {
        self.base_target = self.base_target.max(target.min(self.config.max_target));
        self.target = self.target.max(self.base_target);
    }

    /// The floor fill level currently held.
    pub fn target(&self) -> usize {
        self.target
    }

    /// The lowest fill level over the last complete window, if one is complete.
    pub fn floor(&self) -> Option<usize> {
        self.floor
    }

    /// Samples dropped so far (including jumps).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Samples inserted so far.
    pub fn inserted(&self) -> u64 {
        self.inserted
    }

    /// Times a large excess was cut at once.
    pub fn jumps(&self) -> u64 {
        self.jumps
    }

    /// Frames observed.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    fn track_drift(&mut self, fill: usize, lost: i64) {
        let x = fill as f64 + self.dropped as f64 - self.inserted as f64 + lost as f64;
        if self.t >= REBASE_T {
            // Shift the time origin by T: sums of t, t^2 and t*x change accordingly.
            let big_t = self.t;
            let [s, st, stt, sx, stx] = self.fit;
            self.fit = [
                s,
                st - big_t * s,
                stt - 2.0 * big_t * st + big_t * big_t * s,
                sx,
                stx - big_t * sx,
            ];
            self.t = 0.0;
        }
        let t = self.t;
        for v in &mut self.fit {
            *v *= DRIFT_FORGET;
        }
        self.fit[0] += 1.0;
        self.fit[1] += t;
        self.fit[2] += t * t;
        self.fit[3] += x;
        self.fit[4] += t * x;
        self.t += 1.0;
        self.frames += 1;
    }

    /// Estimated clock drift across the ring in parts per million: positive when the producer
    /// delivers faster than the consumer takes (the ring would fill without correction). Zero
    /// until 5 s of frames have been seen.
    pub fn drift_ppm(&self) -> f64 {
        if self.frames < DRIFT_WARMUP {
            return 0.0;
        }
        let [s, st, stt, sx, stx] = self.fit;
        let det = s * stt - st * st;
        if det <= 0.0 {
            return 0.0;
        }
        let slope = (s * stx - st * sx) / det;
        slope / self.config.frame_len as f64 * 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(c: &mut FillController, fill: &mut i64, frames: usize, drift_per_frame: f64) {
        let mut acc = 0.0;
        for _ in 0..frames {
            acc += drift_per_frame;
            let whole = acc.trunc();
            acc -= whole;
            *fill += whole as i64;
            match c.observe((*fill).max(0) as usize, 0) {
                Correction::None => {}
                Correction::Drop(k) => {
                    *fill -= k as i64;
                    c.applied(k, 0);
                }
                Correction::Insert(k) => {
                    *fill += k as i64;
                    c.applied(0, k);
                }
            }
        }
    }

    #[test]
    fn holds_the_floor_against_drift_both_ways() {
        for drift in [0.48, -0.48, 0.05, -0.05] {
            // 480 samples per frame (48 kHz), +-1000 ppm = 0.48 samples per frame.
            let mut c = FillController::new(FillConfig::new(480, 960));
            let mut fill = 960i64;
            run(&mut c, &mut fill, 60_000, drift);
            assert!((fill - 960).abs() <= 240 + 48, "drift {drift}: fill {fill}");
            let ppm = c.drift_ppm();
            let want = drift / 480.0 * 1e6;
            assert!(
                (ppm - want).abs() < 0.05 * want.abs() + 5.0,
                "{ppm} vs {want}"
            );
            if drift > 0.0 {
                assert!(c.dropped() > 0 && c.inserted() == 0);
            } else {
                assert!(c.inserted() > 0 && c.dropped() == 0);
            }
        }
    }

    #[test]
    fn no_drift_no_correction() {
        let mut c = FillController::new(FillConfig::new(160, 320));
        let mut fill = 320i64;
        run(&mut c, &mut fill, 10_000, 0.0);
        assert_eq!((c.dropped(), c.inserted(), c.jumps()), (0, 0, 0));
        assert!(c.drift_ppm().abs() < 1e-6);
        assert_eq!(c.floor(), Some(320));
    }

    #[test]
    fn a_large_backlog_is_cut_at_once() {
        let mut c = FillController::new(FillConfig::new(160, 320));
        let mut fill = 320 + 40 * 160;
        run(&mut c, &mut fill, 60, 0.0);
        assert_eq!(c.jumps(), 1);
        assert!((fill - 320).abs() <= 80, "{fill}");
    }

    #[test]
    fn target_rises_on_underruns_up_to_the_limit() {
        let mut c = FillController::new(FillConfig::new(160, 320));
        for _ in 0..100 {
            c.raise_target();
            // One raise per 50-frame window.
            for _ in 0..50 {
                c.observe(2000, 0);
            }
        }
        assert_eq!(c.target(), 320 + 8 * 160);
        // Quiet for 10 s: half a frame comes back.
        for _ in 0..1000 {
            c.observe(2000, 0);
        }
        assert_eq!(c.target(), 320 + 8 * 160 - 80);
    }
}
