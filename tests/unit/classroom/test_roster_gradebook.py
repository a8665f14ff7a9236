"""The roster file and the gradebook's shapes (pure: no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.checks.probe import probe_address
from toolkit.checks.results import CheckRun, judge, not_run
from toolkit.classroom.gradebook import Gradebook, StudentGrade, gradebook_csv, gradebook_junit
from toolkit.classroom.roster import Student, parse_roster, read_roster
from toolkit.errors import UsageError
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check, Exercise, Network, Parameter, Service, ServiceNetwork, Stack


def test_a_roster_reads_ids_names_and_optional_emails() -> None:
    text = 'id,name,email\n\n# late joiners\ns001, Ada Lovelace ,ada@example.org\ns002,"Turing, Alan"\n'
    assert parse_roster(text, "class.csv") == (
        Student("s001", "Ada Lovelace", "ada@example.org"),
        Student("s002", "Turing, Alan"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s001,Ada\ns001,Alan\n", "class.csv:2: student id 's001' repeats the one on line 1"),
        ("s001,Ada\nS001,Alan\n", "class.csv:2: student id 'S001' repeats"),
        ("id,name\ns001\n", "class.csv:2: expected 'id,name[,email]', found 's001'"),
        ("s 1,Ada\n", "class.csv:1: invalid student id 's 1'"),
        ("s1,Ada,not-an-email\n", "class.csv:1: 'not-an-email' is not an e-mail address"),
        ("s1,Ada,a@b.c,extra\n", "class.csv:1: expected 'id,name[,email]', found 4 columns"),
        ("id,name\n", "class.csv: the roster lists no student"),
    ],
)
def test_a_wrong_roster_line_is_named(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_roster(text, "class.csv")
    assert str(caught.value).startswith(message)


def test_a_missing_roster_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the roster"):
        read_roster(tmp_path / "nope.csv")


CHECKS = (
    Check("route", "a", ("true",), points=2),
    Check("ping", "a", ("true",), requires=("route",)),
    Check("sanity", "a", ("true",), graded=False),
)


def run(*codes: int) -> CheckRun:
    results = tuple(
        judge(check, ExecResult(exit_code=code, stdout="", stderr="", duration=0.1))
        for check, code in zip(CHECKS, codes, strict=True)
    )
    return CheckRun("lab", "lab-x", results, 0.3)


def book() -> Gradebook:
    blocked = run(1, 0, 0)
    blocked = CheckRun(
        "lab",
        "lab-s2",
        (blocked.results[0], not_run(CHECKS[1], "", blocked_by="route"), blocked.results[2]),
        0.1,
    )
    return Gradebook(
        "lab",
        "docker",
        CHECKS,
        (
            StudentGrade(Student("s1", "Ada", "ada@example.org"), "lab-s1", "graded", run(0, 0, 0)),
            StudentGrade(Student("s2", "Alan, T."), "lab-s2", "graded", blocked),
            StudentGrade(Student("s3", "Grace"), "lab-s3", "not up"),
        ),
        1.0,
    )


def test_the_csv_has_a_row_per_student_a_column_per_graded_check_and_the_total() -> None:
    assert gradebook_csv(book()) == (
        "id,name,email,status,route (2),ping (1),total\n"
        "s1,Ada,ada@example.org,graded,2,1,3\n"
        's2,"Alan, T.",,graded,0,0,0\n'
        "s3,Grace,,not up,,,0\n"
    )
    assert book().max_score == 3


def test_junit_has_a_suite_per_student_and_fails_one_not_up() -> None:
    root = gradebook_junit(book()).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "labkit check lab s1",
        "labkit check lab s2",
        "labkit check lab s3",
    ]
    assert [(s.get("failures"), s.get("skipped")) for s in suites] == [("0", "0"), ("1", "1"), ("3", "0")]


def test_the_probe_takes_the_highest_address_no_host_wants() -> None:
    stack = Stack(
        "lab",
        Path("/c/lab/compose.yaml"),
        {"a": Service("a", image="img", networks=(ServiceNetwork("lan", "10.1.0.254"),))},
        {"lan": Network("lan", subnet="10.1.0.0/24", gateway="10.1.0.1")},
        {},
        exercise=Exercise(parameters=(Parameter("IP", "address", network="lan", low=240, high=253),)),
    )
    assert probe_address(stack, "lan") == "10.1.0.239"
