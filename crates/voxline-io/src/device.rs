//! A full-duplex audio device over cpal (cargo feature `device`).
//!
//! Two separate cpal streams, one input and one output, run their callbacks on cpal's threads;
//! each callback owns one end of a [`duplex_rings`] ring and does nothing but convert, mix and
//! push or pop. Stream errors travel from cpal's error callbacks to the processing thread
//! through a small wait-free ring each: the processing thread sees them on its next
//! [`DuplexDevice::read_capture`] or [`DuplexDevice::write_render`] as an [`IoError`]
//! (buffer under/overruns reported by the backend are only counted).

use crate::error::IoError;
use crate::rings::{duplex_rings, CaptureSide, IoStats, ProcessingSide, RenderSide, RingConfig};
use crate::sample::DeviceSample;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{
    BufferSize, Device, ErrorKind, SampleFormat, SizedSample, Stream, StreamConfig,
    SupportedBufferSize, SupportedStreamConfig,
};
use rtrb::{Consumer, Producer, RingBuffer};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to open: device names (None: the host's default device), the preferred rate and the
/// processing frame length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplexConfig {
    /// Input device name (see [`list_devices`]); `None` for the default input.
    pub input: Option<String>,
    /// Output device name; `None` for the default output.
    pub output: Option<String>,
    /// Preferred device rate in hertz (used when both devices support it, otherwise the
    /// devices' default rate); `None` for the default rate.
    pub rate: Option<u32>,
    /// Processing frame length in milliseconds; only 10 is supported.
    pub frame_ms: u32,
    /// Device buffer (callback) size to ask for, in sample frames; `None`: one processing
    /// frame when the device allows it.
    pub buffer_frames: Option<u32>,
    /// How long [`DuplexDevice::read_capture`] waits for input before giving up, in ms.
    pub read_timeout_ms: u64,
    /// Extra render reserve in ms (0 to 200) kept on top of what the callback sizes need:
    /// more delay, fewer underruns on a loaded machine (every underrun or correction moves the
    /// echo path the canceller has learnt).
    pub render_reserve_ms: u32,
}

impl Default for DuplexConfig {
    fn default() -> Self {
        Self {
            input: None,
            output: None,
            rate: None,
            frame_ms: 10,
            buffer_frames: None,
            read_timeout_ms: 2000,
            render_reserve_ms: 0,
        }
    }
}

/// One audio device as the host lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Identifier, unique per host (e.g. `alsa:pulse`); accepted as a name by
    /// [`DuplexDevice::open`].
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// It can capture.
    pub input: bool,
    /// It can play.
    pub output: bool,
    /// It is the host's default input device.
    pub default_input: bool,
    /// It is the host's default output device.
    pub default_output: bool,
}

fn backend(context: &str, e: impl std::fmt::Display) -> IoError {
    IoError::Backend(format!("{context}: {e}"))
}

fn device_id(d: &Device) -> String {
    d.id().map(|id| id.to_string()).unwrap_or_default()
}

fn device_name(d: &Device) -> String {
    d.description()
        .map(|desc| desc.name().to_string())
        .unwrap_or_else(|_| device_id(d))
}

/// Lists the audio devices of the default host.
pub fn list_devices() -> Result<Vec<DeviceInfo>, IoError> {
    let host = cpal::default_host();
    let default_in = host.default_input_device().map(|d| device_id(&d));
    let default_out = host.default_output_device().map(|d| device_id(&d));
    let devices = host
        .devices()
        .map_err(|e| backend("listing audio devices", e))?;
    Ok(devices
        .map(|d| {
            let id = device_id(&d);
            DeviceInfo {
                name: device_name(&d),
                input: d.supports_input(),
                output: d.supports_output(),
                default_input: default_in.as_deref() == Some(id.as_str()),
                default_output: default_out.as_deref() == Some(id.as_str()),
                id,
            }
        })
        .collect())
}

/// Whether `wanted` names `d`: its full id (`alsa:pulse`), the id without the host
/// (`pulse`) or its description, ignoring case.
fn names_device(d: &Device, wanted: &str) -> bool {
    let id = device_id(d);
    let short = id.split_once(':').map_or(id.as_str(), |(_, s)| s);
    [id.as_str(), short, device_name(d).as_str()]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(wanted))
}

fn find_device(name: Option<&str>, input: bool) -> Result<Device, IoError> {
    let host = cpal::default_host();
    let direction = if input { "input" } else { "output" };
    let Some(wanted) = name else {
        let d = if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        };
        return d.ok_or(IoError::NoDefaultDevice(direction));
    };
    let candidates: Vec<Device> = host
        .devices()
        .map_err(|e| backend("listing audio devices", e))?
        .filter(|d| {
            if input {
                d.supports_input()
            } else {
                d.supports_output()
            }
        })
        .collect();
    if let Some(d) = candidates.iter().find(|d| names_device(d, wanted)) {
        return Ok(d.clone());
    }
    let available = candidates
        .iter()
        .map(device_id)
        .collect::<Vec<_>>()
        .join(", ");
    Err(IoError::NoSuchDevice {
        direction,
        name: wanted.to_string(),
        available,
    })
}

/// The device's default config plus whether each candidate rate is supported with the same
/// format and channel count.
struct Capabilities {
    default: SupportedStreamConfig,
    ranges: Vec<cpal::SupportedStreamConfigRange>,
}

impl Capabilities {
    fn of(d: &Device, input: bool) -> Result<Self, IoError> {
        let name = device_name(d);
        let (default, ranges) = if input {
            (
                d.default_input_config()
                    .map_err(|e| backend(&format!("input device {name:?}"), e))?,
                d.supported_input_configs()
                    .map_err(|e| backend(&format!("input device {name:?}"), e))?
                    .collect(),
            )
        } else {
            (
                d.default_output_config()
                    .map_err(|e| backend(&format!("output device {name:?}"), e))?,
                d.supported_output_configs()
                    .map_err(|e| backend(&format!("output device {name:?}"), e))?
                    .collect(),
            )
        };
        Ok(Self { default, ranges })
    }

    /// The range with the default format and channels that contains `rate`, if any.
    fn supports(&self, rate: u32) -> Option<cpal::SupportedStreamConfigRange> {
        self.ranges
            .iter()
            .find(|r| {
                r.sample_format() == self.default.sample_format()
                    && r.channels() == self.default.channels()
                    && r.contains_rate(rate)
            })
            .copied()
    }

    fn buffer_range(&self, rate: u32) -> SupportedBufferSize {
        self.supports(rate)
            .map_or(*self.default.buffer_size(), |r| *r.buffer_size())
    }
}

/// The rate both devices run at: the requested one if both support it, else the output's
/// default if the input supports it, else the input's default if the output supports it.
fn negotiate_rate(
    requested: Option<u32>,
    input: &Capabilities,
    output: &Capabilities,
) -> Result<u32, IoError> {
    let both = |r: u32| input.supports(r).is_some() && output.supports(r).is_some();
    let candidates = [
        requested,
        Some(output.default.sample_rate()),
        Some(input.default.sample_rate()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|&r| r.is_multiple_of(100) && r >= 8000 && both(r))
        .ok_or_else(|| {
            IoError::Unsupported(format!(
                "input (default {} Hz) and output (default {} Hz) have no common rate that is a multiple of 100 Hz",
                input.default.sample_rate(),
                output.default.sample_rate()
            ))
        })
}

fn buffer_size(requested: u32, range: SupportedBufferSize) -> BufferSize {
    match range {
        SupportedBufferSize::Range { min, max } if (min..=max).contains(&requested) => {
            BufferSize::Fixed(requested)
        }
        _ => BufferSize::Default,
    }
}

/// Stream errors after which the stream does not go on: the device is gone or must be
/// reopened. Everything else (backend hiccups such as the ALSA PulseAudio plugin's transient
/// `snd_pcm_avail_delay` EIO while timing information is not ready yet) is counted as a
/// warning while cpal keeps the stream running; if such a stream stops delivering, the read
/// timeout reports it.
fn is_fatal(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::DeviceNotAvailable
            | ErrorKind::StreamInvalidated
            | ErrorKind::HostUnavailable
            | ErrorKind::PermissionDenied
    )
}

/// The error callback: counts backend under/overruns, queues everything else for the
/// processing side (wait-free, the error is moved, nothing allocated; if the queue is full the
/// queued errors already say enough).
fn error_callback(
    mut queue: Producer<cpal::Error>,
    xruns: Arc<AtomicU64>,
) -> impl FnMut(cpal::Error) + Send + 'static {
    move |e| {
        if e.kind() == ErrorKind::Xrun {
            xruns.fetch_add(1, Relaxed);
        } else {
            let _ = queue.push(e);
        }
    }
}

fn build_input<T: SizedSample + DeviceSample>(
    device: &Device,
    config: StreamConfig,
    mut side: CaptureSide,
    errors: Producer<cpal::Error>,
    xruns: Arc<AtomicU64>,
) -> Result<Stream, cpal::Error> {
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], _| side.push(data),
        error_callback(errors, xruns),
        None,
    )
}

fn build_output<T: SizedSample + DeviceSample>(
    device: &Device,
    config: StreamConfig,
    mut side: RenderSide,
    errors: Producer<cpal::Error>,
    xruns: Arc<AtomicU64>,
) -> Result<Stream, cpal::Error> {
    device.build_output_stream::<T, _, _>(
        config,
        move |data: &mut [T], _| side.pop(data),
        error_callback(errors, xruns),
        None,
    )
}

/// Dispatches on the device's sample format.
macro_rules! with_format {
    ($format:expr, $build:ident, $($arg:expr),*) => {
        match $format {
            SampleFormat::F32 => $build::<f32>($($arg),*),
            SampleFormat::F64 => $build::<f64>($($arg),*),
            SampleFormat::I16 => $build::<i16>($($arg),*),
            SampleFormat::I32 => $build::<i32>($($arg),*),
            SampleFormat::I8 => $build::<i8>($($arg),*),
            SampleFormat::U16 => $build::<u16>($($arg),*),
            SampleFormat::U32 => $build::<u32>($($arg),*),
            SampleFormat::U8 => $build::<u8>($($arg),*),
            other => {
                return Err(IoError::Unsupported(format!("sample format {other:?}")));
            }
        }
    };
}

/// A running full-duplex audio device: capture and render streams plus the rings to them.
/// Move it to the processing thread and call [`read_capture`](Self::read_capture) and
/// [`write_render`](Self::write_render) once per 10 ms frame. Dropping it stops both streams.
pub struct DuplexDevice {
    processing: ProcessingSide,
    // The streams stop when dropped; they are kept alive here.
    _input_stream: Stream,
    _output_stream: Stream,
    input_errors: Consumer<cpal::Error>,
    output_errors: Consumer<cpal::Error>,
    backend_xruns: Arc<AtomicU64>,
    failed: Option<IoError>,
    warnings: u64,
    last_warning: Option<(&'static str, cpal::Error)>,
    input_name: String,
    output_name: String,
    input_channels: u16,
    output_channels: u16,
    input_format: SampleFormat,
    output_format: SampleFormat,
    read_timeout: Duration,
}

impl std::fmt::Debug for DuplexDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuplexDevice")
            .field("input", &self.input_name)
            .field("output", &self.output_name)
            .field("rate", &self.rate())
            .finish_non_exhaustive()
    }
}

impl DuplexDevice {
    /// Opens and starts the input and output devices of `config` at a common rate.
    pub fn open(config: DuplexConfig) -> Result<Self, IoError> {
        if config.frame_ms != 10 {
            return Err(IoError::Config(format!(
                "frame length {} ms: voxline processes 10 ms frames",
                config.frame_ms
            )));
        }
        if config.render_reserve_ms > 200 {
            return Err(IoError::Config(format!(
                "render reserve {} ms is above 200 ms",
                config.render_reserve_ms
            )));
        }
        let input = find_device(config.input.as_deref(), true)?;
        let output = find_device(config.output.as_deref(), false)?;
        let in_caps = Capabilities::of(&input, true)?;
        let out_caps = Capabilities::of(&output, false)?;
        let rate = negotiate_rate(config.rate, &in_caps, &out_caps)?;
        let frame = rate / 100;
        let requested = config.buffer_frames.unwrap_or(frame);
        let in_config = StreamConfig {
            channels: in_caps.default.channels(),
            sample_rate: rate,
            buffer_size: buffer_size(requested, in_caps.buffer_range(rate)),
        };
        let out_config = StreamConfig {
            channels: out_caps.default.channels(),
            sample_rate: rate,
            buffer_size: buffer_size(requested, out_caps.buffer_range(rate)),
        };
        let expected_callback = match in_config.buffer_size {
            BufferSize::Fixed(n) => n as usize,
            BufferSize::Default => frame as usize,
        };
        let mut rings = RingConfig::new(
            rate,
            usize::from(in_config.channels),
            usize::from(out_config.channels),
            expected_callback,
        );
        rings.render_target += (rate * config.render_reserve_ms / 1000) as usize;
        let (processing, capture, render) = duplex_rings(rings)?;
        let (in_err_tx, input_errors) = RingBuffer::new(16);
        let (out_err_tx, output_errors) = RingBuffer::new(16);
        let backend_xruns = Arc::new(AtomicU64::new(0));
        let input_name = device_name(&input);
        let output_name = device_name(&output);
        let in_format = in_caps.default.sample_format();
        let out_format = out_caps.default.sample_format();

        let xr = Arc::clone(&backend_xruns);
        let input_stream = with_format!(
            in_format,
            build_input,
            &input,
            in_config,
            capture,
            in_err_tx,
            xr
        )
        .map_err(|e| backend(&format!("opening input {input_name:?} at {rate} Hz"), e))?;
        let xr = Arc::clone(&backend_xruns);
        let output_stream = with_format!(
            out_format,
            build_output,
            &output,
            out_config,
            render,
            out_err_tx,
            xr
        )
        .map_err(|e| backend(&format!("opening output {output_name:?} at {rate} Hz"), e))?;
        output_stream
            .play()
            .map_err(|e| backend(&format!("starting output {output_name:?}"), e))?;
        input_stream
            .play()
            .map_err(|e| backend(&format!("starting input {input_name:?}"), e))?;
        Ok(Self {
            processing,
            _input_stream: input_stream,
            _output_stream: output_stream,
            input_errors,
            output_errors,
            backend_xruns,
            failed: None,
            warnings: 0,
            last_warning: None,
            input_name,
            output_name,
            input_channels: in_config.channels,
            output_channels: out_config.channels,
            input_format: in_format,
            output_format: out_format,
            read_timeout: Duration::from_millis(config.read_timeout_ms.max(1)),
        })
    }

    /// Lists the audio devices of the default host (same as [`list_devices`]).
    pub fn list_devices() -> Result<Vec<DeviceInfo>, IoError> {
        list_devices()
    }

    /// The rate both devices run at, in hertz (resample to the call rate from here).
    pub fn rate(&self) -> u32 {
        self.processing.config().rate
    }

    /// Samples per 10 ms frame at [`rate`](Self::rate).
    pub fn frame_len(&self) -> usize {
        self.processing.frame_len()
    }

    /// Name of the input device.
    pub fn input_name(&self) -> &str {
        &self.input_name
    }

    /// Name of the output device.
    pub fn output_name(&self) -> &str {
        &self.output_name
    }

    /// One line describing the negotiated streams.
    pub fn describe(&self) -> String {
        format!(
            "input {:?} ({} ch {:?}), output {:?} ({} ch {:?}) at {} Hz",
            self.input_name,
            self.input_channels,
            self.input_format,
            self.output_name,
            self.output_channels,
            self.output_format,
            self.rate()
        )
    }

    /// Takes the queued stream errors: warnings are counted, the first fatal one fails the
    /// device for good.
    fn check_streams(&mut self) -> Result<(), IoError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        loop {
            let (direction, e) = if let Ok(e) = self.input_errors.pop() {
                ("input", e)
            } else if let Ok(e) = self.output_errors.pop() {
                ("output", e)
            } else {
                return Ok(());
            };
            if is_fatal(e.kind()) {
                let err = IoError::StreamFailed {
                    direction,
                    message: e.to_string(),
                };
                self.failed = Some(err.clone());
                return Err(err);
            }
            self.warnings += 1;
            self.last_warning = Some((direction, e));
        }
    }

    /// Non-fatal stream errors the backend reported (the streams went on), and the last one.
    pub fn warnings(&self) -> (u64, Option<String>) {
        let last = self
            .last_warning
            .as_ref()
            .map(|(direction, e)| format!("{direction} stream: {e}"));
        (self.warnings, last)
    }

    /// Reads one 10 ms mono capture frame, waiting (on this thread, by short sleeps) until the
    /// input device has delivered it. Errors: a stream failed, or no input for the read
    /// timeout. Allocates nothing.
    pub fn read_capture(&mut self, frame: &mut [f32]) -> Result<(), IoError> {
        let start = Instant::now();
        loop {
            self.check_streams()?;
            if self.processing.try_read_capture(frame)? {
                return Ok(());
            }
            if start.elapsed() > self.read_timeout {
                return Err(IoError::Timeout(self.read_timeout.as_millis() as u64));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    /// Reads one capture frame if one is waiting, without blocking (`Ok(false)` if not).
    pub fn try_read_capture(&mut self, frame: &mut [f32]) -> Result<bool, IoError> {
        self.check_streams()?;
        self.processing.try_read_capture(frame)
    }

    /// Queues one 10 ms mono frame for the output device. Allocates nothing.
    pub fn write_render(&mut self, frame: &[f32]) -> Result<(), IoError> {
        self.check_streams()?;
        self.processing.write_render(frame)
    }

    /// Ring and device statistics so far.
    pub fn stats(&self) -> IoStats {
        self.processing.stats()
    }

    /// Buffer under/overruns the audio backend itself reported (they are not errors).
    pub fn backend_xruns(&self) -> u64 {
        self.backend_xruns.load(Relaxed)
    }
}
