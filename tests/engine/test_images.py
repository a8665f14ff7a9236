"""The course images, really built on each engine from an offline Debian base, then used.

One bootstrapped debian:bookworm and one built course set per engine and session (the builds
fetch packages from Debian's archive). The set is tagged `labkit-test-XXXXXX/NAME:debian-bookworm`,
a namespace of this session's own, so neither an instructor's `labkit/...` images nor another
test session running at the same time is touched; it is removed at the end.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from tests import this_run
from tests.outcomes import NO_REGISTRY, cannot_run, host_limit
from toolkit.errors import ImageNotFound
from toolkit.images import (
    BASES,
    BuildReport,
    bootstrap_image,
    build_images,
    load_catalog,
    load_course_images,
    save_course_images,
)
from toolkit.images.bootstrap import BOOTSTRAPPED_LABEL
from toolkit.images.families import Family
from toolkit.runtime.protocol import ProgressCallback, Runtime
from toolkit.runtime.specs import BuildSpec, ContainerSpec, ImageInfo, NetworkAttachment, NetworkSpec

pytestmark = pytest.mark.engine

NAMESPACE = this_run.unique("labkit-test")  # the run's token: the leftover check knows it
BASE = "debian:bookworm"
COURSE = load_catalog()


def tag(name: str) -> str:
    return f"{NAMESPACE}/{name}:debian-bookworm"


class CountingRuntime:
    """The real runtime, counting calls to its builder."""

    def __init__(self, inner: Runtime) -> None:
        self.inner = inner
        self.built: list[str] = []

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        self.built.append(spec.tags[0])
        return self.inner.build_image(spec, on_progress)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="session")
def course(runtime: Runtime, debian_base: str) -> Iterator[BuildReport]:
    """Every course image built on debian:bookworm for this engine, removed at the end."""
    report = build_images(runtime, None, BASE, namespace=NAMESPACE)
    try:
        yield report
    finally:
        for name in reversed(COURSE.build_order()):
            with suppress(ImageNotFound):
                runtime.remove_image(tag(name), force=True)


@contextmanager
def running(
    runtime: Runtime,
    image: str,
    labels: dict[str, str],
    name: str,
    network: str | None = None,
    command: Sequence[str] | None = ("sleep", "infinity"),
) -> Iterator[str]:
    """A started container; removed (killed first) on the way out."""
    spec = ContainerSpec(
        image=image,
        name=name,
        labels=labels,
        init=True,
        command=tuple(command) if command else None,
        cap_add=("NET_RAW", "NET_ADMIN"),  # Podman's defaults lack NET_RAW, which ping needs
        networks=(NetworkAttachment(network),) if network else (),
    )
    container = runtime.create_container(spec)
    try:
        runtime.start_container(container)
        yield container
    finally:
        runtime.remove_container(container, force=True)


def sh(runtime: Runtime, container: str, script: str, user: str | None = None) -> str:
    result = runtime.exec(container, ["bash", "-c", script], user=user, timeout=60)
    assert result.exit_code == 0, f"{script!r} exited {result.exit_code}: {result.stdout}{result.stderr}"
    return result.stdout


def test_bootstrap_made_a_labelled_base_once(runtime: Runtime, debian_base: str) -> None:
    info = runtime.inspect_image(debian_base)
    if info.labels.get(BOOTSTRAPPED_LABEL) != "true":
        cannot_run(f"{debian_base} on {runtime.name} was pulled, not bootstrapped: left as is")
    again = bootstrap_image(runtime, BASE)
    assert not again.imported and again.note == "already bootstrapped"
    assert again.tarball_reused and again.image_id == info.id


def test_every_course_image_builds(runtime: Runtime, course: BuildReport) -> None:
    assert course.ok, [(b.name, b.label, b.step, b.log_tail[-3:]) for b in course.builds]
    assert [b.name for b in course.builds] == COURSE.build_order()
    for build in course.builds:
        info = runtime.inspect_image(build.tag)
        assert info.labels["org.opencontainers.image.title"] == build.name
        assert info.labels["io.labkit.content-hash"] == build.content_hash or build.status == "skipped"
        assert info.labels["org.opencontainers.image.base.name"] in (
            BASES[BASE].ref,
            tag("base"),
        )


@pytest.mark.parametrize("name", ["web", "dns", "db"])
def test_healthchecks_survive_the_build(runtime: Runtime, course: BuildReport, name: str) -> None:
    healthcheck = runtime.inspect_image(tag(name)).healthcheck
    assert healthcheck is not None and healthcheck.interval == 5.0
    assert healthcheck.test[0] == "CMD"


def test_student_host_tools(
    runtime: Runtime, course: BuildReport, test_labels: dict[str, str], unique_name: str
) -> None:
    with running(runtime, tag("base"), test_labels, unique_name) as host:
        out = sh(runtime, host, "hostname && ip -4 addr show && route -n && cat /etc/resolv.conf")
        assert "Kernel IP routing table" in out and " UG " in out  # the gateway, route -n style
        assert "nameserver" in out
        assert "3 received" in sh(runtime, host, "ping -c 3 -i 0.2 127.0.0.1")
        sh(runtime, host, "dig -v && nslookup -version && curl --version && ifconfig -a && vi --version")
        sh(runtime, host, "ps aux && less --version && sudo --version")
        # The student is the default user, in the home folder, and becomes root through sudo.
        who = sh(runtime, host, "id -un && pwd && sudo -n id -u").split()
        assert who == ["student", "/home/student", "0"]
        assert sh(runtime, host, "id -un", user="root").strip() == "root"


def test_netlab_tools(
    runtime: Runtime, course: BuildReport, test_labels: dict[str, str], unique_name: str
) -> None:
    with running(runtime, tag("netlab"), test_labels, unique_name) as host:
        out = sh(runtime, host, "tcpdump --version && nft --version && iptables --version")
        assert "tcpdump version" in out and "nftables" in out
        sh(runtime, host, "traceroute --version && nc -h 2>&1 | head -1 && command -v nc")
        # nft really talks to the kernel: a table is created, listed and deleted, through sudo
        # (NET_ADMIN is the container's, the student's only by way of root).
        refused = runtime.exec(host, ["nft", "list", "tables"], timeout=30)
        assert refused.exit_code != 0 and "Operation not permitted" in refused.stderr, refused
        out = sh(
            runtime,
            host,
            "sudo nft add table inet lab && sudo nft list tables && sudo nft delete table inet lab",
        )
        assert "table inet lab" in out


def test_a_small_lab_answers(
    runtime: Runtime, course: BuildReport, test_labels: dict[str, str], unique_name: str
) -> None:
    """dns, web and db on one network, asked from a netlab host: names, page, data, a route."""
    network = f"{unique_name}-net"
    runtime.create_network(NetworkSpec(name=network, labels=test_labels))
    try:
        with (
            running(runtime, tag("dns"), test_labels, f"{unique_name}-dns", network, None) as dns,
            running(runtime, tag("web"), test_labels, f"{unique_name}-web", network, None) as web,
            running(runtime, tag("db"), test_labels, f"{unique_name}-db", network, None) as db,
            running(runtime, tag("netlab"), test_labels, f"{unique_name}-host", network) as host,
        ):
            ips = {
                n: runtime.inspect_container(c).ips[network]
                for n, c in (("dns", dns), ("web", web), ("db", db))
            }
            answer = sh(runtime, host, f"dig +short +tries=5 +time=1 @{ips['dns']} web.lab")
            assert answer.strip() == "10.10.0.80"
            assert "10.10.0.81" in sh(runtime, host, f"nslookup db.lab {ips['dns']}")
            page = sh(runtime, host, f"curl -fsS --retry 10 --retry-connrefused http://{ips['web']}/")
            assert "labkit web server" in page
            db_url = f"http://{ips['db']}:5432"
            sh(runtime, host, f"curl -fsS --retry 10 --retry-connrefused {db_url}/health")
            sh(runtime, host, f"curl -fsS -X PUT --data 42 {db_url}/kv/answer")
            assert sh(runtime, host, f"curl -fsS {db_url}/kv/answer") == "42"
            assert ips["web"] in sh(runtime, host, f"traceroute -n -m 2 -w 1 {ips['web']}")
            sh(runtime, host, f"nc -z -w 2 {ips['db']} 5432")
            for container in (dns, web, db):
                probe = runtime.run_healthcheck(container)
                assert probe.passed, probe.output
    finally:
        runtime.remove_network(network)


def test_unchanged_inputs_make_no_builder_call(runtime: Runtime, course: BuildReport) -> None:
    counting = CountingRuntime(runtime)
    report = build_images(counting, None, BASE, namespace=NAMESPACE)  # type: ignore[arg-type]
    assert counting.built == []
    assert {b.label for b in report.builds} == {"skipped: up to date"}


def test_a_changed_page_rebuilds_only_web(runtime: Runtime, course: BuildReport, tmp_path: Path) -> None:
    copy = tmp_path / "images"
    shutil.copytree(COURSE.folder, copy)
    page = copy / "web" / "index.html"
    page.write_text(page.read_text() + "<!-- changed by a test -->\n")
    counting = CountingRuntime(runtime)
    session_web = runtime.inspect_image(tag("web")).id
    try:
        report = build_images(
            counting,
            None,
            BASE,
            catalog=load_catalog(copy),  # type: ignore[arg-type]
            namespace=NAMESPACE,
        )
        assert counting.built == [tag("web")]
        assert report.get("web").status == "built"
        assert {b.name for b in report.builds if b.status == "skipped"} == {"base", "db", "dns", "netlab"}
        changed_web = report.get("web").image_id
        # The image the rebuild replaced is gone, not left behind untagged.
        assert changed_web != session_web and not runtime.image_exists(session_web)
    finally:
        # Back to the session's web image: its cached layers make this quick.
        restored = build_images(runtime, ["web"], BASE, namespace=NAMESPACE)
        assert restored.get("web").status == "built"
    assert not runtime.image_exists(changed_web)


def test_save_and_load_round_trip(runtime: Runtime, course: BuildReport, tmp_path: Path) -> None:
    archive = tmp_path / "course-images.tar"
    before = runtime.inspect_image(tag("dns"))
    saved = save_course_images(runtime, COURSE, archive, ["dns"], BASE, namespace=NAMESPACE)
    # Its parent and the base travel with it, so the content hashes hold where it is loaded.
    assert saved == [tag("base"), tag("dns"), BASES[BASE].ref]
    assert archive.stat().st_size > 1_000_000
    runtime.remove_image(tag("dns"))
    loaded = load_course_images(runtime, archive)
    assert any(ref.endswith(tag("dns")) for ref in loaded), loaded
    after = runtime.inspect_image(tag("dns"))
    assert after.id == before.id
    assert after.labels["io.labkit.content-hash"] == before.labels["io.labkit.content-hash"]


def registry_reachable(ref: str, timeout: float = 3.0) -> bool:
    """Whether the registry that serves `ref` accepts a TCP connection on 443."""
    host = ref.split("/", 1)[0]
    host = "registry-1.docker.io" if host == "docker.io" else host
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def pull_or_skip(runtime: Runtime, ref: str) -> None:
    """Pull `ref` with the engine's own client when it is not local.

    A registry that cannot be reached is a limit of the host: skip with the pull's own error,
    CI too (the run's summary counts it). A reachable registry whose pull fails is a failure
    under CI. The pull is bounded: with no registry it ends in well under a second here.
    """
    __tracebackhide__ = True
    if runtime.image_exists(ref):
        return
    reachable = registry_reachable(ref)
    try:
        pulled = subprocess.run(
            [runtime.name, "pull", "-q", ref],
            capture_output=True,
            text=True,
            timeout=900 if reachable else 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        error = "the pull did not end in time"
    else:
        if pulled.returncode == 0:
            return
        error = (pulled.stderr.strip().splitlines() or ["no output"])[-1]
    if reachable:
        cannot_run(f"{runtime.name} pull {ref} failed: {error}")
    host_limit(NO_REGISTRY, f"{runtime.name} pull {ref}: {error}")


@pytest.mark.parametrize("alias", sorted(a for a, b in BASES.items() if b.family is Family.DNF))
def test_dnf_family_build(runtime: Runtime, alias: str) -> None:
    base = BASES[alias]
    pull_or_skip(runtime, base.ref)
    report = build_images(runtime, ["netlab"], alias, namespace=NAMESPACE)
    try:
        assert report.ok, [(b.name, b.label, b.log_tail[-3:]) for b in report.builds]
    finally:
        for build in reversed(report.builds):
            with suppress(ImageNotFound):
                runtime.remove_image(build.tag, force=True)
