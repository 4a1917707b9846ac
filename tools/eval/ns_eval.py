#!/usr/bin/env python3
"""Objective evaluation of voxline's noise suppressor (`voxline ns`).

Real speech from testdata/speech is mixed with generated noises (white, pink, brown, babble
made from other talkers, car, 50 Hz hum with harmonics, keyboard-like clicks, a ramping level)
at -5, 0, 5, 10 and 20 dB SNR, at 8 kHz (PESQ narrowband) and 16 kHz (PESQ wideband). Every
mixture is processed by each system:

* `unprocessed`: the noisy input itself;
* `voxline`: `voxline ns` (default maximum attenuation 20 dB unless --max-attenuation-db);
* `speex`: SpeexDSP's preprocessor (libspeexdsp 1.2, denoise only, suppression -20 dB);
* `webrtc`: WebRTC APM 0.3's noise suppressor (level 3, "very high", unless --webrtc-level);

the last two through a small C++ harness (ns_ref/ns_ref.cc) built here against the Debian
packages. Outputs are aligned with the clean speech (each system's delay is found by
cross-correlation) and scored with PESQ and STOI against the clean speech. Also measured:
clean speech alone through each system (PESQ loss and level change), and how much more the
first 30 ms of each speech onset is attenuated than steady speech (per-bin gains estimated from
output/input spectra and applied to the clean speech, over the speech band from 100 Hz up).

Two clean conditions: `clean`, the recordings as they are, and `clean-gated`, the same with
their pauses muted. The recordings carry their own background, measured 26-30 dB below the
active speech level (the 10th percentile of the 10 ms frame levels; printed with the table):
a suppressor should remove that, yet PESQ against the recording counts the removal as a loss.
The target "clean speech passes with PESQ loss <= 0.05" is therefore checked on
`clean-gated` (background only under the speech, so its SNR is far above 30 dB): speech a
suppressor should leave alone; `clean` is reported for information.

Deterministic: every noise comes from a fixed seed. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pesq import pesq
from pystoi import stoi
from scipy.signal import fftconvolve, lfilter, resample_poly

REPO = Path(__file__).resolve().parents[2]
HARNESS_SRC = Path(__file__).resolve().parent / "ns_ref" / "ns_ref.cc"
# Cargo's target directory: $CARGO_TARGET_DIR if set, else target/ of this repository.
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
SYSTEMS = ["unprocessed", "speex", "webrtc", "voxline"]
NOISES = ["white", "pink", "brown", "babble", "car", "hum", "keyboard", "ramp"]
SNRS = [-5, 0, 5, 10, 20]
RATES = [8000, 16000]
# Target talkers (speech/...): two women and a man at 16 kHz (the 48 kHz VCTK files are
# resampled), the same downsampled to 8 kHz, plus a man's digits recorded at 8 kHz.
TARGETS = {
    16000: ["2412-153948-0001.wav", "p317_166.wav", "p376_193.wav"],
    8000: ["2412-153948-0001.wav", "p317_166.wav", "p376_193.wav", "fsdd_theo_digits.wav"],
}
# Every speech file; babble for a target is made from the others.
ALL_TALKERS = [
    "2412-153948-0001.wav",
    "p317_166.wav",
    "p376_193.wav",
    "fsdd_theo_digits.wav",
    "jfk_inaugural.wav",
    "LJ001-0002.wav",
    "LJ001-0008.wav",
]
MAX_SECONDS = 8.0
SPEECH_LEVEL_DB = -26.0  # active speech level of every target, dBFS
# Targets (see tools/eval/README.md).
TARGET_PESQ_GAIN = 0.45
TARGET_CLEAN_PESQ_LOSS = 0.05
TARGET_CLEAN_LEVEL_DB = 0.5
TARGET_ONSET_DB = 2.0
# The clean conditions: as recorded, and with the pauses muted (the one the targets apply to).
CLEAN_CONDS = ("clean", "clean-gated")
CLEAN_TARGET = "clean-gated"


# ----------------------------------------------------------------------------------------------
# Audio helpers


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{path}: expected 16-bit PCM")
        rate, ch = w.getframerate(), w.getnchannels()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    x = x.reshape(-1, ch).mean(axis=1) / 32768.0
    return rate, x


def write_wav(path: Path, rate: int, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return x
    g = np.gcd(src, dst)
    return resample_poly(x, dst // g, src // g)


def frame_levels(x: np.ndarray, rate: int) -> np.ndarray:
    n = rate // 100
    k = len(x) // n
    e = (x[: k * n].reshape(k, n) ** 2).mean(axis=1)
    return 10 * np.log10(e + 1e-20)


def active_level_db(x: np.ndarray, rate: int) -> float:
    """Active speech level (a simplified P.56): the mean power of the 10 ms frames within
    30 dB of the loudest 5 %."""
    lv = frame_levels(x, rate)
    thr = np.percentile(lv, 95) - 30.0
    act = lv[lv >= thr]
    return float(10 * np.log10(np.mean(10 ** (act / 10))))


def level_change_db(clean: np.ndarray, out: np.ndarray, rate: int) -> float:
    """Level of `out` minus level of `clean` over the clean speech's active frames (the same
    frames for both, so removing the background in pauses does not count)."""
    lv = frame_levels(clean, rate)
    act = lv >= np.percentile(lv, 95) - 30.0
    n = rate // 100
    k = len(lv)
    e_clean = (clean[: k * n].reshape(k, n) ** 2).sum(axis=1)[act].sum()
    e_out = (out[: k * n].reshape(k, n) ** 2).sum(axis=1)[act].sum()
    return float(10 * np.log10((e_out + 1e-20) / (e_clean + 1e-20)))


def own_snr_db(x: np.ndarray, rate: int) -> float:
    """A recording's own SNR: active speech level over the 10th percentile of the 10 ms frame
    levels (its background in the pauses)."""
    return active_level_db(x, rate) - float(np.percentile(frame_levels(x, rate), 10))


def gate_pauses(x: np.ndarray, rate: int) -> np.ndarray:
    """`x` with its pauses muted: 10 ms frames less than 12 dB above the background (the 10th
    percentile of the frame levels) and more than 30 ms from a louder frame set to zero, with
    10 ms raised-cosine ramps."""
    n = rate // 100
    lv = frame_levels(x, rate)
    keep = lv >= np.percentile(lv, 10) + 12.0
    keep = np.convolve(keep.astype(float), np.ones(7), mode="same") > 0  # +-30 ms
    mask = np.zeros(len(x))
    mask[: len(keep) * n] = np.repeat(keep.astype(float), n)
    ramp = np.hanning(2 * n + 1)
    mask = np.clip(np.convolve(mask, ramp / ramp.sum(), mode="same"), 0.0, 1.0)
    return x * mask


def seed_of(*parts) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:4], "little")


@dataclass(frozen=True)
class Corpus:
    """Where the speech comes from: the target talkers per rate, and every talker (babble for a
    target is made from the others)."""
    root: str
    targets16: tuple[str, ...]
    targets8: tuple[str, ...]
    talkers: tuple[str, ...]

    def targets(self, rate: int) -> tuple[str, ...]:
        return self.targets16 if rate > 8000 else self.targets8


BUNDLED = Corpus(str(REPO / "testdata" / "speech"), tuple(TARGETS[16000]), tuple(TARGETS[8000]),
                 tuple(ALL_TALKERS))


def corpus_from_dir(root: Path) -> Corpus:
    """Every WAV file under `root`: all are 8 kHz targets, those recorded at 16 kHz or more
    also 16 kHz targets."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.wav"))
    if len(files) < 2:
        raise SystemExit(f"ns_eval: {root} holds {len(files)} WAV file(s); at least 2 are needed")
    wide = []
    for f in files:
        try:
            with wave.open(str(root / f), "rb") as w:
                if w.getframerate() >= 16000:
                    wide.append(f)
        except (wave.Error, EOFError) as e:
            raise SystemExit(f"ns_eval: {root / f}: not a readable WAV file ({e})")
    return Corpus(str(root), tuple(wide), tuple(files), tuple(files))


def load_speech(name: str, rate: int, corpus: Corpus = BUNDLED) -> np.ndarray:
    src, x = read_wav(Path(corpus.root) / name)
    x = resample(x, src, rate)[: int(MAX_SECONDS * rate)]
    return x * 10 ** ((SPEECH_LEVEL_DB - active_level_db(x, rate)) / 20)


# ----------------------------------------------------------------------------------------------
# Noises: each returns `n` samples at `rate` with unit RMS.


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.mean(x**2) + 1e-30)


def _shaped(rng, n: int, rate: int, amp) -> np.ndarray:
    """White Gaussian noise shaped in frequency by amplitude response amp(f)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / rate)
    return _unit(np.fft.irfft(spec * amp(np.maximum(f, 20.0)), n))


def noise_white(rng, n, rate, name):
    return _unit(rng.standard_normal(n))


def noise_pink(rng, n, rate, name):
    return _shaped(rng, n, rate, lambda f: 1 / np.sqrt(f))


def noise_brown(rng, n, rate, name):
    return _shaped(rng, n, rate, lambda f: 1 / f)


def noise_car(rng, n, rate, name):
    """Car cabin: low-passed rumble (2nd order at 100 Hz), an engine with a slowly drifting
    firing frequency near 60 Hz and 6 harmonics, and wind/tyre pink noise 18 dB down."""
    rumble = _shaped(rng, n, rate, lambda f: 1 / (1 + (f / 100.0) ** 2))
    t = np.arange(n) / rate
    f0 = 60 + 3 * np.sin(2 * np.pi * 0.13 * t + rng.uniform(0, 6.28))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    engine = sum(np.sin(k * phase + rng.uniform(0, 6.28)) / k for k in range(1, 7))
    wind = _shaped(rng, n, rate, lambda f: 1 / np.sqrt(f))
    return _unit(rumble + 0.5 * _unit(engine) + 0.125 * wind)


def noise_hum(rng, n, rate, name):
    """Mains hum: 50 Hz and its harmonics up to 2 kHz (odd ones stronger, falling 1/k), plus
    a white floor 40 dB down."""
    t = np.arange(n) / rate
    x = np.zeros(n)
    for k in range(1, 41):
        if 50 * k >= rate / 2:
            break
        a = (1.0 if k % 2 else 0.3) / k
        x += a * np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.28))
    return _unit(_unit(x) + 0.01 * rng.standard_normal(n))


def noise_keyboard(rng, n, rate, name):
    """Typing: key presses at about 7 per second (random gaps), each a decaying burst of
    band-passed noise (1-4 kHz resonance, 1-6 ms decay) followed 60-120 ms later by a
    weaker release click, over a quiet pink background 30 dB down."""
    x = np.zeros(n)
    t = 0.0
    seconds = n / rate
    while True:
        t += rng.exponential(1 / 7.0)
        if t >= seconds:
            break
        for when, gain in ((t, 1.0), (t + rng.uniform(0.06, 0.12), 0.4)):
            start = int(when * rate)
            length = int(0.02 * rate)
            if start + length >= n:
                continue
            tau = rng.uniform(0.001, 0.006) * rate
            burst = rng.standard_normal(length) * np.exp(-np.arange(length) / tau)
            fc = min(rng.uniform(1000, 4000), 0.4 * rate)
            r = 0.9
            w = 2 * np.pi * fc / rate
            burst = lfilter([1 - r], [1, -2 * r * np.cos(w), r * r], burst)
            x[start : start + length] += gain * 10 ** (rng.uniform(-6, 6) / 20) * _unit(burst)
    return _unit(x + 0.03 * _unit(_shaped(rng, n, rate, lambda f: 1 / np.sqrt(f))) * np.sqrt(np.mean(x**2)))


def noise_ramp(rng, n, rate, name):
    """Pink noise whose level rises steadily by 20 dB over the file."""
    pink = _shaped(rng, n, rate, lambda f: 1 / np.sqrt(f))
    return _unit(pink * 10 ** (np.linspace(-10, 10, n) / 20))


def noise_babble(rng, n, rate, name, corpus: Corpus = BUNDLED):
    """Six streams of talkers other than the target (each talker's file looped from a random
    offset, equal levels), summed."""
    others = [t for t in corpus.talkers if t != name]
    x = np.zeros(n)
    for i in range(6):
        talker = others[i % len(others)]
        src, s = read_wav(Path(corpus.root) / talker)
        s = resample(s, src, rate)
        s = np.tile(s, n // len(s) + 2)
        off = rng.integers(0, len(s) - n)
        x += _unit(s[off : off + n])
    return _unit(x)


NOISE_FUNCS = {
    "white": noise_white,
    "pink": noise_pink,
    "brown": noise_brown,
    "babble": noise_babble,
    "car": noise_car,
    "hum": noise_hum,
    "keyboard": noise_keyboard,
    "ramp": noise_ramp,
}


def make_noise(kind: str, n: int, rate: int, target: str, corpus: Corpus = BUNDLED) -> np.ndarray:
    rng = np.random.default_rng(seed_of("ns-eval", kind, target, rate))
    if kind == "babble":
        return noise_babble(rng, n, rate, target, corpus)
    return NOISE_FUNCS[kind](rng, n, rate, target)


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float, rate: int) -> np.ndarray:
    """speech + noise, the noise's RMS set `snr_db` below the speech's active level."""
    level = active_level_db(speech, rate)
    return speech + noise * 10 ** ((level - snr_db) / 20)


# ----------------------------------------------------------------------------------------------
# Systems


def build_harness(cache: Path) -> Path:
    exe = cache / "ns_ref"
    if exe.exists() and exe.stat().st_mtime >= HARNESS_SRC.stat().st_mtime:
        return exe
    cache.mkdir(parents=True, exist_ok=True)
    try:
        flags = subprocess.run(
            ["pkg-config", "--cflags", "--libs", "webrtc-audio-processing", "speexdsp"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(
            f"ns_eval: cannot find the reference libraries ({e}); install them with "
            "apt-get install libspeexdsp-dev libwebrtc-audio-processing-dev pkg-config g++"
        )
    cmd = ["g++", "-O2", "-std=c++14", "-o", str(exe), str(HARNESS_SRC), *flags]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"ns_eval: building the harness failed:\n{r.stderr}")
    return exe


@dataclass(frozen=True)
class Setup:
    voxline: str
    harness: str
    max_att: float
    speex_db: int
    webrtc_level: int
    corpus: Corpus = BUNDLED


def run_system(system: str, setup: Setup, inp: Path, out: Path) -> None:
    if system == "voxline":
        cmd = [setup.voxline, "ns", "--max-attenuation-db", str(setup.max_att), str(inp), str(out)]
    elif system == "speex":
        cmd = [setup.harness, "speex", str(inp), str(out), "--suppress-db", str(setup.speex_db)]
    elif system == "webrtc":
        cmd = [setup.harness, "webrtc", str(inp), str(out), "--level", str(setup.webrtc_level)]
    else:
        raise ValueError(system)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")


def align(y: np.ndarray, x: np.ndarray, rate: int) -> np.ndarray:
    """`y` advanced by its delay against `x` (0 to 40 ms, found by cross-correlation), padded
    with zeros to `x`'s length."""
    max_lag = int(0.04 * rate)
    c = fftconvolve(y, x[::-1], mode="full")[len(x) - 1 : len(x) + max_lag]
    lag = int(np.argmax(c))
    out = np.zeros_like(x)
    seg = y[lag : lag + len(x)]
    out[: len(seg)] = seg
    return out


# ----------------------------------------------------------------------------------------------
# Metrics


def score(clean: np.ndarray, deg: np.ndarray, rate: int) -> tuple[float, float]:
    mode = "nb" if rate == 8000 else "wb"
    try:
        p = float(pesq(rate, clean, deg, mode))
    except Exception:  # pesq raises on silent or unusable input
        p = float("nan")
    s = float(stoi(clean, deg, rate, extended=False))
    return p, s


def stft_mag(x: np.ndarray, rate: int) -> np.ndarray:
    n, hop = rate // 50, rate // 100
    w = np.hanning(n)
    k = (len(x) - n) // hop + 1
    frames = np.stack([x[i * hop : i * hop + n] * w for i in range(k)])
    return np.abs(np.fft.rfft(frames, axis=1))


# Lowest frequency of the band in which onsets are measured. Below it the recordings carry
# rumble (mic handling, air flow: some frames of the VCTK and LibriSpeech recordings are
# dominated by 10-60 Hz thumps) and hardly any speech.
SPEECH_BAND_LOW_HZ = 100.0


def onset_metrics(clean: np.ndarray, noisy: np.ndarray, out: np.ndarray, rate: int) -> dict:
    """Attenuation of speech in steady, onset and fricative frames (dB, negative = cut), from
    per-bin gains |OUT|/|IN| applied to the clean speech's spectrum, and the differences
    steady - onset and steady - fricative (positive: onsets/fricatives cut more).

    Levels and attenuation are taken over the speech band, from `SPEECH_BAND_LOW_HZ` up.
    `onset_delta_all` is the same over the whole band, as first measured: there, frames whose
    energy is mostly sub-100 Hz rumble counted as onsets, and their attenuation as the
    attenuation of speech."""
    S, X, Y = stft_mag(clean, rate), stft_mag(noisy, rate), stft_mag(out, rate)
    G = np.clip(Y / (X + 1e-9), 0.0, 2.0)
    f = np.fft.rfftfreq(rate // 50, 1.0 / rate)

    def deltas(band: np.ndarray) -> tuple[float, float, int]:
        s2 = S[:, band] ** 2
        es = s2.sum(axis=1)
        att = 10 * np.log10((G[:, band] ** 2 * s2).sum(axis=1) / (es + 1e-20) + 1e-20)
        lv = 10 * np.log10(es + 1e-20)
        ref = 10 * np.log10(np.mean(np.sort(es)[len(es) // 2 :]) + 1e-20)
        active = lv >= ref - 25.0
        hi = s2[:, f[band] >= (3000 if rate > 8000 else 2500)].sum(axis=1)
        steady, onset = [], []
        for i in range(10, len(active)):
            if active[i] and active[i - 10 : i].all():
                steady.append(i)
            if active[i] and not active[i - 10 : i].any():
                onset.extend(j for j in range(i, min(i + 3, len(active))) if active[j])
        fric = [i for i in range(len(active)) if active[i] and hi[i] >= 0.5 * es[i]]
        m = lambda idx: float(np.mean(att[idx])) if len(idx) else float("nan")
        st = m(steady)
        return st - m(onset), st - m(fric), len(onset)

    onset_delta, fric_delta, onsets = deltas(f >= SPEECH_BAND_LOW_HZ)
    onset_all, _, _ = deltas(f >= 0.0)
    return {
        "onset_delta": onset_delta,
        "fric_delta": fric_delta,
        "onsets": onsets,
        "onset_delta_all": onset_all,
    }


# ----------------------------------------------------------------------------------------------
# One condition


@dataclass(frozen=True)
class Task:
    rate: int
    target: str
    noise: str  # "clean" / "clean-gated" for no added noise
    snr: float


def run_task(task: Task, setup: Setup, systems: list[str], workdir: str, keep: bool) -> list[dict]:
    rate = task.rate
    clean = load_speech(task.target, rate, setup.corpus)
    if task.noise == "clean-gated":
        clean = gate_pauses(clean, rate)
    if task.noise in CLEAN_CONDS:
        noisy = clean.copy()
    else:
        noisy = mix(clean, make_noise(task.noise, len(clean), rate, task.target, setup.corpus), task.snr, rate)
    peak = np.max(np.abs(noisy))
    if peak > 0.99:  # never clip the mixture: scale both (scores are level-independent)
        clean, noisy = clean * 0.99 / peak, noisy * 0.99 / peak
    stem = f"{rate // 1000}k_{Path(task.target).stem}_{task.noise}_{task.snr:+g}dB"
    wd = Path(workdir)
    inp = wd / f"{stem}_in.wav"
    write_wav(inp, rate, noisy)
    noisy_q = read_wav(inp)[1]  # what the systems see: 16-bit
    rows = []
    for system in systems:
        if system == "unprocessed":
            out = noisy_q
        else:
            path = wd / f"{stem}_{system}.wav"
            run_system(system, setup, inp, path)
            out = align(read_wav(path)[1], noisy_q, rate)
            if not keep:
                path.unlink()
        p, s = score(clean, out, rate)
        row = {"rate": rate, "target": task.target, "noise": task.noise, "snr": task.snr,
               "system": system, "pesq": p, "stoi": s}
        if system != "unprocessed":
            row.update(onset_metrics(clean, noisy_q, out, rate))
        if task.noise in CLEAN_CONDS:
            row["own_snr_db"] = own_snr_db(noisy_q, rate)
            row["level_db"] = level_change_db(clean, out, rate)
            row["pesq_ref"] = score(clean, clean, rate)[0]
        rows.append(row)
    if not keep:
        inp.unlink()
    return rows


# ----------------------------------------------------------------------------------------------
# Report


def mean(v) -> float:
    v = [x for x in v if x == x]
    return float(np.mean(v)) if v else float("nan")


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


def report(results: list[dict], systems: list[str], rates: list[int], snrs, noises) -> list[str]:
    """Prints the tables; returns the list of missed targets."""
    missed = []
    others = [s for s in systems if s not in ("unprocessed", "voxline")]

    def sel(**kw):
        return [r for r in results if all(r.get(k) == v for k, v in kw.items())]

    for rate in rates:
        band = "NB, 8 kHz" if rate == 8000 else "WB, 16 kHz"
        noisy = [r for r in sel(rate=rate) if r["noise"] not in CLEAN_CONDS]
        if not noisy:
            continue
        for metric, fmt in (("pesq", "{:.2f}"), ("stoi", "{:.3f}")):
            rows = []
            for snr in snrs + ["mean"]:
                rs = noisy if snr == "mean" else [r for r in noisy if r["snr"] == snr]
                vals = {s: mean(r[metric] for r in rs if r["system"] == s) for s in systems}
                line = ["**mean**" if snr == "mean" else f"{snr:+g} dB"]
                line += [fmt.format(vals[s]) for s in systems]
                if "unprocessed" in vals and "voxline" in vals:
                    line.append(f"{vals['voxline'] - vals['unprocessed']:+.3f}")
                rows.append(line)
                if "voxline" in vals and snr != "mean":
                    for o in others:
                        if metric == "pesq" and not vals["voxline"] > vals[o]:
                            missed.append(f"{band} {snr:+g} dB: PESQ voxline {vals['voxline']:.3f} <= {o} {vals[o]:.3f}")
                    if metric == "stoi" and "unprocessed" in vals and vals["voxline"] < vals["unprocessed"]:
                        missed.append(f"{band} {snr:+g} dB: STOI voxline {vals['voxline']:.3f} < unprocessed {vals['unprocessed']:.3f}")
                if snr == "mean" and metric == "pesq" and "unprocessed" in vals and "voxline" in vals:
                    gain = vals["voxline"] - vals["unprocessed"]
                    if gain < TARGET_PESQ_GAIN:
                        missed.append(f"{band}: mean PESQ gain {gain:+.3f} < +{TARGET_PESQ_GAIN}")
            name = "PESQ" if metric == "pesq" else "STOI"
            table(f"{name}, {band}, by SNR (mean over {len(noises)} noises and "
                  f"{len({r['target'] for r in noisy})} talkers)",
                  ["SNR"] + systems + (["voxline - unprocessed"] if "unprocessed" in systems else []), rows)
        # PESQ per noise (mean over SNRs).
        rows = []
        for nz in noises:
            rs = [r for r in noisy if r["noise"] == nz]
            vals = {s: mean(r["pesq"] for r in rs if r["system"] == s) for s in systems}
            rows.append([nz] + [f"{vals[s]:.2f}" for s in systems])
        table(f"PESQ, {band}, by noise (mean over SNRs)", ["noise"] + systems, rows)
        # Onsets and fricatives.
        proc = [s for s in systems if s != "unprocessed"]
        rows = []
        for snr in list(CLEAN_CONDS) + snrs:
            rs = sel(rate=rate, noise=snr) if snr in CLEAN_CONDS else [r for r in noisy if r["snr"] == snr]
            if not rs:
                continue
            line = [snr if snr in CLEAN_CONDS else f"{snr:+g} dB"]
            for s in proc:
                on = mean(r["onset_delta"] for r in rs if r["system"] == s)
                fr = mean(r["fric_delta"] for r in rs if r["system"] == s)
                line.append(f"{on:.2f} / {fr:.2f}")
                if s == "voxline" and on > TARGET_ONSET_DB:
                    missed.append(f"{band} {line[0]}: voxline onsets cut {on:.2f} dB more than steady speech")
            rows.append(line)
        table(f"Extra attenuation of onsets (first 30 ms) / fricatives vs steady speech, dB, {band}",
              ["SNR"] + proc, rows)
        # Clean speech.
        for cond in CLEAN_CONDS:
            clean = sel(rate=rate, noise=cond)
            if not clean:
                continue
            rows = []
            for s in systems:
                rs = [r for r in clean if r["system"] == s]
                loss = [r["pesq_ref"] - r["pesq"] for r in rs]
                lvl = [r.get("level_db", 0.0) for r in rs]
                rows.append([s, f"{mean(loss):.3f}", f"{max(loss):.3f}",
                             f"{mean(lvl):+.2f}", f"{max(lvl, key=abs):+.2f}"])
                if s == "voxline" and cond == CLEAN_TARGET:
                    if max(loss) > TARGET_CLEAN_PESQ_LOSS:
                        missed.append(f"{band} {cond}: voxline PESQ loss {max(loss):.3f} > {TARGET_CLEAN_PESQ_LOSS}")
                    if max(abs(v) for v in lvl) > TARGET_CLEAN_LEVEL_DB:
                        missed.append(f"{band} {cond}: voxline level change {max(lvl, key=abs):+.2f} dB")
            own = sorted({(r["target"], round(r["own_snr_db"], 1)) for r in clean})
            what = ("as recorded" if cond == "clean" else "pauses muted; the targets apply here")
            table(f"Clean speech ({cond}: {what}), {band}; own SNR of the recordings: "
                  + ", ".join(f"{Path(t).stem} {v:.1f} dB" for t, v in own),
                  ["system", "PESQ loss mean", "PESQ loss max", "level change mean", "level change max"], rows)
    return missed


def speed(harness: Path) -> None:
    print("\nReference suppressors, time per 10 ms frame (white noise, 60 s, this machine):\n")
    # voxline's figure is criterion's: run the benchmark now, so that it is the current
    # build's and taken in the same minutes as the references'.
    bench = subprocess.run(["cargo", "bench", "-q", "-p", "voxline-benches", "--bench", "ns"],
                           cwd=REPO, capture_output=True, text=True)
    if bench.returncode != 0:
        print("  (cargo bench failed; voxline's criterion figure left out)")
    crit = TARGET_DIR / "criterion" / "ns_10ms"
    for rate in (8000, 16000, 48000):
        line = []
        for which in ("speex", "webrtc"):
            r = subprocess.run([str(harness), "bench", which, str(rate), "60"],
                               capture_output=True, text=True, check=True)
            us = float(r.stdout.split(":")[1].split()[0])
            line.append((which, us))
        ours = None
        est = crit / f"process_{rate // 1000}k" / "new" / "estimates.json"
        if bench.returncode == 0 and est.exists():
            ours = json.loads(est.read_text())["mean"]["point_estimate"] / 1000.0
        txt = ", ".join(f"{w} {us:.2f} us" for w, us in line)
        if ours is not None:
            txt += f", voxline {ours:.2f} us (criterion) = {ours / line[0][1]:.2f} x speex"
        print(f"  {rate} Hz: {txt}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voxline", default=str(TARGET_DIR / "release" / "voxline"))
    ap.add_argument("--max-attenuation-db", type=float, default=20.0)
    ap.add_argument("--speex-suppress-db", type=int, default=-20)
    ap.add_argument("--webrtc-level", type=int, default=3)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--noises", default=",".join(NOISES))
    ap.add_argument("--snrs", default=",".join(map(str, SNRS)))
    ap.add_argument("--rates", default=",".join(map(str, RATES)))
    ap.add_argument("--targets", type=int, default=0, help="use only the first N talkers per rate")
    ap.add_argument("--speech", help="evaluate on every WAV file under this directory instead of "
                    "the bundled talkers (16 kHz: the files recorded at 16 kHz or more; babble "
                    "from the other files)")
    ap.add_argument("--no-clean", action="store_true", help="skip the clean-speech condition")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out-dir", help="keep inputs and outputs here")
    ap.add_argument("--harness-dir", default=str(TARGET_DIR / "ns_ref"))
    ap.add_argument("--json", help="also write every score as JSON")
    ap.add_argument("--speed", action="store_true", help="also time the reference suppressors")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    a = ap.parse_args()

    systems = [s for s in a.systems.split(",") if s]
    noises = [n for n in a.noises.split(",") if n]
    snrs = [float(s) if "." in s else int(s) for s in a.snrs.split(",") if s]
    rates = [int(r) for r in a.rates.split(",") if r]
    for s in systems:
        if s not in SYSTEMS:
            raise SystemExit(f"ns_eval: unknown system {s} (use {', '.join(SYSTEMS)})")
    for n in noises:
        if n not in NOISES:
            raise SystemExit(f"ns_eval: unknown noise {n} (use {', '.join(NOISES)})")
    if "voxline" in systems and not Path(a.voxline).exists():
        raise SystemExit(f"ns_eval: {a.voxline} not found; build it: cargo build --release -p voxline")
    harness = ""
    if {"speex", "webrtc"} & set(systems) or a.speed:
        harness = str(build_harness(Path(a.harness_dir)))
    corpus = BUNDLED
    if a.speech:
        root = Path(a.speech)
        if not root.is_dir():
            raise SystemExit(f"ns_eval: --speech {a.speech}: not a directory")
        corpus = corpus_from_dir(root.resolve())
    setup = Setup(a.voxline, harness, a.max_attenuation_db, a.speex_suppress_db, a.webrtc_level,
                  corpus)

    tasks = []
    for rate in rates:
        targets = corpus.targets(rate)[: a.targets or None]
        for t in targets:
            if not a.no_clean:
                tasks.extend(Task(rate, t, c, 0) for c in CLEAN_CONDS)
            for nz in noises:
                for snr in snrs:
                    tasks.append(Task(rate, t, nz, snr))
    workdir = a.out_dir or tempfile.mkdtemp(prefix="ns-eval-")
    Path(workdir).mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    results = []
    with cf.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = [ex.submit(run_task, t, setup, systems, workdir, bool(a.out_dir)) for t in tasks]
        for f in cf.as_completed(futs):
            results.extend(f.result())
    if not a.out_dir:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"ns_eval: {len(tasks)} conditions, systems {', '.join(systems)}; voxline max attenuation "
          f"{a.max_attenuation_db:g} dB, speex suppression {a.speex_suppress_db} dB, webrtc level "
          f"{a.webrtc_level}; {time.time() - t0:.0f} s")
    missed = report(results, systems, rates, snrs, noises)
    if a.speed:
        speed(Path(harness))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    print()
    if missed:
        print("Targets missed:")
        for m in missed:
            print(f"  - {m}")
    else:
        print("All targets met.")
    return 1 if (a.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
