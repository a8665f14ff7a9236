"""The start plan: networks and volumes first, services in dependency waves (pure, no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.stack.model import (
    Dependency,
    Network,
    Service,
    ServiceNetwork,
    Stack,
    Volume,
    VolumeMount,
)
from toolkit.stack.plan import make_plan, service_networks

FILE = Path("/course/compose/lab/compose.yaml")


def stack(*services: Service, networks: tuple[Network, ...] = (), volumes: tuple[Volume, ...] = ()) -> Stack:
    return Stack(
        name="lab",
        file=FILE,
        services={s.name: s for s in services},
        networks={n.name: n for n in networks},
        volumes={v.name: v for v in volumes},
    )


def svc(name: str, *needs: str, condition: str = "service_healthy", **fields: object) -> Service:
    depends = tuple(Dependency(n, condition) for n in needs)  # type: ignore[arg-type]
    return Service(name, image="busybox", depends_on=depends, **fields)  # type: ignore[arg-type]


def test_three_levels_make_three_waves_in_declared_order() -> None:
    plan = make_plan(
        stack(svc("s3", "s2"), svc("s1"), svc("s6", "s5"), svc("s2", "s1"), svc("s4"), svc("s5", "s4"))
    )
    assert plan.waves() == (("s1", "s4"), ("s2", "s5"), ("s3", "s6"))
    assert plan.service_names == ("s1", "s4", "s2", "s5", "s3", "s6")


def test_wave_is_one_more_than_the_deepest_dependency() -> None:
    plan = make_plan(stack(svc("a"), svc("b", "a"), svc("c", "a", "b")))
    assert [(s.name, s.wave) for s in plan.services] == [("a", 0), ("b", 1), ("c", 2)]


def test_awaited_conditions() -> None:
    plan = make_plan(
        stack(
            svc("db"),
            svc("init", "db", condition="service_started"),
            svc("web", "db"),
            Service("app", image="x", depends_on=(Dependency("init", "service_completed_successfully"),)),
        )
    )
    assert plan.awaited_conditions("db") == {"service_started", "service_healthy"}
    assert plan.awaited_conditions("init") == {"service_completed_successfully"}
    assert plan.awaited_conditions("app") == frozenset()


def test_missing_required_dependency_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        make_plan(stack(svc("web", "db")))
    assert caught.value.key_path == "services.web.depends_on"
    assert "'db'" in caught.value.reason
    assert caught.value.file == str(FILE)


def test_missing_optional_dependency_is_ignored() -> None:
    web = Service("web", image="x", depends_on=(Dependency("db", required=False),))
    plan = make_plan(stack(web))
    assert plan.step("web").needs == ()
    assert plan.waves() == (("web",),)


def test_cycle_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        make_plan(stack(svc("a", "c"), svc("b", "a"), svc("c", "b")))
    assert "a -> c -> b -> a" in caught.value.reason


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(ConfigError, match="cycle: a -> a"):
        make_plan(stack(svc("a", "a")))


def test_services_without_networks_join_an_implicit_default_network() -> None:
    lan = Network("lan", subnet="10.10.0.0/24")
    plan = make_plan(stack(svc("a"), svc("b", networks=(ServiceNetwork("lan"),)), networks=(lan,)))
    assert [n.name for n in plan.networks] == ["lan", "default"]
    assert plan.networks[0] is lan
    assert service_networks(plan_service := Service("a")) == (ServiceNetwork("default"),)
    assert plan_service.networks == ()


def test_no_default_network_when_every_service_names_its_networks() -> None:
    lan = Network("lan")
    plan = make_plan(stack(svc("a", networks=(ServiceNetwork("lan"),)), networks=(lan, Network("spare"))))
    assert [n.name for n in plan.networks] == ["lan", "spare"]


def test_declared_default_network_is_used_as_declared() -> None:
    default = Network("default", subnet="10.9.0.0/24")
    plan = make_plan(stack(svc("a"), networks=(default,)))
    assert plan.networks == (default,)


def test_undeclared_network_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        make_plan(stack(svc("a", networks=(ServiceNetwork("wan"),))))
    assert caught.value.key_path == "services.a.networks"
    assert "'wan'" in caught.value.reason


def test_volumes_come_from_the_top_level_and_undeclared_ones_are_refused() -> None:
    data = Volume("data")
    mount = VolumeMount("volume", "/data", "data")
    plan = make_plan(stack(svc("a", volumes=(mount,)), volumes=(data,)))
    assert plan.volumes == (data,)
    with pytest.raises(ConfigError, match="volume 'data' is not declared"):
        make_plan(stack(svc("a", volumes=(mount,))))


def test_anonymous_volumes_and_binds_need_no_declaration() -> None:
    mounts = (VolumeMount("volume", "/cache"), VolumeMount("bind", "/src", "/home/x"))
    assert make_plan(stack(svc("a", volumes=mounts))).volumes == ()


def test_the_plan_runs_every_service_the_loader_kept() -> None:
    """Profiles are applied when loading (compose/profiles.py): a profile service in the stack
    was enabled, and comes up."""
    debug = svc("debug", profiles=("debug",))
    assert make_plan(stack(svc("a"), debug)).service_names == ("a", "debug")


def test_empty_stack_has_an_empty_plan() -> None:
    plan = make_plan(stack())
    assert plan.services == () and plan.networks == () and plan.waves() == ()
