"""`labkit class` and `--student` refuse bad input with one line and exit 2, before any engine."""

from __future__ import annotations

import os
from pathlib import Path

from tests.unit.test_cli_root import run_labkit

ROOT = Path(__file__).resolve().parents[3]
# An engine socket that cannot answer: reaching the engine would fail with exit 3, not 2.
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "LABKIT_ENGINE": "docker"}


def env(**more: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_COURSE_SECRET")}
    return {**base, "LABKIT_COURSE": str(ROOT), "HOME": "/nonexistent", **NO_ENGINE, **more}


def test_a_bad_roster_line_is_named_before_any_engine(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns1,Ada\ns 2,Alan\n")
    result = run_labkit(
        "class", "up", "routing", "--roster", str(roster), env=env(LABKIT_COURSE_SECRET="x" * 20)
    )
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.strip()
        == f"error: {roster}:3: invalid student id 's 2': use up to 40 letters, digits, "
        "'.', '_' and '-', starting with a letter or digit"
    )


def test_a_student_without_a_course_secret_is_told_how_to_make_one() -> None:
    result = run_labkit("describe", "routing", "--student", "s1", env=env())
    assert result.returncode == 2
    assert "no course secret: run `labkit class secret`" in result.stderr
    assert "Traceback" not in result.stderr


def test_class_handouts_give_each_student_their_own_page_and_no_solution(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\nalice,Alice\nbob,Bob\n")
    out = tmp_path / "pages"
    secret = env(LABKIT_COURSE_SECRET="a-course-secret-of-the-class")
    result = run_labkit("class", "handouts", "routing", "--roster", str(roster), "-o", str(out), env=secret)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out} (2 html pages for routing, no solution)"
    pages = {path.name: path.read_text() for path in out.iterdir()}
    assert sorted(pages) == ["alice.html", "bob.html"]
    for student, page in (("alice", pages["alice.html"]), ("bob", pages["bob.html"])):
        assert f"labkit up routing --student {student}" in page
        assert f"labkit check routing -p routing-{student}" in page
        assert "ip route replace" not in page  # the reference solution's command
        # The page shows the same router address the student's own describe prints.
        described = run_labkit("describe", "routing", "--student", student, env=secret)
        assert described.returncode == 0, described.stderr
        router = [line for line in described.stdout.splitlines() if line.strip().startswith("router")]
        assert router, described.stdout
        address = router[0].split()[-1].split("/")[0]
        assert address in page, (student, router[0])
    # Two students get different router addresses, so their pages differ beyond the name.
    assert pages["alice.html"].replace("alice", "x") != pages["bob.html"].replace("bob", "x")


def test_export_kube_for_a_student_has_their_namespace_and_addresses(tmp_path: Path) -> None:
    secret = env(LABKIT_COURSE_SECRET="a-course-secret-of-the-class")
    result = run_labkit("export", "kube", "routing", "--student", "alice", "-o", str(tmp_path), env=secret)
    assert result.returncode == 0, result.stderr
    manifests = "\n".join(path.read_text() for path in sorted(tmp_path.glob("*.yaml")))
    assert "namespace: routing-alice" in manifests
    described = run_labkit("describe", "routing", "--student", "alice", env=secret)
    router = [line for line in described.stdout.splitlines() if line.strip().startswith("router")]
    assert router, described.stdout
    assert router[0].split()[-1].split("/")[0] in manifests
