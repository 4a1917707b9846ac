//! Integration tests of `voxline aec`: it removes the echo from a committed fixture (printing
//! the delay it found and the echo reduction), keeps the microphone's rate and length, and
//! refuses bad input with one line, exit code 2 and nothing written.

use std::fs;
use std::path::Path;

mod common;
use common::{assert_bad_input, assert_ok, read_wav, stdout, testdata, voxline};

fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    let mut bytes = Vec::new();
    voxline_wav::write_pcm16_wav(&mut bytes, rate, channels, samples).unwrap();
    fs::write(path, bytes).unwrap();
}

fn energy(samples: &[f32]) -> f64 {
    samples.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

#[test]
fn cancels_the_echo_of_a_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.wav");
    let far = testdata("aec/delay300/far.wav");
    let mic = testdata("aec/delay300/mic.wav");
    let o = voxline(&[&"aec", &"--far", &far, &"--mic", &mic, &out]);
    assert_ok(&o);
    let text = stdout(&o);
    assert!(text.contains("echo delay 30"), "{text}");
    assert!(text.contains("echo reduction"), "{text}");
    let input = read_wav(&mic);
    let output = read_wav(&out);
    assert_eq!(output.sample_rate, input.sample_rate);
    assert_eq!(output.frames(), input.frames());
    // Over the last 2 s the echo is at least 20 dB down.
    let n = 2 * input.sample_rate as usize;
    let a = input.to_f32();
    let b = output.to_f32();
    let ratio = energy(&a[a.len() - n..]) / energy(&b[b.len() - n..]).max(1e-12);
    assert!(
        10.0 * ratio.log10() > 20.0,
        "echo reduction {:.1} dB",
        10.0 * ratio.log10()
    );
}

#[test]
fn linear_only_and_tail_options_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lin.wav");
    let far = testdata("aec/linear_8k/far.wav");
    let mic = testdata("aec/linear_8k/mic.wav");
    let o = voxline(&[
        &"aec",
        &"--far",
        &far,
        &"--mic",
        &mic,
        &"--tail-ms",
        &"150",
        &"--max-delay-ms",
        &"200",
        &"--linear-only",
        &out,
    ]);
    assert_ok(&o);
    assert_eq!(read_wav(&out).frames(), read_wav(&mic).frames());
}

#[test]
fn bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let far16 = d.join("far16.wav");
    let mic8 = d.join("mic8.wav");
    let stereo = d.join("stereo.wav");
    let odd = d.join("odd.wav");
    write_wav(&far16, 16000, 1, &[0; 1600]);
    write_wav(&mic8, 8000, 1, &[0; 800]);
    write_wav(&stereo, 8000, 2, &[0; 1600]);
    write_wav(&odd, 44100, 1, &[0; 4410]);
    fs::write(d.join("junk.wav"), b"RIFF1234WAVEjunk").unwrap();
    let keep = ["far16.wav", "mic8.wav", "stereo.wav", "odd.wav", "junk.wav"];
    let out = d.join("out.wav");

    let o = voxline(&[&"aec", &"--far", &far16, &"--mic", &mic8, &out]);
    assert_bad_input(&o, "same rate", d, &keep);
    let o = voxline(&[&"aec", &"--far", &mic8, &"--mic", &stereo, &out]);
    assert_bad_input(&o, "channels", d, &keep);
    let o = voxline(&[&"aec", &"--far", &odd, &"--mic", &odd, &out]);
    assert_bad_input(&o, "44.1", d, &keep);
    let o = voxline(&[&"aec", &"--far", &mic8, &"--mic", &d.join("junk.wav"), &out]);
    assert_bad_input(&o, "junk.wav", d, &keep);
    let o = voxline(&[
        &"aec",
        &"--far",
        &mic8,
        &"--mic",
        &d.join("missing.wav"),
        &out,
    ]);
    assert_bad_input(&o, "missing.wav", d, &keep);
    let o = voxline(&[
        &"aec",
        &"--far",
        &mic8,
        &"--mic",
        &mic8,
        &"--tail-ms",
        &"5",
        &out,
    ]);
    assert_bad_input(&o, "tail", d, &keep);
    let o = voxline(&[&"aec", &"--far", &mic8, &"--mic", &mic8, &d.join("out.raw")]);
    assert_bad_input(&o, ".wav", d, &keep);
    let o = voxline(&[&"aec", &"--far", &mic8, &"--mic", &mic8, &mic8]);
    assert_bad_input(&o, "different", d, &keep);
}
