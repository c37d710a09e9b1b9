#!/usr/bin/env python3
"""Writes tests/data/otava_golden.json: synthetic series and the change points Apache Otava
finds in them (otava.analysis.compute_change_points at its defaults: window 50, p-value
0.001, magnitude 0), which src/analysis/changepoint.rs's tests compare against.

Run: python3 -m venv /tmp/otava && /tmp/otava/bin/pip install apache-otava==0.8.0 &&
     /tmp/otava/bin/python benches/history/otava_golden.py
"""
import json
import os
import sys

import numpy as np
from otava.analysis import compute_change_points


def series():
    rng = np.random.default_rng(20261202)
    shapes = []
    # Noise only (no change expected).
    for n in (20, 60, 120):
        shapes.append(("noise", rng.normal(1000, 30, n)))
    # One step of 2-30% at various places.
    for n, at, rel in ((40, 20, -0.10), (60, 45, -0.05), (30, 25, 0.20), (80, 10, -0.30),
                       (100, 70, 0.08), (50, 48, -0.20)):
        s = rng.normal(1000, 20, n)
        s[at:] *= 1 + rel
        shapes.append((f"step {rel:+.0%} at {at} of {n}", s))
    # Several steps.
    for means in ((100, 120, 90, 90, 130), (50, 52, 47, 60), (10, 10, 11, 8, 8, 12)):
        s = np.concatenate([rng.normal(m, 2, 25) for m in means])
        shapes.append((f"steps {means}", s))
    # A slow drift and a single outlier.
    s = rng.normal(0, 1, 60) + np.linspace(100, 110, 60)
    shapes.append(("drift 100->110", s))
    s = rng.normal(200, 3, 50)
    s[25] = 260
    shapes.append(("one outlier", s))
    # Latency-like: skewed noise with a step.
    s = rng.lognormal(3, 0.2, 70)
    s[40:] *= 1.25
    shapes.append(("lognormal step +25% at 40", s))
    return shapes


def main():
    out = []
    for name, s in series():
        values = [round(float(x), 6) for x in s]
        try:
            cps, _ = compute_change_points(values, window_len=50, max_pvalue=0.001,
                                           min_magnitude=0.0)
        except ValueError:
            # (Given a numpy array instead of a list, Otava 0.8.0 ignores its windows and
            # raises ValueError; a list works.)
            print(f"{name}: Otava raised ValueError, left out", file=sys.stderr)
            continue
        out.append({"name": name, "series": values, "otava": [int(c.index) for c in cps]})
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "otava_golden.json")
    with open(path, "w") as f:
        json.dump({"otava": "apache-otava 0.8.0", "window": 50, "max_pvalue": 0.001,
                   "min_magnitude": 0.0, "series": out}, f, indent=1)
        f.write("\n")
    for o in out:
        print(f"{o['name']}: {o['otava']}", file=sys.stderr)


main()
