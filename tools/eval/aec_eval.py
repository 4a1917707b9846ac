#!/usr/bin/env python3
"""Objective evaluation of voxline's acoustic echo canceller (AEC) against SpeexDSP and WebRTC.

Generates long echo scenarios with aec_signals.py (several talker pairs, rooms and seeds, at 8
and 16 kHz), runs `voxline aec` and the reference cancellers of aec_ref/ (SpeexDSP MDF +
preprocessor, WebRTC AEC2 and AECM) on the same files, and measures echo reduction (ERLE),
near-end preservation (PESQ) and amplification per condition. Prints Markdown tables, checks
the targets of issue 5 for voxline (`--check`), and with `--speed` times the reference
cancellers per 10 ms frame at 8, 16 and 48 kHz.

Metrics and conditions are defined in README.md beside this file ("aec_eval.py").
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.io.wavfile as wavfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aec_signals as sig  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
REF_BUILD = REPO / "tools" / "eval" / "aec_ref" / "build.sh"
REF_BIN = REPO / "target" / "aec_ref" / "aec_ref"
REF_SYSTEMS = ["speex", "webrtc-aec2", "webrtc-aecm"]
TAIL_MS = 250

WINDOW_MS = 100  # ERLE / amplification windows
ECHO_ACTIVE_DB = 20.0  # a window is far-active when its echo power is within 20 dB of the echo's active level
NEAR_QUIET_DB = 40.0  # far-only: near-end power in the window at least 40 dB below the echo's
AMP_LIMIT_DB = 1.0  # out may not exceed mic by more than this in any window

TARGETS = {
    "onset": 20.0,
    "median": 35.0,
    "steady": 40.0,
    "condition_median": 25.0,
    "pesq_over_mic": 0.5,
    "pesq_over_speex": 0.3,
    "near_only_pesq": 4.4,
}


@dataclass(frozen=True)
class Variant:
    """A talker pair and room: far talker, near talker, RT60, echo-to-near ratio (dB)."""

    far: str
    near: str
    rt60: float
    enr_db: float


VARIANTS = [
    Variant("libri_3436", "libri_2412", 0.3, 0.0),  # M far, F near
    Variant("libri_198", "libri_5703", 0.5, 5.0),  # F far, M near
    Variant("jfk", "libri_198", 0.7, 10.0),  # M far, F near
]


@dataclass(frozen=True)
class Condition:
    name: str
    label: str
    overrides: dict = field(default_factory=dict)
    # "far": onset/median/steady targets; "median": >= 25 dB median; "dt": double-talk PESQ;
    # "near": near-only PESQ; "": reported only
    target: str = ""


def conditions(duration: float) -> list[Condition]:
    d = duration
    dt = [(round(0.27 * d, 2), round(0.47 * d, 2)), (round(0.67 * d, 2), round(0.87 * d, 2))]
    return [
        Condition("far", "far single talk, noise -70 dBFS", {}, "far"),
        Condition("far_noise", "far single talk, pink noise -50 dBFS", {"noise_dbfs": -50.0}),
        Condition("clipping", "loudspeaker hard clipping at -10 dB re peak", {"clip": "hard", "clip_db": -10.0}, "median"),
        Condition("drift+500", "clock drift +500 ppm", {"drift_ppm": 500.0}, "median"),
        Condition("drift-500", "clock drift -500 ppm", {"drift_ppm": -500.0}, "median"),
        Condition("delay0", "bulk delay 0 ms", {"delay_ms": 0.0}, "median"),
        Condition("delay300", "bulk delay 300 ms", {"delay_ms": 300.0}, "median"),
        Condition("delay600", "bulk delay 600 ms", {"delay_ms": 600.0}, "median"),
        Condition("delay1000", "bulk delay 1000 ms", {"delay_ms": 1000.0}, "median"),
        Condition("path_change", f"echo path change at {d / 2:g} s", {"path_change": d / 2}, "median"),
        Condition("double_talk", "double talk " + ", ".join(f"{a:g}-{b:g} s" for a, b in dt), {"near_intervals": dt}, "dt"),
        Condition("near_only", "near end only (far end digital silence)", {"far_talker": None, "near_intervals": [(0.3, 1e9)]}, "near"),
    ]


def scenario_spec(cond: Condition, var_i: int, rate: int, duration: float, base_seed: int) -> sig.Spec:
    v = VARIANTS[var_i]
    seed = zlib.crc32(f"aec-eval:{base_seed}:{cond.name}:{var_i}:{rate}".encode())
    spec = sig.Spec(name=f"{cond.name}-v{var_i}", rate=rate, seed=seed, duration=duration,
                    far_talker=v.far, near_talker=v.near, rt60=v.rt60, enr_db=v.enr_db)
    return replace(spec, **cond.overrides)


# ----------------------------------------------------------------------------------------
# Metrics


def read(path: Path) -> tuple[int, np.ndarray]:
    rate, x = wavfile.read(path)
    if x.dtype != np.int16 or x.ndim != 1:
        raise SystemExit(f"error: {path}: expected 16-bit mono PCM WAV")
    return rate, x.astype(np.float64)


def window_energy(x: np.ndarray, n: int) -> np.ndarray:
    m = len(x) // n
    return np.sum(x[: m * n].reshape(m, n) ** 2, axis=1)


def erle_db(mic_e: np.ndarray, out_e: np.ndarray, n: int) -> np.ndarray:
    """10 log10(sum mic^2 / sum out^2) per window; out energy floored at n * (0.5 LSB)^2 so
    a digitally silent output scores finitely (about 100 dB at -20 dBFS input)."""
    return 10 * np.log10(np.maximum(mic_e, 1e-12) / np.maximum(out_e, n * 0.25))


def pooled_erle(mic_e: np.ndarray, out_e: np.ndarray, n: int) -> float | None:
    if len(mic_e) == 0:
        return None
    return float(10 * math.log10(max(mic_e.sum(), 1e-12) / max(out_e.sum(), len(out_e) * n * 0.25)))


def pesq_score(rate: int, ref: np.ndarray, deg: np.ndarray) -> float | None:
    from pesq import pesq

    try:
        return float(pesq(rate, ref / 32768.0, deg / 32768.0, "nb" if rate == 8000 else "wb"))
    except Exception:  # pesq raises on inputs without speech
        return None


def measure(scen: Path, out_path: Path, labels: dict) -> dict:
    """All metrics of one output against its scenario (see README.md for definitions)."""
    rate, mic = read(scen / "mic.wav")
    _, echo = read(scen / "echo.wav")
    _, near = read(scen / "near.wav")
    orate, out = read(out_path)
    if orate != rate or len(out) != len(mic):
        raise RuntimeError(f"{out_path}: output must have the mic's rate and length "
                           f"({rate} Hz, {len(mic)} samples), got {orate} Hz, {len(out)} samples")
    n = rate * WINDOW_MS // 1000
    mic_e, out_e = window_energy(mic, n), window_energy(out, n)
    echo_e, near_e = window_energy(echo, n), window_energy(near, n)
    m = len(mic_e)
    res: dict = {"windows": m}

    # amplification: windows where out exceeds mic by more than 1 dB
    amp = 10 * np.log10(np.maximum(out_e, 1e-12) / np.maximum(mic_e, 1e-12))
    res["amp_windows"] = int(np.sum(amp > AMP_LIMIT_DB))
    res["amp_max_db"] = round(float(np.max(amp)), 2) if m else None

    lvl = labels["levels_dbfs"]["echo_active"]
    if lvl is not None:
        thr = n * (32768.0 * 10 ** ((lvl - ECHO_ACTIVE_DB) / 20)) ** 2
        far_only = (echo_e >= thr) & (near_e <= echo_e * 10 ** (-NEAR_QUIET_DB / 10))
        e = erle_db(mic_e, out_e, n)
        idx = np.flatnonzero(far_only)
        res["far_only_windows"] = int(len(idx))
        res["erle_windows"] = [round(float(v), 2) for v in e[idx]]
        res["erle_window_index"] = [int(i) for i in idx]
        res["median"] = round(float(np.median(e[idx])), 2) if len(idx) else None
        half = idx[idx >= m // 2]
        res["steady"] = round(float(np.median(e[half])), 2) if len(half) else None
        # onset: far-only windows from 0.5 to 1.5 s after the first echo onset at the mic
        if labels["echo_onsets"]:
            o = labels["echo_onsets"][0]
            w0 = int(math.ceil((o + 0.5 * rate) / n))
            w1 = int((o + 1.5 * rate) // n)
            sel = idx[(idx >= w0) & (idx < w1)]
            res["onset"] = round(pooled_erle(mic_e[sel], out_e[sel], n), 2) if len(sel) else None
            res["onset_windows"] = int(len(sel))
        # event: 1.0-2.0 s after an echo-path change or delay jump (re-convergence)
        ev = labels.get("path_change_sample") or labels.get("delay_jump_sample")
        if ev:
            w0 = int(math.ceil((ev + 1.0 * rate) / n))
            w1 = int((ev + 2.0 * rate) // n)
            sel = idx[(idx >= w0) & (idx < w1)]
            res["event"] = round(pooled_erle(mic_e[sel], out_e[sel], n), 2) if len(sel) else None

    st = labels["stretches"]
    if st["double_talk"]:
        scores = [pesq_score(rate, near[a:b], out[a:b]) for a, b in st["double_talk"]]
        res["pesq_stretches"] = scores
        ok = [s for s in scores if s is not None]
        res["pesq"] = round(float(np.mean(ok)), 3) if ok else None
    if st["near_only"] and not st["far_only"] and not st["double_talk"]:
        res["pesq"] = pesq_score(rate, mic, out)
        res["pesq"] = round(res["pesq"], 3) if res["pesq"] is not None else None
    return res


# ----------------------------------------------------------------------------------------
# Running


def run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def build_ref() -> Path:
    proc = subprocess.run(["sh", str(REF_BUILD), str(REF_BIN)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: building aec_ref failed:\n{proc.stderr.strip()}")
    return REF_BIN


def run_system(system: str, scen: Path, out: Path, voxline: Path | None, ref: Path) -> dict:
    far, mic = str(scen / "far.wav"), str(scen / "mic.wav")
    if system == "voxline":
        stdout = run([str(voxline), "aec", "--far", far, "--mic", mic, str(out), "--tail-ms", str(TAIL_MS)])
        return {"stdout": stdout.strip()}
    stdout = run([str(ref), system, far, mic, str(out), "--tail-ms", str(TAIL_MS)])
    return json.loads(stdout.strip().splitlines()[-1])


def job(task: dict) -> dict:
    """Generate one scenario, run every system on it and measure."""
    scen = Path(task["dir"])
    spec = sig.Spec(**task["spec"])
    try:
        labels = sig.generate(spec, scen, all_files=True)
    except SystemExit as e:  # the generator's one-line errors
        raise RuntimeError(f"{scen}: {e}") from None
    rows = []
    rate = spec.rate
    systems = ["mic"] + task["systems"]
    for system in systems:
        if system == "webrtc-aecm" and rate not in (8000, 16000):
            continue
        out = scen / "mic.wav" if system == "mic" else scen / f"out_{system}.wav"
        info = {}
        if system != "mic":
            info = run_system(system, scen, out, task["voxline"] and Path(task["voxline"]), task["ref"] and Path(task["ref"]))
        r = measure(scen, out, labels)
        r.update({"system": system, "condition": task["condition"], "variant": task["variant"],
                  "rate": rate, "info": info})
        rows.append(r)
    return {"task": task, "labels": {k: labels[k] for k in ("rt60", "delays", "drift_ppm", "levels_dbfs",
                                                           "stretches", "echo_onsets", "path_change_sample")},
            "rows": rows}


# ----------------------------------------------------------------------------------------
# Aggregation and report


def fmt(v, nd=1) -> str:
    return "–" if v is None else f"{v:.{nd}f}"


def aggregate(rows: list[dict]) -> dict:
    """One condition x system over its variants: medians of pooled windows, median onset,
    mean PESQ, total amplified windows."""
    wins = [w for r in rows for w in r.get("erle_windows", [])]
    steady = []
    for r in rows:
        # far-only windows in the last half of each file
        idx = np.array(r.get("erle_window_index", []), dtype=int)
        e = np.array(r.get("erle_windows", []))
        steady += list(e[idx >= r["windows"] // 2])
    onsets = [r["onset"] for r in rows if r.get("onset") is not None]
    events = [r["event"] for r in rows if r.get("event") is not None]
    pesqs = [r["pesq"] for r in rows if r.get("pesq") is not None]
    return {
        "median": round(float(np.median(wins)), 2) if wins else None,
        "steady": round(float(np.median(steady)), 2) if steady else None,
        "onset": round(float(np.median(onsets)), 2) if onsets else None,
        "onset_min": round(float(np.min(onsets)), 2) if onsets else None,
        "event": round(float(np.median(events)), 2) if events else None,
        "pesq": round(float(np.mean(pesqs)), 3) if pesqs else None,
        "amp_windows": int(sum(r["amp_windows"] for r in rows)),
        "amp_max_db": max((r["amp_max_db"] for r in rows if r["amp_max_db"] is not None), default=None),
        "scenarios": len(rows),
    }


def verdicts(cond: Condition, agg: dict, rate: int) -> list[tuple[str, bool]]:
    """(description, met) for voxline in one condition and rate."""
    v = agg.get("voxline")
    if not v:
        return []
    out = []
    if cond.target == "far":
        out += [(f"onset ERLE {fmt(v['onset'])} >= {TARGETS['onset']:g}", v["onset"] is not None and v["onset"] >= TARGETS["onset"]),
                (f"median ERLE {fmt(v['median'])} >= {TARGETS['median']:g}", v["median"] is not None and v["median"] >= TARGETS["median"]),
                (f"steady ERLE {fmt(v['steady'])} >= {TARGETS['steady']:g}", v["steady"] is not None and v["steady"] >= TARGETS["steady"])]
    elif cond.target == "median":
        out.append((f"median ERLE {fmt(v['median'])} >= {TARGETS['condition_median']:g}",
                    v["median"] is not None and v["median"] >= TARGETS["condition_median"]))
    elif cond.target == "dt":
        mic = agg["mic"]["pesq"]
        sp = agg.get("speex", {}).get("pesq")
        ok = v["pesq"] is not None and mic is not None and v["pesq"] >= mic + TARGETS["pesq_over_mic"]
        out.append((f"PESQ {fmt(v['pesq'], 2)} >= mic {fmt(mic, 2)} + {TARGETS['pesq_over_mic']}", ok))
        if sp is not None:
            out.append((f"PESQ {fmt(v['pesq'], 2)} >= speex {fmt(sp, 2)} + {TARGETS['pesq_over_speex']}",
                        v["pesq"] is not None and v["pesq"] >= sp + TARGETS["pesq_over_speex"]))
    elif cond.target == "near":
        out.append((f"PESQ vs input {fmt(v['pesq'], 2)} >= {TARGETS['near_only_pesq']}",
                    v["pesq"] is not None and v["pesq"] >= TARGETS["near_only_pesq"]))
    out.append((f"{v['amp_windows']} windows amplified > {AMP_LIMIT_DB:g} dB", v["amp_windows"] == 0))
    return out


def speed(ref: Path, work: Path, seconds: float, passes: int, systems: list[str]) -> list[dict]:
    rows = []
    for rate in (8000, 16000, 48000):
        scen = work / f"speed_{rate}"
        sig.generate(sig.Spec(name=f"speed_{rate}", rate=rate, seed=7, duration=seconds), scen)
        for s in systems:
            if s == "webrtc-aecm" and rate not in (8000, 16000):
                rows.append({"algo": s, "rate": rate, "us_per_frame_median": None, "us_per_frame_min": None,
                             "note": "8/16 kHz only"})
                continue
            out = run([str(ref), s, str(scen / "far.wav"), str(scen / "mic.wav"), str(scen / "out.wav"),
                       "--tail-ms", str(TAIL_MS), "--passes", str(passes)])
            rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voxline", type=Path, default=REPO / "target" / "release" / "voxline")
    ap.add_argument("--out-dir", type=Path, help="keep scenarios and outputs here (default: temp dir, deleted)")
    ap.add_argument("--rates", default="8000,16000")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per scenario (default 30)")
    ap.add_argument("--variants", type=int, default=len(VARIANTS), help=f"talker/room variants per condition (1-{len(VARIANTS)})")
    ap.add_argument("--conditions", help="comma-separated condition names (default: all)")
    ap.add_argument("--systems", default="voxline," + ",".join(REF_SYSTEMS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write every measurement here")
    ap.add_argument("--check", action="store_true", help="exit 1 when a voxline target is missed")
    ap.add_argument("--speed", action="store_true", help="also time the reference cancellers at 8/16/48 kHz")
    ap.add_argument("--speed-only", action="store_true", help="only the speed measurement")
    ap.add_argument("--speed-seconds", type=float, default=20.0)
    ap.add_argument("--speed-passes", type=int, default=5)
    a = ap.parse_args(argv)

    systems = [s for s in a.systems.split(",") if s]
    for s in systems:
        if s not in ["voxline"] + REF_SYSTEMS:
            raise SystemExit(f"error: unknown system {s!r}")
    voxline = None
    if "voxline" in systems:
        probe = subprocess.run([str(a.voxline), "aec", "--help"], capture_output=True) if a.voxline.exists() else None
        if probe is not None and probe.returncode == 0:
            voxline = a.voxline.resolve()
        else:
            why = "not found" if probe is None else "has no 'aec' command"
            print(f"note: {a.voxline} {why}: voxline is left out "
                  "(cargo build --release -p voxline)", file=sys.stderr)
            systems.remove("voxline")
    ref = build_ref() if any(s in REF_SYSTEMS for s in systems) or a.speed or a.speed_only else None
    rates = [int(r) for r in a.rates.split(",")]
    conds = conditions(a.duration)
    if a.conditions:
        want = a.conditions.split(",")
        unknown = set(want) - {c.name for c in conds}
        if unknown:
            raise SystemExit(f"error: unknown condition(s) {sorted(unknown)}; known: {[c.name for c in conds]}")
        conds = [c for c in conds if c.name in want]
    nvar = max(1, min(a.variants, len(VARIANTS)))

    work = a.out_dir or Path(tempfile.mkdtemp(prefix="aec_eval_"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"systems": systems, "rates": rates, "duration": a.duration, "variants": nvar, "seed": a.seed}
    failures: list[str] = []
    try:
        if not a.speed_only:
            tasks = []
            for rate in rates:
                for c in conds:
                    for vi in range(nvar):
                        spec = scenario_spec(c, vi, rate, a.duration, a.seed)
                        d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sig.asdict(spec).items()}
                        tasks.append({"dir": str(work / str(rate) / c.name / f"v{vi}"), "spec": d,
                                      "systems": [s for s in systems],
                                      "voxline": str(voxline) if voxline else None,
                                      "ref": str(ref) if ref else None, "condition": c.name, "variant": vi})
            print(f"{len(tasks)} scenarios x {len(systems)} systems, {a.jobs} jobs, in {work}", file=sys.stderr)
            results = []
            with cf.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
                for r in ex.map(job, tasks):
                    results.append(r)
                    print(f"  done {len(results)}/{len(tasks)}: {r['task']['condition']} v{r['task']['variant']} "
                          f"{r['task']['spec']['rate']} Hz", file=sys.stderr)
            rows = [row for r in results for row in r["rows"]]
            result["scenarios"] = [{"condition": r["task"]["condition"], "variant": r["task"]["variant"],
                                    "spec": r["task"]["spec"], "labels": r["labels"]} for r in results]
            result["measurements"] = rows
            result["aggregate"] = {}
            shown = ["mic"] + systems
            for rate in rates:
                print(f"\n## {rate // 1000} kHz ({nvar} talker/room variants per condition, {a.duration:g} s each)\n")
                print("| condition | system | onset ERLE dB | median ERLE dB | steady ERLE dB | ERLE 1-2 s after change dB | PESQ | windows > +1 dB |")
                print("|---|---|---|---|---|---|---|---|")
                for c in conds:
                    agg = {}
                    for s in shown:
                        sel = [row for row in rows if row["rate"] == rate and row["condition"] == c.name and row["system"] == s]
                        if sel:
                            agg[s] = aggregate(sel)
                    result["aggregate"][f"{rate}/{c.name}"] = agg
                    for s, g in agg.items():
                        print(f"| {c.name} | {s} | {fmt(g['onset'])} | {fmt(g['median'])} | {fmt(g['steady'])} | "
                              f"{fmt(g['event'])} | {fmt(g['pesq'], 2)} | {g['amp_windows']} |")
                    for desc, ok in verdicts(c, agg, rate):
                        if not ok:
                            failures.append(f"{rate // 1000} kHz {c.name}: {desc}")
                result.setdefault("verdicts", {})
                for c in conds:
                    agg = result["aggregate"][f"{rate}/{c.name}"]
                    result["verdicts"][f"{rate}/{c.name}"] = [{"target": d, "met": ok} for d, ok in verdicts(c, agg, rate)]
            print("\nConditions:")
            for c in conds:
                print(f"* {c.name}: {c.label}")
            if "voxline" in systems:
                print("\nvoxline targets: " + ("all met" if not failures else f"{len(failures)} missed"))
                for f in failures:
                    print(f"  MISSED {f}")
            else:
                print("\n(voxline not run: targets not checked)")
        if a.speed or a.speed_only:
            sp = speed(ref, work, a.speed_seconds, a.speed_passes, [s for s in REF_SYSTEMS])
            result["speed"] = sp
            print(f"\n## Reference speed: microseconds per 10 ms frame ({TAIL_MS} ms tail where the algorithm allows; "
                  f"median (min) of {a.speed_passes} passes over {a.speed_seconds:g} s; load average {os.getloadavg()[0]:.1f})\n")
            print("| system | 8 kHz | 16 kHz | 48 kHz |")
            print("|---|---|---|---|")
            for s in REF_SYSTEMS:
                cells = []
                for rate in (8000, 16000, 48000):
                    r = next((x for x in sp if x["algo"] == s and x["rate"] == rate), None)
                    cells.append(f"{r['us_per_frame_median']:.1f} ({r['us_per_frame_min']:.1f})"
                                 if r and r["us_per_frame_median"] is not None else "n/a")
                print(f"| {s} | " + " | ".join(cells) + " |")
        if a.json:
            a.json.write_text(json.dumps(result, indent=1) + "\n")
    finally:
        if a.out_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    if a.check and ("voxline" not in systems or failures):
        if "voxline" not in systems:
            print("--check: voxline was not evaluated", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        sys.exit(f"error: {e}")
