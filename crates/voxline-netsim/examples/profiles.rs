//! Prints summary statistics and hindsight-oracle delays of every named profile.
//!
//! `cargo run --example profiles [SECONDS] [PACKET_MS] [SEED]`

use voxline_netsim::{oracle_delay_ms, simulate, Profile};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(600.0);
    let packet_ms: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    println!(
        "{seconds} s of {packet_ms} ms packets, seed {seed}; delays in ms; oracle = fixed delay \
         with at most 1 % / 0.1 % of arrived packets late"
    );
    println!(
        "{:<13} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>7} {:>7} {:>7}",
        "profile", "loss%", "dup", "reord", "min", "mean", "p95", "max", "or1%", "or0.1%"
    );
    for p in Profile::ALL {
        let trace = simulate(&p.config(), packet_ms, seconds, seed);
        let s = trace.stats();
        let f = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
        println!(
            "{:<13} {:>6.2} {:>5} {:>5} {:>6} {:>6} {:>6} {:>7} {:>7} {:>7}",
            p.name(),
            100.0 * s.loss_rate,
            s.duplicates,
            s.reordered,
            f(s.min_delay_ms),
            f(s.mean_delay_ms),
            f(s.p95_delay_ms),
            f(s.max_delay_ms),
            f(oracle_delay_ms(&trace, 0.01)),
            f(oracle_delay_ms(&trace, 0.001)),
        );
    }
}
