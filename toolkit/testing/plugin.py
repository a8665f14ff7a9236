"""labkit's pytest plugin (entry point `pytest11: labkit`): fixtures to test course images,
exercise stacks and single containers on Docker or Podman.

Fixtures:
    lab_engine         the engine a test runs on (a Runtime). `--lab-engine docker|podman|all`
                       or a `@pytest.mark.lab_engines("all")` marker chooses; by default
                       LABKIT_ENGINE, then the first engine that answers. With `all`, every
                       test using an engine fixture runs once per engine that answers (with
                       CI=true once per engine, and fails on one that does not answer).
    lab_image          lab_image("netlab", base="debian:bookworm") -> the built image's tag
    lab_stack          lab_stack("routing") or lab_stack(path) -> a running LabStack, down
                       after the test; lab_stack_module keeps one for the whole module
    lab_container      lab_container(image, command=..., wait=ExecReady([...])) -> a started
                       testcontainers DockerContainer (LabContainer), removed after the test

Everything these create carries this run's labels; the session's end removes whatever is
left (Ctrl-C and SIGTERM included), and a run killed outright is cleaned by the next run or by
`labkit gc` (see toolkit.testing.run).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from toolkit.errors import EngineUnavailable, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.testing.engines import NO_ENGINE, engines_for, in_ci, parse_request
from toolkit.testing.run import Engine, LabRun, RunOutcome

if TYPE_CHECKING:  # imported on use: loading the plugin must not import testcontainers
    from toolkit.testing.containers import ContainerFactory, LabContainer
    from toolkit.testing.stacks import LabStack, StackFactory

RUN_KEY = pytest.StashKey[LabRun]()
_ENGINES_KEY = pytest.StashKey[dict[tuple[str, ...] | None, list[str]]]()
_SIGTERM_KEY = pytest.StashKey[Any]()
_OUTCOMES_KEY = pytest.StashKey[list[RunOutcome]]()  # this process's, and its xdist workers'
_WORKER_OUTPUT = "labkit_run"


# ---------------------------------------------------------------- hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("labkit", "labkit: course images and exercise stacks")
    group.addoption(
        "--lab-engine",
        metavar="ENGINE",
        default=None,
        help="docker, podman or all (every engine that answers; with CI=true both, and one that "
        "does not answer fails); default: $LABKIT_ENGINE, then the first engine that answers. "
        "Overrides lab_engines markers.",
    )
    group.addoption(
        "--lab-course",
        metavar="DIR",
        default=None,
        help="the course's compose/ folder, for lab_stack('exercise'); default: "
        "$LABKIT_COURSE/compose, else the compose/ of the nearest course at or above the rootdir",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lab_engines(*names): the engines this test runs on: docker, podman or all "
        "(--lab-engine overrides it)",
    )
    option = config.getoption("--lab-engine", default=None)
    if option:
        try:
            parse_request([option], "--lab-engine")
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[RUN_KEY] = LabRun()
    config.stash[_ENGINES_KEY] = {}
    _catch_sigterm(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    previous = config.stash.get(_SIGTERM_KEY, None)
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def pytest_report_header(config: pytest.Config) -> str:
    run = config.stash[RUN_KEY]
    return f"labkit: run {run.run_id}, owner {run.owner}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test that needs an engine over the engines it should run on."""
    if "lab_engine" not in metafunc.fixturenames:
        return
    config = metafunc.config
    requested = _requested(config, metafunc.definition.get_closest_marker("lab_engines"))
    cache = config.stash[_ENGINES_KEY]
    key = tuple(requested) if requested is not None else None
    if key not in cache:
        cache[key] = engines_for(requested)
    names = cache[key]
    metafunc.parametrize("lab_engine", names, indirect=True, scope="session", ids=names)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove what this run left (an interrupted test's fixtures never tore down).

    First among sessionfinish hooks, so checks for leftovers that run after it see a clean
    engine; fixture teardowns that run later find their resources gone, which they accept.
    A pytest-xdist worker sends what it removed to the controlling process, which reports.
    """
    config = session.config
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    outcome = RunOutcome.of(run, run.sweep())
    config.stash.setdefault(_OUTCOMES_KEY, []).append(outcome)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_OUTPUT] = outcome.to_dict()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: a worker ended; keep what its run cleaned up for the report."""
    sent = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if sent is not None:
        node.config.stash.setdefault(_OUTCOMES_KEY, []).append(RunOutcome.from_dict(sent))


def run_outcomes(config: pytest.Config) -> list[RunOutcome]:
    """What this run (each of its processes under pytest-xdist) reaped and swept."""
    found: list[RunOutcome] = config.stash.get(_OUTCOMES_KEY, [])
    return list(found)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    outcomes = run_outcomes(config)
    reaped = sum(len(outcome.reaped) for outcome in outcomes)
    swept = sum(len(outcome.swept) for outcome in outcomes)
    if reaped:
        terminalreporter.write_line(f"labkit: removed {reaped} resources left by earlier runs that died")
    for outcome in outcomes:
        for error in outcome.reap_errors:
            terminalreporter.write_line(f"labkit: could not remove what dead runs left on {error}")
    if swept:
        terminalreporter.write_line(f"labkit: removed {swept} resources this run's tests left behind")
    for outcome in outcomes:
        for failure in outcome.failed:
            terminalreporter.write_line(
                f"labkit: could not remove {failure}; `labkit gc` will once this run is over", red=True
            )


def _catch_sigterm(config: pytest.Config) -> None:
    """Turn SIGTERM (a CI job cancelled, `timeout`) into Ctrl-C, so the final sweep runs.

    Only where nobody else handles SIGTERM, and only in the main thread (signals need it).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def interrupt(signum: int, frame: FrameType | None) -> NoReturn:
        raise KeyboardInterrupt(f"signal {signum}")

    config.stash[_SIGTERM_KEY] = signal.signal(signal.SIGTERM, interrupt)


def _requested(config: pytest.Config, marker: pytest.Mark | None) -> list[str] | None:
    option = config.getoption("--lab-engine", default=None)
    if option:
        return parse_request([option], "--lab-engine")
    if marker is not None:
        return parse_request([str(arg) for arg in marker.args] or ["all"], "the lab_engines marker")
    return None


def _unavailable(message: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{message} (CI=true: every engine asked for must answer)", pytrace=False)
    pytest.skip(message)


def _engine(config: pytest.Config, name: str) -> Engine:
    if name == NO_ENGINE:
        _unavailable("no Docker or Podman engine answers")
    try:
        return config.stash[RUN_KEY].engine(name)
    except EngineUnavailable as exc:
        reason = f"{name} does not answer: {exc}"
    _unavailable(reason)  # outside the handler: the report shows the reason, not a chain


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def lab_run(pytestconfig: pytest.Config) -> LabRun:
    """This run's identity: its run id, owner and labels."""
    return pytestconfig.stash[RUN_KEY]


@pytest.fixture(scope="session")
def lab_engine(request: pytest.FixtureRequest) -> Runtime:
    """The engine this test runs on."""
    name = getattr(request, "param", None) or engines_for(None)[0]
    return _engine(request.config, name).runtime


@pytest.fixture(scope="session")
def lab_image(lab_engine: Runtime) -> Callable[..., str]:
    """Build (or reuse, when its inputs did not change) a course image; returns its tag.

    lab_image("netlab", base="debian:bookworm", images_dir=None) -> "labkit/netlab:debian-bookworm"
    """
    from toolkit.images import DEFAULT_BASE, ensure_images

    built: dict[tuple[str, str, str], str] = {}
    lock = threading.Lock()

    def build(name: str, base: str = DEFAULT_BASE, *, images_dir: Path | None = None) -> str:
        key = (name, base, str(images_dir or ""))
        with lock:
            if key not in built:
                built[key] = ensure_images(lab_engine, [name], base, images_dir=images_dir)[name]
            return built[key]

    return build


def _compose_root(config: pytest.Config) -> Path:
    """--lab-course, else the compose/ of the course (toolkit.course) found from the rootdir."""
    from toolkit.course import compose_root

    configured = config.getoption("--lab-course", default=None)
    return Path(configured).resolve() if configured else compose_root(config.rootpath)


def _stack_factory(config: pytest.Config, runtime: Runtime) -> tuple[StackFactory, list[LabStack]]:
    from toolkit.checks.project import with_labels
    from toolkit.course import load_exercise, names_a_path
    from toolkit.stack.naming import project_from_stack_name
    from toolkit.testing.stacks import LabStack

    run = config.stash[RUN_KEY]
    started: list[LabStack] = []

    def start(
        target: str | Path,
        *,
        project: str | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> LabStack:
        """Bring an exercise (by name) or a Compose file (by path) up for this test."""
        root = Path.cwd() if names_a_path(target) else _compose_root(config)
        stack = load_exercise(
            Path(target).resolve() if names_a_path(target) else target, root=root, environ=environ
        )
        name = project or run.unique_project(project_from_stack_name(stack.name))
        lab = LabStack(runtime, with_labels(stack, run.labels(name)), name)
        started.append(lab)
        return lab.up(timeout=timeout)

    return start, started


def _down_all(started: Sequence[LabStack]) -> None:
    from toolkit.testing.stacks import down_quietly

    errors = down_quietly(started)
    if errors:
        pytest.fail("could not take lab stacks down: " + "; ".join(errors), pytrace=False)


@pytest.fixture
def lab_stack(request: pytest.FixtureRequest, lab_engine: Runtime) -> Iterator[StackFactory]:
    """Bring exercise stacks up for one test; each goes down when the test ends.

    lab = lab_stack("routing")          # or lab_stack(Path("compose.yaml"))
    lab.exec("host1", "ip route"), lab.ip("host1", "lan1"), lab.logs("router"),
    lab.check(), lab.solve()
    """
    start, started = _stack_factory(request.config, lab_engine)
    yield start
    _down_all(started)


@pytest.fixture(scope="module")
def lab_stack_module(request: pytest.FixtureRequest, lab_engine: Runtime) -> Iterator[StackFactory]:
    """lab_stack for a whole module: stacks stay up until its last test is done."""
    start, started = _stack_factory(request.config, lab_engine)
    yield start
    _down_all(started)


@pytest.fixture
def lab_container(request: pytest.FixtureRequest, lab_engine: Runtime) -> Iterator[ContainerFactory]:
    """Start single containers with testcontainers, on this test's engine.

    box = lab_container("labkit-test/busybox:latest", command="sleep 600",
                        wait=ExecReady(["true"]))
    box.run(["cat", "/etc/hostname"]) -> (0, "...")

    Keyword arguments beyond command, env, ports, name and wait go to docker-py's
    `containers.create`. Each container is killed and removed when the test ends.
    """
    from toolkit.testing.containers import LabContainer

    run = request.config.stash[RUN_KEY]
    engine = _engine(request.config, lab_engine.name)
    started: list[tuple[str, LabContainer]] = []

    def start(image: str, **options: Any) -> LabContainer:
        project = run.unique_project("box")
        options.setdefault("name", project)
        labels = {**options.pop("labels", {}), **run.labels(project)}
        container = LabContainer(image, engine=engine.choice, labels=labels, **options)
        started.append((options["name"], container))
        return container.start()

    yield start
    failures = []
    for name, container in reversed(started):
        try:
            container.stop()
        except Exception as exc:  # report every container that stays, not only the first
            failures.append(f"{name}: {exc}")
    if failures:
        pytest.fail("could not remove lab containers: " + "; ".join(failures), pytrace=False)
