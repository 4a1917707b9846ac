//! Integration tests of `voxline ns`: noisy speech at 8 and 16 kHz comes out with the same
//! rate and length, aligned, quieter in the pauses; the option is checked; bad input fails with
//! one line, exit code 2 and nothing written.
//!
//! These tests check the command, not the suppression quality (crates/voxline-ns/tests and
//! tools/eval/ns_eval.py do that).

use std::fs;
use std::path::Path;

mod common;
use common::{assert_bad_input, assert_ok, read_wav, stderr, stdout, testdata, voxline};

fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
    let mut bytes = Vec::new();
    voxline_wav::write_pcm16_wav(&mut bytes, rate, channels, samples).unwrap();
    fs::write(path, bytes).unwrap();
}

/// Speech fixture plus its car noise at about 5 dB SNR, as 16-bit samples.
fn noisy(rate_k: u32) -> (Vec<i16>, Vec<i16>) {
    let speech = read_wav(&testdata(&format!("ns/speech_{rate_k}k.wav"))).to_i16();
    let noise = read_wav(&testdata(&format!("ns/car_{rate_k}k.wav"))).to_i16();
    let mix = speech
        .iter()
        .zip(&noise)
        .map(|(&s, &n)| (i32::from(s) + i32::from(n) / 2).clamp(-32768, 32767) as i16)
        .collect();
    (speech, mix)
}

fn energy(x: &[i16]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

#[test]
fn noisy_speech_is_cleaned_with_rate_and_length_kept() {
    let dir = tempfile::tempdir().unwrap();
    for rate_k in [8u32, 16] {
        let (speech, mix) = noisy(rate_k);
        let input = dir.path().join(format!("in{rate_k}.wav"));
        write_wav(&input, rate_k * 1000, 1, &mix);
        for att in [None, Some("6"), Some("30")] {
            let out = dir.path().join(format!("out{rate_k}-{att:?}.wav"));
            let o = match att {
                Some(a) => voxline(&[&"ns", &"--max-attenuation-db", &a, &input, &out]),
                None => voxline(&[&"ns", &input, &out]),
            };
            assert_ok(&o);
            let text = stdout(&o);
            assert!(text.contains("latency 10.00 ms"), "{text}");
            assert!(text.contains("judged speech"), "{text}");
            assert!(
                text.contains(&format!("max attenuation {}", att.unwrap_or("20"))),
                "{text}"
            );
            assert!(stderr(&o).is_empty(), "{}", stderr(&o));
            let y = read_wav(&out);
            assert_eq!(y.sample_rate, rate_k * 1000);
            assert_eq!(y.channels, 1);
            let y = y.to_i16();
            assert_eq!(y.len(), mix.len());
            // Where the clean speech is silent the output is far below the input; the output
            // is aligned (its correlation with the clean speech peaks at lag 0).
            let n = (rate_k * 10) as usize;
            let quiet: Vec<usize> = (0..speech.len() / n)
                .filter(|&k| energy(&speech[k * n..(k + 1) * n]) < 1e3 * n as f64)
                .collect();
            assert!(quiet.len() > 10, "fixture has pauses");
            let e_in: f64 = quiet
                .iter()
                .map(|&k| energy(&mix[k * n..(k + 1) * n]))
                .sum();
            let e_out: f64 = quiet.iter().map(|&k| energy(&y[k * n..(k + 1) * n])).sum();
            let att_db = 10.0 * (e_in / e_out).log10();
            let want = att.map_or(20.0, |a| a.parse::<f64>().unwrap());
            assert!(
                att_db > want * 0.5,
                "{rate_k} kHz, {att:?}: pauses down {att_db:.1} dB"
            );
            let corr = |lag: usize| -> f64 {
                speech[..speech.len() - 40]
                    .iter()
                    .zip(&y[lag..])
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum()
            };
            let c0 = corr(0);
            assert!(
                (1..40).all(|l| corr(l) < c0),
                "{rate_k} kHz: output not aligned"
            );
        }
    }
}

#[test]
fn bad_input_fails_with_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mono = d.join("mono.wav");
    write_wav(&mono, 16000, 1, &[100; 1600]);
    let stereo = d.join("stereo.wav");
    write_wav(&stereo, 16000, 2, &[100; 3200]);
    let odd = d.join("odd.wav");
    write_wav(&odd, 22050, 1, &[100; 2205]);
    let out = d.join("out.wav");
    let keep = ["mono.wav", "stereo.wav", "odd.wav"];
    for (args, needle) in [
        (vec!["ns", "--max-attenuation-db", "40"], "6 to 30"),
        (vec!["ns", "--max-attenuation-db", "-3"], "6 to 30"),
        (vec!["ns", "--max-attenuation-db", "5.5"], "6 to 30"),
    ] {
        let mut a: Vec<&dyn AsRef<std::ffi::OsStr>> = args.iter().map(|s| s as _).collect();
        a.push(&mono);
        a.push(&out);
        assert_bad_input(&voxline(&a), needle, d, &keep);
    }
    assert_bad_input(&voxline(&[&"ns", &stereo, &out]), "2 channels", d, &keep);
    assert_bad_input(&voxline(&[&"ns", &odd, &out]), "22050 Hz", d, &keep);
    assert_bad_input(
        &voxline(&[&"ns", &d.join("missing.wav"), &out]),
        "cannot read",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"ns", &mono, &d.join("out.raw")]),
        "name it .wav",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"ns", &mono, &mono]),
        "different files",
        d,
        &keep,
    );
    assert_bad_input(
        &voxline(&[&"ns", &mono, &d.join("no/such/dir/out.wav")]),
        "out.wav",
        d,
        &keep,
    );
}

#[test]
fn silence_and_a_very_short_file_work() {
    let dir = tempfile::tempdir().unwrap();
    for (name, samples) in [("silence", vec![0i16; 8000]), ("short", vec![1000i16; 37])] {
        let input = dir.path().join(format!("{name}.wav"));
        write_wav(&input, 8000, 1, &samples);
        let out = dir.path().join(format!("{name}-out.wav"));
        assert_ok(&voxline(&[&"ns", &input, &out]));
        let y = read_wav(&out).to_i16();
        assert_eq!(y.len(), samples.len());
        if name == "silence" {
            assert!(y.iter().all(|&v| v == 0));
        }
    }
}
