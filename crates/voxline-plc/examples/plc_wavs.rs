//! Development aid: conceals a WAV with every mode under a given loss mask and writes the
//! results, for scoring with PESQ outside Rust.
//! `cargo run --release -p voxline-plc --example plc_wavs IN.wav LOSS_SEED LOSS_PCT OUT_PREFIX`

use voxline_core::SampleRate;
use voxline_plc::{conceal_recording, conceal_recording_with_lookahead, PlcMode};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&a[1]).unwrap();
    let audio = voxline_wav::read_audio_bytes(&bytes).unwrap();
    let rate = SampleRate::from_hz(audio.sample_rate).unwrap();
    let x = audio.to_mono_f32();
    let seed: u32 = a[2].parse().unwrap();
    let pct: f64 = a[3].parse().unwrap();
    let frames = x.len() / rate.samples_per_10ms();
    // 20 ms packets; pct < 0 means Gilbert-Elliott with mean burst 3 packets and |pct| loss.
    let mut lost = vec![false; frames];
    let mut s = seed.wrapping_mul(2654435761).max(1);
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        f64::from(s) / f64::from(u32::MAX)
    };
    let mut bad = false;
    let p = pct.abs() / 100.0;
    for k in (0..frames).step_by(2) {
        let l = if pct >= 0.0 {
            rnd() < p
        } else {
            // Gilbert: p_bg = 1/3 (mean burst 3); p_gb so stationary loss = p.
            let p_bg = 1.0 / 3.0;
            let p_gb = p * p_bg / (1.0 - p);
            bad = if bad { rnd() >= p_bg } else { rnd() < p_gb };
            bad
        };
        if k > 4 && l {
            lost[k] = true;
            if k + 1 < frames {
                lost[k + 1] = true;
            }
        }
    }
    for mode in PlcMode::ALL {
        let y = if mode == PlcMode::Voxline && std::env::var("LOOK").is_ok() {
            conceal_recording_with_lookahead(rate, mode, &x, &lost).unwrap()
        } else {
            conceal_recording(rate, mode, &x, &lost).unwrap()
        };
        let pcm: Vec<i16> = y
            .iter()
            .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        let path = format!("{}_{}.wav", a[4], mode.name());
        let f = std::fs::File::create(&path).unwrap();
        voxline_wav::write_pcm16_wav(std::io::BufWriter::new(f), audio.sample_rate, 1, &pcm)
            .unwrap();
    }
}
