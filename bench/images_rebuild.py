"""Rebuilding the whole course with nothing changed: labkit next to a plain cached engine build.

    python -m bench.images_rebuild [--rounds N] [--engine docker|podman] [--base ALIAS]

For each engine: make sure the base (bootstrapped if missing) and the course images exist,
render every course Containerfile into a build folder, warm the engine's cache with one plain
build of each, then time N rounds of
  - plain:       `docker build` / `podman build` of every rendered Containerfile, in order,
                 with a warm cache (every step a cache hit), as a course's own script would do;
  - labkit cli:  `labkit images build --all --quiet` (a new process each round);
  - labkit api:  `build_images(...)` in this process, as the stack orchestrator calls it.
labkit skips each image whose content hash matches its tag, without calling the builder.
Reports medians and the ratios labkit/plain (goal: at most 0.1). Prints a table and writes
bench/results/images_rebuild.json. The plain builds' tags (labkit-bench/...) are removed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.images import bootstrap_image, build_images, image_tag, load_catalog
from toolkit.images.families import get_base
from toolkit.images.rendering import render_containerfile
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import EngineChoice, available_engines, connect

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "images_rebuild.json"
GOAL = 0.1
BENCH_NAMESPACE = "labkit-bench"


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def engine_env(choice: EngineChoice) -> dict[str, str]:
    env = dict(os.environ)
    if choice.name == "docker":
        # labkit's Docker adapter uses the classic builder: the plain build shares its cache.
        env.update(DOCKER_BUILDKIT="0", DOCKER_HOST=choice.base_url)
    return env


def plain_build_argv(engine: str, tag: str, folder: Path) -> list[str]:
    argv = [engine, "build", "-q", "-t", tag, "-f", str(folder / "Containerfile")]
    if engine == "podman":
        argv += ["--format", "docker", "--layers"]
    return [*argv, str(folder)]


def prepare(runtime: Runtime, base_alias: str, workdir: Path) -> list[tuple[str, Path]]:
    """Base and course images present; every rendered Containerfile in its own build folder."""
    base = get_base(base_alias)
    if not runtime.image_exists(base.ref):
        bootstrap_image(runtime, base_alias)
    report = build_images(runtime, None, base_alias)
    if not report.ok:
        raise SystemExit(f"the course does not build on {runtime.name}: {report.failed}")
    catalog = load_catalog()
    folders = []
    for name in catalog.build_order():
        image = catalog.get(name)
        folder = workdir / name
        shutil.copytree(image.folder, folder)
        (folder / image.containerfile.name).unlink()
        (folder / "Containerfile").write_text(render_containerfile(image, base))
        folders.append((name, folder))
    return folders


def bench_engine(choice: EngineChoice, base_alias: str, rounds: int) -> dict[str, Any]:
    runtime = connect(choice)
    base = get_base(base_alias)
    env = engine_env(choice)
    labkit_cli = [sys.executable, "-c", "from toolkit.cli.app import main; main()"]
    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as tmp:
        folders = prepare(runtime, base_alias, Path(tmp))
        bench_tags = [image_tag(name, base, BENCH_NAMESPACE) for name, _ in folders]

        def plain() -> None:
            for (_, folder), tag in zip(folders, bench_tags, strict=True):
                subprocess.run(
                    plain_build_argv(choice.name, tag, folder),
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )

        def cli() -> None:
            subprocess.run(
                [
                    *labkit_cli,
                    "images",
                    "build",
                    "--all",
                    "--quiet",
                    "--engine",
                    choice.name,
                    "--base",
                    base_alias,
                ],
                env={**os.environ, "LABKIT_COURSE": str(ROOT)},
                check=True,
            )

        def api() -> None:
            report = build_images(runtime, None, base_alias)
            assert all(b.label == "skipped: up to date" for b in report.builds), report

        try:
            plain()  # warm-up: every step of every image is a cache hit from here on
            times: dict[str, list[float]] = {"plain": [], "labkit cli": [], "labkit api": []}
            for _ in range(rounds):
                times["plain"].append(timed(plain))
                times["labkit cli"].append(timed(cli))
                times["labkit api"].append(timed(api))
        finally:
            for tag in bench_tags:
                subprocess.run(
                    [choice.name, "rmi", tag],
                    env=env,
                    check=False,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            runtime.close()
    medians = {what: round(statistics.median(values), 3) for what, values in times.items()}
    return {
        "engine": choice.name,
        "images": [name for name, _ in folders],
        "rounds": rounds,
        "median_seconds": medians,
        "all_seconds": {what: [round(v, 3) for v in values] for what, values in times.items()},
        "ratio_cli_to_plain": round(medians["labkit cli"] / medians["plain"], 3),
        "ratio_api_to_plain": round(medians["labkit api"] / medians["plain"], 3),
        "goal": GOAL,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", choices=("docker", "podman"), action="append")
    parser.add_argument("--base", default="debian:bookworm")
    args = parser.parse_args(argv)
    choices = [c for c in available_engines() if not args.engine or c.name in args.engine]
    if not choices:
        raise SystemExit("no engine answers: run scripts/provision-engines")
    results = [bench_engine(choice, args.base, args.rounds) for choice in choices]
    print(f"course rebuild with nothing changed, {args.base}, medians of {args.rounds} rounds (s)")
    print(
        f"{'engine':<8} {'plain':>8} {'labkit cli':>11} {'labkit api':>11} {'cli/plain':>10} "
        f"{'api/plain':>10}  goal <= {GOAL}"
    )
    for result in results:
        m = result["median_seconds"]
        print(
            f"{result['engine']:<8} {m['plain']:>8.3f} {m['labkit cli']:>11.3f} "
            f"{m['labkit api']:>11.3f} {result['ratio_cli_to_plain']:>10.3f} "
            f"{result['ratio_api_to_plain']:>10.3f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "images_rebuild",
                "host": platform.node(),
                "python": platform.python_version(),
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
