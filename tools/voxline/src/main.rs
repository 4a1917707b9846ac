//! `voxline`: the command-line program of the voxline voice engine.
//!
//! It is the only part of voxline that touches files and flags: the engine's crates are sans-IO.
//! Every failure prints one line, `voxline: error: ...`, and exits with code 2 (bad input,
//! arguments or output) or 1 (a conformance mismatch). Output files are written to a temporary
//! file beside the target and renamed into place only when complete, so a failed command never
//! leaves a partial output.

/// `println!` for command output: when the reader has gone away (`voxline ... | head`), stop
/// quietly with success as Unix tools do, instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod cmd;
mod error;
mod files;
mod plot;
mod progress;

use clap::{Parser, Subcommand};
use error::CliResult;
use std::path::PathBuf;
use std::process::ExitCode;
use voxline_g711::Law;

/// voxline: real-time voice engine for VoIP (G.711 codec, front-end, conformance tools,
/// network simulation, jitter buffer and
/// packet-loss concealment).
#[derive(Parser, Debug)]
#[command(name = "voxline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show an audio file's format, rate, channels, duration and level.
    Info {
        /// WAV file (PCM or G.711), or raw G.711 (.ul / .al, or .raw with --law unless named like x.ulaw.raw).
        input: PathBuf,
        /// Law of a raw G.711 input.
        #[arg(long, value_parser = parse_law)]
        law: Option<Law>,
        /// Sample rate of a raw G.711 input, in Hz.
        #[arg(long, default_value_t = 8000)]
        rate: u32,
    },
    /// Encode PCM audio to G.711 (OUT .wav = G.711 WAV; .ul / .al / .raw = raw codes).
    Encode {
        /// G.711 law: mu (PCMU) or a (PCMA). Inferred from OUT when it ends in .ul or .al.
        #[arg(long, value_parser = parse_law)]
        law: Option<Law>,
        /// Resample to 8000 Hz first if the input has another rate (otherwise that is an error).
        #[arg(long)]
        resample: bool,
        /// Average the channels of a multi-channel input (otherwise that is an error).
        #[arg(long)]
        downmix: bool,
        /// PCM WAV input (8/16/24/32-bit integer or 32-bit float).
        input: PathBuf,
        /// Output: .wav, .ul, .al or .raw.
        output: PathBuf,
    },
    /// Decode G.711 (WAV, or raw .ul / .al / .raw) to a 16-bit PCM WAV.
    Decode {
        /// Law of a raw input (.raw needs it; .ul / .al imply it). For a WAV input the header
        /// says which law; giving a different one is an error.
        #[arg(long, value_parser = parse_law)]
        law: Option<Law>,
        /// Sample rate of a raw input, in Hz.
        #[arg(long, default_value_t = 8000)]
        rate: u32,
        /// G.711 input.
        input: PathBuf,
        /// 16-bit PCM WAV output.
        output: PathBuf,
    },
    /// Convert G.711 between A-law and mu-law directly (G.711 Tables 3 and 4).
    Transcode {
        /// Law of a raw input (.raw needs it; .ul / .al imply it).
        #[arg(long, value_parser = parse_law)]
        law: Option<Law>,
        /// Target law; by default the other law, or the one OUT's extension (.ul / .al) implies.
        #[arg(long, value_parser = parse_law)]
        to: Option<Law>,
        /// Sample rate of a raw input, in Hz.
        #[arg(long, default_value_t = 8000)]
        rate: u32,
        /// G.711 input (WAV or raw).
        input: PathBuf,
        /// Output: .wav, .ul, .al or .raw.
        output: PathBuf,
    },
    /// Resample to another rate (8000, 16000, 32000, 44100 or 48000 Hz); writes 16-bit PCM WAV.
    Resample {
        /// Output rate in Hz.
        #[arg(long)]
        rate: u32,
        /// Average the channels of a multi-channel input (otherwise that is an error).
        #[arg(long)]
        downmix: bool,
        /// Input WAV (PCM or G.711).
        input: PathBuf,
        /// 16-bit PCM WAV output.
        output: PathBuf,
    },
    /// Check the G.711 codec against ITU-T G.191 reference vectors (layout of shared/conformance/g711).
    Conformance {
        /// Directory holding exhaustive/, encoded/ and decoded/ (or its parent).
        dir: PathBuf,
    },
    /// The quick-start job: a simulated two-party call on bundled speech (network, jitter
    /// buffer, concealment, room echo, echo cancellation, noise suppression), with WAV files,
    /// an HTML report and a summary.
    Demo {
        /// Directory for the demo's WAV files and report.html.
        #[arg(long, default_value = "voxline-demo")]
        out: PathBuf,
        /// Network profile: good, wifi, congested, lossy, route-change, skew or mobile.
        #[arg(long, default_value = "lossy")]
        network: String,
        /// Seed of the network simulation.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Simulate a network profile and write the packet trace (JSON) with a summary.
    Netsim {
        /// Network profile: good, wifi, congested, lossy, route-change, skew or mobile.
        #[arg(long)]
        profile: String,
        /// Duration of the simulated call, in seconds (above 0, at most 86400).
        #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
        seconds: f64,
        /// Random seed: the same seed gives the same trace, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Audio per packet, in ms: 10, 20 or 30.
        #[arg(long, default_value_t = 20)]
        packet_ms: u32,
        /// Trace output (JSON).
        output: PathBuf,
    },
    /// Replay a packet trace through the adaptive jitter buffer and report its statistics.
    Jitter {
        /// Packet trace (JSON, as written by `voxline netsim`).
        #[arg(long)]
        trace: PathBuf,
        /// Audio per packet, in ms: 10, 20 or 30.
        #[arg(long, default_value_t = 20)]
        frame_ms: u32,
        /// Write the report (statistics and playout times) as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Speech to send (mono WAV, any supported rate) and the WAV to write what the
        /// listener hears to (8 kHz); without it the bundled speech is used.
        #[arg(long, num_args = 2, value_names = ["IN.wav", "OUT.wav"])]
        audio: Option<Vec<PathBuf>>,
        /// Lower bound of the buffer's target delay, in ms.
        #[arg(long)]
        min_delay_ms: Option<u32>,
        /// Upper bound of the buffer's target delay, in ms (default 2000).
        #[arg(long)]
        max_delay_ms: Option<u32>,
    },
    /// Evaluate the jitter buffer on every network profile against the hindsight oracle.
    JitterEval {
        /// Duration of each simulated call, in seconds.
        #[arg(long, default_value_t = 300.0, allow_negative_numbers = true)]
        seconds: f64,
        /// Seeds per profile (1..=K), averaged.
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// Audio per packet, in ms: 10, 20 or 30.
        #[arg(long, default_value_t = 20)]
        packet_ms: u32,
    },
    /// Conceal lost packets in a recording (voxline's concealer, G.711 Appendix I or a
    /// baseline), or check Appendix I against the ITU-T reference vectors (--conformance).
    Plc {
        /// Lost packets: a JSON list of 0-based packet indices (in units of --frame-ms), or an
        /// object whose "lost_frames" member is that list.
        #[arg(long, value_name = "MASK.json")]
        loss: Option<PathBuf>,
        /// Audio per packet, in ms: 10, 20 or 30 (index k at 20 ms loses 10 ms frames 2k, 2k+1).
        #[arg(long)]
        frame_ms: Option<u32>,
        /// Concealment: voxline (default), appendix-i, zero (silence) or repeat.
        #[arg(long)]
        mode: Option<String>,
        /// Conceal each gap of up to 60 ms knowing the audio after it, as a jitter buffer that
        /// already holds the next packet can (voxline mode interpolates; other modes ignore it).
        #[arg(long)]
        lookahead: bool,
        /// Instead of concealing a file, check G.711 Appendix I against the reference vectors
        /// of DIR (the conformance set's root, or its g711_plc folder).
        #[arg(long, value_name = "DIR")]
        conformance: Option<PathBuf>,
        /// Input: mono WAV at 8, 16, 32 or 48 kHz.
        #[arg(value_name = "IN.wav")]
        input: Option<PathBuf>,
        /// Output: 16-bit PCM WAV, same rate and length as the input.
        #[arg(value_name = "OUT.wav")]
        output: Option<PathBuf>,
    },
    /// Remove the far-end echo from a microphone recording (acoustic echo cancellation).
    Aec {
        /// What the loudspeaker played (mono WAV, same rate as MIC: 8, 16, 32 or 48 kHz).
        #[arg(long, value_name = "FAR.wav")]
        far: PathBuf,
        /// What the microphone recorded (mono WAV).
        #[arg(long, value_name = "MIC.wav")]
        mic: PathBuf,
        /// Output: 16-bit PCM WAV, same rate and length as MIC, aligned with it.
        #[arg(value_name = "OUT.wav")]
        output: PathBuf,
        /// Echo tail the adaptive filter models after the bulk delay, in ms (20 to 1000).
        #[arg(long, default_value_t = 250)]
        tail_ms: u32,
        /// Largest bulk delay between FAR and MIC that is searched, in ms (0 to 2000).
        #[arg(long, default_value_t = 1000)]
        max_delay_ms: u32,
        /// Linear adaptive filter only: no residual-echo suppression, no comfort noise.
        #[arg(long)]
        linear_only: bool,
    },
    /// Run a call in real time between the audio devices (built with `--features device`):
    /// the far end from a WAV file or a peer over RTP/UDP; live statistics once a second.
    Live(cmd::live::LiveArgs),
    /// Suppress background noise (fans, traffic, hum, crowds) in a mono recording.
    Ns {
        /// Largest attenuation applied to noise, in dB (6 to 30).
        #[arg(long, default_value_t = 20.0, allow_negative_numbers = true)]
        max_attenuation_db: f32,
        /// Input: mono WAV at 8, 16, 32, 44.1 or 48 kHz.
        #[arg(value_name = "IN.wav")]
        input: PathBuf,
        /// Output: 16-bit PCM WAV, same rate and length as the input, aligned with it.
        #[arg(value_name = "OUT.wav")]
        output: PathBuf,
    },
}

fn parse_law(s: &str) -> Result<Law, String> {
    s.parse::<Law>()
        .map_err(|_| format!("unknown G.711 law '{s}' (use mu or a)"))
}

fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Info { input, law, rate } => cmd::info::run(&input, law, rate),
        Command::Encode {
            law,
            resample,
            downmix,
            input,
            output,
        } => cmd::codec::encode(&input, &output, law, resample, downmix),
        Command::Decode {
            law,
            rate,
            input,
            output,
        } => cmd::codec::decode(&input, &output, law, rate),
        Command::Transcode {
            law,
            to,
            rate,
            input,
            output,
        } => cmd::codec::transcode(&input, &output, law, to, rate),
        Command::Resample {
            rate,
            downmix,
            input,
            output,
        } => cmd::resample::run(&input, &output, rate, downmix),
        Command::Conformance { dir } => cmd::conformance::run(&dir),
        Command::Demo { out, network, seed } => cmd::demo::run(&cmd::demo::DemoOptions {
            out: &out,
            network: &network,
            seed,
        }),
        Command::Netsim {
            profile,
            seconds,
            seed,
            packet_ms,
            output,
        } => cmd::netsim::run(&profile, seconds, seed, packet_ms, &output),
        Command::Jitter {
            trace,
            frame_ms,
            out,
            audio,
            min_delay_ms,
            max_delay_ms,
        } => {
            let audio = match audio.as_deref() {
                Some([input, output]) => Some((input.as_path(), output.as_path())),
                Some(_) => {
                    return Err(error::CliError::bad_input(
                        "--audio takes two files: IN.wav OUT.wav",
                    ))
                }
                None => None,
            };
            cmd::jitter::run(&cmd::jitter::JitterArgs {
                trace: &trace,
                frame_ms,
                out: out.as_deref(),
                audio,
                min_delay_ms,
                max_delay_ms,
            })
        }
        Command::JitterEval {
            seconds,
            seeds,
            packet_ms,
        } => cmd::jitter_eval::run(seconds, seeds, packet_ms),
        Command::Plc {
            loss,
            frame_ms,
            mode,
            lookahead,
            conformance,
            input,
            output,
        } => cmd::plc::run(&cmd::plc::PlcArgs {
            loss: loss.as_deref(),
            frame_ms,
            mode: mode.as_deref(),
            lookahead,
            conformance: conformance.as_deref(),
            input: input.as_deref(),
            output: output.as_deref(),
        }),
        Command::Aec {
            far,
            mic,
            output,
            tail_ms,
            max_delay_ms,
            linear_only,
        } => cmd::aec::run(&cmd::aec::AecArgs {
            far: &far,
            mic: &mic,
            output: &output,
            tail_ms,
            max_delay_ms,
            linear_only,
        }),
        Command::Live(args) => cmd::live::run(&args),
        Command::Ns {
            max_attenuation_db,
            input,
            output,
        } => cmd::ns::run(&cmd::ns::NsArgs {
            input: &input,
            output: &output,
            max_attenuation_db,
        }),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("voxline: error: {e}");
            ExitCode::from(e.code)
        }
    }
}
