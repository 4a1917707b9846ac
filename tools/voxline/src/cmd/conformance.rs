//! `voxline conformance DIR`: checks the G.711 codec against ITU-T G.191 (STL) reference
//! vectors laid out as in the project's conformance set:
//!
//! * `exhaustive/`: `pcm16_all.s16le` (every int16), `{ulaw,alaw}_encode_all.u8`,
//!   `codes_0_255.u8`, `{ulaw,alaw}_decode_all.s16le`, `{ulaw,alaw}_roundtrip_all.s16le`;
//! * `encoded/<name>.{ulaw,alaw}.raw` with `decoded/<name>.{ulaw,alaw}.dec.wav`, and the input
//!   `../signals/8k/<name>.wav` when present.
//!
//! Every code and every sample must match (bit-exact). Missing files are skipped and reported;
//! malformed ones are errors (exit 2); any mismatch exits 1.

use crate::error::{CliError, CliResult};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use voxline_g711::Law;

/// One comparison and its outcome.
struct Check {
    law: Law,
    what: String,
    compared: usize,
    mismatches: usize,
    first: Option<String>,
}

/// Compares `got` with `want` element by element.
fn compare<T: PartialEq + Copy>(
    law: Law,
    what: String,
    want: &[T],
    got: &[T],
    describe: impl Fn(usize, T, T) -> String,
) -> Check {
    let mut mismatches = want.len().abs_diff(got.len());
    let mut first = (want.len() != got.len())
        .then(|| format!("length differs: expected {}, got {}", want.len(), got.len()));
    for (i, (&w, &g)) in want.iter().zip(got).enumerate() {
        if w != g {
            mismatches += 1;
            first.get_or_insert_with(|| describe(i, w, g));
        }
    }
    Check {
        law,
        what,
        compared: want.len(),
        mismatches,
        first,
    }
}

fn prefix(law: Law) -> &'static str {
    match law {
        Law::Mu => "ulaw",
        Law::A => "alaw",
    }
}

fn read(path: &Path) -> CliResult<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))
}

fn s16le(path: &Path, bytes: &[u8]) -> CliResult<Vec<i16>> {
    if !bytes.len().is_multiple_of(2) {
        return Err(CliError::bad_input(format!(
            "{}: odd length {} for 16-bit samples",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

fn expect_len(path: &Path, len: usize, want: usize) -> CliResult {
    if len == want {
        Ok(())
    } else {
        Err(CliError::bad_input(format!(
            "{}: holds {len} values, expected {want}",
            path.display()
        )))
    }
}

fn hex(w: u8, g: u8, input: impl Display) -> String {
    format!("input {input}: expected 0x{w:02X}, got 0x{g:02X}")
}

/// The exhaustive checks: every int16 input and every code, both laws.
fn exhaustive(dir: &Path, checks: &mut Vec<Check>, skipped: &mut Vec<String>) -> CliResult {
    let all_path = dir.join("pcm16_all.s16le");
    if !all_path.exists() {
        skipped.push(format!(
            "{} (missing: no exhaustive checks)",
            all_path.display()
        ));
        return Ok(());
    }
    let all = s16le(&all_path, &read(&all_path)?)?;
    expect_len(&all_path, all.len(), 65536)?;
    if all.iter().zip(i16::MIN..=i16::MAX).any(|(&a, b)| a != b) {
        return Err(CliError::bad_input(format!(
            "{}: is not the ascending sequence -32768..32767",
            all_path.display()
        )));
    }
    let codes_path = dir.join("codes_0_255.u8");
    let codes: Vec<u8> = if codes_path.exists() {
        let c = read(&codes_path)?;
        expect_len(&codes_path, c.len(), 256)?;
        c
    } else {
        (0..=255).collect()
    };
    for law in [Law::Mu, Law::A] {
        let p = prefix(law);
        let mut encoded = vec![0u8; all.len()];
        law.encode(&all, &mut encoded)
            .map_err(|e| CliError::bad_input(e.to_string()))?;

        let path = dir.join(format!("{p}_encode_all.u8"));
        if path.exists() {
            let want = read(&path)?;
            expect_len(&path, want.len(), 65536)?;
            checks.push(compare(
                law,
                "encode, every int16 input".into(),
                &want,
                &encoded,
                |i, w, g| hex(w, g, all[i]),
            ));
        } else {
            skipped.push(path.display().to_string());
        }

        let path = dir.join(format!("{p}_decode_all.s16le"));
        if path.exists() {
            let want = s16le(&path, &read(&path)?)?;
            expect_len(&path, want.len(), 256)?;
            let mut got = vec![0i16; codes.len()];
            law.decode(&codes, &mut got)
                .map_err(|e| CliError::bad_input(e.to_string()))?;
            checks.push(compare(
                law,
                "decode, every code".into(),
                &want,
                &got,
                |i, w, g| format!("code 0x{:02X}: expected {w}, got {g}", codes[i]),
            ));
        } else {
            skipped.push(path.display().to_string());
        }

        let path = dir.join(format!("{p}_roundtrip_all.s16le"));
        if path.exists() {
            let want = s16le(&path, &read(&path)?)?;
            expect_len(&path, want.len(), 65536)?;
            let mut got = vec![0i16; all.len()];
            law.decode(&encoded, &mut got)
                .map_err(|e| CliError::bad_input(e.to_string()))?;
            checks.push(compare(
                law,
                "decode(encode(x)), every int16".into(),
                &want,
                &got,
                |i, w, g| format!("input {}: expected {w}, got {g}", all[i]),
            ));
        } else {
            skipped.push(path.display().to_string());
        }
    }
    Ok(())
}

/// Reads a WAV's samples as 16-bit mono PCM.
fn wav_i16(path: &Path) -> CliResult<Vec<i16>> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", path.display())))?;
    let audio = voxline_wav::read_audio(std::io::BufReader::new(file))
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
    if audio.channels != 1 {
        return Err(CliError::bad_input(format!(
            "{}: reference vectors are mono",
            path.display()
        )));
    }
    Ok(audio.to_i16())
}

/// The real-signal checks: `encoded/*.raw` against `decoded/*.dec.wav` and the inputs.
fn signals(dir: &Path, checks: &mut Vec<Check>, skipped: &mut Vec<String>) -> CliResult {
    let encoded_dir = dir.join("encoded");
    let Ok(entries) = std::fs::read_dir(&encoded_dir) else {
        skipped.push(format!(
            "{} (missing: no real-signal checks)",
            encoded_dir.display()
        ));
        return Ok(());
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let signals_dir = dir.join("..").join("signals").join("8k");
    for path in files {
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let (name, law) = if let Some(n) = file_name.strip_suffix(".ulaw.raw") {
            (n, Law::Mu)
        } else if let Some(n) = file_name.strip_suffix(".alaw.raw") {
            (n, Law::A)
        } else {
            continue;
        };
        let codes = read(&path)?;
        let decoded_path = dir
            .join("decoded")
            .join(format!("{name}.{}.dec.wav", prefix(law)));
        if decoded_path.exists() {
            let want = wav_i16(&decoded_path)?;
            let mut got = vec![0i16; codes.len()];
            law.decode(&codes, &mut got)
                .map_err(|e| CliError::bad_input(e.to_string()))?;
            checks.push(compare(
                law,
                format!("decode {name}"),
                &want,
                &got,
                |i, w, g| format!("sample {i}: expected {w}, got {g}"),
            ));
        } else {
            skipped.push(decoded_path.display().to_string());
        }
        let input_path = signals_dir.join(format!("{name}.wav"));
        if input_path.exists() {
            let input = wav_i16(&input_path)?;
            let mut got = vec![0u8; input.len()];
            law.encode(&input, &mut got)
                .map_err(|e| CliError::bad_input(e.to_string()))?;
            checks.push(compare(
                law,
                format!("encode {name}"),
                &codes,
                &got,
                |i, w, g| hex(w, g, format_args!("sample {i} ({})", input[i])),
            ));
        } else {
            skipped.push(input_path.display().to_string());
        }
    }
    Ok(())
}

/// Runs every check found under `dir` (the `g711` folder or its parent) and prints a table.
pub fn run(dir: &Path) -> CliResult {
    if !dir.is_dir() {
        return Err(CliError::bad_input(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let dir = if dir.join("exhaustive").is_dir() || dir.join("encoded").is_dir() {
        dir.to_path_buf()
    } else {
        dir.join("g711")
    };
    let mut checks = Vec::new();
    let mut skipped = Vec::new();
    exhaustive(&dir.join("exhaustive"), &mut checks, &mut skipped)?;
    signals(&dir, &mut checks, &mut skipped)?;
    if checks.is_empty() {
        return Err(CliError::bad_input(format!(
            "{}: no G.711 reference vectors found (expected exhaustive/, encoded/, decoded/)",
            dir.display()
        )));
    }
    outln!(
        "G.711 conformance against ITU-T G.191 vectors in {}",
        dir.display()
    );
    outln!(
        "{:<7} {:<34} {:>9} {:>11}",
        "law",
        "check",
        "compared",
        "mismatches"
    );
    for c in &checks {
        outln!(
            "{:<7} {:<34} {:>9} {:>11}",
            c.law.to_string(),
            c.what,
            c.compared,
            c.mismatches
        );
        if let Some(first) = &c.first {
            outln!("        first mismatch: {first}");
        }
    }
    for s in &skipped {
        outln!("skipped: {s}");
    }
    let total = |law: Option<Law>| -> usize {
        checks
            .iter()
            .filter(|c| law.is_none_or(|l| c.law == l))
            .map(|c| c.mismatches)
            .sum()
    };
    let (mu, a, all) = (total(Some(Law::Mu)), total(Some(Law::A)), total(None));
    let compared: usize = checks.iter().map(|c| c.compared).sum();
    outln!(
        "total: {all} mismatches in {} checks, {compared} values compared (mu-law: {mu}, A-law: {a})",
        checks.len()
    );
    if all == 0 {
        Ok(())
    } else {
        Err(CliError::mismatch(format!(
            "G.711 conformance failed: {all} mismatches"
        )))
    }
}
