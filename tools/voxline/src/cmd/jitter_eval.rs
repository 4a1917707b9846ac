//! `voxline jitter-eval`: the jitter buffer against the hindsight oracle on every network
//! profile, averaged over seeds, as a Markdown table.

use crate::cmd::jitter::{bundled_speech_8k, packets, replay_config};
use crate::cmd::netsim::{check_packet_ms, check_seconds, profile, simulate, ORACLE_LATE_FRACTION};
use crate::error::{CliError, CliResult};
use voxline_jitter::replay::replay;
use voxline_netsim::{late_fraction_at, oracle_delay_ms, Profile};

/// Most seeds accepted per profile.
const MAX_SEEDS: u64 = 1000;
/// Target: at most this late loss (fraction).
const TARGET_LATE_LOSS: f64 = 0.01;
/// Target: mean delay at most this multiple of the oracle delay.
const TARGET_RATIO: f64 = 1.2;

/// Sums over the seeds of one profile.
#[derive(Default)]
struct Row {
    late_loss: f64,
    mean_delay_ms: f64,
    oracle_ms: f64,
    stretch_percent: f64,
    fixed_late: f64,
    runs: f64,
}

/// Runs `voxline jitter-eval`.
pub fn run(seconds: f64, seeds: u64, packet_ms: u32) -> CliResult {
    check_seconds(seconds)?;
    check_packet_ms("--packet-ms", packet_ms)?;
    if !(1..=MAX_SEEDS).contains(&seeds) {
        return Err(CliError::bad_input(format!(
            "--seeds {seeds}: must be 1 to {MAX_SEEDS}"
        )));
    }
    let speech = bundled_speech_8k()?;
    let config = replay_config(packet_ms, None, None)?;
    outln!(
        "voxline jitter-eval: {seconds} s of {packet_ms} ms packets per run, seeds 1..={seeds}, \
         bundled speech; averages over seeds; oracle = smallest fixed delay with <= 1 % late"
    );
    outln!();
    outln!(
        "| profile | late loss % | mean delay ms | oracle ms | ratio (mean/oracle) | \
         time-stretch % | fixed buffer at our mean delay: late loss % |"
    );
    outln!("|---|---:|---:|---:|---:|---:|---:|");
    let mut missed = Vec::new();
    let bar = crate::progress::bar(Profile::NAMES.len() as u64 * seeds, "runs");
    for name in Profile::NAMES {
        let network = profile(name)?;
        let mut row = Row::default();
        for seed in 1..=seeds {
            let trace = simulate(&network, packet_ms, seconds, seed)?;
            let report = replay(&packets(&trace), &speech, &config)?;
            let oracle = oracle_delay_ms(&trace, ORACLE_LATE_FRACTION).ok_or_else(|| {
                CliError::bad_input(format!("{name}, seed {seed}: no packet arrived"))
            })?;
            row.late_loss += report.late_loss;
            row.mean_delay_ms += report.mean_delay_ms;
            row.oracle_ms += oracle;
            row.stretch_percent += report.stretch_percent;
            row.fixed_late += late_fraction_at(&trace, report.mean_delay_ms);
            row.runs += 1.0;
            bar.inc(1);
        }
        let n = row.runs;
        let (late, mean, oracle) = (row.late_loss / n, row.mean_delay_ms / n, row.oracle_ms / n);
        // The ratio of the averages, so that the table's columns agree with each other.
        let ratio = if oracle > 0.0 {
            mean / oracle
        } else {
            f64::INFINITY
        };
        bar.suspend(|| {
            outln!(
                "| {name} | {:.2} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2} |",
                100.0 * late,
                mean,
                oracle,
                ratio,
                row.stretch_percent / n,
                100.0 * row.fixed_late / n
            )
        });
        let mut why = Vec::new();
        if late > TARGET_LATE_LOSS {
            why.push(format!("late loss {:.2} %", 100.0 * late));
        }
        if ratio > TARGET_RATIO {
            why.push(format!("ratio {ratio:.2}"));
        }
        if !why.is_empty() {
            missed.push(format!("{name} ({})", why.join(", ")));
        }
    }
    bar.finish_and_clear();
    outln!();
    if missed.is_empty() {
        outln!(
            "TARGET MET: every profile has late loss <= 1 % and mean/oracle delay <= {TARGET_RATIO}"
        );
    } else {
        outln!(
            "TARGET MISSED: {} (target: late loss <= 1 % and mean/oracle delay <= {TARGET_RATIO})",
            missed.join("; ")
        );
    }
    Ok(())
}
