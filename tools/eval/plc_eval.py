#!/usr/bin/env python3
"""Objective evaluation of voxline's packet-loss concealment (PLC).

For each speech file, loss condition and seed, this writes a loss mask, runs
`voxline plc --mode M` for every mode (zero, repeat, appendix-i, voxline, and voxline with
`--lookahead`) and scores the
concealed output against the clean input with PESQ (ITU-T P.862: narrowband at 8 kHz,
wideband at 16 kHz) and STOI. It prints one Markdown table per band and metric, and a verdict:
does voxline beat G.711 Appendix I by at least 0.15 PESQ on the mean, without being worse on
any single condition?

Deterministic: the masks come from fixed seeds. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import random
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

REPO = Path(__file__).resolve().parents[2]
MODES = ["zero", "repeat", "appendix-i", "voxline", "voxline+next"]
# "voxline+next" is the voxline mode with `--lookahead`: each gap of up to 60 ms is concealed
# knowing the received audio after it, as a jitter buffer that already holds the next packet
# can. The target is judged on plain "voxline" (no lookahead); the other is reported beside it.
MODE_ARGS = {"voxline+next": ["--mode", "voxline", "--lookahead"]}
PACKET_MS = 20
# The target voxline must reach against Appendix I (mean PESQ difference, per band).
TARGET_GAIN = 0.15

# Six talkers of the conformance set (English US f/m/child, German, Spanish, French), 6 s each.
NB_FILES = [
    "conformance/signals/8k/sp_en_us_f.wav",
    "conformance/signals/8k/sp_en_us_m.wav",
    "conformance/signals/8k/sp_en_us_child.wav",
    "conformance/signals/8k/sp_de_m.wav",
    "conformance/signals/8k/sp_es_m.wav",
    "conformance/signals/8k/sp_fr_f.wav",
]
# Real recordings at 16 kHz; p317_166 is 48 kHz and resampled with `voxline resample`.
WB_FILES = [
    "speech/jfk_inaugural.wav",
    "speech/2412-153948-0001.wav",
    "speech/p317_166.wav",
]


@dataclass(frozen=True)
class Condition:
    """A loss condition: `kind` is "random" (exactly round(rate * packets) lost packets,
    placed uniformly) or "gilbert" (2-state Gilbert-Elliott chain)."""

    name: str
    label: str
    kind: str
    rate: float
    mean_burst: float = 1.0


CONDITIONS = [
    Condition("rand03", "random 3 %", "random", 0.03),
    Condition("rand10", "random 10 %", "random", 0.10),
    Condition("rand20", "random 20 %", "random", 0.20),
    Condition("ge10_b3", "Gilbert-Elliott 10 %, bursts of 3", "gilbert", 0.10, 3.0),
]


def random_mask(rng: random.Random, packets: int, rate: float) -> list[int]:
    """Exactly round(rate * packets) distinct lost packets, uniformly placed."""
    return sorted(rng.sample(range(packets), round(rate * packets)))


def gilbert_mask(rng: random.Random, packets: int, rate: float, mean_burst: float) -> list[int]:
    """Two-state Gilbert-Elliott chain: every packet is lost in the bad state and none in the
    good state. Leaving bad has probability r = 1/mean_burst, so bursts last mean_burst packets
    on average; entering it has p = r * rate / (1 - rate), so the stationary loss rate is
    `rate`. The first state is drawn from the stationary distribution."""
    r = 1.0 / mean_burst
    p = r * rate / (1.0 - rate)
    bad = rng.random() < rate
    lost = []
    for k in range(packets):
        if bad:
            lost.append(k)
        bad = (rng.random() >= r) if bad else (rng.random() < p)
    return lost


def make_mask(cond: Condition, packets: int, seed: int, file: str, index: int) -> list[int]:
    # Seeding with a string is deterministic across runs and platforms (SHA-512 of the text).
    rng = random.Random(f"plc-eval:{seed}:{file}:{cond.name}:{index}")
    if cond.kind == "random":
        return random_mask(rng, packets, cond.rate)
    return gilbert_mask(rng, packets, cond.rate, cond.mean_burst)


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    """A 16-bit mono WAV as (rate, float64 samples in int16 units)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SystemExit(f"plc_eval: {path}: expected 16-bit mono PCM")
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return rate, data.astype(np.float64)


def run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


@dataclass
class Job:
    voxline: str
    band: str  # "NB" or "WB"
    name: str  # talker name (file stem)
    path: str  # clean input WAV
    seed: int
    index: int  # seed index for this file
    work: str  # directory for masks and outputs


def evaluate(job: Job) -> list[dict]:
    """Every condition and mode for one file and seed index: a list of score rows."""
    rate, clean = read_wav(Path(job.path))
    packets = -(-len(clean) // (rate * PACKET_MS // 1000))
    work = Path(job.work)
    rows = []
    for cond in CONDITIONS:
        lost = make_mask(cond, packets, job.seed, job.name, job.index)
        stem = f"{job.name}__{cond.name}__s{job.index}"
        mask = work / f"{stem}.json"
        mask.write_text(json.dumps({"frame_ms": PACKET_MS, "lost_frames": lost}))
        for mode in MODES:
            out = work / f"{stem}__{mode}.wav"
            run([job.voxline, "plc", "--loss", str(mask), "--frame-ms", str(PACKET_MS),
                 *MODE_ARGS.get(mode, ["--mode", mode]), job.path, str(out)])
            out_rate, deg = read_wav(out)
            if out_rate != rate or len(deg) != len(clean):
                raise RuntimeError(f"{out}: {out_rate} Hz, {len(deg)} samples; expected "
                                   f"{rate} Hz, {len(clean)} samples")
            rows.append({
                "band": job.band,
                "file": job.name,
                "condition": cond.name,
                "seed": job.index,
                "mode": mode,
                "packets": packets,
                "lost": len(lost),
                "pesq": float(pesq(rate, clean, deg, "nb" if rate == 8000 else "wb")),
                "stoi": float(stoi(clean, deg, rate, extended=False)),
            })
    return rows


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def table(rows: list[dict], band: str, metric: str) -> tuple[str, dict[str, float]]:
    """A Markdown table (conditions x modes, plus a mean row) and, per condition and 'mean',
    voxline minus appendix-i."""
    band_rows = [r for r in rows if r["band"] == band]
    files = sorted({r["file"] for r in band_rows})
    seeds = sorted({r["seed"] for r in band_rows})
    head = ["condition", "loss", *MODES, "voxline − appendix-i", "voxline+next − appendix-i"]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    diffs: dict[str, float] = {}
    per_mode_means: dict[str, list[float]] = {m: [] for m in MODES}
    losses = []
    for cond in CONDITIONS:
        rs = [r for r in band_rows if r["condition"] == cond.name]
        if not rs:
            continue
        by_mode = {m: mean([r[metric] for r in rs if r["mode"] == m]) for m in MODES}
        for m in MODES:
            per_mode_means[m].append(by_mode[m])
        first = [r for r in rs if r["mode"] == MODES[0]]
        lost = sum(r["lost"] for r in first)
        total = sum(r["packets"] for r in first)
        losses.append(100.0 * lost / total)
        diffs[cond.name] = by_mode["voxline"] - by_mode["appendix-i"]
        diffs["next:" + cond.name] = by_mode["voxline+next"] - by_mode["appendix-i"]
        lines.append("| " + " | ".join(
            [cond.label, f"{100.0 * lost / total:.1f} % ({lost})"]
            + [f"{by_mode[m]:.3f}" for m in MODES]
            + [f"{diffs[cond.name]:+.3f}", f"{diffs['next:' + cond.name]:+.3f}"]) + " |")
    overall = {m: mean(v) for m, v in per_mode_means.items()}
    diffs["mean"] = overall["voxline"] - overall["appendix-i"]
    diffs["next:mean"] = overall["voxline+next"] - overall["appendix-i"]
    lines.append("| " + " | ".join(
        ["**mean**", f"{mean(losses):.1f} %"]
        + [f"**{overall[m]:.3f}**" for m in MODES]
        + [f"**{diffs['mean']:+.3f}**", f"**{diffs['next:mean']:+.3f}**"]) + " |")
    caption = (f"{metric.upper()}, {band} ({'8' if band == 'NB' else '16'} kHz): "
               f"{len(files)} files x {len(seeds)} seeds per condition, {PACKET_MS} ms packets")
    return caption + "\n\n" + "\n".join(lines), diffs


def prepare_inputs(voxline: str, work: Path) -> list[tuple[str, str, str]]:
    """(band, name, path) for every input file; resamples 48 kHz ones to 16 kHz."""
    testdata = REPO / "testdata"
    inputs = []
    for rel in NB_FILES:
        inputs.append(("NB", Path(rel).stem, str(testdata / rel)))
    for rel in WB_FILES:
        path = testdata / rel
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
        if rate != 16000:
            out = work / f"{path.stem}_16k.wav"
            run([voxline, "resample", "--rate", "16000", str(path), str(out)])
            path = out
        inputs.append(("WB", Path(rel).stem, str(path)))
    return inputs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voxline", default=str(REPO / "target/release/voxline"),
                    help="voxline binary (default: target/release/voxline of this repository)")
    ap.add_argument("--out-dir", help="keep masks and concealed WAVs here (default: a temporary "
                    "directory, deleted at the end)")
    ap.add_argument("--seed", type=int, default=1, help="base seed of the loss masks (default 1)")
    ap.add_argument("--seeds", type=int, default=3,
                    help="loss masks per file and condition (default 3)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="worker processes (default 2)")
    ap.add_argument("--json", help="also write every score row to this JSON file")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when voxline misses the target in either band")
    args = ap.parse_args()

    voxline = str(Path(args.voxline).resolve())
    if not os.access(voxline, os.X_OK):
        print(f"plc_eval: no voxline binary at {voxline}; build it with "
              "`cargo build --release -p voxline` or pass --voxline", file=sys.stderr)
        return 2
    start = time.monotonic()
    tmp = None
    if args.out_dir:
        work = Path(args.out_dir)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="plc-eval-")
        work = Path(tmp)
    try:
        inputs = prepare_inputs(voxline, work)
        jobs = [Job(voxline, band, name, path, args.seed, k, str(work))
                for band, name, path in inputs for k in range(args.seeds)]
        rows: list[dict] = []
        with cf.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for result in pool.map(evaluate, jobs):
                rows.extend(result)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")

    print(f"# voxline PLC evaluation ({PACKET_MS} ms packets, seed {args.seed}, "
          f"{args.seeds} masks per file and condition)\n")
    verdicts = []
    for band in ["NB", "WB"]:
        text, diffs = table(rows, band, "pesq")
        print(text + "\n")
        stoi_text, _ = table(rows, band, "stoi")
        print(stoi_text + "\n")
        worse = [c for c, d in diffs.items() if c != "mean" and not c.startswith("next:") and d < 0]
        ok = diffs["mean"] >= TARGET_GAIN and not worse
        verdicts.append(ok)
        print(f"**{band} verdict: {'PASS' if ok else 'FAIL'}**: voxline − appendix-i = "
              f"{diffs['mean']:+.3f} PESQ on the mean (target >= +{TARGET_GAIN:.2f}: "
              f"{'met' if diffs['mean'] >= TARGET_GAIN else 'not met'}); worse on "
              + (", ".join(worse) if worse else "no condition") + f". With the next packet "
              f"known (voxline+next): {diffs['next:mean']:+.3f}.\n")
    overall = all(verdicts)
    print(f"Result: voxline beats appendix-i by >= {TARGET_GAIN:.2f} PESQ on the mean and is "
          f"never worse on a single condition: NB {'yes' if verdicts[0] else 'no'}, "
          f"WB {'yes' if verdicts[1] else 'no'} "
          f"({'target met' if overall else 'target NOT met'}; "
          f"{time.monotonic() - start:.0f} s).")
    return 1 if args.check and not overall else 0


if __name__ == "__main__":
    sys.exit(main())
