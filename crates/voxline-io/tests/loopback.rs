//! Loopback through a real audio server (feature `device`, run when
//! `VOXLINE_AUDIO_LOOPBACK=1`; `.ci/run` starts PulseAudio with
//! `crates/voxline-io/ci/start-pulseaudio.sh` and sets it).
//!
//! Far-end speech (testdata/speech/jfk_inaugural.wav) is played through cpal to the default
//! output — PulseAudio's null sink — and recorded back from the default input — the sink's
//! monitor — through ALSA's `default` (PulseAudio) device, with the real device buffering, the
//! real callbacks and clocks. The recording is the "echo": the send path of `voxline-pipeline`
//! (DC removal, echo canceller, noise suppressor, G.711) gets the frames written to the output
//! as its render reference and the recorded frames as the microphone, and what it sends must
//! be at least 25 dB below the echo. The round-trip latency is measured by cross-correlation and
//! compared with the canceller's own delay estimate.
//!
//! Without the variable the test prints "skipped" and passes; with it, any device failure,
//! a silent recording or an implausible delay fails the test. `VOXLINE_AUDIO_INPUT` and
//! `VOXLINE_AUDIO_OUTPUT` select other devices by name.

use voxline_core::SampleRate;
use voxline_frontend::resample_all;
use voxline_io::{DuplexConfig, DuplexDevice};
use voxline_pipeline::{PipelineConfig, SendPath};

fn enabled() -> bool {
    match std::env::var("VOXLINE_AUDIO_LOOPBACK") {
        Ok(v) if v == "1" => true,
        _ => {
            println!(
                "skipped: set VOXLINE_AUDIO_LOOPBACK=1 with a running sound server \
                 (crates/voxline-io/ci/start-pulseaudio.sh) to run the device loopback test"
            );
            false
        }
    }
}

fn far_end(rate: u32) -> Vec<f32> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/speech/jfk_inaugural.wav"
    );
    let bytes = std::fs::read(path).expect("testdata/speech/jfk_inaugural.wav");
    let audio = voxline_wav::read_audio_bytes(&bytes).expect("read the far-end WAV");
    assert_eq!(audio.channels, 1);
    let speech = audio.to_f32();
    let from = SampleRate::from_hz(audio.sample_rate).expect("a voxline rate");
    let to = SampleRate::from_hz(rate).expect("a voxline rate");
    let once = resample_all(from, to, &speech).expect("resample the far end");
    // The speech twice: the canceller converges on the first pass, ERLE is measured on the
    // second.
    let mut speech = once.clone();
    speech.extend_from_slice(&once);
    // Two seconds of silence first (the streams settle: start-up underruns and the fill
    // control's first corrections happen here), one second after.
    let mut far = vec![0.0; 2 * rate as usize];
    far.extend_from_slice(&speech);
    far.resize(far.len() + rate as usize, 0.0);
    far
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

fn db(x: f64) -> f64 {
    10.0 * x.max(1e-30).log10()
}

/// Normalised cross-correlation of `rec` against `play` at lags `lags`, returning the best lag
/// and its correlation coefficient.
fn best_lag(
    play: &[f32],
    rec: &[f32],
    lags: impl Iterator<Item = usize>,
    step: usize,
) -> (usize, f64) {
    let mut best = (0, f64::MIN);
    for lag in lags {
        let n = rec.len().saturating_sub(lag).min(play.len());
        let (a, b) = (&play[..n], &rec[lag..lag + n]);
        let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
        for i in (0..n).step_by(step) {
            let (x, y) = (f64::from(a[i]), f64::from(b[i]));
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        let c = ab / (aa * bb).sqrt().max(1e-30);
        if c > best.1 {
            best = (lag, c);
        }
    }
    best
}

struct Measured {
    played_db: f64,
    recorded_db: f64,
    lag_plausible: bool,
    /// Backend errors, underruns and fill corrections once the speech had started.
    disturbances: u64,
    lag_ms: f64,
    correlation: f64,
    erle_db: f64,
    aec_delay_ms: Option<f32>,
}

fn run(requested_rate: u32) -> Measured {
    let config = DuplexConfig {
        input: std::env::var("VOXLINE_AUDIO_INPUT").ok(),
        output: std::env::var("VOXLINE_AUDIO_OUTPUT").ok(),
        rate: Some(requested_rate),
        // Device buffers of 2048 samples at 48 kHz (43 ms, as many at other rates): with shorter ones ALSA's PulseAudio plugin
        // on a loaded 2-core machine often reports spurious errors (see below).
        buffer_frames: Some(
            std::env::var("VOXLINE_AUDIO_BUFFER")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(requested_rate * 2048 / 48_000),
        ),
        // 60 ms of render reserve: on a loaded machine an underrun, and the insertion that
        // follows, moves the echo path the canceller has learnt.
        render_reserve_ms: 60,
        ..DuplexConfig::default()
    };
    let mut device = DuplexDevice::open(config).unwrap_or_else(|e| {
        panic!("VOXLINE_AUDIO_LOOPBACK=1 but the audio devices do not open: {e}")
    });
    let rate = device.rate();
    println!("opened {}", device.describe());
    // The canceller runs at 8, 16, 32 or 48 kHz: the device must give us one of those.
    let aec_rate = SampleRate::from_hz(rate)
        .ok()
        .filter(|r| *r != SampleRate::Hz44100)
        .unwrap_or_else(|| panic!("device runs at {rate} Hz; the test needs 8/16/32/48 kHz"));
    let n = device.frame_len();
    let far = far_end(rate);
    let frames = far.len() / n;
    let mut played = vec![0.0f32; frames * n];
    let mut recorded = vec![0.0f32; frames * n];
    // Device-path disturbances once the speech starts (after the 2 s lead-in): backend
    // errors, render underruns, fill corrections. Each one moves the echo path.
    let lead = 2 * rate as usize / n;
    let mut at_lead = (0, device.stats());
    for k in 0..frames {
        if k == lead {
            at_lead = (device.warnings().0, device.stats());
        }
        let (cap, out) = (&mut recorded[k * n..(k + 1) * n], &far[k * n..(k + 1) * n]);
        device
            .read_capture(cap)
            .unwrap_or_else(|e| panic!("capture failed at frame {k}: {e}"));
        device
            .write_render(out)
            .unwrap_or_else(|e| panic!("render failed at frame {k}: {e}"));
        played[k * n..(k + 1) * n].copy_from_slice(out);
    }
    let stats = device.stats();
    let (warnings, last_warning) = device.warnings();
    println!("  backend warnings: {warnings} (last: {last_warning:?})");
    let (w0, s0) = at_lead;
    let disturbances = (warnings - w0)
        + (stats.render.xruns - s0.render.xruns)
        + (stats.capture.xruns - s0.capture.xruns)
        + u64::from(
            stats.render.dropped + stats.render.inserted > s0.render.dropped + s0.render.inserted,
        )
        + u64::from(stats.capture.dropped > s0.capture.dropped);
    println!(
        "  disturbances during the speech: {} backend errors, {} render underruns, render \
         corrections {} dropped / {} inserted samples",
        warnings - w0,
        stats.render.xruns - s0.render.xruns,
        stats.render.dropped - s0.render.dropped,
        stats.render.inserted - s0.render.inserted
    );
    println!(
        "  {frames} frames; callbacks in/out {}/{} (largest {}/{} samples); render underruns {} \
         ({} samples), capture overruns {}; fill control: capture dropped {}, render dropped \
         {} inserted {}; backend xruns {}",
        stats.capture.callbacks,
        stats.render.callbacks,
        stats.capture.max_callback,
        stats.render.max_callback,
        stats.render.xruns,
        stats.render.xrun_samples,
        stats.capture.xruns,
        stats.capture.dropped,
        stats.render.dropped,
        stats.render.inserted,
        device.backend_xruns(),
    );
    drop(device);

    // The recording must really carry the far end, not silence.
    let speech = 2 * rate as usize..far.len() - rate as usize;
    let played_db = db(energy(&played[speech.clone()]) / speech.len() as f64);
    let recorded_db = db(energy(&recorded) / recorded.len() as f64);
    println!("  played {played_db:.1} dBFS, recorded {recorded_db:.1} dBFS");
    // Round trip by cross-correlation: coarse on every 4th sample over 0..1 s, then fine.
    let max_lag = rate as usize;
    let step = (rate / 8000) as usize;
    let (coarse, _) = best_lag(&played, &recorded, (0..max_lag).step_by(step), 4);
    let lo = coarse.saturating_sub(2 * step);
    let (lag, correlation) = best_lag(&played, &recorded, lo..coarse + 2 * step, 1);
    let lag_ms = lag as f64 * 1000.0 / f64::from(rate);
    println!(
        "  round trip (cross-correlation) {lag_ms:.2} ms ({lag} samples), r = {correlation:.3}"
    );
    let lag_plausible = lag > 0 && lag < max_lag - 2 * step;

    // The send path (voxline-pipeline: DC removal, echo canceller, noise suppressor, G.711
    // encoder) with the canceller at the device rate: reference = frames written, microphone
    // = frames recorded; what it sends is 8 kHz audio, compared over the same time spans.
    let mut pipeline = PipelineConfig::new(aec_rate);
    pipeline.processing_rate = aec_rate;
    let mut send = SendPath::new(&pipeline).expect("send path");
    let wire = 80; // 8 kHz samples per frame
    let mut out = vec![0.0f32; frames * wire];
    for k in 0..frames {
        let r = k * n..(k + 1) * n;
        send.process(&played[r.clone()], &recorded[r])
            .expect("send path frame");
        out[k * wire..(k + 1) * wire].copy_from_slice(send.taps().encoded);
        while send.poll_packet().is_some() {}
    }
    let aec_stats = send.stats().echo.expect("echo canceller on");
    // Mean-square echo reduction between device samples [s0, s1) of the recording and the
    // same time span of the sent audio (shifted by the send path's latency).
    let latency = (send.latency_ms() * 8.0).round() as usize;
    let reduction = |s0: usize, s1: usize| -> f64 {
        let to_wire = |s: usize| (s * wire / n + latency).min(out.len());
        let (w0, w1) = (to_wire(s0), to_wire(s1));
        let mic = energy(&recorded[s0..s1]) / (s1 - s0).max(1) as f64;
        let sent = energy(&out[w0..w1]) / (w1 - w0).max(1) as f64;
        db(mic / sent.max(1e-30))
    };
    // ERLE per second from the echo's onset, to show the convergence.
    let onset = speech.start + lag;
    let per_second: Vec<String> = (onset..frames * n)
        .step_by(rate as usize)
        .map(|s0| format!("{:.0}", reduction(s0, (s0 + rate as usize).min(frames * n))))
        .collect();
    println!(
        "  echo reduction per second from the echo onset (dB): {}",
        per_second.join(" ")
    );
    // Over the second pass of the far-end speech as it arrives at the microphone (the first
    // pass, 11 s, is for convergence).
    let start = speech.start + speech.len() / 2 + lag;
    let end = (speech.end + lag).min(frames * n);
    let erle_db = reduction(start, end);
    println!(
        "  echo reduction by the send path {erle_db:.1} dB over {:.1} s; AEC delay estimate {:?} ms, AEC ERLE {:.1} dB",
        (end - start) as f64 / f64::from(rate),
        aec_stats.delay_ms,
        aec_stats.erle_db
    );
    Measured {
        played_db,
        recorded_db,
        lag_plausible,
        disturbances,
        lag_ms,
        correlation,
        erle_db,
        aec_delay_ms: aec_stats.delay_ms,
    }
}

#[test]
fn pulseaudio_loopback_echo_is_cancelled() {
    if !enabled() {
        return;
    }
    // 48 kHz: the null sink's own rate (VOXLINE_AUDIO_RATES=48000,16000 adds 16 kHz, where
    // PulseAudio resamples both ways).
    let rates: Vec<u32> = std::env::var("VOXLINE_AUDIO_RATES")
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![48_000]);
    for rate in rates {
        // On a loaded machine the device path glitches now and then: ALSA's PulseAudio plugin
        // reports spurious EIO from snd_pcm_avail_delay while PulseAudio's timing information
        // is not ready (alsa-plugins issue 65), a callback comes late and the output
        // underruns, the fill control corrects. Each moves the echo path the canceller has
        // learnt. A run that was disturbed like this once the speech had started and missed the
        // target is repeated, up to three runs in all; an undisturbed run must pass at once.
        let mut attempt = 1;
        let m = loop {
            println!("loopback at {rate} Hz requested, run {attempt}:");
            let m = run(rate);
            let good = m.erle_db >= 25.0 && m.correlation > 0.5 && m.lag_plausible;
            if good || m.disturbances == 0 || attempt == 3 {
                break m;
            }
            println!("  disturbed run missed the target: repeating");
            attempt += 1;
        };
        // The recording must really carry the far end (not silence), at a plausible delay.
        assert!(
            m.recorded_db > m.played_db - 20.0 && m.recorded_db > -60.0,
            "the recording is (nearly) silent: {:.1} dBFS against {:.1} dBFS played",
            m.recorded_db,
            m.played_db
        );
        assert!(
            m.correlation > 0.5,
            "the recording does not match what was played (r = {:.3})",
            m.correlation
        );
        assert!(
            m.lag_plausible,
            "implausible round-trip delay {:.1} ms",
            m.lag_ms
        );
        assert!(
            m.erle_db >= 25.0,
            "echo reduced by only {:.1} dB (need 25 dB); round trip {:.1} ms, r = {:.3}",
            m.erle_db,
            m.lag_ms,
            m.correlation
        );
        let aec_delay = m
            .aec_delay_ms
            .expect("the echo canceller found no echo delay");
        println!(
            "  result: ERLE {:.1} dB, round trip {:.1} ms (cross-correlation) / {aec_delay:.1} ms (AEC)",
            m.erle_db, m.lag_ms
        );
    }
}
