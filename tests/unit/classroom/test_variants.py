"""Each student's values: deterministic, different between students, unguessable without the secret."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from toolkit.classroom.secret import SECRET_ENV, course_secret, ensure_secret_file
from toolkit.errors import UsageError
from toolkit.stack.renumber import SubnetMapping, apply_renumbering
from toolkit.stack.variants import load_variant, student_project

SECRET = b"a course secret of some length"
COMPOSE = """
name: lab
x-labkit:
  parameters:
    IP: {generator: address, network: lan, hosts: 100-199}
    NET: {generator: subnet, within: 10.40.0.0/16, prefix: 24}
    HOST: {generator: hostname, prefix: lab}
    PORT: {generator: port, range: 8000-8999}
    WORD: {generator: word}
    ZONE: {generator: choice, choices: [north, south, east, west]}
  description: reach ${HOST:-lab-x} at ${IP:-10.20.0.150}, port ${PORT:-8080}
  checks:
    - name: word
      service: a
      run: grep -q ${WORD:-secret} /etc/motd && echo ${ZONE:-north}
  solution:
    - service: a
      run: echo ${WORD:-secret} | sudo tee /etc/motd
services:
  a:
    image: alpine
    hostname: ${HOST:-lab-x}
    networks:
      lan: {ipv4_address: "${IP:-10.20.0.150}"}
      other: {}
networks:
  lan:
    ipam: {config: [{subnet: 10.20.0.0/24, gateway: 10.20.0.1}]}
  other:
    ipam: {config: [{subnet: "${NET:-10.40.1.0/24}"}]}
"""


@pytest.fixture
def compose(tmp_path: Path) -> Path:
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE)
    return path


def values(compose: Path, student: str, secret: bytes = SECRET, project: str | None = None) -> dict[str, str]:
    _, chosen = load_variant(compose, student, secret, environ={}, project=project)
    assert chosen is not None
    return dict(chosen.values)


def test_the_same_student_always_gets_the_same_values(compose: Path) -> None:
    assert values(compose, "s001") == values(compose, "s001") == values(compose, "s001", project="x")


def test_students_get_their_own_values_and_another_secret_others(compose: Path) -> None:
    seen = [values(compose, f"s{n:03}") for n in range(20)]
    for name in ("IP", "HOST", "PORT", "WORD", "NET"):
        assert len({v[name] for v in seen}) >= 15, name  # 20 draws; a clash or two is fine
    assert values(compose, "s001", b"another secret of the course") != values(compose, "s001")


def test_values_respect_their_generators(compose: Path) -> None:
    for n in range(30):
        v = values(compose, f"student{n}")
        assert 100 <= int(v["IP"].rsplit(".", 1)[1]) <= 199 and v["IP"].startswith("10.20.0.")
        assert ipaddress.IPv4Network(v["NET"]).subnet_of(ipaddress.IPv4Network("10.40.0.0/16"))
        assert v["HOST"].startswith("lab-") and v["HOST"][4:].isalpha() and len(v["HOST"]) == 10
        assert 8000 <= int(v["PORT"]) <= 8999
        assert v["ZONE"] in ("north", "south", "east", "west")
        assert len(v["WORD"]) == 8


def test_values_reach_services_networks_checks_solution_and_text(compose: Path) -> None:
    stack, chosen = load_variant(compose, "s7", SECRET, environ={})
    assert chosen is not None
    v = chosen.values
    service = stack.services["a"]
    assert service.hostname == v["HOST"]
    assert service.networks[0].ipv4_address == v["IP"]
    assert stack.networks["other"].subnet == v["NET"]
    assert v["WORD"] in stack.exercise.checks[0].run[-1] and v["ZONE"] in stack.exercise.checks[0].run[-1]
    assert v["WORD"] in stack.exercise.solution[0].run[-1]
    assert stack.exercise.description == f"reach {v['HOST']} at {v['IP']}, port {v['PORT']}"


def test_without_a_student_the_defaults_apply_whatever_the_environment_says(compose: Path) -> None:
    stack, chosen = load_variant(compose, None, None, environ={"HOST": "from-the-shell"})
    assert chosen is None
    assert stack.services["a"].hostname == "lab-x"


def test_renumbering_moves_a_students_address_with_its_network(compose: Path) -> None:
    stack, chosen = load_variant(compose, "s7", SECRET, environ={})
    assert chosen is not None
    host = chosen.values["IP"].rsplit(".", 1)[1]
    moved = apply_renumbering(
        stack, SubnetMapping({ipaddress.IPv4Network("10.20.0.0/24"): ipaddress.IPv4Network("10.150.3.0/24")})
    )
    assert moved.services["a"].networks[0].ipv4_address == f"10.150.3.{host}"
    assert f"10.150.3.{host}" in moved.exercise.description


def test_student_ids_name_projects_or_are_refused() -> None:
    assert student_project("routing", "S.001") == "routing-s-001"
    with pytest.raises(UsageError, match="invalid student id"):
        student_project("routing", "../etc")


def test_the_secret_comes_from_the_environment_or_its_file(tmp_path: Path) -> None:
    assert course_secret({SECRET_ENV: "x" * 20}) == b"x" * 20
    environ = {"HOME": str(tmp_path)}
    with pytest.raises(UsageError, match="labkit class secret"):
        course_secret(environ)
    path, made = ensure_secret_file(environ)
    assert made and path.stat().st_mode & 0o777 == 0o600
    assert ensure_secret_file(environ) == (path, False)
    assert len(course_secret(environ)) == 64
    with pytest.raises(UsageError, match="shorter"):
        course_secret({SECRET_ENV: "short"})
