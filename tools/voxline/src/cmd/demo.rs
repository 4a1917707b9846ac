//! `voxline demo`: the quick-start job on bundled data. Streams a bundled speech recording
//! through the real-time path as it stands today: 10 ms frames, the front-end resampler down to
//! the 8 kHz telephone rate, then G.711 mu-law and A-law encode and decode, and reports what was
//! done, how faithful it was and how fast. (A later version runs a whole simulated call.)

use crate::error::{CliError, CliResult};
use crate::files::write_atomic;
use std::io::Cursor;
use std::path::Path;
use std::time::Instant;
use voxline_core::{FrameDuration, Latency, SampleRate};
use voxline_frontend::convert::f32_to_i16_slice;
use voxline_frontend::Resampler;
use voxline_g711::Law;
use voxline_wav::{write_g711_wav, write_pcm16_wav};

/// The bundled recording (public domain: J. F. Kennedy's 1961 inaugural address, 16 kHz).
pub(crate) const SPEECH: &[u8] = include_bytes!("../../../../testdata/speech/jfk_inaugural.wav");
pub(crate) const SPEECH_NAME: &str = "jfk_inaugural.wav (J. F. Kennedy, 1961, public domain)";

/// Signal-to-noise ratio of `got` against `reference`, in dB.
fn snr_db(reference: &[i16], got: &[i16]) -> f64 {
    let (mut signal, mut noise) = (0.0f64, 0.0f64);
    for (&r, &g) in reference.iter().zip(got) {
        let r = f64::from(r);
        signal += r * r;
        noise += (r - f64::from(g)).powi(2);
    }
    10.0 * (signal / noise.max(1e-9)).log10()
}

fn write_pcm(dir: &Path, name: &str, rate: SampleRate, samples: &[i16]) -> CliResult {
    let path = dir.join(name);
    write_atomic(&path, |w| {
        write_pcm16_wav(w, rate.hz(), 1, samples)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", path.display())))
    })
}

fn write_g711(dir: &Path, name: &str, law: Law, codes: &[u8]) -> CliResult {
    let path = dir.join(name);
    write_atomic(&path, |w| {
        write_g711_wav(w, law, 8000, 1, codes)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", path.display())))
    })
}

/// Runs the demo and writes its WAV files into `out`.
pub fn run(out: &Path) -> CliResult {
    let audio = voxline_wav::read_audio(Cursor::new(SPEECH))
        .map_err(|e| CliError::bad_input(format!("bundled speech: {e}")))?;
    let in_rate = SampleRate::from_hz(audio.sample_rate)?;
    let call_rate = SampleRate::Hz8000;
    std::fs::create_dir_all(out)
        .map_err(|e| CliError::bad_input(format!("cannot create {}: {e}", out.display())))?;
    outln!("voxline demo: {SPEECH_NAME}");
    outln!(
        "  input: {} Hz, {} channel(s), {:.2} s",
        audio.sample_rate,
        audio.channels,
        audio.duration_secs()
    );

    // 1. The capture side: 10 ms frames at the device rate, resampled to the call rate.
    let input = audio.to_f32();
    let n_in = in_rate.samples_in(FrameDuration::Ms10);
    let n_out = call_rate.samples_in(FrameDuration::Ms10);
    let frames = input.len().div_ceil(n_in);
    let mut resampler = Resampler::new(in_rate, call_rate)?;
    let latency = resampler.latency_samples();
    let mut frame_in = vec![0.0f32; n_in];
    let mut frame_out = vec![0.0f32; n_out];
    let mut narrow = Vec::with_capacity((frames + 1) * n_out);
    let started = Instant::now();
    // Extra frames of silence push the delayed tail out of the resampler.
    for k in 0..frames + latency.div_ceil(n_out) {
        frame_in.fill(0.0);
        let start = (k * n_in).min(input.len());
        let chunk = &input[start..(start + n_in).min(input.len())];
        frame_in[..chunk.len()].copy_from_slice(chunk);
        resampler.process(&frame_in, &mut frame_out)?;
        narrow.extend_from_slice(&frame_out);
    }
    let resample_time = started.elapsed();
    // Drop the resampler's delay so the 8 kHz signal lines up with the input.
    let wanted = input.len() * n_out / n_in;
    let narrow = narrow
        .get(latency..latency + wanted)
        .ok_or_else(|| CliError::bad_input("resampler produced too few samples"))?;
    let mut pcm = vec![0i16; narrow.len()];
    f32_to_i16_slice(narrow, &mut pcm)?;
    outln!(
        "  resample {} -> {}: {} frames of 10 ms, latency {} samples ({:.2} ms), {:.1} us per frame",
        in_rate,
        call_rate,
        frames,
        latency,
        latency as f64 * 1000.0 / f64::from(call_rate.hz()),
        resample_time.as_secs_f64() * 1e6 / frames as f64
    );

    // 2. G.711 encode and decode, 10 ms at a time, both laws.
    outln!(
        "  {:<8} {:>9} {:>10} {:>10} {:>16}",
        "law",
        "samples",
        "bytes",
        "SNR dB",
        "encode+decode"
    );
    let mut coded = Vec::new();
    for law in [Law::Mu, Law::A] {
        let mut codes = vec![0u8; pcm.len()];
        let mut decoded = vec![0i16; pcm.len()];
        let started = Instant::now();
        for ((x, c), y) in pcm
            .chunks(n_out)
            .zip(codes.chunks_mut(n_out))
            .zip(decoded.chunks_mut(n_out))
        {
            law.encode(x, c)
                .map_err(|e| CliError::bad_input(e.to_string()))?;
            law.decode(c, y)
                .map_err(|e| CliError::bad_input(e.to_string()))?;
        }
        let elapsed = started.elapsed();
        outln!(
            "  {:<8} {:>9} {:>10} {:>10.2} {:>13.1} us",
            law.to_string(),
            pcm.len(),
            codes.len(),
            snr_db(&pcm, &decoded),
            elapsed.as_secs_f64() * 1e6
        );
        coded.push((law, codes, decoded));
    }

    // 3. A tandem: mu-law transcoded to A-law, as a gateway between networks does.
    if let [(_, mu_codes, _), (_, _, _)] = coded.as_slice() {
        let mut a_codes = vec![0u8; mu_codes.len()];
        voxline_g711::transcode(Law::Mu, Law::A, mu_codes, &mut a_codes)
            .map_err(|e| CliError::bad_input(e.to_string()))?;
        let mut tandem = vec![0i16; a_codes.len()];
        Law::A
            .decode(&a_codes, &mut tandem)
            .map_err(|e| CliError::bad_input(e.to_string()))?;
        outln!(
            "  mu-law -> A-law transcoded tandem: SNR {:.2} dB",
            snr_db(&pcm, &tandem)
        );
    }

    write_pcm(out, "speech_8k.wav", call_rate, &pcm)?;
    for (law, codes, decoded) in &coded {
        let tag = match law {
            Law::Mu => "ulaw",
            Law::A => "alaw",
        };
        write_g711(out, &format!("speech.{tag}.wav"), *law, codes)?;
        write_pcm(out, &format!("decoded_{tag}.wav"), call_rate, decoded)?;
    }
    outln!(
        "  wrote speech_8k.wav, speech.ulaw.wav, speech.alaw.wav, decoded_ulaw.wav, decoded_alaw.wav to {}",
        out.display()
    );
    Ok(())
}
