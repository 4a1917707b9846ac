//! `voxline netsim`: simulate a named network profile and write the packet trace as JSON.

use crate::error::{CliError, CliResult};
use crate::files::{check_writable, write_atomic};
use std::path::Path;
use voxline_netsim::{oracle_delay_ms, try_simulate, NetworkConfig, Profile, Trace};

/// Longest simulation accepted, in seconds (one day).
pub const MAX_SECONDS: f64 = 86_400.0;

/// The late-packet budget of the oracle delay reported everywhere: 1 % of arrived packets.
pub const ORACLE_LATE_FRACTION: f64 = 0.01;

/// The config of profile `name`, or an error listing the valid names.
pub fn profile(name: &str) -> CliResult<NetworkConfig> {
    Profile::by_name(name).ok_or_else(|| {
        CliError::bad_input(format!(
            "unknown network profile '{name}' (use one of: {})",
            Profile::NAMES.join(", ")
        ))
    })
}

/// Checks a `--seconds` value: finite, above 0, at most a day.
pub fn check_seconds(seconds: f64) -> CliResult {
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_SECONDS {
        Ok(())
    } else {
        Err(CliError::bad_input(format!(
            "--seconds {seconds}: must be a duration above 0 and at most {MAX_SECONDS} (one day)"
        )))
    }
}

/// Checks a packet duration flag (`--packet-ms`, `--frame-ms`): 10, 20 or 30 ms.
pub fn check_packet_ms(flag: &str, ms: u32) -> CliResult {
    if matches!(ms, 10 | 20 | 30) {
        Ok(())
    } else {
        Err(CliError::bad_input(format!(
            "{flag} {ms}: packets carry 10, 20 or 30 ms of audio"
        )))
    }
}

/// Simulates `seconds` of `packet_ms` packets through `config` with `seed`; refuses a run too
/// short to send a single packet.
pub fn simulate(
    config: &NetworkConfig,
    packet_ms: u32,
    seconds: f64,
    seed: u64,
) -> CliResult<Trace> {
    let trace = try_simulate(config, packet_ms, seconds, seed)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    if trace.is_empty() {
        return Err(CliError::bad_input(format!(
            "--seconds {seconds} is shorter than one packet of {packet_ms} ms"
        )));
    }
    Ok(trace)
}

/// `x` with one decimal, or `n/a`.
pub fn ms_or_na(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |v| format!("{v:.1}"))
}

/// Runs `voxline netsim`.
pub fn run(name: &str, seconds: f64, seed: u64, packet_ms: u32, output: &Path) -> CliResult {
    let config = profile(name)?;
    check_seconds(seconds)?;
    check_packet_ms("--packet-ms", packet_ms)?;
    check_writable(output)?;
    let trace = simulate(&config, packet_ms, seconds, seed)?;
    write_atomic(output, |w| {
        trace
            .to_json_writer(w)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", output.display())))
    })?;
    let s = trace.stats();
    outln!(
        "netsim: profile {name}, {seconds} s of {packet_ms} ms packets, seed {seed}: {} packets, \
         {} lost ({:.2} %), {} duplicates, {} reordered; one-way delay mean {} ms, p95 {} ms, \
         max {} ms; oracle delay for 1 % late loss {} ms. Wrote {}.",
        s.packets,
        s.lost,
        100.0 * s.loss_rate,
        s.duplicates,
        s.reordered,
        ms_or_na(s.mean_delay_ms),
        ms_or_na(s.p95_delay_ms),
        ms_or_na(s.max_delay_ms),
        ms_or_na(oracle_delay_ms(&trace, ORACLE_LATE_FRACTION)),
        output.display()
    );
    Ok(())
}
