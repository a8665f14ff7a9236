"""gc's judgement: only a dead run's leftovers on this host go; everything else stays."""

from __future__ import annotations

import os
import subprocess

from toolkit.errors import EngineError
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import ContainerSpec, NetworkAttachment, NetworkSpec, VolumeSpec
from toolkit.stack.gc import collect, judge, parse_owner, pid_alive, remove_labelled

HOST = "labhost"
ALIVE = {100}


def alive(pid: int) -> bool:
    return pid in ALIVE


def labels(project: str, owner: str | None, run: str | None = "r1") -> dict[str, str]:
    found = {"io.labkit.project": project}
    if owner is not None:
        found["io.labkit.owner"] = owner
    if run is not None:
        found["io.labkit.run"] = run
    return found


def engine_with(*resources: tuple[str, dict[str, str]]) -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image("img")
    for name, found in resources:
        fake.create_network(NetworkSpec(f"{name}-net", labels=found))
        fake.create_volume(VolumeSpec(f"{name}-vol", labels=found))
        fake.create_container(
            ContainerSpec("img", f"{name}-c", labels=found, networks=(NetworkAttachment(f"{name}-net"),))
        )
        fake.start_container(f"{name}-c")
    return fake


def test_parse_owner() -> None:
    assert str(parse_owner("host-1:42")) == "host-1:42"
    assert parse_owner("a:b:7") is not None and parse_owner("a:b:7").host == "a:b"
    assert parse_owner("nohost") is None
    assert parse_owner(":12") is None
    assert parse_owner("h:x1") is None


def test_pid_alive_knows_this_process_and_a_dead_one() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert pid_alive(child.pid) is False
    assert pid_alive(os.getpid())


def test_judge_each_case() -> None:
    def verdict(found: dict[str, str]) -> tuple[str, str]:
        return judge(found, host=HOST, alive=alive)

    assert verdict(labels("p", f"{HOST}:200")) == ("remove", "owner process 200 is gone")
    assert verdict(labels("p", f"{HOST}:100")) == ("keep", "owner process 100 is alive")
    assert verdict(labels("p", "otherhost:200")) == ("keep", "owned by host otherhost")
    assert verdict(labels("p", None)) == ("keep", "no owner label")
    assert verdict(labels("p", "garbage")) == ("keep", "owner label 'garbage' is not host:pid")
    assert verdict(labels("lab1", f"{HOST}:200", run=None)) == (
        "keep",
        "a stack from `labkit up`: remove it with `labkit down -p lab1`",
    )


def test_collect_removes_a_dead_runs_containers_networks_and_volumes() -> None:
    fake = engine_with(
        ("dead", labels("dead", f"{HOST}:200")),
        ("live", labels("live", f"{HOST}:100")),
        ("up", labels("up", f"{HOST}:201", run=None)),
        ("mine", labels("mine", None)),
    )
    fake.add_image("foreign")
    fake.create_container(ContainerSpec("img", "foreign", labels={"other": "x"}))
    report = collect(fake, host=HOST, alive=alive)
    assert sorted(r.name for r in report.removed) == ["dead-c", "dead-net", "dead-vol"]
    assert [r.kind for r in report.removed] == ["container", "network", "volume"]
    assert report.failed == ()
    assert sorted(fake.containers) == ["foreign", "live-c", "mine-c", "up-c"]
    assert sorted(fake.networks) == ["live-net", "mine-net", "up-net"]
    assert sorted(fake.volumes) == ["live-vol", "mine-vol", "up-vol"]
    assert len(report.kept) == 9
    assert "foreign" not in {r.name for r in report.found}


def test_dry_run_removes_nothing() -> None:
    fake = engine_with(("dead", labels("dead", f"{HOST}:200")))
    report = collect(fake, dry_run=True, host=HOST, alive=alive)
    assert report.dry_run and report.removed == ()
    assert len(report.garbage) == 3
    assert "dead-c" in fake.containers


def test_a_resource_that_cannot_be_removed_is_reported_and_the_rest_go() -> None:
    fake = engine_with(("dead", labels("dead", f"{HOST}:200")))

    def refuse(name: str) -> None:
        raise EngineError(f"network {name} is busy")

    fake.remove_network = refuse
    report = collect(fake, host=HOST, alive=alive)
    assert [(r.name, why) for r, why in report.failed] == [("dead-net", "network dead-net is busy")]
    assert sorted(r.name for r in report.removed) == ["dead-c", "dead-vol"]


def test_remove_labelled_sweeps_one_run_whoever_owns_it() -> None:
    fake = engine_with(
        ("a", labels("a", f"{HOST}:100", run="r1")),
        ("b", labels("b", f"{HOST}:100", run="r2")),
    )
    report = remove_labelled(fake, {"io.labkit.run": "r1"})
    assert sorted(r.name for r in report.removed) == ["a-c", "a-net", "a-vol"]
    assert sorted(fake.containers) == ["b-c"]


def test_a_listing_that_fails_while_things_vanish_is_tried_again() -> None:
    fake = engine_with(("dead", labels("dead", f"{HOST}:200")))
    real = fake.list_containers
    failures = iter([True, False])

    def flaky(selector: dict[str, str | None], *, all: bool = True) -> list[object]:
        if next(failures, False):
            raise EngineError("container abc does not exist in database: no such container")
        return real(selector, all=all)

    fake.list_containers = flaky
    report = collect(fake, host=HOST, alive=alive)
    assert "dead-c" in {r.name for r in report.removed}
