"""The roster: who is in the class, one student a line.

    id,name,email
    s001,Ada Lovelace,ada@example.org
    s002,Alan Turing

A CSV file (what every gradebook exports): the student's id, their name, and optionally an
e-mail. A first line starting with `id` is a header; blank lines and lines starting with `#`
are skipped. The id names the student's project (`<exercise>-<id>`) and seeds their values.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.stack.variants import STUDENT_ID, student_project

MAX_STUDENTS = 500


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str = ""


def read_roster(path: Path) -> tuple[Student, ...]:
    """Read and check the roster at `path`.

    Raises:
        UsageError: the file is missing or unreadable, or a line is wrong (naming the line).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's BOM is not part of an id
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the roster {path}: {exc}") from None
    return parse_roster(text, str(path))


def parse_roster(text: str, display: str) -> tuple[Student, ...]:
    """Parse roster text; `display` names the file in errors."""
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not students and not seen and cells[0].lower() == "id":
            continue  # the header
        student = _student(cells, f"{display}:{number}")
        project = student_project("x", student.id)  # ids that differ only in case share a project
        if project in seen:
            raise UsageError(
                f"{display}:{number}: student id {student.id!r} repeats the one on line {seen[project]} "
                "(ids are compared ignoring case and '.'/'-'): give each student their own id"
            )
        seen[project] = number
        students.append(student)
    if not students:
        raise UsageError(
            f"{display}: the roster lists no student: write one line per student, 'id,name[,email]'"
        )
    if len(students) > MAX_STUDENTS:
        raise UsageError(
            f"{display}: {len(students)} students; labkit runs at most {MAX_STUDENTS} on one host"
        )
    return tuple(students)


def _student(cells: list[str], where: str) -> Student:
    if len(cells) < 2 or not cells[1]:
        raise UsageError(
            f"{where}: expected 'id,name[,email]', found {','.join(cells)!r}: add the student's name"
        )
    if len(cells) > 3:
        raise UsageError(f"{where}: expected 'id,name[,email]', found {len(cells)} columns")
    if not STUDENT_ID.fullmatch(cells[0]):
        raise UsageError(
            f"{where}: invalid student id {cells[0]!r}: use up to 40 letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    email = cells[2] if len(cells) == 3 else ""
    if email and ("@" not in email or " " in email):
        raise UsageError(f"{where}: {email!r} is not an e-mail address: write name@domain, or leave it out")
    return Student(cells[0], cells[1], email)
