"""JUnit XML: counts, one case per check or step, failures with expected vs actual."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from toolkit.checks.junit import check_runs_to_junit, self_tests_to_junit, write_junit
from toolkit.checks.results import CheckRun, judge, timed_out
from toolkit.checks.selftest import Problem, SelfTestReport
from toolkit.checks.solve import SolveReport, StepResult
from toolkit.stack.model import Check

from .scripted import ok, timeout

PASS = Check("passes", "web", ("true",))
FAIL = Check("fails", "db", ("false",), expect_output="ready")
SLOW = Check("slow", "db", ("sleep", "9"), timeout=2.0)


def a_run() -> CheckRun:
    return CheckRun(
        exercise="ex",
        project="ex",
        results=(
            judge(PASS, ok()),
            judge(FAIL, ok("not yet\n", code=1)),
            timed_out(SLOW, timeout(2.0), 2.0),
        ),
        duration=2.5,
    )


def test_check_run_suite_counts_and_cases(tmp_path: Path) -> None:
    path = tmp_path / "out" / "checks.xml"
    write_junit(check_runs_to_junit([a_run()], engine="podman"), path)
    root = ET.parse(path).getroot()
    assert path.read_text().startswith("<?xml")
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == (
        "testsuites",
        "3",
        "2",
        "0",
    )
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "labkit check ex"
    assert suite.find("properties/property").get("value") == "podman"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("ex.web", "passes"),
        ("ex.db", "fails"),
        ("ex.db", "slow"),
    ]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == "exit code 1, expected 0"
    assert failure.text is not None
    assert "expected: exit 0, stdout ~ /ready/" in failure.text
    assert "actual: exit 1" in failure.text and "not yet" in failure.text
    assert cases[2].find("failure").get("message") == "timed out after 2s"


def test_self_test_cases_follow_the_phases() -> None:
    before = CheckRun("ex", "ex-selftest", (judge(PASS, ok()), judge(FAIL, ok(code=1))), 0.1)
    solution = SolveReport(
        "ex",
        "ex-selftest",
        (
            StepResult(1, "web", ("/bin/sh", "-c", "fix it"), 0, "done\n"),
            StepResult(2, "db", ("/bin/sh", "-c", "start db"), 3, "", "boom\n"),
        ),
        total=3,
        duration=0.2,
    )
    report = SelfTestReport(
        exercise="ex",
        project="ex-selftest",
        engine="docker",
        before=before,
        solution=solution,
        problems=(
            Problem(
                "before",
                "graded check 'passes' (web) passes before the solution: it proves nothing",
                "passes",
            ),
            Problem("solve", "solution step 2 (db: start db) failed: exit code 3", "step 2"),
            Problem("down", "down: network busy"),
        ),
        duration=4.0,
    )
    root = self_tests_to_junit([report]).getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "labkit test ex (docker)"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == [
        "before solution: passes",
        "before solution: fails",
        "solution step 1",
        "solution step 2",
        "down",
    ]
    assert "proves nothing" in cases["before solution: passes"].find("failure").get("message")
    # A graded check that fails before the solution is what the self-test wants: no failure.
    assert cases["before solution: fails"].find("failure") is None
    assert cases["solution step 1"].find("failure") is None
    assert cases["solution step 1"].find("system-out").text == "$ fix it\ndone\n"
    assert cases["solution step 2"].find("failure").get("message") == "exit code 3"
    assert cases["down"].find("error").get("message") == "down: network busy"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "1")


def test_a_passing_self_test_has_no_failures() -> None:
    after = CheckRun("ex", "p", (judge(PASS, ok()),), 0.1)
    report = SelfTestReport("ex", "p", "podman", after=after)
    root = self_tests_to_junit([report, report]).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "0", "0")
    assert len(root.findall("testsuite")) == 2
