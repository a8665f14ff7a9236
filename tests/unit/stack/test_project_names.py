"""One rule for project names, wherever a name comes from: -p, the file's `name`, its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.naming import project_name, resolve_project
from toolkit.stack.orchestrator import preflight


def test_a_given_name_is_made_valid_as_compose_does_with_a_folder_name() -> None:
    assert project_name("Alice") == "alice"
    assert project_name("My Run.2") == "myrun2"
    assert project_name("lab-1_b") == "lab-1_b"


def test_a_name_that_leaves_nothing_is_refused_in_one_line() -> None:
    with pytest.raises(UsageError) as caught:
        project_name("-_-")
    assert str(caught.value) == (
        "invalid project name '-_-': use lowercase letters, digits, '_' and '-' (e.g. -p lab1)"
    )


def test_the_loader_and_up_agree_on_dash_p_alice(tmp_path: Path) -> None:
    (tmp_path / "lab").mkdir()
    path = tmp_path / "lab" / "compose.yaml"
    path.write_text("services:\n  web:\n    image: busybox\n")
    stack = load_stack(path, environ={}, project="Alice")
    assert stack.name == "alice"
    assert resolve_project(stack, "Alice") == "alice"
    assert preflight(stack, project="Alice").project == "alice"
