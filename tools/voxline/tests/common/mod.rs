//! Helpers shared by the CLI integration tests: running the binary and checking how it fails.

#![allow(dead_code)] // each test binary uses its own subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

pub fn voxline(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_voxline"));
    for a in args {
        cmd.arg(a);
    }
    cmd.output().expect("voxline runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub fn assert_ok(o: &Output) {
    assert!(o.status.success(), "failed: {}\n{}", stderr(o), stdout(o));
}

/// Asserts a failure with exit code 2, one `voxline: error:` line mentioning `needle`, and no
/// temporary or output file left in `dir` other than `keep`.
#[track_caller]
pub fn assert_bad_input(o: &Output, needle: &str, dir: &Path, keep: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("voxline: error: "), "{err}");
    assert!(
        lines[0].to_lowercase().contains(&needle.to_lowercase()),
        "error {err:?} should mention {needle:?}"
    );
    let mut left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect();
    left.sort();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

pub fn read_wav(path: &Path) -> voxline_wav::Audio {
    voxline_wav::read_audio(std::io::BufReader::new(fs::File::open(path).unwrap())).unwrap()
}
