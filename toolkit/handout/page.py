"""The content of a handout, whatever it is written as: pure values built from the model."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.stack.model import Stack
from toolkit.topology.model import Topology


@dataclass(frozen=True)
class CheckLine:
    """What a student may know of a check: its name, and whether it is graded."""

    name: str
    graded: bool = True
    points: int | None = None  # what passing it is worth (graded checks only)

    @property
    def points_text(self) -> str:
        """ "1 point", "2 points"."""
        return f"{self.points} point" + ("" if self.points == 1 else "s")


@dataclass(frozen=True)
class Command:
    purpose: str
    line: str


@dataclass(frozen=True)
class Handout:
    exercise: str  # as the student types it in commands
    project: str
    title: str
    text: str  # the exercise's description, with the project's addresses
    topology: Topology
    checks: tuple[CheckLine, ...]
    commands: tuple[Command, ...]
    student: str | None = None

    @property
    def whose(self) -> str:
        """Whose addresses the page shows, in a few words."""
        if self.student:
            return f"project {self.project}, {self.student}'s own addresses"
        if self.topology.source == "engine":
            return f"project {self.project}, addresses as running on {self.topology.engine}"
        return f"project {self.project}, addresses from the exercise file"


def build_handout(
    stack: Stack,
    topology: Topology,
    *,
    exercise: str,
    project: str | None,
    renumbered: bool = False,
    student: str | None = None,
) -> Handout:
    """Gather a handout for `stack` (already carrying the project's or the student's addresses).

    `project` is the -p the student passes (None: the exercise's own name is the project);
    `renumbered` says the project runs with --renumber, so the start command keeps it;
    `student` is the id whose variant the stack is, which every command then names.
    """
    flag = f" -p {project}" if project else ""
    start = f"labkit up {exercise}{flag}" + (" --renumber" if renumbered else "")
    if student:
        # `up --student` makes the student's project; every later command names that project.
        flag = f" -p {project or stack.name}"
        start = f"labkit up {exercise} --student {student}" + (f" -p {project}" if project else "")
    host = next((service.name for service in topology.services if not service.is_router), None)
    host = host or next(iter(stack.services), "SERVICE")
    commands = (
        Command("Start the lab", start),
        Command(f"Open a shell on {host}", f"labkit exec {exercise} {host}{flag}"),
        Command("See the addresses of every service", f"labkit ps {exercise}{flag}"),
        Command("Check your work (exit 0 when every check passes)", f"labkit check {exercise}{flag}"),
        Command("Stop the lab and remove what it made", f"labkit down {exercise}{flag}"),
    )
    return Handout(
        exercise=exercise,
        project=project or stack.name,
        title=stack.exercise.title or exercise,
        text=stack.exercise.description.strip(),
        topology=topology,
        checks=tuple(
            CheckLine(check.name, check.graded, check.points if check.graded else None)
            for check in stack.exercise.checks
        ),
        commands=commands,
        student=student,
    )


def network_kind(internal: bool) -> str:
    return "internal (no way out)" if internal else "bridge"


def service_role(router: bool) -> str:
    return "router" if router else "host"
