"""How long everyday labkit commands take as new processes, next to the engine's own tools.

    python -m bench.cli [--rounds N] [--engine docker|podman] [--exercise NAME]

Each command runs as a user runs it: the installed `labkit` console script, a new process,
reaped with os.wait4 so that its CPU time and peak RSS are known as well as its wall time.
labkit and the peer alternate within each round, so both see the same load. Measured:
`labkit --version`; `labkit ps -p P` on the six-service stack of bench/stacks.py, against
`docker compose ps` (Compose v2) on Docker and `podman ps` on Podman; `labkit list`; and,
when the course images are on the engine, `labkit check` of one exercise. With `--before DIR`
the same commands also run from another source tree (a checkout of an earlier commit), in
the same rounds, for before/after figures taken under the same load. Prints a table
with the machine's load average and writes bench/results/cli.json. Goals are reported,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.stacks import ROOT, Peer, engine, ensure_busybox, synthetic_stacks
from toolkit.errors import ToolkitError
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

RESULTS = ROOT / "bench" / "results" / "cli.json"
LABKIT = str(Path(sys.executable).parent / "labkit")
GOALS = {"labkit ps (s)": 0.25, "labkit --version (s)": 0.15, "labkit ps / peer ps": 3.5, "peak RSS (MB)": 50}


@dataclass
class Runs:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of each run of one command."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float | None]:
        def median(values: list[float]) -> float | None:
            return round(statistics.median(values), 3) if values else None

        return {
            "wall": median(self.wall),
            "cpu": median(self.cpu),
            "rss_mb": round(max(self.rss), 1) if self.rss else None,
        }


# Runs the command and reports its own rusage. A child's peak RSS counts the memory of the
# process it was forked from until it calls exec, so the command is started from this small
# interpreter (no site, about 8 MB) rather than from the benchmark (about 45 MB).
_LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
print(os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


def measure(argv: list[str], runs: Runs, env: dict[str, str] | None = None) -> None:
    """Run argv once as a new process; record its wall time, CPU time and peak RSS."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAUNCHER, *argv],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    code, wall, cpu, rss = result.stdout.split()
    if int(code) not in (0, 1):  # `check` exits 1 when a check fails: still measured
        raise RuntimeError(f"{' '.join(argv[:4])} failed ({code}): {result.stderr[-400:]}")
    runs.wall.append(float(wall))
    runs.cpu.append(float(cpu))
    runs.rss.append(int(rss) / 1024)  # kilobytes on Linux


def peer_ps(engine_name: str, socket: str, peer: Peer, stack_file: Path, project: str) -> list[str]:
    if engine_name == "docker":
        return [*peer.argv, "-f", str(stack_file), "-p", project, "ps"]
    return [
        "podman",
        "--url",
        f"unix://{socket}",
        "ps",
        "-a",
        "--filter",
        f"label=io.labkit.project={project}",
    ]


def course_images_present(runtime: Any, exercise: str) -> str | None:
    """Why `check` of the exercise can't be measured on this engine, or None if it can."""
    try:
        stack = load_stack(ROOT / "compose" / exercise / "compose.yaml")
    except ToolkitError as exc:
        return f"{exercise} does not load: {exc}"
    missing = sorted(
        {s.image or "" for s in stack.services.values() if not runtime.image_exists(s.image or "")}
    )
    return f"images not built: {', '.join(missing)}" if missing else None


def contenders(before: Path | None) -> list[tuple[str, list[str], dict[str, str] | None]]:
    """(label prefix, argv prefix, environment) of each labkit to measure."""
    found: list[tuple[str, list[str], dict[str, str] | None]] = [("labkit", [LABKIT], None)]
    if before is not None:
        # The console script's own two lines, importing labkit from the other tree (-P: the
        # working directory, perhaps this tree, does not come first on the path).
        code = "import sys; from toolkit.cli.app import main; sys.exit(main())"
        # Its own course too: today's exercises may use keys the earlier tree does not know.
        env = {**os.environ, "PYTHONPATH": str(before.resolve()), "LABKIT_COURSE": str(before.resolve())}
        found.append(("before", [sys.executable, "-P", "-c", code], env))
    return found


def bench_engine(
    name: str, rounds: int, exercise: str, folder: Path, skipped: list[str], before: Path | None
) -> dict[str, Any]:
    commands: dict[str, Runs] = {}

    def run(label: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        measure(argv, commands.setdefault(label, Runs()), env)

    with engine(name) as (runtime, socket):
        image = ensure_busybox(runtime)
        six = next(s for s in synthetic_stacks(image, folder / name) if s.name == "six")
        peer = Peer(name, socket)
        peer_label = "compose-v2 ps" if name == "docker" else "podman ps"
        project = f"lkbench-cli-{os.getpid()}"
        check_project = f"{project}-{exercise}"
        check_reason = course_images_present(runtime, exercise)
        if check_reason:
            skipped.append(f"check on {name}: {check_reason}")
        try:
            up(runtime, load_stack(six.file), project=project)
            if check_reason is None:
                subprocess.run(
                    [LABKIT, "up", exercise, "-p", check_project, "--renumber", "--engine", name],
                    check=True,
                    capture_output=True,
                )
            for _ in range(rounds):
                for who, labkit, env in contenders(before):
                    run(f"{who} --version", [*labkit, "--version"], env)
                    run(f"{who} ps", [*labkit, "ps", "-p", project, "--engine", name], env)
                    if who == "labkit":
                        run(peer_label, peer_ps(name, socket, peer, six.file, project), peer.env)
                    run(f"{who} list", [*labkit, "list", "--engine", name], env)
                    if check_reason is None:
                        check = ["check", exercise, "-p", check_project, "--engine", name]
                        run(f"{who} check", [*labkit, *check], env)
        finally:
            for leftover in (project, check_project):
                try:
                    down(runtime, leftover, volumes=True)
                except ToolkitError as exc:
                    skipped.append(f"cleaning up {leftover} on {name}: {exc}")
    summary = {label: runs.summary() for label, runs in commands.items()}
    mine, theirs = summary["labkit ps"]["wall"], summary[peer_label]["wall"]
    return {
        "engine": name,
        "median": summary,
        "ps_ratio": round(mine / theirs, 2) if mine and theirs else None,
        "samples": {label: asdict(runs) for label, runs in commands.items()},
    }


def print_table(rows: list[dict[str, Any]], skipped: list[str], rounds: int, load: list[float]) -> None:
    print(
        f"\nnew processes, median of {rounds} rounds; "
        f"load average at start / end: {load[0]:.1f} / {load[1]:.1f}"
    )
    header = f"{'engine':7} {'command':22} {'wall s':>7} {'cpu s':>6} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        for label, values in row["median"].items():
            wall, cpu, rss = values["wall"], values["cpu"], values["rss_mb"]
            print(f"{row['engine']:7} {label:22} {wall:7.3f} {cpu:6.3f} {rss:8.1f}")
        print(f"{row['engine']:7} {'labkit ps / peer ps':22} {row['ps_ratio']:7.2f}")
    print("\ngoals (reported, not asserted): " + "; ".join(f"{k} <= {v}" for k, v in GOALS.items()))
    for note in skipped:
        print(f"skipped {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engine", action="append", choices=["docker", "podman"])
    parser.add_argument("--exercise", default="routing", help="the exercise `check` runs on")
    parser.add_argument("--before", type=Path, help="another source tree to measure alongside")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="labkit-bench-cli-") as folder:
        for name in args.engine or ["docker", "podman"]:
            try:
                rows.append(
                    bench_engine(name, args.rounds, args.exercise, Path(folder), skipped, args.before)
                )
            except (ToolkitError, RuntimeError, subprocess.CalledProcessError) as exc:
                skipped.append(f"{name}: {str(exc)[:300]}")
    load = [load_before, os.getloadavg()[0]]
    print_table(rows, skipped, args.rounds, load)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "rounds": args.rounds,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_1min": load},
        "goals": GOALS,
        "results": rows,
        "skipped": skipped,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
