"""The engine's runner and the pods' runner follow one set of rules: the same answers give the
same results, prerequisites, points, hints and probes included.

The course's two exercises with `requires` and probe checks run on both paths, before and after
their solution, with every command answered from one script: on the fake engine (containers,
a probe container) and on fake pods (a cluster's or Podman's, with a probe pod).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from toolkit.checks.kube.pods import PodFacts, run_checks_in_pods
from toolkit.checks.probe import LABEL_PROBE
from toolkit.checks.results import CheckResult, CheckRun
from toolkit.checks.runner import run_checks
from toolkit.errors import NameConflict
from toolkit.export.kube import export_stack
from toolkit.export.kube.manifest import Manifest
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import ContainerSpec, ExecResult
from toolkit.stack import naming
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.health import Pace
from toolkit.stack.model import Stack
from toolkit.stack.specs_from_model import network_spec

COURSE = Path(__file__).resolve().parents[3] / "compose"
PROJECT = "alice"
# What each check's command prints once the exercise is solved (a solved world passes them all).
SOLVED = {
    "/etc/hostname on host1 says the host name": "lab-host1\n",
    "the host name resolves to host1's static address": "10.20.0.101     lab-host1\n",
    "host1 has its static address on eth0": "inet 10.20.0.11/24 scope global eth0\ninet 10.20.0.101/24\n",
    "host2 reaches host1 at its static address": "3 packets transmitted, 3 received\n",
    "host1 answers at its static address, seen from the LAN": "3 packets transmitted, 3 received\n",
    "host1 reaches host2 by name": "1 packets transmitted, 1 received\n",
    "client1 gets the page from web": "labkit web server\n",
    "client2 is kept out of web's port 80": "blocked\n",
    "web refuses port 80 to a stranger on the LAN": "blocked\n",
    "web's ruleset lets client1 in": "ip saddr 10.50.0.11 tcp dport 80 accept\n",
}
Answer = Callable[[str, Sequence[str]], ExecResult]  # where (service or probe-NET), argv


def load(exercise: str) -> Stack:
    return replace(load_stack(COURSE / exercise / "compose.yaml", environ={}), name=PROJECT)


def script(stack: Stack, solved: bool, heard: list[tuple[str, tuple[str, ...]]]) -> Answer:
    """Answers by check: before the solution only the ungraded checks pass."""
    by_command = {(check.service, check.run): check for check in stack.exercise.checks}

    def answer(where: str, argv: Sequence[str]) -> ExecResult:
        heard.append((where, tuple(argv)))
        command = tuple(argv[5:]) if argv[:1] == ["sudo"] or tuple(argv[:1]) == ("sudo",) else tuple(argv)
        check = by_command[(where, command)]
        if solved or not check.graded:
            return ExecResult(check.expect_exit, SOLVED[check.name], "")
        return ExecResult(1, "", "not yet\n")

    return answer


def on_engine(stack: Stack, runs: Sequence[Answer]) -> tuple[list[CheckRun], FakeRuntime]:
    fake = FakeRuntime()
    for service in stack.services.values():
        fake.add_image(service.image or "")
    for network in stack.networks.values():
        fake.create_network(network_spec(PROJECT, stack.folder.name, network))
    for name in stack.services:
        labels = naming.resource_labels(PROJECT, stack.folder.name) | {naming.LABEL_SERVICE: name}
        fake.start_container(
            fake.create_container(ContainerSpec(stack.services[name].image or "", name, labels))
        )
    found = []
    for answer in runs:

        def where(container: str, argv: Sequence[str], answer: Answer = answer) -> ExecResult:
            labels = fake.inspect_container(container).labels
            place = labels.get(naming.LABEL_SERVICE) or f"probe-{labels[LABEL_PROBE]}"
            return answer(place, argv)

        fake.on_exec = where
        found.append(run_checks(fake, stack, PROJECT))
    return found, fake


class ScriptedPods:
    """A namespace's pods held in memory: the export's, Running; a created pod runs from its
    second read on, as a scheduled pod would."""

    def __init__(self, stack: Stack) -> None:
        self.pods: dict[str, PodFacts] = {}
        self.created: list[Manifest] = []
        self.answer: Answer = lambda where, argv: ExecResult(0, "", "")
        self._reads: dict[str, int] = {}
        for manifest in export_stack(stack).objects:
            if manifest["kind"] == "Pod":
                self.pods[manifest["metadata"]["name"]] = _facts(manifest, "Running")

    @property
    def namespace(self) -> str:
        return PROJECT

    def list_pods(self) -> list[PodFacts]:
        return list(self.pods.values())

    def read_pod(self, name: str) -> PodFacts | None:
        self._reads[name] = self._reads.get(name, 0) + 1
        pod = self.pods.get(name)
        if pod is not None and pod.phase == "Pending" and self._reads[name] > 1:
            pod = self.pods[name] = replace(pod, phase="Running")
        return pod

    def create_pod(self, manifest: Manifest) -> None:
        if manifest["metadata"]["name"] in self.pods:
            raise NameConflict(manifest["metadata"]["name"])
        self.created.append(manifest)
        self.pods[manifest["metadata"]["name"]] = _facts(manifest, "Pending")

    def delete_pod(self, manifest: Manifest) -> None:
        self.pods.pop(manifest["metadata"]["name"], None)

    def exec(self, pod: PodFacts, argv: Sequence[str], timeout: float) -> ExecResult:
        where = pod.service or f"probe-{pod.probe}"
        return self.answer(where, argv)


def _facts(manifest: Manifest, phase: str) -> PodFacts:
    meta = manifest["metadata"]
    container = manifest["spec"]["containers"][0]
    return PodFacts(
        meta["name"],
        container["name"],
        phase,
        meta["labels"],
        meta.get("annotations", {}),
        container["image"],
    )


NO_SLEEP = Pace(sleep=lambda seconds: None)


def in_pods(stack: Stack, runs: Sequence[Answer]) -> tuple[list[CheckRun], ScriptedPods]:
    pods = ScriptedPods(stack)
    found = []
    for answer in runs:
        pods.answer = answer
        found.append(run_checks_in_pods(stack, pods, pace=NO_SLEEP))
    return found, pods


def outcome(result: CheckResult) -> tuple[object, ...]:
    return (
        result.name,
        result.service,
        result.passed,
        result.reason,
        result.blocked_by,
        result.exit_code,
        result.stdout,
        result.earned,
        result.points,
        result.graded,
        result.hint,
    )


@pytest.mark.parametrize("exercise", ["hostname-ip", "firewall"])
def test_both_runners_give_the_same_results_before_and_after_the_solution(exercise: str) -> None:
    stack = load(exercise)
    heard_engine: list[tuple[str, tuple[str, ...]]] = []
    heard_pods: list[tuple[str, tuple[str, ...]]] = []
    engine_runs, fake = on_engine(
        stack, [script(stack, False, heard_engine), script(stack, True, heard_engine)]
    )
    pod_runs, pods = in_pods(stack, [script(stack, False, heard_pods), script(stack, True, heard_pods)])
    for engine_run, pod_run in zip(engine_runs, pod_runs, strict=True):
        assert [outcome(r) for r in engine_run.results] == [outcome(r) for r in pod_run.results]
        assert (engine_run.score_text, engine_run.exercise) == (pod_run.score_text, pod_run.exercise)
    before, after = pod_runs
    assert after.passed and not before.passed
    # Blocked checks never reached a container, on either path; the same commands ran.
    blocked = {r.name for r in before.results if r.blocked_by}
    assert len(heard_engine) == len(heard_pods) == 2 * len(stack.exercise.checks) - len(blocked)
    # One probe per path, made when a probe check first ran and reused by the second run.
    probes = fake.list_containers({LABEL_PROBE: None}, all=True)
    assert len(probes) == len(pods.created) == 1
    assert [m["metadata"]["name"] for m in pods.created] == ["probe-lan"]


def test_a_probe_check_whose_prerequisite_failed_is_not_run_and_makes_no_probe_pod() -> None:
    stack = load("hostname-ip")
    (before,), pods = in_pods(stack, [script(stack, False, [])])
    probe_check = next(r for r in before.results if r.service == "probe-lan")
    assert probe_check.blocked_by == "host1 has its static address on eth0"
    assert (
        probe_check.reason == "not run: requires 'host1 has its static address on eth0', which did not pass"
    )
    assert pods.created == []
    # On an engine the probe is made before the first check all the same: a container joining
    # a network while checks run can cost another check its name lookup on Podman (probe.py).
    # It runs nothing: the check is reported as not run, the same as on a cluster.
    (before_on_engine,), fake = on_engine(stack, [script(stack, False, [])])
    probes = fake.list_containers({LABEL_PROBE: None}, all=True)
    assert len(probes) == 1
    assert not any(call.container == probes[0].id for call in fake.execs)
    assert before_on_engine.results == before.results


def test_a_check_as_another_user_runs_under_sudo_in_a_pod_and_as_root_in_the_probe() -> None:
    stack = load("firewall")
    heard: list[tuple[str, tuple[str, ...]]] = []
    in_pods(stack, [script(stack, True, heard)])
    ruleset = next(argv for where, argv in heard if where == "web")
    assert ruleset[:5] == ("sudo", "-n", "-u", "root", "--")
    probe = next(argv for where, argv in heard if where == "probe-lan")
    assert probe[0] == "/bin/sh"  # the probe pod runs as root: no sudo needed
    heard_engine: list[tuple[str, tuple[str, ...]]] = []
    (run,), fake = on_engine(stack, [script(stack, True, heard_engine)])
    users = {
        fake.inspect_container(call.container).labels.get(naming.LABEL_SERVICE): call.user
        for call in fake.execs
    }
    assert users["web"] == "root" and users[None] == "root"
