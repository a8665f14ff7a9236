"""A failed check explains itself, piped and in JSON, on each engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime

from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers, test_subnet

pytestmark = pytest.mark.engine

LONG_LINE = "x" * 150
COMPOSE = """\
name: failing
x-labkit:
  title: A check that fails with a lot to say
  checks:
    - name: the route table has the default route through the router
      service: host
      user: root
      run: |
        echo "table ip nat {{"
        for n in $(seq 1 40); do echo "  noise $$n"; done
        echo "0.0.0.0 10.9.9.9 UG eth0"
        echo "{long}"
      expect_output: '(?m)^0\\.0\\.0\\.0\\s+10\\.30\\.1\\.254\\s+UG\\s+eth0$'
    - name: a file is there
      service: host
      run: [test, -e, /etc/no-such-file]
services:
  host:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    networks: [lan]
networks:
  lan:
    ipam:
      config:
        - subnet: {subnet}
"""


def test_a_failed_check_shows_command_expectation_and_the_output_that_matters(
    runtime: Runtime, tmp_path: Path, busybox_image: str, unique_name: str
) -> None:
    folder = tmp_path / "failing"
    folder.mkdir()
    (folder / "compose.yaml").write_text(
        COMPOSE.format(image=busybox_image, subnet=test_subnet(), long=LONG_LINE)
    )
    engine = ("--engine", runtime.name)
    try:
        up = labkit("up", str(folder), "-p", unique_name, *engine)
        assert up.returncode == 0, up.stderr
        piped = labkit("check", str(folder), "-p", unique_name, *engine, env={"COLUMNS": "80"})
        assert piped.returncode == 1, piped.stderr
        lines = piped.stdout.splitlines()
        assert "\x1b[" not in piped.stdout  # no colour when piped
        assert lines[1].split()[-3:-1] == ["host", "FAIL"]  # one line per check
        block = lines[lines.index("FAIL the route table has the default route through the router") :]
        assert block[1:5] == [
            '  ran      echo "table ip nat {"',
            '           for n in $(seq 1 40); do echo "  noise $n"; done',
            '           echo "0.0.0.0 10.9.9.9 UG eth0"',
            f'           echo "{LONG_LINE}"',
        ]
        assert block[5] == "           (as root, in service host)"
        assert block[6] == (
            r"  expected exit 0 and stdout matching /(?m)^0\.0\.0\.0\s+10\.30\.1\.254\s+UG\s+eth0$/"
        )
        assert block[9:12] == ["    0.0.0.0 10.9.9.9 UG eth0", "    --", "    table ip nat {"]
        assert "    … 19 more lines not shown (--json has them all)" in block
        silent = lines[lines.index("FAIL a file is there") :]
        assert silent[1:5] == [
            "  ran      test -e /etc/no-such-file",
            "           (as the service's user, in service host)",
            "  expected exit 0",
            "  got      exit 1, no output",
        ]

        as_json = labkit("check", str(folder), "-p", unique_name, "--json", *engine)
        first = json.loads(as_json.stdout)["checks"][0]
        assert LONG_LINE in first["stdout"] and first["stdout"].count("noise") == 40
        assert first["command"].startswith('echo "table ip nat {"\nfor n in')
        assert first["user"] == "root"
    finally:
        labkit("down", "-p", unique_name, *engine)
    assert leftovers(runtime, unique_name) == []
