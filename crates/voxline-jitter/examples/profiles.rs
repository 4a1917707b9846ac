//! Development aid: replays every network profile and prints late loss and delay against the
//! hindsight oracle. `cargo run --release -p voxline-jitter --example profiles [seconds] [seed]`.

use voxline_core::SampleRate;
use voxline_jitter::replay::{replay, ReplayConfig, TracePacket};
use voxline_netsim::{oracle_delay_ms, simulate, Profile};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(120.0);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/speech/jfk_inaugural.wav"
    ))
    .unwrap();
    let audio = voxline_wav::read_audio_bytes(&bytes).unwrap();
    let speech16 = audio.to_mono_f32();
    let speech =
        voxline_frontend::resample_all(SampleRate::Hz16000, SampleRate::Hz8000, &speech16).unwrap();
    println!(
        "{:<13} {:>7} {:>9} {:>9} {:>7} {:>8} {:>8}",
        "profile", "late%", "mean ms", "oracle", "ratio", "stretch%", "conc%"
    );
    for name in Profile::NAMES {
        let config = Profile::by_name(name).unwrap();
        let trace = simulate(&config, 20, seconds, seed);
        let oracle = oracle_delay_ms(&trace, 0.01).unwrap_or(f64::NAN);
        let packets: Vec<TracePacket> = trace
            .entries()
            .iter()
            .map(|e| TracePacket {
                seq: e.seq,
                send_ms: e.send_ms,
                arrival_ms: e.arrival_ms,
            })
            .collect();
        let mut rc = ReplayConfig::default();
        if let Ok(q) = std::env::var("Q") {
            rc.jitter.on_time_quantile = q.parse().unwrap();
        }
        if let Ok(m) = std::env::var("M") {
            rc.jitter.safety_margin_ms = m.parse().unwrap();
        }
        if let Ok(h) = std::env::var("H") {
            rc.jitter.history_ms = h.parse().unwrap();
        }
        if let Ok(z) = std::env::var("Z") {
            rc.jitter.quantile_confidence = z.parse().unwrap();
        }
        if std::env::var("FIXED").is_ok() {
            // A fixed target at the oracle delay (relative to the fastest packet).
            let min = trace.stats().min_delay_ms.unwrap_or(0.0);
            let d = (oracle - min).round() as u32;
            rc.jitter.min_delay_ms = d;
            rc.jitter.max_delay_ms = d;
            rc.jitter.initial_delay_ms = d;
        }
        let r = replay(&packets, &speech, &rc).unwrap();
        let conc = 100.0 * r.stats.concealed_samples as f64
            / (r.stats.samples_played + r.stats.concealed_samples) as f64;
        println!(
            "{:<13} {:>7.2} {:>9.1} {:>9.1} {:>7.2} {:>8.2} {:>8.2}",
            name,
            100.0 * r.late_loss,
            r.mean_delay_ms,
            oracle,
            r.mean_delay_ms / oracle,
            r.stretch_percent,
            conc
        );
        if std::env::var("EXCESS").is_ok() {
            println!("  excess {:.1} ms", r.mean_excess_ms);
        }
        if std::env::var("DEBUG").is_ok() {
            println!("  {:?}", r.stats);
        }
    }
}
