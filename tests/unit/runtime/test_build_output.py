"""Build output read the same on both engines: the adapters' step headings through BuildLog."""

from __future__ import annotations

import json
import re

import pytest

from toolkit.errors import BuildFailed
from toolkit.runtime.build_output import LOG_TAIL, BuildLog
from toolkit.runtime.docker import build as docker_build
from toolkit.runtime.podman import images as podman_images
from toolkit.runtime.protocol import BuildOutput

DOCKER = ["Step 1/2 : FROM x", " ---> 1234", "Step 2/2 : RUN make", "compiling", "Successfully built 1234"]
PODMAN = ["STEP 1/2: FROM x", "STEP 2/2: RUN make", "compiling", "COMMIT", "a" * 64]


@pytest.mark.parametrize(
    ("heading", "lines"), [(docker_build._HEADING, DOCKER), (podman_images._HEADING, PODMAN)]
)
def test_docker_and_podman_steps_read_the_same(heading: re.Pattern[str], lines: list[str]) -> None:
    events: list[BuildOutput] = []
    log = BuildLog(heading, events.append)
    for line in lines:
        log.line(line)
    assert [e.step for e in events if e.starts_step] == ["1/2 FROM x", "2/2 RUN make"]
    compiling = next(e for e in events if e.line == "compiling")
    assert (compiling.step, compiling.starts_step) == ("2/2 RUN make", False)
    assert log.step == "2/2 RUN make" and log.step_line == lines[lines.index("compiling") - 1]
    assert list(log.tail) == lines


def test_the_tail_keeps_the_last_lines_only() -> None:
    log = BuildLog(docker_build._HEADING, None)
    for number in range(LOG_TAIL + 5):
        log.line(f"line {number}")
    assert list(log.tail) == [f"line {n}" for n in range(5, LOG_TAIL + 5)]


def test_a_podman_build_error_carries_the_step_as_docker_spells_it_and_the_tail() -> None:
    stream = [
        json.dumps({"stream": "STEP 1/2: FROM x\n"}),
        "",
        json.dumps({"stream": "STEP 2/2: RUN false\nhalf a line"}),
        json.dumps({"error": "exit status 1\n"}),
    ]
    events: list[BuildOutput] = []
    with pytest.raises(BuildFailed) as caught:
        podman_images._follow_build(iter(stream), "lab:1", events.append)
    assert caught.value.step == "2/2 RUN false"
    assert "failed at STEP 2/2: RUN false: exit status 1" in str(caught.value)
    assert caught.value.log_tail[-2:] == ("half a line", "exit status 1")
    assert [e.line for e in events] == ["STEP 1/2: FROM x", "STEP 2/2: RUN false", "half a line"]


def test_a_podman_build_returns_the_image_id_it_printed() -> None:
    image_id = "b" * 64
    stream = [json.dumps({"stream": f"STEP 1/1: FROM x\nCOMMIT\n{image_id}\n"})]
    assert podman_images._follow_build(iter(stream), "lab:1", None) == image_id
