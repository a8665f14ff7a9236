"""The offline course bundle: pack, unpack and the first `up` from it, on each engine.

    python -m bench.bundle [--engine docker|podman]

For each engine: `labkit course pack` of the whole course (its images already built), then
`labkit course unpack` of that bundle into an empty folder on the same engine, then, from that
folder, `labkit up routing -p bench-bundle-<engine> --renumber`, `labkit check` and `labkit down`.
Each step is a new labkit process, timed from outside. Unpacking on the engine that packed it
replaces its images with themselves: a bundle from the other engine would move the shared
course tags under whoever else uses this machine (tests/engine/test_bundle.py proves that
direction with a course of its own). Writes bench/results/bundle.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bundle.json"
LABKIT = [sys.executable, "-c", "from toolkit.cli.app import main; main()"]


def run(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([*LABKIT, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):  # check exits 1 on an unsolved exercise: expected
        raise SystemExit(f"labkit {' '.join(args)} failed: {result.stderr.strip()}")
    return time.perf_counter() - started


def measure(engine: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="labkit-bench-bundle-") as scratch:
        folder = Path(scratch)
        bundle = folder / "course.tar"
        room = folder / "room"
        project = f"bench-bundle-{engine}"
        figures: dict[str, Any] = {"engine": engine}
        figures["pack_s"] = run(["course", "pack", "-o", str(bundle), "-e", engine], ROOT)
        figures["size_mb"] = bundle.stat().st_size / 1e6
        figures["unpack_s"] = run(
            ["course", "unpack", str(bundle), "--into", str(room), "-e", engine], folder
        )
        try:
            figures["first_up_s"] = run(["up", "routing", "-p", project, "--renumber", "-e", engine], room)
            figures["check_s"] = run(["check", "routing", "-p", project, "-e", engine], room)
        finally:
            figures["down_s"] = run(["down", "-p", project, "-e", engine], room)
        figures["unpack_and_up_s"] = figures["unpack_s"] + figures["first_up_s"]
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["docker", "podman"], action="append")
    engines = parser.parse_args().engine or ["docker", "podman"]
    rows = [measure(engine) for engine in engines]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print("| engine | pack s | size MB | unpack s | first up s | unpack + up s | check s | down s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        seconds = ("unpack_s", "first_up_s", "unpack_and_up_s", "check_s", "down_s")
        cells = [row["engine"], f"{row['pack_s']:.1f}", f"{row['size_mb']:.0f}"]
        cells += [f"{row[key]:.1f}" for key in seconds]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
