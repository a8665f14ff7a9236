"""A class with variants, graded from one process: `labkit class` with a roster of N students.

    python -m bench.class_grading [--students 30] [--engine docker|podman] [--exercise hostname-ip]

Per engine: `labkit class up` (every student's own variant, renumbered, with its probe
containers), `labkit class check` before anyone solved (every graded check must earn 0), every
student's own solution applied, `labkit class check` again (every student must have full
points) and once more (as `class watch` refreshes), `labkit class down` (nothing may be left).
Each command is one labkit process, timed and measured with wait4 (its own peak RSS and CPU
time), next to the CPU time of the engine's daemons meanwhile. The machine's load average is
recorded next to the figures: this host is shared. Figures are reported, never asserted.
Writes bench/results/class-grading.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.class_on_one_host import ROOT, Finished, leftovers, machine, run_labkit
from toolkit.runtime.select import connect, resolve_engine
from toolkit.stack.variants import student_project

RESULTS = ROOT / "bench" / "results" / "class-grading.json"
SECRET = "a course secret for the class benchmark"
SOLVE_PARALLEL = 6


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    load: tuple[float, float, float]
    cpu_seconds: float = 0.0  # the labkit process's own (user + system)
    engine_cpu_seconds: float = 0.0  # the engine's daemons meanwhile (see engine_cpu)


def engine_cpu(engine: str) -> float:
    """CPU seconds the engine's daemons have used so far: dockerd and containerd, or Podman's
    API service. Less noisy than wall time on a shared host, though it leaves out the per-exec
    helpers (runc, shims, conmon), which are not their children."""
    wanted = ("dockerd", "containerd") if engine == "docker" else ("podman",)
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        if name in wanted:
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


@dataclass
class Result:
    engine: str
    exercise: str
    students: int
    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def step(result: Result, name: str, argv: list[str], env: dict[str, str]) -> Finished:
    engine_before = engine_cpu(result.engine)
    finished = run_labkit(argv, env)
    engine_seconds = engine_cpu(result.engine) - engine_before
    result.steps.append(
        Step(
            name,
            round(finished.seconds, 2),
            round(finished.max_rss_mb, 1),
            finished.exit_code,
            os.getloadavg(),
            round(finished.cpu_seconds, 2),
            round(engine_seconds, 2),
        )
    )
    print(
        f"  {result.engine} {name}: {finished.seconds:.2f}s, {finished.max_rss_mb:.0f} MB, "
        f"CPU {finished.cpu_seconds:.2f}s (engine daemons {engine_seconds:.2f}s)",
        file=sys.stderr,
    )
    return finished


def grades(finished: Finished) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(finished.stdout)))


def grade_problems(rows: list[dict[str, str]], ids: list[str], *, solved: bool) -> list[str]:
    """Every student graded; before: every check 0; after: every check its full points."""
    problems = []
    if [row["id"] for row in rows] != ids:
        problems.append(f"gradebook rows {[row['id'] for row in rows][:5]}... are not the roster's")
    for row in rows:
        columns = [key for key in row if key not in ("id", "name", "email", "status", "total")]
        full = sum(int(key.rsplit("(", 1)[1].rstrip(")")) for key in columns)
        want = full if solved else 0
        if row["status"] != "graded" or int(row["total"]) != want:
            problems.append(f"{row['id']}: {row['status']}, {row['total']} points, expected {want}")
    return problems


def run(engine: str, exercise: str, count: int) -> Result:
    result = Result(engine, exercise, count)
    tag = uuid.uuid4().hex[:4]
    ids = [f"b{tag}{n:02}" for n in range(count)]
    env = {**os.environ, "LABKIT_COURSE": str(ROOT), "LABKIT_COURSE_SECRET": SECRET}
    runtime = connect(resolve_engine(engine))
    with tempfile.TemporaryDirectory() as folder:
        roster = Path(folder) / "class.csv"
        roster.write_text("id,name\n" + "".join(f"{i},Student {i}\n" for i in ids))
        base = ["--roster", str(roster), "-e", engine]
        try:
            up = step(result, "class up", ["class", "up", exercise, *base], env)
            if up.exit_code != 0:
                result.problems.append(f"class up failed: {up.stdout[-400:]}{up.stderr[-400:]}")
                return result
            before = step(result, "class check (unsolved)", ["class", "check", exercise, *base, "--csv"], env)
            result.problems += [f"before: {p}" for p in grade_problems(grades(before), ids, solved=False)]
            with ThreadPoolExecutor(SOLVE_PARALLEL) as pool:
                solves = list(
                    pool.map(lambda s: run_labkit(["solve", exercise, "-s", s, "-e", engine], env), ids)
                )
            result.problems += [
                f"solve {s}: exit {f.exit_code}" for s, f in zip(ids, solves, strict=True) if f.exit_code
            ]
            after = step(result, "class check (solved)", ["class", "check", exercise, *base, "--csv"], env)
            result.problems += [f"after: {p}" for p in grade_problems(grades(after), ids, solved=True)]
            # As `class watch` refreshes.
            again = step(
                result, "class check (solved, again)", ["class", "check", exercise, *base, "--csv"], env
            )
            result.problems += [f"again: {p}" for p in grade_problems(grades(again), ids, solved=True)]
        finally:
            down = step(result, "class down", ["class", "down", exercise, *base], env)
            if down.exit_code != 0:
                result.problems.append(f"class down failed: {down.stdout[-400:]}")
            left = leftovers(runtime, [student_project(exercise, s) for s in ids])
            result.problems += [f"left behind: {item}" for item in left]
            runtime.close()
    return result


def table(results: list[Result]) -> str:
    lines = [
        "| engine | step | wall (s) | CPU, labkit / engine (s) | peak RSS (MB) | load (1, 5, 15 min) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        for s in result.steps:
            load = ", ".join(f"{value:.1f}" for value in s.load)
            lines.append(
                f"| {result.engine} | {s.name} ({result.students}) | {s.seconds} | "
                f"{s.cpu_seconds} / {s.engine_cpu_seconds} | {s.peak_rss_mb} | {load} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--engine", choices=("docker", "podman"), action="append", help="default: both")
    parser.add_argument("--exercise", default="hostname-ip")
    parser.add_argument("--output", type=Path, default=RESULTS)
    options = parser.parse_args(argv)
    results = [
        run(engine, options.exercise, options.students) for engine in options.engine or ("docker", "podman")
    ]
    print(table(results))
    for result in results:
        verdict = (
            "every grade right, nothing left" if not result.problems else f"{len(result.problems)} problems"
        )
        print(f"{result.engine}: {verdict}")
        for problem in result.problems[:20]:
            print(f"  - {problem}")
    document: dict[str, Any] = {"machine": machine(), "runs": [asdict(result) for result in results]}
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if all(not result.problems for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
