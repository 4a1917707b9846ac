#!/usr/bin/env python3
"""Writes the room impulse response bundled for `voxline demo` and the pipeline tests:
testdata/demo/room_ir_16k.wav (32-bit float, 16 kHz, mono).

A shoebox office (5.0 x 4.0 x 2.8 m, RT60 0.35 s) by the image method (pyroomacoustics, through
tools/eval/aec_signals.py's `rir_for`), loudspeaker 0.45 m from the microphone on a desk,
truncated to 300 ms with a 20 ms fade-out and scaled so its largest tap is 0.5 (a loud
loudspeaker close to the microphone: echo about as loud as the near talker). Deterministic:
rerunning it rewrites the same file with the same pinned packages.

    python3 tools/eval/demo_room.py [OUT.wav]
"""
import sys
from pathlib import Path

import numpy as np
from scipy.io import wavfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aec_signals import rir_for  # noqa: E402

RATE = 16000


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "testdata/demo/room_ir_16k.wav"
    dim = [5.0, 4.0, 2.8]
    mic = [2.2, 1.6, 0.9]
    speaker = [2.6, 1.8, 0.95]
    h, design, measured = rir_for(RATE, dim, speaker, mic, 0.35)
    n = int(0.3 * RATE)
    h = h[:n].copy()
    fade = int(0.02 * RATE)
    h[-fade:] *= np.linspace(1.0, 0.0, fade)
    h *= 0.5 / np.max(np.abs(h))
    out.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(out, RATE, h.astype(np.float32))
    print(f"wrote {out}: {n} taps, RT60 design {design:.3f} s, measured {measured:.3f} s, "
          f"peak at {int(np.argmax(np.abs(h)))} samples, energy {10*np.log10(np.sum(h*h)):.1f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
