"""Profiles: a load keeps the services of the enabled profiles, as Compose's `config` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Dependency, Stack
from toolkit.stack.plan import make_plan

FILE = """
services:
  web:
    image: x
    depends_on:
      cache: {condition: service_started, required: false}
  cache: {image: x, profiles: [perf]}
  debug: {image: x, profiles: [debug, all]}
  tools: {image: x, profiles: [all]}
"""


def _load(tmp_path: Path, text: str = FILE, profiles: list[str] | None = None, **environ: str) -> Stack:
    (tmp_path / "compose.yaml").write_text(text)
    return load_stack(tmp_path / "compose.yaml", environ=environ, profiles=profiles)


def test_services_with_profiles_are_inactive_unless_one_is_enabled(tmp_path: Path) -> None:
    stack = _load(tmp_path)
    assert list(stack.services) == ["web"] and stack.profiles == ()
    assert stack.inactive == ("cache", "debug", "tools")  # `up` leaves their containers alone
    # An optional dependency on an inactive service stays in the model, as in Compose's;
    # the plan leaves it out.
    assert stack.services["web"].depends_on == (Dependency("cache", required=False),)
    assert make_plan(stack).step("web").needs == ()


@pytest.mark.parametrize(
    ("profiles", "environ", "active"),
    [
        (["debug"], {}, ["web", "debug"]),
        (["debug", "perf"], {}, ["web", "cache", "debug"]),
        (None, {"COMPOSE_PROFILES": "all, perf"}, ["web", "cache", "debug", "tools"]),
        (["debug"], {"COMPOSE_PROFILES": "perf"}, ["web", "debug"]),  # the flag wins
        (["*"], {}, ["web", "cache", "debug", "tools"]),
    ],
)
def test_profiles_are_enabled_by_flag_else_by_compose_profiles(
    tmp_path: Path, profiles: list[str] | None, environ: dict[str, str], active: list[str]
) -> None:
    assert list(_load(tmp_path, profiles=profiles, **environ).services) == active


def test_compose_profiles_may_come_from_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("COMPOSE_PROFILES=perf\n")
    stack = _load(tmp_path)
    assert list(stack.services) == ["web", "cache"] and stack.profiles == ("perf",)
    assert stack.services["web"].depends_on == (Dependency("cache", required=False),)


@pytest.mark.parametrize(
    "needs",
    ["depends_on: [db]", "links: [db]", "network_mode: service:db"],
)
def test_an_active_service_needing_an_inactive_one_is_refused(tmp_path: Path, needs: str) -> None:
    text = f"services:\n  web:\n    image: x\n    {needs}\n  db: {{image: x, profiles: [dev]}}\n"
    with pytest.raises(
        ConfigError, match=r"needs service 'db', whose profiles \(dev\) are not enabled"
    ) as caught:
        _load(tmp_path, text)
    assert caught.value.key_path is not None and caught.value.key_path.startswith("services.web.")
    assert list(_load(tmp_path, text, profiles=["dev"]).services) == ["web", "db"]


def test_checks_may_name_a_service_of_an_inactive_profile(tmp_path: Path) -> None:
    text = FILE + "x-labkit:\n  checks:\n    - {name: c, service: debug, run: 'true'}\n"
    assert list(_load(tmp_path, text).services) == ["web"]
