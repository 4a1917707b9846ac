//! `voxline`: the command-line program of the voxline voice engine.
//!
//! It is the only part of voxline that touches files and flags: the engine's crates are sans-IO.
//! Every failure prints one line, `voxline: error: ...`, and exits with code 2 (bad input,
//! arguments or output) or 1 (a conformance mismatch). Output files are written to a temporary
//! file beside the target and renamed into place only when complete, so a failed command never
//! leaves a partial output.

mod cmd;
mod error;
mod files;

use clap::{Parser, Subcommand};
use error::CliResult;
use std::path::PathBuf;
use std::process::ExitCode;
use voxline_g711::Law;

/// voxline: real-time voice engine for VoIP (G.711 codec, front-end, conformance tools).
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
    /// Run the bundled demonstration: resample, encode and decode a speech sample, report.
    Demo {
        /// Directory for the demo's WAV files.
        #[arg(long, default_value = "voxline-demo")]
        out: PathBuf,
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
        Command::Demo { out } => cmd::demo::run(&out),
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
