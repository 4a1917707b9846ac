//! The lock-free path between audio callbacks and the processing thread.
//!
//! [`duplex_rings`] builds two single-producer/single-consumer ring buffers of mono f32
//! samples ([`rtrb`]: wait-free, allocated once here, never again) and splits them into three
//! owners:
//!
//! * [`CaptureSide`], moved into the input device's callback: down-mixes and converts what the
//!   device delivers and pushes it; if the ring is full the rest is discarded and counted
//!   (overrun).
//! * [`RenderSide`], moved into the output device's callback: pops, converts and up-mixes to
//!   the device's channels; if the ring runs dry the rest is silence, counted (underrun).
//! * [`ProcessingSide`], kept by the processing thread: reads 10 ms capture frames and writes
//!   10 ms render frames, and runs a [`FillController`] per ring to drop or insert a few
//!   cross-faded samples so the delay through each ring stays near its target whatever the
//!   device clocks do.
//!
//! The callbacks only convert, push/pop and bump relaxed atomic counters: no lock, no
//! allocation, no system call. Everything that decides (the fill control, the splicing) runs
//! on the processing side.

use crate::control::{Correction, FillConfig, FillController};
use crate::error::IoError;
use crate::sample::{downmix_frame, upmix_frame, DeviceSample};
use crate::splice::splice;
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// Sizes of the duplex rings, in samples at the device rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingConfig {
    /// Device sample rate in hertz (input and output run at the same rate).
    pub rate: u32,
    /// Channels of the capture device's buffers.
    pub capture_channels: usize,
    /// Channels of the render device's buffers.
    pub render_channels: usize,
    /// Capacity of each ring in mono samples.
    pub capacity: usize,
    /// Initial render fill target (the render ring starts with this much silence); it grows to
    /// cover the callback sizes actually seen and after underruns.
    pub render_target: usize,
}

impl RingConfig {
    /// Rings for `rate` with `expected_callback` samples per device callback (0 if unknown):
    /// 1 s of capacity, and a render target of one frame plus two callbacks.
    pub fn new(
        rate: u32,
        capture_channels: usize,
        render_channels: usize,
        expected_callback: usize,
    ) -> Self {
        let frame = (rate / 100) as usize;
        Self {
            rate,
            capture_channels,
            render_channels,
            capacity: rate as usize,
            render_target: frame + 2 * expected_callback.max(frame),
        }
    }

    /// Samples per 10 ms frame.
    pub fn frame_len(&self) -> usize {
        (self.rate / 100) as usize
    }

    fn validate(&self) -> Result<(), IoError> {
        if !(8000..=384_000).contains(&self.rate) || !self.rate.is_multiple_of(100) {
            return Err(IoError::Config(format!(
                "device rate {} Hz: need 8000..=384000 Hz and a whole number of samples per 10 ms",
                self.rate
            )));
        }
        if self.capture_channels == 0 || self.render_channels == 0 {
            return Err(IoError::Config("a device with zero channels".into()));
        }
        let frame = self.frame_len();
        if self.capacity < 8 * frame {
            return Err(IoError::Config(format!(
                "ring capacity {} samples is below 8 frames ({} samples)",
                self.capacity,
                8 * frame
            )));
        }
        if self.render_target > self.capacity / 2 {
            return Err(IoError::Config(format!(
                "render target {} samples exceeds half the ring ({} samples)",
                self.render_target,
                self.capacity / 2
            )));
        }
        Ok(())
    }
}

/// Counters shared between the callbacks and the processing side (relaxed atomics).
#[derive(Debug, Default)]
struct Shared {
    capture_callbacks: AtomicU64,
    capture_overruns: AtomicU64,
    capture_overrun_samples: AtomicU64,
    capture_max_callback: AtomicUsize,
    render_callbacks: AtomicU64,
    render_underruns: AtomicU64,
    render_underrun_samples: AtomicU64,
    render_max_callback: AtomicUsize,
}

/// The input callback's end of the capture ring.
pub struct CaptureSide {
    producer: Producer<f32>,
    channels: usize,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for CaptureSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureSide")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl CaptureSide {
    /// Call from the input callback with the device's interleaved buffer: down-mixes to mono
    /// and pushes; what does not fit is discarded and counted as an overrun. Real-time safe.
    pub fn push<T: DeviceSample>(&mut self, interleaved: &[T]) {
        let frames = interleaved.len() / self.channels;
        self.shared.capture_callbacks.fetch_add(1, Relaxed);
        self.shared.capture_max_callback.fetch_max(frames, Relaxed);
        let room = self.producer.slots().min(frames);
        if let Ok(chunk) = self.producer.write_chunk_uninit(room) {
            chunk.fill_from_iter(interleaved.chunks_exact(self.channels).map(downmix_frame));
        }
        if room < frames {
            self.shared.capture_overruns.fetch_add(1, Relaxed);
            self.shared
                .capture_overrun_samples
                .fetch_add((frames - room) as u64, Relaxed);
        }
    }
}

/// The output callback's end of the render ring.
pub struct RenderSide {
    consumer: Consumer<f32>,
    channels: usize,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RenderSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderSide")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl RenderSide {
    /// Call from the output callback with the device's interleaved buffer: fills it from the
    /// ring, up-mixed to every channel; what the ring cannot supply is silence, counted as an
    /// underrun. Real-time safe.
    pub fn pop<T: DeviceSample>(&mut self, interleaved: &mut [T]) {
        let frames = interleaved.len() / self.channels;
        self.shared.render_callbacks.fetch_add(1, Relaxed);
        self.shared.render_max_callback.fetch_max(frames, Relaxed);
        let have = self.consumer.slots().min(frames);
        let (played, silent) = interleaved.split_at_mut(have * self.channels);
        if let Ok(chunk) = self.consumer.read_chunk(have) {
            for (frame, x) in played.chunks_exact_mut(self.channels).zip(chunk) {
                upmix_frame(x, frame);
            }
        }
        silent.fill(T::SILENCE);
        if have < frames {
            self.shared.render_underruns.fetch_add(1, Relaxed);
            self.shared
                .render_underrun_samples
                .fetch_add((frames - have) as u64, Relaxed);
        }
    }
}

/// Statistics of one direction (capture or render).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DirectionStats {
    /// Device callbacks so far.
    pub callbacks: u64,
    /// Largest device callback seen, in sample frames.
    pub max_callback: usize,
    /// Callbacks that found the ring full (capture overrun) or short (render underrun).
    pub xruns: u64,
    /// Samples discarded (capture) or played as silence (render) by those callbacks.
    pub xrun_samples: u64,
    /// Samples the fill control dropped (including jumps and, for render, frames that found
    /// the ring full).
    pub dropped: u64,
    /// Samples the fill control inserted.
    pub inserted: u64,
    /// Times a large excess was cut at once.
    pub jumps: u64,
    /// Ring fill level at the last processing frame, in samples.
    pub fill: usize,
    /// Lowest fill over the last control window, in samples.
    pub floor: Option<usize>,
    /// Floor fill level the control holds, in samples.
    pub target: usize,
    /// Estimated clock drift across the ring, ppm (positive: producer faster than consumer).
    pub drift_ppm: f64,
}

/// Statistics of both rings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IoStats {
    /// Device rate in hertz.
    pub rate: u32,
    /// Capture frames read by the processing side.
    pub frames_read: u64,
    /// Render frames written by the processing side.
    pub frames_written: u64,
    /// The capture ring (device -> processing).
    pub capture: DirectionStats,
    /// The render ring (processing -> device).
    pub render: DirectionStats,
}

impl IoStats {
    /// Clock drift of the output device against the input device in ppm (positive: the
    /// output runs slow, so without correction render data would pile up). The processing
    /// thread is paced by capture, so this is the render ring's drift.
    pub fn device_drift_ppm(&self) -> f64 {
        self.render.drift_ppm
    }

    /// Delay the rings add from capture to render, in milliseconds (the two fill floors).
    pub fn ring_delay_ms(&self) -> f64 {
        let samples = self.capture.floor.unwrap_or(self.capture.fill)
            + self.render.floor.unwrap_or(self.render.fill);
        samples as f64 * 1000.0 / f64::from(self.rate.max(1))
    }
}

/// The processing thread's end of both rings, with the fill control.
pub struct ProcessingSide {
    capture: Consumer<f32>,
    render: Producer<f32>,
    shared: Arc<Shared>,
    config: RingConfig,
    frame_len: usize,
    crossfade: usize,
    capture_ctl: FillController,
    render_ctl: FillController,
    /// Holds up to a frame plus the largest step.
    scratch: Vec<f32>,
    render_underruns_seen: u64,
    render_overflow_samples: u64,
    frames_read: u64,
    frames_written: u64,
    capture_fill: usize,
    render_fill: usize,
}

impl std::fmt::Debug for ProcessingSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessingSide")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Builds the capture and render rings for `config` and returns their three ends: the
/// processing side, the input callback's side and the output callback's side. The render ring
/// starts filled with `config.render_target` samples of silence.
pub fn duplex_rings(
    config: RingConfig,
) -> Result<(ProcessingSide, CaptureSide, RenderSide), IoError> {
    config.validate()?;
    let frame_len = config.frame_len();
    let shared = Arc::new(Shared::default());
    let (cap_prod, cap_cons) = RingBuffer::<f32>::new(config.capacity);
    let (mut ren_prod, ren_cons) = RingBuffer::<f32>::new(config.capacity);
    for _ in 0..config.render_target {
        // Cannot fail: the target is at most half the capacity (validated).
        let _ = ren_prod.push(0.0);
    }
    // Capture: the processing side waits for a frame, so the level when it reads is at least
    // one frame, and below two frames at the last read before it waits again; hold that
    // floor, dropping only when more than a whole extra frame stays piled up.
    let capture_cfg = FillConfig {
        max_target: frame_len,
        margin: frame_len,
        ..FillConfig::new(frame_len, frame_len)
    };
    let render_cfg = FillConfig {
        max_target: config.capacity / 2,
        jump_threshold: (20 * frame_len).min(config.capacity / 4),
        ..FillConfig::new(frame_len, config.render_target)
    };
    let step = capture_cfg.max_step.max(render_cfg.max_step);
    let processing = ProcessingSide {
        capture: cap_cons,
        render: ren_prod,
        shared: Arc::clone(&shared),
        config,
        frame_len,
        crossfade: frame_len / 4,
        capture_ctl: FillController::new(capture_cfg),
        render_ctl: FillController::new(render_cfg),
        scratch: vec![0.0; frame_len + step],
        render_underruns_seen: 0,
        render_overflow_samples: 0,
        frames_read: 0,
        frames_written: 0,
        capture_fill: 0,
        render_fill: config.render_target,
    };
    let capture = CaptureSide {
        producer: cap_prod,
        channels: config.capture_channels,
        shared: Arc::clone(&shared),
    };
    let render = RenderSide {
        consumer: ren_cons,
        channels: config.render_channels,
        shared,
    };
    Ok((processing, capture, render))
}

impl ProcessingSide {
    /// Samples per 10 ms frame at the device rate.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The ring configuration.
    pub fn config(&self) -> &RingConfig {
        &self.config
    }

    /// Capture samples waiting in the ring.
    pub fn capture_available(&self) -> usize {
        self.capture.slots()
    }

    /// Whether a whole capture frame is waiting (a read would succeed).
    pub fn capture_ready(&self) -> bool {
        self.capture.slots() >= self.frame_len
    }

    fn check_len(&self, len: usize) -> Result<(), IoError> {
        if len == self.frame_len {
            Ok(())
        } else {
            Err(IoError::FrameLength {
                expected: self.frame_len,
                actual: len,
            })
        }
    }

    /// Reads one 10 ms mono capture frame if one is waiting (`Ok(false)` and nothing changed
    /// otherwise). Drops samples when capture has piled up beyond the target. Allocates
    /// nothing.
    pub fn try_read_capture(&mut self, frame: &mut [f32]) -> Result<bool, IoError> {
        self.check_len(frame.len())?;
        let n = self.frame_len;
        let fill = self.capture.slots();
        if fill < n {
            return Ok(false);
        }
        self.capture_fill = fill;
        let burst = self.shared.capture_max_callback.load(Relaxed);
        self.capture_ctl.set_burst(burst);
        let lost = self.shared.capture_overrun_samples.load(Relaxed) as i64;
        let (dropped, inserted) = match self.capture_ctl.observe(fill, lost) {
            Correction::None => {
                pop_into(&mut self.capture, frame);
                (0, 0)
            }
            Correction::Drop(k) if k <= self.capture_ctl.config().max_step => {
                let k = k.min(fill - n);
                pop_into(&mut self.capture, &mut self.scratch[..n + k]);
                splice(&self.scratch[..n + k], frame, self.crossfade);
                (k, 0)
            }
            Correction::Drop(k) => {
                // A jump: discard the excess outright, then read a frame.
                let k = k.min(fill - n);
                if let Ok(chunk) = self.capture.read_chunk(k) {
                    chunk.commit_all();
                }
                pop_into(&mut self.capture, frame);
                (k, 0)
            }
            Correction::Insert(k) => {
                let k = k.min(self.capture_ctl.config().max_step).min(n);
                pop_into(&mut self.capture, &mut self.scratch[..n - k]);
                splice(&self.scratch[..n - k], frame, self.crossfade);
                (0, k)
            }
        };
        self.capture_ctl.applied(dropped, inserted);
        for x in frame.iter_mut() {
            if !x.is_finite() {
                *x = 0.0;
            }
        }
        self.frames_read += 1;
        Ok(true)
    }

    /// Queues one 10 ms mono render frame for the output device. Drops or inserts a few
    /// cross-faded samples when the render ring's floor leaves its target (the output clock
    /// drifts against the input clock that paces processing). Allocates nothing.
    pub fn write_render(&mut self, frame: &[f32]) -> Result<(), IoError> {
        self.check_len(frame.len())?;
        let n = self.frame_len;
        // Keep enough in reserve for the callback sizes seen, and more after underruns.
        let render_burst = self.shared.render_max_callback.load(Relaxed);
        let capture_burst = self.shared.capture_max_callback.load(Relaxed);
        self.render_ctl
            .ensure_target(n + render_burst + capture_burst);
        self.render_ctl.set_burst(render_burst.max(capture_burst));
        let underruns = self.shared.render_underruns.load(Relaxed);
        // The first underruns (before the first frame) come from the streams starting up.
        if underruns > self.render_underruns_seen && self.frames_written > 0 {
            self.render_ctl.raise_target();
        }
        self.render_underruns_seen = underruns;

        let fill = self.config.capacity - self.render.slots();
        self.render_fill = fill;
        let lost = -(self.shared.render_underrun_samples.load(Relaxed) as i64);
        let (dropped, inserted) = match self.render_ctl.observe(fill, lost) {
            Correction::None => {
                self.push_render(frame);
                (0, 0)
            }
            Correction::Drop(k) if k >= n / 2 => {
                // A jump: skip this frame entirely.
                (n, 0)
            }
            Correction::Drop(k) => {
                let k = k.min(self.render_ctl.config().max_step);
                splice(frame, &mut self.scratch[..n - k], self.crossfade);
                push_all(
                    &mut self.render,
                    &self.scratch[..n - k],
                    &mut self.render_overflow_samples,
                );
                (k, 0)
            }
            Correction::Insert(k) => {
                let k = k.min(self.render_ctl.config().max_step);
                splice(frame, &mut self.scratch[..n + k], self.crossfade);
                push_all(
                    &mut self.render,
                    &self.scratch[..n + k],
                    &mut self.render_overflow_samples,
                );
                (0, k)
            }
        };
        self.render_ctl.applied(dropped, inserted);
        self.frames_written += 1;
        Ok(())
    }

    fn push_render(&mut self, frame: &[f32]) {
        push_all(&mut self.render, frame, &mut self.render_overflow_samples);
    }

    /// Statistics of both rings so far.
    pub fn stats(&self) -> IoStats {
        let s = &self.shared;
        IoStats {
            rate: self.config.rate,
            frames_read: self.frames_read,
            frames_written: self.frames_written,
            capture: DirectionStats {
                callbacks: s.capture_callbacks.load(Relaxed),
                max_callback: s.capture_max_callback.load(Relaxed),
                xruns: s.capture_overruns.load(Relaxed),
                xrun_samples: s.capture_overrun_samples.load(Relaxed),
                dropped: self.capture_ctl.dropped(),
                inserted: self.capture_ctl.inserted(),
                jumps: self.capture_ctl.jumps(),
                fill: self.capture_fill,
                floor: self.capture_ctl.floor(),
                target: self.capture_ctl.target(),
                drift_ppm: self.capture_ctl.drift_ppm(),
            },
            render: DirectionStats {
                callbacks: s.render_callbacks.load(Relaxed),
                max_callback: s.render_max_callback.load(Relaxed),
                xruns: s.render_underruns.load(Relaxed),
                xrun_samples: s.render_underrun_samples.load(Relaxed),
                dropped: self.render_ctl.dropped() + self.render_overflow_samples,
                inserted: self.render_ctl.inserted(),
                jumps: self.render_ctl.jumps(),
                fill: self.render_fill,
                floor: self.render_ctl.floor(),
                target: self.render_ctl.target(),
                drift_ppm: self.render_ctl.drift_ppm(),
            },
        }
    }
}

/// Pops exactly `out.len()` samples (the caller checked they are there; any shortfall is
/// silence).
fn pop_into(consumer: &mut Consumer<f32>, out: &mut [f32]) {
    let (_, rest) = consumer.pop_partial_slice(out);
    rest.fill(0.0);
}

/// Pushes what fits; counts the rest as dropped.
fn push_all(producer: &mut Producer<f32>, samples: &[f32], overflow: &mut u64) {
    let (_, rest) = producer.push_partial_slice(samples);
    *overflow += rest.len() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_i16_capture_and_stereo_f32_render_pass_through() {
        let cfg = RingConfig {
            render_target: 480,
            ..RingConfig::new(48000, 2, 2, 0)
        };
        let (mut proc_side, mut cap, mut ren) = duplex_rings(cfg).unwrap();
        let n = proc_side.frame_len();
        let mut frame = vec![0.0; n];
        assert!(!proc_side.try_read_capture(&mut frame).unwrap());
        let stereo: Vec<i16> = (0..n).flat_map(|i| [i as i16 * 8, i as i16 * 8]).collect();
        cap.push(&stereo);
        assert!(proc_side.try_read_capture(&mut frame).unwrap());
        assert_eq!(frame[10], 80.0 / 32768.0);

        // The render ring starts with 480 samples of silence, then plays the frame.
        let ramp: Vec<f32> = (0..n).map(|i| i as f32 / n as f32).collect();
        proc_side.write_render(&ramp).unwrap();
        let mut out = vec![1.0f32; 2 * 960];
        ren.pop(&mut out);
        assert!(out[..960].iter().all(|&x| x == 0.0));
        assert_eq!(out[960 + 2 * 7], ramp[7]);
        assert_eq!(out[960 + 2 * 7 + 1], ramp[7]);
        // The ring is now empty: the next callback is silence and an underrun.
        ren.pop(&mut out);
        assert!(out.iter().all(|&x| x == 0.0));
        let st = proc_side.stats();
        assert_eq!((st.render.xruns, st.render.xrun_samples), (1, 960));
        assert_eq!(st.capture.callbacks, 1);
        assert_eq!(st.render.callbacks, 2);
    }

    #[test]
    fn capture_overrun_is_counted_and_wrong_lengths_are_errors() {
        let cfg = RingConfig::new(8000, 1, 1, 0);
        let (mut proc_side, mut cap, _ren) = duplex_rings(cfg).unwrap();
        cap.push(&vec![0.1f32; 9000]);
        let st = proc_side.stats();
        assert_eq!((st.capture.xruns, st.capture.xrun_samples), (1, 1000));
        let mut short = [0.0f32; 79];
        assert_eq!(
            proc_side.try_read_capture(&mut short),
            Err(IoError::FrameLength {
                expected: 80,
                actual: 79
            })
        );
        assert!(proc_side.write_render(&short).is_err());
    }

    #[test]
    fn invalid_configs_are_rejected() {
        assert!(duplex_rings(RingConfig::new(44_101, 1, 1, 0)).is_err());
        assert!(duplex_rings(RingConfig::new(16_000, 0, 1, 0)).is_err());
        let cfg = RingConfig {
            capacity: 100,
            ..RingConfig::new(16_000, 1, 1, 0)
        };
        assert!(duplex_rings(cfg).is_err());
        let cfg = RingConfig {
            render_target: 9000,
            ..RingConfig::new(16_000, 1, 1, 0)
        };
        assert!(duplex_rings(cfg).is_err());
    }
}
