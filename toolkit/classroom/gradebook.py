"""A class's grades for one exercise: every student × every check, with points and totals.

What `labkit class check` produces, and its shapes for a gradebook: CSV (one row per student,
one column per graded check holding the points earned, then the total) and JUnit XML (one suite
per student). The CLI renders the table and JSON.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from typing import Literal

from toolkit.checks.junit import check_runs_to_junit
from toolkit.checks.results import CheckRun, not_run
from toolkit.classroom.roster import Student
from toolkit.stack.model import Check

Status = Literal["graded", "not up", "error"]


@dataclass(frozen=True)
class StudentGrade:
    """One student's result: their check run, or why there is none."""

    student: Student
    project: str
    status: Status
    run: CheckRun | None = None
    error: str = ""  # why a student could not be checked (status "error")

    @property
    def score(self) -> int:
        return self.run.score if self.run is not None else 0

    def earned(self, index: int) -> int | None:
        """Points earned on the check at `index` (file order); None when nothing ran."""
        if self.run is None or index >= len(self.run.results):
            return None
        return self.run.results[index].earned


@dataclass(frozen=True)
class Gradebook:
    exercise: str
    engine: str
    checks: tuple[Check, ...]  # every check of the exercise, in file order
    grades: tuple[StudentGrade, ...]  # in the roster's order
    duration: float

    @property
    def graded_checks(self) -> tuple[tuple[int, Check], ...]:
        """(index, check) of the checks that count towards the score."""
        return tuple((index, check) for index, check in enumerate(self.checks) if check.graded)

    @property
    def max_score(self) -> int:
        return sum(check.points for _, check in self.graded_checks)

    @property
    def not_up(self) -> tuple[StudentGrade, ...]:
        return tuple(grade for grade in self.grades if grade.status != "graded")


def gradebook_csv(book: Gradebook) -> str:
    """One row per student: id, name, email, status, the points of each graded check, total.

    The header names each check with what it is worth (`route set (2)`); a student whose stack
    is not up has empty check cells and a total of 0.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = book.graded_checks
    writer.writerow(
        [
            "id",
            "name",
            "email",
            "status",
            *(f"{check.name} ({check.points})" for _, check in columns),
            "total",
        ]
    )
    for grade in book.grades:
        cells = [grade.earned(index) for index, _ in columns]
        writer.writerow(
            [
                grade.student.id,
                grade.student.name,
                grade.student.email,
                grade.status,
                *("" if cell is None else str(cell) for cell in cells),
                str(grade.score),
            ]
        )
    return out.getvalue()


def gradebook_junit(book: Gradebook) -> ET.ElementTree:
    """One JUnit suite per student (`EXERCISE STUDENT`); a student not up fails every check."""
    runs: list[CheckRun] = []
    for grade in book.grades:
        run = grade.run
        if run is None:
            reason = grade.error or f"project {grade.project} is not up"
            results = tuple(not_run(check, reason) for check in book.checks)
            run = CheckRun(book.exercise, grade.project, results, 0.0)
        runs.append(replace(run, exercise=f"{book.exercise} {grade.student.id}"))
    return check_runs_to_junit(runs, engine=book.engine)
