//! `voxline live`: the pipeline in real time between audio devices (cargo feature `device`).
//!
//! The far end is either a WAV file (encoded into RTP packets locally, as if it came over a
//! perfect network) or a peer over RTP/UDP (`--listen PORT --peer ADDR:PORT`, e.g. a second
//! `voxline live` on loopback). Each 10 ms, on this thread: read a microphone frame from the
//! input device, take the packets that arrived, render the loudspeaker frame, queue it to the
//! output device, run the send path, send its packets. Statistics are printed once a second.

use crate::error::{CliError, CliResult};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The options of `voxline live`.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// Input (microphone) device name; default: the system's default input.
    #[arg(long)]
    pub input: Option<String>,
    /// Output (loudspeaker) device name; default: the system's default output.
    #[arg(long)]
    pub output: Option<String>,
    /// Preferred device rate in Hz (the devices' default rate if they refuse it).
    #[arg(long, default_value_t = 48000)]
    pub rate: u32,
    /// Far end from this WAV file (played through the receive path as G.711 packets).
    #[arg(long, value_name = "FAR.wav")]
    pub far: Option<PathBuf>,
    /// UDP port to receive the far end's RTP on (with --peer).
    #[arg(long, value_name = "PORT")]
    pub listen: Option<u16>,
    /// Address to send our RTP to (with --listen), e.g. 127.0.0.1:40000.
    #[arg(long, value_name = "ADDR:PORT")]
    pub peer: Option<SocketAddr>,
    /// Stop after this many seconds (0: until interrupted; with --far: the file's length + 1 s).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub seconds: f64,
    /// Write what was sent (decoded, 8 kHz) to this WAV file when the run ends.
    #[arg(long, value_name = "OUT.wav")]
    pub record: Option<PathBuf>,
    /// Switch the echo canceller off (e.g. with a headset).
    #[arg(long)]
    pub no_aec: bool,
    /// Switch the noise suppressor off.
    #[arg(long)]
    pub no_ns: bool,
    /// List the audio devices and exit.
    #[arg(long)]
    pub list_devices: bool,
}

/// Checks the arguments that do not need a device.
fn check(args: &LiveArgs) -> CliResult {
    match (&args.far, args.listen, args.peer) {
        (Some(_), None, None) => {}
        (None, Some(_), Some(_)) => {}
        (Some(_), _, _) => {
            return Err(CliError::bad_input(
                "--far plays a file as the far end; do not combine it with --listen/--peer",
            ))
        }
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(CliError::bad_input(
                "--listen PORT and --peer ADDR:PORT go together (the far end over RTP/UDP)",
            ))
        }
        (None, None, None) if !args.list_devices => return Err(CliError::bad_input(
            "say where the far end comes from: --far FILE.wav, or --listen PORT --peer ADDR:PORT",
        )),
        _ => {}
    }
    if !(args.seconds.is_finite() && (0.0..=86_400.0).contains(&args.seconds)) {
        return Err(CliError::bad_input(format!(
            "--seconds {} is outside 0..=86400",
            args.seconds
        )));
    }
    if args.record.is_some() && args.seconds == 0.0 && args.far.is_none() {
        return Err(CliError::bad_input(
            "--record needs --seconds (the file is written when the run ends)",
        ));
    }
    if let Some(r) = &args.record {
        crate::files::check_wav_output(r, &[])?;
    }
    Ok(())
}

/// Runs `voxline live`.
pub fn run(args: &LiveArgs) -> CliResult {
    check(args)?;
    imp::run(args)
}

#[cfg(not(feature = "device"))]
mod imp {
    use super::LiveArgs;
    use crate::error::{CliError, CliResult};

    pub fn run(_args: &LiveArgs) -> CliResult {
        Err(CliError::bad_input(
            "this voxline was built without audio devices; rebuild with `--features device` \
             (needs libasound2-dev and pkg-config on Linux)",
        ))
    }
}

#[cfg(feature = "device")]
mod imp {
    use super::LiveArgs;
    use crate::error::{CliError, CliResult};
    use crate::files::{read_input, require_mono, write_mono_wav};
    use std::net::UdpSocket;
    use std::time::Instant;
    use voxline_core::SampleRate;
    use voxline_io::{DuplexConfig, DuplexDevice};
    use voxline_pipeline::{Call, PipelineConfig, SendPath};

    fn io(e: voxline_io::IoError) -> CliError {
        CliError::bad_input(format!("audio device: {e}"))
    }

    /// Where the far end's packets come from.
    enum Far {
        /// A file, packetised locally: its samples at `rate`, the read position, the encoder.
        File {
            samples: Vec<f32>,
            pos: usize,
            encoder: Box<SendPath>,
            frame: Vec<f32>,
        },
        /// RTP over UDP.
        Udp {
            socket: UdpSocket,
            peer: std::net::SocketAddr,
            buf: Box<[u8; 2048]>,
        },
    }

    pub fn run(args: &LiveArgs) -> CliResult {
        if args.list_devices {
            for d in DuplexDevice::list_devices().map_err(io)? {
                outln!("{d:?}");
            }
            return Ok(());
        }
        let device = DuplexDevice::open(DuplexConfig {
            input: args.input.clone(),
            output: args.output.clone(),
            rate: Some(args.rate),
            ..DuplexConfig::default()
        })
        .map_err(io)?;
        let rate = SampleRate::from_hz(device.rate()).map_err(|_| {
            CliError::bad_input(format!(
                "the devices run at {} Hz; voxline needs 8000, 16000, 32000, 44100 or 48000 (try --rate)",
                device.rate()
            ))
        })?;
        let mut config = PipelineConfig::new(rate);
        if args.no_aec {
            config.echo_canceller = None;
        }
        if args.no_ns {
            config.noise_suppressor = None;
        }
        let mut call = Call::new(&config)?;
        let mut far = match (&args.far, args.listen, args.peer) {
            (Some(path), _, _) => {
                let audio = require_mono(path, read_input(path, None, 8000)?, false)?;
                let from = SampleRate::from_hz(audio.sample_rate)?;
                let samples = voxline_frontend::resample_all(from, rate, &audio.to_mono_f32())?;
                let mut far_config = PipelineConfig::new(rate);
                far_config.echo_canceller = None;
                far_config.noise_suppressor = None;
                far_config.ssrc = config.ssrc ^ 0x5a5a_5a5a;
                Far::File {
                    samples,
                    pos: 0,
                    encoder: Box::new(SendPath::new(&far_config)?),
                    frame: vec![0.0; rate.samples_per_10ms()],
                }
            }
            (None, Some(port), Some(peer)) => {
                let socket = UdpSocket::bind(("0.0.0.0", port)).map_err(|e| {
                    CliError::bad_input(format!("cannot listen on UDP port {port}: {e}"))
                })?;
                socket
                    .set_nonblocking(true)
                    .map_err(|e| CliError::bad_input(format!("UDP socket: {e}")))?;
                Far::Udp {
                    socket,
                    peer,
                    buf: Box::new([0; 2048]),
                }
            }
            _ => unreachable!("checked by check()"),
        };
        let seconds = match &far {
            Far::File { samples, .. } if args.seconds == 0.0 => {
                samples.len() as f64 / f64::from(rate.hz()) + 1.0
            }
            _ => args.seconds,
        };
        let frames_total = (seconds * 100.0).round() as u64;
        outln!("voxline live: {}", device.describe());
        outln!(
            "  pipeline: device {} Hz, processing {} Hz, echo canceller {}, noise suppressor {}",
            rate.hz(),
            config.processing_rate.hz(),
            if args.no_aec { "off" } else { "on" },
            if args.no_ns { "off" } else { "on" }
        );
        let n = call.frame_len();
        let mut mic = vec![0.0f32; n];
        let mut speaker = vec![0.0f32; n];
        // What was sent, for --record: sized for the whole run up front, so the loop does not
        // reallocate (a run with --record always has a known length).
        let mut sent: Vec<f32> = Vec::with_capacity(if args.record.is_some() {
            frames_total as usize * 80
        } else {
            0
        });
        let start = Instant::now();
        // Echo reduction over frames where the loudspeaker played something, after 2 s.
        let (mut mic_energy, mut sent_energy) = (0.0f64, 0.0f64);
        let mut k: u64 = 0;
        let mut refused: u64 = 0;
        let mut device = device;
        while frames_total == 0 || k < frames_total {
            device.read_capture(&mut mic).map_err(io)?;
            let now_ms = start.elapsed().as_secs_f64() * 1000.0;
            match &mut far {
                Far::File {
                    samples,
                    pos,
                    encoder,
                    frame,
                } => {
                    for (i, f) in frame.iter_mut().enumerate() {
                        *f = samples.get(*pos + i).copied().unwrap_or(0.0);
                    }
                    *pos += n;
                    encoder.process_capture(frame)?;
                    while let Some(p) = encoder.poll_packet() {
                        if call.receive_packet(p, now_ms).is_err() {
                            refused += 1;
                        }
                    }
                }
                Far::Udp { socket, buf, .. } => loop {
                    match socket.recv_from(&mut buf[..]) {
                        Ok((len, _from)) => {
                            if call.receive_packet(&buf[..len], now_ms).is_err() {
                                refused += 1;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(CliError::bad_input(format!("UDP receive: {e}"))),
                    }
                },
            }
            call.render(now_ms, &mut speaker)?;
            device.write_render(&speaker).map_err(io)?;
            call.capture(&mic)?;
            let taps = call.send_path().taps();
            let playing = speaker.iter().any(|v| v.abs() > 1e-3);
            if k >= 200 && playing {
                mic_energy += mic
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    / n as f64;
                sent_energy += taps
                    .encoded
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    / taps.encoded.len() as f64;
            }
            if args.record.is_some() {
                sent.extend_from_slice(taps.encoded);
            }
            while let Some(p) = call.poll_packet() {
                if let Far::Udp { socket, peer, .. } = &far {
                    // A lost datagram is what RTP expects; count nothing, go on.
                    let _ = socket.send_to(p, *peer);
                }
            }
            k += 1;
            if k.is_multiple_of(100) {
                print_stats(k, &call, &device, refused);
            }
        }
        if mic_energy > 0.0 {
            outln!(
                "  echo reduction while the loudspeaker played (after 2 s): {:.1} dB",
                10.0 * (mic_energy / sent_energy.max(1e-20)).log10()
            );
        }
        if let Some(path) = &args.record {
            write_mono_wav(path, 8000, &sent)?;
            outln!("  wrote what was sent (8 kHz) to {}", path.display());
        }
        Ok(())
    }

    fn print_stats(k: u64, call: &Call, device: &DuplexDevice, refused: u64) {
        let s = call.stats();
        let io = device.stats();
        let echo = s.send.echo.unwrap_or_default();
        let j = s.receive.jitter;
        outln!(
            "  {:>4} s  mic {:>4.0} dBFS  sent {:>4.0} dBFS  echo delay {}  ERLE {:>4.1} dB  speech {:.2}  | jitter {:>3.0} ms  lost {}  concealed {}  refused {}  | device drift {:+.0} ppm  xruns {}/{}",
            k / 100,
            s.send.capture_level_dbfs,
            s.send.output_level_dbfs,
            echo.delay_ms.map_or_else(|| "--".to_string(), |d| format!("{d:.0} ms")),
            echo.erle_db,
            s.send.speech_probability.unwrap_or(0.0),
            j.current_delay_ms,
            j.packets_lost,
            s.receive.concealed_frames,
            refused,
            io.device_drift_ppm(),
            io.capture.xruns,
            io.render.xruns,
        );
    }
}
