#!/usr/bin/env python3
"""Echo-scenario generator for voxline's acoustic echo canceller (AEC).

Builds, deterministically from a seed, what a microphone hears in a room where a loudspeaker
plays the far-end talker: real speech from testdata/speech, played through an optionally
clipping loudspeaker, convolved with a room impulse response (pyroomacoustics image method),
delayed by a bulk (integer) delay, optionally resampled for clock drift, optionally switched to
another echo path or another delay mid-file, plus a near-end talker (a different speaker,
convolved with its own path to the microphone) and background noise.

Per scenario it writes 16-bit mono PCM WAV files and a label file:

  far.wav      render reference: what is sent to the loudspeaker (the canceller's far input)
  mic.wav      capture: echo + near + noise (exactly, sample by sample, in 16-bit integers)
  echo.wav     the echo component alone
  near.wav     the near-end component alone, as it arrives at the microphone (reverberant);
               what a canceller should keep
  labels.json  rates, delays, drift, RT60, change times, stretches, activity, onsets

Sub-commands:

  fixtures   regenerate the committed fixtures of testdata/aec (bit-identical with the pinned
             numpy/scipy/pyroomacoustics of tools/eval/requirements.txt)
  make       one scenario from command-line parameters
  list       the fixture table

See tools/eval/README.md ("AEC test signals") and testdata/aec/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy.io.wavfile as wavfile
from scipy.signal import fftconvolve, resample_poly

REPO = Path(__file__).resolve().parents[2]
SPEECH_DIR = REPO / "testdata" / "speech"
FIXTURE_DIR = REPO / "testdata" / "aec"

# Talkers: name -> (sex, files in testdata/speech). A talker's files are concatenated with
# 0.4 s pauses; a scenario takes its speech from that material (looping when it needs more).
TALKERS: dict[str, tuple[str, list[str]]] = {
    "libri_3436": ("M", ["3436-172162-0000.wav"]),
    "libri_5703": ("M", ["5703-47212-0000.wav"]),
    "libri_198": ("F", ["198-209-0000.wav"]),
    "libri_2412": ("F", ["2412-153948-0001.wav"]),
    "jfk": ("M", ["jfk_inaugural.wav"]),
}

FRAME_MS = 10  # activity frames
ONSET_GAP_MS = 200  # an onset follows at least this much inactivity
ACTIVE_REL_DB = 30.0  # a frame is active when within this many dB of the active speech level
FADE_MS = 20  # fade in/out of each placed speech segment
SWITCH_FADE_MS = 10  # crossfade at an echo-path change or a delay jump


@dataclass
class Spec:
    """Every parameter of one scenario. Times are in seconds, levels in dBFS (RMS relative
    to a full-scale square wave, i.e. 0 dBFS = RMS 1.0 in [-1, 1] floating point)."""

    name: str = "scenario"
    rate: int = 16000
    seed: int = 1
    duration: float = 6.0
    far_talker: str | None = "libri_3436"  # None: the far end is digitally silent
    near_talker: str | None = "libri_2412"
    far_intervals: list[tuple[float, float]] = field(default_factory=lambda: [(0.3, 1e9)])
    near_intervals: list[tuple[float, float]] = field(default_factory=list)
    far_dbfs: float = -20.0  # active speech level of far.wav
    echo_dbfs: float = -22.0  # active speech level of the echo at the microphone
    # echo-to-near ratio: the near talker's active level is echo_dbfs - enr_db; when the
    # far end is silent the near talker is at echo_dbfs
    enr_db: float = 5.0
    noise_dbfs: float = -70.0
    noise_color: str = "pink"  # pink | white
    delay_ms: float = 40.0  # bulk delay (rounded to whole samples)
    delay_jump: tuple[float, float] | None = None  # (time s, new bulk delay ms)
    drift_ppm: float = 0.0  # capture clock fast by this much (echo stretched by 1+ppm)
    rt60: float = 0.3
    path_change: float | None = None  # time (s) the echo path switches to a second geometry
    clip: str = "none"  # none | hard | soft (loudspeaker nonlinearity)
    clip_db: float = -10.0  # clipping threshold relative to the loudspeaker signal's peak
    speaker_mic_m: tuple[float, float] = (0.3, 1.0)  # range of loudspeaker-mic distance
    near_mic_m: tuple[float, float] = (0.5, 1.2)  # range of near talker-mic distance


# The committed fixtures (testdata/aec/<name>/). Seeds are fixed per fixture.
FIXTURES: list[Spec] = [
    Spec(name="linear", seed=101, duration=5.0, delay_ms=40, rt60=0.3),
    Spec(name="delay300", seed=102, duration=5.0, delay_ms=300, rt60=0.3),
    Spec(name="delay_jump", seed=103, duration=9.0, delay_ms=100, delay_jump=(4.0, 300), rt60=0.3),
    Spec(name="drift", seed=104, duration=6.0, delay_ms=40, drift_ppm=500, rt60=0.3),
    Spec(
        name="double_talk",
        seed=105,
        duration=7.0,
        delay_ms=40,
        rt60=0.3,
        near_intervals=[(2.5, 5.5)],
        enr_db=5.0,
    ),
    Spec(name="path_change", seed=106, duration=8.0, delay_ms=40, rt60=0.3, path_change=4.0),
    Spec(name="clipping", seed=107, duration=5.0, delay_ms=40, rt60=0.3, clip="hard", clip_db=-10),
    Spec(
        name="near_only",
        seed=108,
        duration=5.0,
        far_talker=None,
        near_intervals=[(0.3, 1e9)],
        rt60=0.3,
    ),
    Spec(name="linear_8k", rate=8000, seed=109, duration=5.0, far_talker="libri_5703",
         near_talker="libri_198", delay_ms=40, rt60=0.3),
    Spec(
        name="double_talk_8k",
        rate=8000,
        seed=110,
        duration=7.0,
        far_talker="libri_5703",
        near_talker="libri_198",
        delay_ms=40,
        rt60=0.3,
        near_intervals=[(2.5, 5.5)],
        enr_db=5.0,
    ),
    Spec(name="path_change_8k", rate=8000, seed=111, duration=8.0, far_talker="libri_5703",
         near_talker="libri_198", delay_ms=40, rt60=0.5, path_change=4.0),
]


# ----------------------------------------------------------------------------------------
# Signal helpers


def db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)


def frame_power(x: np.ndarray, n: int) -> np.ndarray:
    """Mean square of consecutive n-sample frames (the last partial frame is dropped)."""
    m = len(x) // n
    return np.mean(x[: m * n].reshape(m, n).astype(np.float64) ** 2, axis=1)


def active_level(x: np.ndarray, rate: int) -> float:
    """Simplified active speech level (not ITU-T P.56): RMS over the 10 ms frames whose power
    is within 35 dB of the 95th-percentile frame power. Returns an RMS amplitude."""
    p = frame_power(x, rate * FRAME_MS // 1000)
    p = p[p > 0]
    if len(p) == 0:
        return 0.0
    ref = np.percentile(p, 95)
    act = p[p >= ref * 10 ** (-35 / 10)]
    return float(np.sqrt(np.mean(act)))


def activity(x: np.ndarray, rate: int, level: float) -> np.ndarray:
    """Boolean per 10 ms frame: frame RMS within ACTIVE_REL_DB of `level` (an RMS)."""
    p = frame_power(x, rate * FRAME_MS // 1000)
    if level <= 0:
        return np.zeros(len(p), dtype=bool)
    return p >= (level**2) * 10 ** (-ACTIVE_REL_DB / 10)


def onsets(act: np.ndarray) -> list[int]:
    """Frame indices where activity starts after at least ONSET_GAP_MS of inactivity (the
    first active frame counts when preceded by that much silence or the file start)."""
    gap = ONSET_GAP_MS // FRAME_MS
    out = []
    quiet = gap  # the file start counts as silence
    for i, a in enumerate(act):
        if a:
            if quiet >= gap:
                out.append(i)
            quiet = 0
        else:
            quiet += 1
    return out


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return x
    r = Fraction(dst, src)
    return resample_poly(x, r.numerator, r.denominator)


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    rate, data = wavfile.read(path)
    if data.dtype != np.int16 or data.ndim != 1:
        raise SystemExit(f"error: {path}: expected 16-bit mono PCM WAV")
    return rate, data.astype(np.float64) / 32768.0


def write_wav(path: Path, rate: int, q: np.ndarray) -> None:
    wavfile.write(path, rate, q.astype("<i2"))


def quantize(x: np.ndarray) -> np.ndarray:
    """Float in [-1, 1) to int16 by rounding (no dither); refuses to clip."""
    q = np.round(x * 32768.0)
    if q.size and (q.max() > 32767 or q.min() < -32768):
        raise SystemExit("error: signal would clip in 16 bits; lower the levels")
    return q.astype(np.int64)


def talker_material(name: str, rate: int) -> np.ndarray:
    if name not in TALKERS:
        raise SystemExit(f"error: unknown talker {name!r} (known: {', '.join(TALKERS)})")
    pause = np.zeros(int(0.4 * rate))
    parts = []
    for f in TALKERS[name][1]:
        src, x = read_wav(SPEECH_DIR / f)
        parts += [resample(x, src, rate), pause]
    return np.concatenate(parts)


def speech_track(
    name: str, rate: int, n: int, intervals: list[tuple[int, int]], rng: np.random.Generator
) -> np.ndarray:
    """A track of n samples with the talker's speech in each [start, end) interval, silence
    elsewhere. Each interval's speech starts at a randomly chosen onset of the material
    (after a pause), loops over the material if needed, and is faded in/out over FADE_MS."""
    mat = talker_material(name, rate)
    fl = rate * FRAME_MS // 1000
    fade = rate * FADE_MS // 1000
    # candidate starts: onsets of speech (frames within 20 dB of the active level) followed by
    # at least 150 ms of activity in the next 300 ms; the segment starts 30 ms + the fade
    # before the onset so the fade-in does not touch the speech
    p = frame_power(mat, fl)
    loud = p >= active_level(mat, rate) ** 2 * 10 ** (-20 / 10)
    cands = [
        i * fl - fade - 3 * fl
        for i in onsets(loud)
        if i * fl - fade - 3 * fl >= 0 and np.sum(loud[i : i + 30]) >= 15
    ]
    out = np.zeros(n)
    for a, b in intervals:
        length = b - a
        if length <= 2 * fade:
            continue
        start = cands[int(rng.integers(len(cands)))] if cands else 0
        reps = int(math.ceil((start + length) / len(mat))) + 1
        seg = np.tile(mat, reps)[start : start + length].copy()
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
        seg[:fade] *= ramp
        seg[-fade:] *= ramp[::-1]
        out[a:b] = seg
    return out


def noise(n: int, color: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS Gaussian noise, white or pink (1/f power, shaped in the frequency domain,
    DC removed)."""
    w = rng.standard_normal(n)
    if color == "pink":
        spec = np.fft.rfft(w)
        f = np.arange(len(spec), dtype=np.float64)
        f[0] = 1.0
        spec /= np.sqrt(f)
        spec[0] = 0.0
        w = np.fft.irfft(spec, n)
    elif color != "white":
        raise SystemExit(f"error: noise colour must be pink or white, not {color!r}")
    return w / np.sqrt(np.mean(w**2))


# ----------------------------------------------------------------------------------------
# Room


def _room_geometry(rng: np.random.Generator, spec: Spec) -> dict:
    """Random shoebox room and positions: loudspeaker and mic near a 'desk' (0.7-1.3 m high,
    at least 0.7 m from the walls), the near talker in front of the mic."""
    dim = [float(rng.uniform(4.0, 7.0)), float(rng.uniform(3.0, 5.0)), float(rng.uniform(2.5, 3.2))]

    def point_near(p, dmin, dmax):
        for _ in range(1000):
            d = rng.uniform(dmin, dmax)
            az = rng.uniform(0, 2 * np.pi)
            el = rng.uniform(-0.3, 0.3)
            q = np.array(p) + d * np.array([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)])
            if all(0.5 <= q[i] <= dim[i] - 0.5 for i in range(3)):
                return [float(v) for v in q]
        raise SystemExit("error: could not place a source in the room")

    mic = [float(rng.uniform(0.7, dim[0] - 0.7)), float(rng.uniform(0.7, dim[1] - 0.7)), float(rng.uniform(0.7, 1.3))]
    spk = point_near(mic, *spec.speaker_mic_m)
    talker = point_near(mic, *spec.near_mic_m)
    return {"dim": dim, "mic": mic, "speaker": spk, "talker": talker}


def _rir(rate: int, dim, src, mic, rt60: float) -> np.ndarray:
    import pyroomacoustics as pra

    e_abs, max_order = pra.inverse_sabine(rt60, dim)
    room = pra.ShoeBox(dim, fs=rate, materials=pra.Material(e_abs), max_order=max_order)
    room.add_source(src)
    room.add_microphone(mic)
    room.compute_rir()
    return np.asarray(room.rir[0][0], dtype=np.float64)


def rir_for(rate: int, dim, src, mic, rt60: float) -> tuple[np.ndarray, float, float]:
    """Image-method RIR whose measured RT60 (Schroeder backward integration, T30 extrapolated
    to 60 dB) is within 5 % of the target: Sabine's formula does not match the image method,
    so the design RT60 is corrected by the ratio target/measured, up to 4 times.
    Returns (rir, design rt60, measured rt60)."""
    import pyroomacoustics as pra

    design = rt60
    h = _rir(rate, dim, src, mic, design)
    measured = float(pra.experimental.measure_rt60(h, fs=rate, decay_db=30))
    for _ in range(4):
        if measured <= 0 or abs(measured - rt60) <= 0.05 * rt60:
            break
        design *= rt60 / measured
        h = _rir(rate, dim, src, mic, design)
        measured = float(pra.experimental.measure_rt60(h, fs=rate, decay_db=30))
    return h, design, measured


# ----------------------------------------------------------------------------------------
# Scenario


def loudspeaker(x: np.ndarray, clip: str, clip_db: float) -> tuple[np.ndarray, float]:
    """Loudspeaker nonlinearity; returns (output, fraction of samples beyond the threshold)."""
    if clip == "none":
        return x, 0.0
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    c = peak * db_to_amp(clip_db)
    if c <= 0:
        return x, 0.0
    frac = float(np.mean(np.abs(x) > c))
    if clip == "hard":
        return np.clip(x, -c, c), frac
    if clip == "soft":
        return c * np.tanh(x / c), frac
    raise SystemExit(f"error: clip must be none, hard or soft, not {clip!r}")


def drift_resample(x: np.ndarray, ppm: float) -> np.ndarray:
    """The echo as sampled by a capture clock that is `ppm` fast: stretched by (1 + ppm/1e6),
    with scipy's polyphase resampler (Kaiser window, beta 5)."""
    if ppm == 0:
        return x
    r = (1 + Fraction(ppm).limit_denominator(1000) / 1_000_000).limit_denominator(20000)
    return resample_poly(x, r.numerator, r.denominator)


def delayed(x: np.ndarray, d: int, n: int) -> np.ndarray:
    out = np.zeros(n)
    if d < n:
        m = min(len(x), n - d)
        out[d : d + m] = x[:m]
    return out


def crossfade(a: np.ndarray, b: np.ndarray, at: int, rate: int) -> np.ndarray:
    """a before sample `at`, b after, with a raised-cosine crossfade of SWITCH_FADE_MS
    centred on `at`."""
    f = rate * SWITCH_FADE_MS // 1000
    t = np.clip((np.arange(len(a)) - (at - f / 2)) / f, 0.0, 1.0)
    w = 0.5 - 0.5 * np.cos(np.pi * t)
    return (1 - w) * a + w * b


def _headroom(x: np.ndarray) -> float:
    """1.0, or the gain that brings a peak beyond 16-bit full scale to -1 dBFS."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return 1.0 if peak * 32768.0 <= 32767.0 else db_to_amp(-1.0) / peak


def _ranges(mask: np.ndarray) -> list[list[int]]:
    """[start, end) runs of True in a boolean sample mask."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return [[int(s), int(e)] for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1))]


def _mask(n: int, intervals: list[tuple[int, int]]) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for a, b in intervals:
        m[a:b] = True
    return m


def generate(spec: Spec, out_dir: Path, all_files: bool = True) -> dict:
    """Generate one scenario into out_dir; returns the labels (also written to labels.json).
    With all_files=False, a component that is digitally silent (near.wav when there is no
    near talker, echo.wav when the far end is silent) is not written."""
    rate = spec.rate
    if rate not in (8000, 16000, 32000, 48000):
        raise SystemExit("error: rate must be 8000, 16000, 32000 or 48000")
    rng = np.random.default_rng(spec.seed)
    n = int(round(spec.duration * rate))

    def to_samples(iv):
        return [(int(round(a * rate)), min(int(round(b * rate)), n)) for a, b in iv]

    far_iv = to_samples(spec.far_intervals) if spec.far_talker else []
    near_iv = to_samples(spec.near_intervals) if spec.near_talker else []
    if spec.far_talker and spec.near_talker and spec.far_talker == spec.near_talker:
        raise SystemExit("error: far and near talkers must differ")

    geo = _room_geometry(rng, spec)
    geo2 = None
    if spec.path_change is not None:
        # "someone moves": same room, loudspeaker and mic moved to new positions
        g2 = _room_geometry(rng, spec)
        geo2 = {"dim": geo["dim"], "mic": g2["mic"], "speaker": g2["speaker"]}
        # keep the second geometry inside the first room
        geo2["mic"] = [min(max(v, 0.7), geo["dim"][i] - 0.7) for i, v in enumerate(g2["mic"])]
        geo2["speaker"] = [min(max(v, 0.5), geo["dim"][i] - 0.5) for i, v in enumerate(g2["speaker"])]

    # far end
    far = np.zeros(n)
    if spec.far_talker:
        far = speech_track(spec.far_talker, rate, n, far_iv, rng)
        lvl = active_level(far, rate)
        far *= db_to_amp(spec.far_dbfs) / lvl
    spk_out, clip_frac = loudspeaker(far, spec.clip, spec.clip_db)

    # echo path(s)
    h1, design1, meas1 = rir_for(rate, geo["dim"], geo["speaker"], geo["mic"], spec.rt60)
    paths = [h1]
    rt_info = [{"rt60_target": spec.rt60, "rt60_design": round(design1, 4), "rt60_measured": round(meas1, 4),
                "direct_path_samples": int(np.argmax(np.abs(h1))), "rir_samples": len(h1)}]
    if geo2 is not None:
        h2, design2, meas2 = rir_for(rate, geo2["dim"], geo2["speaker"], geo2["mic"], spec.rt60)
        paths.append(h2)
        rt_info.append({"rt60_target": spec.rt60, "rt60_design": round(design2, 4),
                        "rt60_measured": round(meas2, 4), "direct_path_samples": int(np.argmax(np.abs(h2))),
                        "rir_samples": len(h2)})

    d1 = int(round(spec.delay_ms * rate / 1000))
    delays = [{"from_sample": 0, "delay_samples": d1, "delay_ms": d1 * 1000 / rate}]
    # the echo before drift is computed a little longer than n so drift never runs short
    n_pre = n + int(abs(spec.drift_ppm) * 1e-6 * n) + 64
    wet = [fftconvolve(spk_out, h)[:n] for h in paths]
    wet = [np.concatenate([w, np.zeros(n_pre - len(w))]) for w in wet]
    echo = delayed(wet[0], d1, n_pre)
    switch = None
    if spec.delay_jump is not None:
        t, dms = spec.delay_jump
        d2 = int(round(dms * rate / 1000))
        switch = int(round(t * rate))
        echo = crossfade(echo, delayed(wet[0], d2, n_pre), switch, rate)
        delays.append({"from_sample": switch, "delay_samples": d2, "delay_ms": d2 * 1000 / rate})
    change = None
    if spec.path_change is not None:
        change = int(round(spec.path_change * rate))
        echo = crossfade(echo, delayed(wet[1], d1, n_pre), change, rate)
    echo = drift_resample(echo, spec.drift_ppm)[:n]
    if len(echo) < n:
        echo = np.concatenate([echo, np.zeros(n - len(echo))])

    # near end: a different talker through its own path to the same mic
    near = np.zeros(n)
    if spec.near_talker and near_iv:
        hn, _, near_rt = rir_for(rate, geo["dim"], geo["talker"], geo["mic"], spec.rt60)
        dry = speech_track(spec.near_talker, rate, n, near_iv, rng)
        near = fftconvolve(dry, hn)[:n]

    # levels
    echo_lvl = active_level(echo, rate) if spec.far_talker else 0.0
    if echo_lvl > 0:
        echo *= db_to_amp(spec.echo_dbfs) / echo_lvl
    near_lvl = active_level(near, rate)
    if near_lvl > 0:
        target = spec.echo_dbfs - spec.enr_db if spec.far_talker else spec.echo_dbfs
        near *= db_to_amp(target) / near_lvl
    bg = noise(n, spec.noise_color, rng) * db_to_amp(spec.noise_dbfs)

    # quantize each component; the mic is their exact integer sum
    # headroom: a signal that would clip in 16 bits (speech with a high crest factor at a
    # high active level) is scaled to a -1 dBFS peak instead; echo and near together, so their
    # ratio stays. The gains applied (dB, 0 = none) are in the labels.
    far_gain = _headroom(far)
    far = far * far_gain
    mic_gain = _headroom(echo + near + bg)
    echo, near = echo * mic_gain, near * mic_gain
    far_q, echo_q, near_q, noise_q = (quantize(s) for s in (far, echo, near, bg))
    mic_q = echo_q + near_q + noise_q
    if mic_q.max() > 32767 or mic_q.min() < -32768:
        raise SystemExit("error: mic would clip in 16 bits; lower echo_dbfs")

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"far": "far.wav", "mic": "mic.wav"}
    write_wav(out_dir / "far.wav", rate, far_q)
    write_wav(out_dir / "mic.wav", rate, mic_q)
    for name, q, present in (("echo", echo_q, bool(spec.far_talker)), ("near", near_q, bool(near_iv))):
        path = out_dir / f"{name}.wav"
        if present or all_files:
            write_wav(path, rate, q)
            files[name] = path.name
        elif path.exists():
            path.unlink()

    # labels
    echo_f = echo_q / 32768.0
    near_f = near_q / 32768.0
    far_f = far_q / 32768.0
    e_lvl = active_level(echo_f, rate)
    n_lvl = active_level(near_f, rate)
    f_lvl = active_level(far_f, rate)
    fl = rate * FRAME_MS // 1000
    echo_act = activity(echo_f, rate, e_lvl)
    near_act = activity(near_f, rate, n_lvl)
    far_act = activity(far_f, rate, f_lvl)
    far_m = _mask(n, far_iv)
    near_m = _mask(n, near_iv)

    def lvl_db(a):
        return round(20 * math.log10(a), 2) if a > 0 else None

    labels = {
        "generator": "tools/eval/aec_signals.py",
        "spec": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(spec).items()},
        "files": files,
        "sample_rate": rate,
        "samples": n,
        "frame_ms": FRAME_MS,
        "delays": delays,
        "drift_ppm": spec.drift_ppm,
        "rt60": rt_info[0]["rt60_measured"],
        "echo_paths": rt_info,
        "path_change_sample": change,
        "delay_jump_sample": switch,
        "room": {"dim_m": geo["dim"], "mic_m": geo["mic"], "speaker_m": geo["speaker"],
                 "near_talker_m": geo["talker"], "speaker_mic_distance_m": round(float(np.linalg.norm(np.subtract(geo["speaker"], geo["mic"]))), 3),
                 "near_mic_distance_m": round(float(np.linalg.norm(np.subtract(geo["talker"], geo["mic"]))), 3),
                 "second_path": geo2},
        "talkers": {
            "far": {"name": spec.far_talker, "sex": TALKERS[spec.far_talker][0], "files": TALKERS[spec.far_talker][1]} if spec.far_talker else None,
            "near": {"name": spec.near_talker, "sex": TALKERS[spec.near_talker][0], "files": TALKERS[spec.near_talker][1]} if (spec.near_talker and near_iv) else None,
        },
        "levels_dbfs": {"far_active": lvl_db(f_lvl), "echo_active": lvl_db(e_lvl), "near_active": lvl_db(n_lvl),
                         "noise_rms": lvl_db(float(np.sqrt(np.mean((noise_q / 32768.0) ** 2)))),
                         "echo_to_near_db": round(20 * math.log10(e_lvl / n_lvl), 2) if e_lvl > 0 and n_lvl > 0 else None},
        "headroom_gain_db": {"far": round(20 * math.log10(far_gain), 2),
                             "echo_and_near": round(20 * math.log10(mic_gain), 2)},
        "loudspeaker": {"clip": spec.clip, "clip_db": spec.clip_db if spec.clip != "none" else None, "fraction_beyond_threshold": round(clip_frac, 5)},
        # design stretches (sample ranges [start, end)): where the far talker's / near
        # talker's speech track is placed (pauses inside a talker's speech included)
        "stretches": {
            "far_only": _ranges(far_m & ~near_m),
            "double_talk": _ranges(far_m & near_m),
            "near_only": _ranges(near_m & ~far_m),
        },
        # measured activity per 10 ms frame ('1' = active): frame power within 30 dB of the
        # component's active speech level
        "activity": {
            "far": "".join("1" if a else "0" for a in far_act),
            "echo": "".join("1" if a else "0" for a in echo_act),
            "near": "".join("1" if a else "0" for a in near_act),
        },
        # onsets: first active frame after >= 200 ms of inactivity, as sample indices
        "far_onsets": [int(i * fl) for i in onsets(far_act)],
        "echo_onsets": [int(i * fl) for i in onsets(echo_act)],
        "near_onsets": [int(i * fl) for i in onsets(near_act)],
    }
    with open(out_dir / "labels.json", "w") as f:
        json.dump(labels, f, indent=1, sort_keys=True)
        f.write("\n")
    return labels


# ----------------------------------------------------------------------------------------
# CLI


def _interval_list(s: str) -> list[tuple[float, float]]:
    out = []
    for part in s.split(","):
        if not part.strip():
            continue
        a, _, b = part.partition(":")
        out.append((float(a), float(b) if b else 1e9))
    return out


def spec_command(spec: Spec) -> str:
    """The `make` command line that regenerates this spec."""
    d = Spec()
    args = []
    for k, v in asdict(spec).items():
        if v == getattr(d, k) or k == "name":
            continue
        opt = "--" + k.replace("_", "-")
        if k in ("far_intervals", "near_intervals"):
            v = ",".join(f"{a:g}:{'' if b >= 1e9 else f'{b:g}'}" for a, b in v)
        elif k in ("delay_jump", "speaker_mic_m", "near_mic_m"):
            v = f"{v[0]:g}:{v[1]:g}"
        elif v is None:
            v = "none"
        elif isinstance(v, float):
            v = f"{v:g}"
        args.append(f"{opt} {v}")
    return " ".join(args)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    fx = sub.add_parser("fixtures", help="regenerate the committed fixtures (testdata/aec)")
    fx.add_argument("--out-dir", type=Path, default=FIXTURE_DIR)
    fx.add_argument("--only", nargs="*", help="fixture names (default: all)")
    fx.add_argument("--all-files", action="store_true",
                    help="also write digitally silent components (not committed, to save space)")
    sub.add_parser("list", help="print the fixture table")
    mk = sub.add_parser("make", help="one scenario from parameters")
    mk.add_argument("out_dir", type=Path)
    d = Spec()
    mk.add_argument("--rate", type=int, default=d.rate)
    mk.add_argument("--seed", type=int, default=d.seed)
    mk.add_argument("--duration", type=float, default=d.duration)
    mk.add_argument("--far-talker", default=d.far_talker, help="talker name or 'none' (silent far end)")
    mk.add_argument("--near-talker", default=d.near_talker)
    mk.add_argument("--far-intervals", default="0.3:", help="e.g. '0.3:' or '0.5:4,6:9' (seconds)")
    mk.add_argument("--near-intervals", default="", help="same format; empty: no near talker")
    mk.add_argument("--far-dbfs", type=float, default=d.far_dbfs)
    mk.add_argument("--echo-dbfs", type=float, default=d.echo_dbfs)
    mk.add_argument("--enr-db", type=float, default=d.enr_db)
    mk.add_argument("--noise-dbfs", type=float, default=d.noise_dbfs)
    mk.add_argument("--noise-color", default=d.noise_color, choices=["pink", "white"])
    mk.add_argument("--delay-ms", type=float, default=d.delay_ms)
    mk.add_argument("--delay-jump", default="none", help="TIME_S:NEW_DELAY_MS")
    mk.add_argument("--drift-ppm", type=float, default=d.drift_ppm)
    mk.add_argument("--rt60", type=float, default=d.rt60)
    mk.add_argument("--path-change", default="none", help="time (s) of the echo-path switch")
    mk.add_argument("--clip", default=d.clip, choices=["none", "hard", "soft"])
    mk.add_argument("--clip-db", type=float, default=d.clip_db)
    mk.add_argument("--speaker-mic-m", default="0.3:1.0")
    mk.add_argument("--near-mic-m", default="0.5:1.2")
    a = ap.parse_args(argv)

    if a.cmd == "list":
        for s in FIXTURES:
            print(f"{s.name:16s} {spec_command(s)}")
        return 0
    if a.cmd == "fixtures":
        names = {s.name for s in FIXTURES}
        for n in a.only or []:
            if n not in names:
                raise SystemExit(f"error: unknown fixture {n!r}")
        for s in FIXTURES:
            if a.only and s.name not in a.only:
                continue
            lab = generate(s, a.out_dir / s.name, all_files=a.all_files)
            print(f"{s.name}: {lab['samples'] / lab['sample_rate']:.2f} s at {lab['sample_rate']} Hz, "
                  f"RT60 {lab['rt60']:.2f} s, files {sorted(lab['files'])}")
        return 0

    def pair(s):
        x, _, y = s.partition(":")
        return (float(x), float(y))

    none = lambda v: None if v in (None, "none", "") else v  # noqa: E731
    spec = Spec(
        name=a.out_dir.name, rate=a.rate, seed=a.seed, duration=a.duration,
        far_talker=none(a.far_talker), near_talker=none(a.near_talker),
        far_intervals=_interval_list(a.far_intervals), near_intervals=_interval_list(a.near_intervals),
        far_dbfs=a.far_dbfs, echo_dbfs=a.echo_dbfs, enr_db=a.enr_db, noise_dbfs=a.noise_dbfs,
        noise_color=a.noise_color, delay_ms=a.delay_ms,
        delay_jump=pair(a.delay_jump) if none(a.delay_jump) else None,
        drift_ppm=a.drift_ppm, rt60=a.rt60,
        path_change=float(a.path_change) if none(a.path_change) else None,
        clip=a.clip, clip_db=a.clip_db, speaker_mic_m=pair(a.speaker_mic_m), near_mic_m=pair(a.near_mic_m),
    )
    lab = generate(spec, a.out_dir, all_files=True)
    print(json.dumps({k: lab[k] for k in ("sample_rate", "samples", "delays", "drift_ppm", "rt60", "stretches")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
