//! `voxline live`: argument checks (any build), the device-less build's clear refusal, and —
//! with `--features device` and `VOXLINE_AUDIO_LOOPBACK=1` (set by .ci/run after starting a
//! PulseAudio null sink) — a real run through the audio server.

mod common;
use common::{stderr, testdata, voxline};

fn refused(args: &[&dyn AsRef<std::ffi::OsStr>], needle: &str) {
    let o = voxline(args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err:?}");
}

#[test]
fn bad_arguments_are_refused_before_touching_a_device() {
    let far = testdata("speech/jfk_inaugural.wav");
    refused(&[&"live"], "--far FILE.wav");
    refused(&[&"live", &"--listen", &"40000"], "go together");
    refused(
        &[&"live", &"--far", &far, &"--peer", &"127.0.0.1:40000"],
        "do not combine",
    );
    refused(&[&"live", &"--far", &far, &"--seconds", &"-1"], "--seconds");
    refused(
        &[
            &"live",
            &"--listen",
            &"40000",
            &"--peer",
            &"127.0.0.1:40001",
            &"--record",
            &"x.wav",
        ],
        "--record needs --seconds",
    );
}

#[cfg(not(feature = "device"))]
#[test]
fn a_build_without_devices_says_how_to_get_them() {
    let far = testdata("speech/jfk_inaugural.wav");
    refused(&[&"live", &"--far", &far], "--features device");
}

#[cfg(feature = "device")]
#[test]
fn a_live_call_runs_through_the_audio_server() {
    if std::env::var("VOXLINE_AUDIO_LOOPBACK").as_deref() != Ok("1") {
        eprintln!("skipped: set VOXLINE_AUDIO_LOOPBACK=1 with a PulseAudio null sink running");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sent.wav");
    let far = testdata("speech/jfk_inaugural.wav");
    let o = voxline(&[
        &"live",
        &"--far",
        &far,
        &"--seconds",
        &"6",
        &"--record",
        &out,
    ]);
    let text = common::stdout(&o);
    println!("{text}");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        text.contains("echo delay"),
        "live statistics printed: {text}"
    );
    let sent = common::read_wav(&out);
    assert_eq!(sent.sample_rate, 8000);
    assert!(sent.duration_secs() > 5.5, "{}", sent.duration_secs());
}
