"""The bad-input corpus: one folder per case under cases/, each refused with one exact line.

A case folder holds `compose.yaml` (and any file it refers to) and `expected.txt`, the error
line `load_stack` must raise, where `{file}` stands for the Compose file's path, `{dir}` for the
case folder and `{outside}` for a folder outside it. Two optional files describe what cannot
be committed as is:

- `symlinks.txt`: lines "NAME -> TARGET" (TARGET may be `{outside}`), made in the copy;
- `GENERATE`: "huge" makes a Compose file of more than the 1 MiB limit.

Each case is copied to a temporary folder first, so nothing is made inside the repository.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

CASES = Path(__file__).parent / "cases"
HUGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path  # the copy to load
    outside: Path  # a folder next to it, outside the exercise folder

    @property
    def compose_file(self) -> Path:
        return self.folder / "compose.yaml"

    def expected(self) -> str:
        text = (CASES / self.name / "expected.txt").read_text(encoding="utf-8").strip()
        return (
            text.replace("{file}", str(self.compose_file))
            .replace("{dir}", str(self.folder))
            .replace("{outside}", str(self.outside))
        )


def case_names() -> list[str]:
    return sorted(entry.name for entry in CASES.iterdir() if entry.is_dir())


def materialise(name: str, workspace: Path) -> Case:
    """Copy case `name` into `workspace` and make its symlinks and generated files."""
    outside = workspace / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text("not for exercises\n")
    folder = workspace / name
    shutil.copytree(
        CASES / name,
        folder,
        ignore=shutil.ignore_patterns("expected.txt", "symlinks.txt", "GENERATE"),
    )
    links = CASES / name / "symlinks.txt"
    if links.is_file():
        for line in links.read_text().splitlines():
            link, _, target = (part.strip() for part in line.partition("->"))
            (folder / link).symlink_to(target.replace("{outside}", str(outside)))
    generate = CASES / name / "GENERATE"
    if generate.is_file() and generate.read_text().strip() == "huge":
        _huge_compose_file(folder / "compose.yaml")
    return Case(name, folder, outside)


def _huge_compose_file(path: Path) -> None:
    """A well-formed Compose file, only too big: many labels on one service."""
    with path.open("w", encoding="utf-8") as stream:
        stream.write("services:\n  a:\n    image: alpine\n    labels:\n")
        written = 0
        index = 0
        while written < HUGE_BYTES:
            line = f"      label{index}: {'x' * 60}\n"
            stream.write(line)
            written += len(line)
            index += 1
