#!/usr/bin/env python3
"""Writes the noise-suppressor test fixtures of this folder (see README.md).

Run from the repository root: python3 testdata/ns/make_fixtures.py
Uses the speech of testdata/speech and the noise generators of tools/eval/ns_eval.py
(deterministic seeds), so the output is the same on every run.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tools" / "eval"))
import ns_eval as E  # noqa: E402

SECONDS = 3.5
# (rate, speech file, start second) -> clean speech at -26 dBFS active level.
SPEECH = {16000: ("2412-153948-0001.wav", 0.0), 8000: ("fsdd_theo_digits.wav", 0.0)}
NOISES = ["babble", "car"]

for rate, (name, start) in SPEECH.items():
    src, x = E.read_wav(E.REPO / "testdata" / "speech" / name)
    x = E.resample(x, src, rate)
    x = x[int(start * rate) : int((start + SECONDS) * rate)]
    x = x * 10 ** ((E.SPEECH_LEVEL_DB - E.active_level_db(x, rate)) / 20)
    E.write_wav(HERE / f"speech_{rate // 1000}k.wav", rate, x)
    for kind in NOISES:
        n = E.make_noise(kind, len(x), rate, name)
        # Unit RMS would clip rarely; store at -20 dBFS RMS (tests rescale it).
        E.write_wav(HERE / f"{kind}_{rate // 1000}k.wav", rate, 0.1 * n)
    print(f"{rate} Hz: speech_{rate // 1000}k.wav and {', '.join(NOISES)}")
