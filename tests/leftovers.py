"""What the suite's leftover check reads: labkit resources and test images on both engines.

It asks the engines' own command-line clients, not labkit: the check must not share a bug with
what it checks. Listings run side by side (a loaded Podman takes a second or more each).
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

LABEL_PREFIX = "io.labkit."
ENGINES = ("docker", "podman")
LISTINGS = {
    "container": ["ps", "-a", "--format", "{{.Names}} {{.Labels}}"],
    "network": ["network", "ls", "--format", "{{.Name}} {{.Labels}}"],
    "volume": ["volume", "ls", "--format", "{{.Name}} {{.Labels}}"],
    "image": ["images", "--format", "{{.Repository}}:{{.Tag}}"],
}
TIMEOUT = 60.0


@dataclass
class Survey:
    """Each listed resource as `<engine> <kind>: <name>` with the line it came from, and the
    listings that failed."""

    lines: dict[str, str] = field(default_factory=dict)  # "docker container: x" -> raw line
    errors: list[str] = field(default_factory=list)


def _list(engine: str, kind: str) -> tuple[str, str, list[str] | str]:
    if shutil.which(engine) is None:
        return engine, kind, f"{engine} is not installed"
    try:
        result = subprocess.run(
            [engine, *LISTINGS[kind]], capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return engine, kind, f"`{engine} {' '.join(LISTINGS[kind][:2])}` did not answer within {TIMEOUT:g} s"
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return engine, kind, f"`{engine} {' '.join(LISTINGS[kind][:2])}` failed: {said}"
    return engine, kind, result.stdout.splitlines()


def survey() -> Survey:
    """Every container, network and volume labelled io.labkit.*, and every image, on both engines."""
    found = Survey()
    jobs = [(engine, kind) for engine in ENGINES for kind in LISTINGS]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for engine, kind, listed in pool.map(lambda job: _list(*job), jobs):
            if isinstance(listed, str):
                found.errors.append(listed)
                continue
            for line in listed:
                if not line.strip() or (kind != "image" and LABEL_PREFIX not in line):
                    continue
                found.lines[f"{engine} {kind}: {line.split()[0]}"] = line
    return found
