"""A class on one host: N students' copies of one exercise, renumbered, on one engine at once.

    python -m bench.class_on_one_host [--counts 5,10,20,30] [--engine docker|podman]
                                      [--exercise routing]

For each engine and each N: N `labkit up EXERCISE -p classN-i --renumber` processes at once;
then, N at a time again, `labkit check` (graded checks must fail, ungraded ones pass), `labkit
solve`, `labkit check` (every check must pass); then N `labkit down` at once. Reported per
phase: wall time, wall time per project, labkit's CPU time and the peak memory (max RSS) of the
labkit processes, each read from its own rusage (`os.wait4`); and whether every project came up
with every service running, every check was right, and nothing was left on the engine. Prints a
table and writes bench/results/class.json. Figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import EngineUnavailable, ImageNotFound
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import connect, resolve_engine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "class.json"
LABKIT = str(Path(sys.executable).parent / "labkit")
DEFAULT_COUNTS = (5, 10, 20, 30)
BASE = "debian:bookworm"
PHASE_TIMEOUT = 1200.0  # one labkit process; far beyond anything seen, so a hang ends the run


# ---------------------------------------------------------------- labkit processes


@dataclass(frozen=True)
class Finished:
    """One labkit process: its exit code, output, and what the kernel counted for it."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float  # ru_maxrss of this process alone
    cpu_seconds: float  # user + system


def run_labkit(argv: list[str], env: dict[str, str]) -> Finished:
    """Run one labkit command and wait for it with wait4, which reports its own peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([LABKIT, *argv], stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        timer = threading.Timer(PHASE_TIMEOUT, process.kill)
        timer.start()
        try:
            # wait4 instead of Popen.wait: the rusage it returns is this child's alone, where
            # getrusage(RUSAGE_CHILDREN) would give the largest of all children so far.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits again
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Finished(
            tuple(argv),
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            seconds,
            usage.ru_maxrss / 1024,  # KiB on Linux
            usage.ru_utime + usage.ru_stime,
        )


@dataclass
class Phase:
    """N processes of one command started at once."""

    name: str
    wall: float = 0.0
    per_project: float = 0.0
    slowest: float = 0.0  # the longest single process
    cpu: float = 0.0  # labkit's own CPU seconds, all processes
    peak_rss_mb: float = 0.0
    mean_rss_mb: float = 0.0
    failed: list[str] = field(default_factory=list)


def run_phase(name: str, argvs: list[list[str]], env: dict[str, str]) -> tuple[Phase, list[Finished]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(len(argvs)) as pool:
        finished = list(pool.map(lambda argv: run_labkit(argv, env), argvs))
    wall = time.perf_counter() - started
    phase = Phase(
        name,
        wall=round(wall, 2),
        per_project=round(wall / len(argvs), 3),
        slowest=round(max(f.seconds for f in finished), 2),
        cpu=round(sum(f.cpu_seconds for f in finished), 2),
        peak_rss_mb=round(max(f.max_rss_mb for f in finished), 1),
        mean_rss_mb=round(sum(f.max_rss_mb for f in finished) / len(finished), 1),
    )
    return phase, finished


# ---------------------------------------------------------------- verdicts


def check_problems(project: str, finished: Finished, *, solved: bool) -> list[str]:
    """What is wrong with one `labkit check --json`: before the solution graded checks must
    fail and ungraded ones pass; after it, every check must pass."""
    try:
        run = json.loads(finished.stdout)
    except json.JSONDecodeError:
        return [f"{project}: check printed no JSON (exit {finished.exit_code}): {finished.stderr[-300:]}"]
    problems = []
    for check in run.get("checks", []):
        expected = True if solved or not check["graded"] else False
        if check["passed"] is not expected:
            state = "passes" if check["passed"] else "fails"
            when = "after" if solved else "before"
            out, err = check["stdout"][-120:], check["stderr"][-120:]
            got = f"exit {check['exit_code']}, stdout {out!r}, stderr {err!r}"
            problems.append(
                f"{project}: {check['name']!r} {state} {when} the solution: {check['reason']} ({got})"
            )
    if not run.get("checks"):
        problems.append(f"{project}: no checks ran")
    return problems


def leftovers(runtime: Runtime, projects: list[str]) -> list[str]:
    found = []
    for project in projects:
        selector = {"io.labkit.project": project}
        found += [f"container {c.name}" for c in runtime.list_containers(selector)]
        found += [f"network {n.name}" for n in runtime.list_networks(selector)]
        found += [f"volume {v.name}" for v in runtime.list_volumes(selector)]
    return found


def not_running(runtime: Runtime, projects: list[str], services: int) -> list[str]:
    """Projects that do not have every service's container running."""
    problems = []
    for project in projects:
        containers = runtime.list_containers({"io.labkit.project": project})
        running = sum(1 for c in containers if c.running)
        if running != services:
            problems.append(f"{project}: {running} of {services} services running")
    return problems


def distinct_subnets(runtime: Runtime, projects: list[str]) -> list[str]:
    """Every project's networks must have subnets no other network on the engine overlaps."""
    import ipaddress

    wanted = set(projects)
    networks = [n for n in runtime.list_networks({}) if n.subnet]
    problems = []
    for index, network in enumerate(networks):
        if network.labels.get("io.labkit.project") not in wanted:
            continue
        subnet = ipaddress.ip_network(network.subnet or "", strict=False)
        for other in networks[index + 1 :]:
            if subnet.overlaps(ipaddress.ip_network(other.subnet or "", strict=False)):
                problems.append(f"{network.name} ({subnet}) overlaps {other.name} ({other.subnet})")
    return problems


def isolation_jump_present() -> bool:
    """Whether the host's FORWARD chain still jumps to netavark's isolation rules."""
    probe = subprocess.run(
        ["iptables", "-w", "5", "-C", "FORWARD", "-j", "NETAVARK_ISOLATION_1"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


# ---------------------------------------------------------------- one class


@dataclass
class ClassRun:
    engine: str
    projects: int
    phases: dict[str, Phase] = field(default_factory=dict)
    all_up: bool = False
    all_checks_correct: bool = False
    leftovers: int = 0
    subnet_retries: int = 0  # times an up picked other subnets after the engine refused its pick
    problems: list[str] = field(default_factory=list)
    peak_rss_mb: float = 0.0


def run_class(runtime: Runtime, engine: str, count: int, exercise: str, services: int) -> ClassRun:
    env = {**os.environ, "LABKIT_ENGINE": engine}
    projects = [f"class{count}-{index}" for index in range(1, count + 1)]
    result = ClassRun(engine, count)
    # Whatever happens, every project is taken down; `down` is what the run measures last.
    try:
        phase, finished = run_phase(
            "up",
            [["up", exercise, "-p", p, "--renumber", "--engine", engine] for p in projects],
            env,
        )
        result.phases["up"] = phase
        result.subnet_retries = sum(f.stderr.count("trying other subnets") for f in finished)
        for project, done in zip(projects, finished, strict=True):
            if done.exit_code:
                phase.failed.append(project)
                result.problems.append(f"{project}: up exited {done.exit_code}: {done.stderr.strip()[-400:]}")
        result.problems += not_running(runtime, projects, services)
        result.problems += distinct_subnets(runtime, projects)
        result.all_up = not result.problems

        checks_right = True
        for name, verb, solved in (
            ("check-before", "check", False),
            ("solve", "solve", True),
            ("check", "check", True),
        ):
            extra = ["--json"]
            phase, finished = run_phase(
                name, [[verb, exercise, "-p", p, *extra, "--engine", engine] for p in projects], env
            )
            result.phases[name] = phase
            for project, done in zip(projects, finished, strict=True):
                if verb == "solve":
                    if done.exit_code:
                        phase.failed.append(project)
                        checks_right = False
                        result.problems.append(f"{project}: solve exited {done.exit_code}")
                    continue
                problems = check_problems(project, done, solved=solved)
                if problems and not solved and engine == "podman" and not isolation_jump_present():
                    problems.append(
                        f"{project}: netavark's FORWARD -j NETAVARK_ISOLATION_1 jump is missing "
                        "(another Podman network was torn down meanwhile): bridges are not isolated"
                    )
                if problems:
                    phase.failed.append(project)
                    checks_right = False
                    result.problems += problems
        result.all_checks_correct = checks_right
    finally:
        phase, finished = run_phase("down", [["down", "-p", p, "--engine", engine] for p in projects], env)
        result.phases["down"] = phase
        for project, done in zip(projects, finished, strict=True):
            if done.exit_code:
                phase.failed.append(project)
                tail = done.stderr.strip()[-300:]
                result.problems.append(f"{project}: down exited {done.exit_code}: {tail}")
        left = leftovers(runtime, projects)
        result.leftovers = len(left)
        result.problems += [f"left behind: {what}" for what in left]
    result.peak_rss_mb = max(p.peak_rss_mb for p in result.phases.values())
    return result


# ---------------------------------------------------------------- set-up and report


def ensure_course_images(runtime: Runtime) -> None:
    """The routing exercise's image, built once before the clock starts (bootstrapping the
    Debian base from the cached rootfs tarball when the engine lacks it)."""
    from toolkit.images import bootstrap_image, ensure_images

    try:
        ensure_images(runtime, ["netlab"], BASE)
    except ImageNotFound:
        bootstrap_image(runtime, BASE)
        ensure_images(runtime, ["netlab"], BASE)


def table(runs: list[ClassRun]) -> str:
    header = (
        f"{'engine':<7} {'N':>3} {'up s':>7} {'check s':>8} {'down s':>7} {'up/proj':>8} "
        f"{'chk/proj':>9} {'dn/proj':>8} {'RSS MB':>7} {'retries':>7} {'all up':>7} {'checks':>7} {'left':>5}"
    )
    lines = [header, "-" * len(header)]
    for run in runs:
        up, check, down = (run.phases.get(n, Phase(n)) for n in ("up", "check", "down"))
        lines.append(
            f"{run.engine:<7} {run.projects:>3} {up.wall:>7.2f} {check.wall:>8.2f} {down.wall:>7.2f} "
            f"{up.per_project:>8.3f} {check.per_project:>9.3f} {down.per_project:>8.3f} "
            f"{run.peak_rss_mb:>7.1f} {run.subnet_retries:>7} {'yes' if run.all_up else 'NO':>7} "
            f"{'yes' if run.all_checks_correct else 'NO':>7} {run.leftovers:>5}"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_before": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default=",".join(map(str, DEFAULT_COUNTS)), help="projects per class run")
    parser.add_argument("--engine", choices=("docker", "podman"), action="append", help="default: both")
    parser.add_argument("--exercise", default="routing")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    counts = [int(text) for text in args.counts.split(",") if text.strip()]
    engines = args.engine or ["docker", "podman"]

    from toolkit.course import load_exercise

    stack = load_exercise(args.exercise, root=ROOT / "compose")
    services = len(stack.services)
    report: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "exercise": args.exercise,
        "services_per_project": services,
        "machine": machine(),
        "runs": [],
        "skipped": [],
    }
    runs: list[ClassRun] = []
    for engine in engines:
        try:
            runtime = connect(resolve_engine(engine, start_podman=lambda: None))
            runtime.info()
        except EngineUnavailable as exc:
            report["skipped"].append({"engine": engine, "reason": str(exc)})
            print(f"{engine}: skipped ({exc})", file=sys.stderr)
            continue
        try:
            ensure_course_images(runtime)
            for count in counts:
                print(f"{engine}: a class of {count} ...", file=sys.stderr, flush=True)
                run = run_class(runtime, engine, count, args.exercise, services)
                runs.append(run)
                for problem in run.problems[:10]:
                    print(f"  {problem}", file=sys.stderr)
                report["runs"].append(asdict(run))
                args.output.parent.mkdir(parents=True, exist_ok=True)
                args.output.write_text(json.dumps(report, indent=2) + "\n")  # partial results survive
        finally:
            runtime.close()
    report["machine"]["load_after"] = list(os.getloadavg())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(runs))
    print(f"written: {args.output}")
    ok = all(r.all_up and r.all_checks_correct and r.leftovers == 0 for r in runs)
    return 0 if ok and runs else 1


if __name__ == "__main__":
    sys.exit(main())
