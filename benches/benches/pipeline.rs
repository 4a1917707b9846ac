//! Cost of a whole call per 10 ms frame: the receive path (packet insertion, jitter buffer,
//! G.711 decoding, concealment, resampling to the device rate) plus the send path (resampling,
//! DC removal, echo canceller, noise suppressor, G.711, RTP), with speech from testdata, a
//! network that loses 2 % of packets with 0-40 ms of jitter, and the loudspeaker's echo at the
//! microphone. Only the near end's calls are timed (`iter_custom`); the far end that makes the
//! packets is not. README turns the figures into "calls per core" (10 ms / time per frame).
//!
//! Run with `cargo bench -p voxline-benches --bench pipeline`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use voxline_core::{SampleRate, SplitMix64};
use voxline_pipeline::{Call, PipelineConfig, SendPath};

fn speech(rate: SampleRate) -> Vec<f32> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/speech/jfk_inaugural.wav"
    );
    let file = std::fs::File::open(path).expect("testdata speech");
    let audio = voxline_wav::read_audio(std::io::BufReader::new(file)).expect("WAV");
    let from = SampleRate::from_hz(audio.sample_rate).expect("rate");
    voxline_frontend::resample_all(from, rate, &audio.to_mono_f32()).expect("resample")
}

/// One near end and the far end feeding it.
struct Bench {
    far: SendPath,
    call: Call,
    speech: Vec<f32>,
    n: usize,
    frame: u64,
    rng: SplitMix64,
    in_flight: Vec<(f64, Vec<u8>)>,
    speaker: Vec<f32>,
    mic: Vec<f32>,
    echo: Vec<f32>,
    silence: Vec<f32>,
}

impl Bench {
    fn new(device: SampleRate, processing: SampleRate) -> Self {
        let mut config = PipelineConfig::new(device);
        config.processing_rate = processing;
        let mut far_config = config.clone();
        far_config.echo_canceller = None;
        far_config.noise_suppressor = None;
        let n = device.samples_per_10ms();
        Self {
            far: SendPath::new(&far_config).expect("far"),
            call: Call::new(&config).expect("call"),
            speech: speech(device),
            n,
            frame: 0,
            rng: SplitMix64::new(3),
            in_flight: Vec::with_capacity(64),
            speaker: vec![0.0; n],
            mic: vec![0.0; n],
            echo: vec![0.0; 4 * n],
            silence: vec![0.0; n],
        }
    }

    /// One frame; returns the time spent in the near end's calls.
    fn step(&mut self) -> Duration {
        let n = self.n;
        let now = self.frame as f64 * 10.0;
        let frames = self.speech.len() / n;
        let start = (self.frame as usize % frames) * n;
        self.far
            .process(&self.silence, &self.speech[start..start + n])
            .expect("far");
        while let Some(p) = self.far.poll_packet() {
            let r = self.rng.next_u64();
            if !r.is_multiple_of(50) {
                self.in_flight
                    .push((now + 20.0 + (r % 40) as f64, p.to_vec()));
            }
        }
        let t0 = Instant::now();
        for (due, p) in &self.in_flight {
            if *due <= now {
                let _ = self.call.receive_packet(p, now);
            }
        }
        self.call.render(now, &mut self.speaker).expect("render");
        let mut elapsed = t0.elapsed();
        self.in_flight.retain(|(due, _)| *due > now);
        // The echo: the loudspeaker 30 ms later at half amplitude, plus a little noise.
        self.echo.rotate_left(n);
        let len = self.echo.len();
        self.echo[len - n..].copy_from_slice(&self.speaker);
        for (i, m) in self.mic.iter_mut().enumerate() {
            let r = self.rng.next_u64();
            *m = 0.5 * self.echo[i] + ((r >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1e-3;
        }
        let t1 = Instant::now();
        self.call.capture(&self.mic).expect("capture");
        while self.call.poll_packet().is_some() {}
        elapsed += t1.elapsed();
        self.frame += 1;
        elapsed
    }
}

fn bench_pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("call_10ms");
    for (device, processing) in [
        (SampleRate::Hz8000, SampleRate::Hz8000),
        (SampleRate::Hz16000, SampleRate::Hz8000),
        (SampleRate::Hz48000, SampleRate::Hz8000),
        (SampleRate::Hz16000, SampleRate::Hz16000),
    ] {
        let mut bench = Bench::new(device, processing);
        // Converge the canceller and fill the jitter buffer first: steady state.
        for _ in 0..500 {
            bench.step();
        }
        let name = format!(
            "send_and_receive_device_{}k_processing_{}k",
            device.hz() / 1000,
            processing.hz() / 1000
        );
        group.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| bench.step()).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
