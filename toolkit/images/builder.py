"""Build course images for one base: dependency order, skip-if-unchanged, a small pool, events.

An image whose inputs (fingerprint.py) match the `io.labkit.content-hash` label of its tag is
skipped without calling the engine's builder. Images that do not depend on each other build
concurrently (two at a time by default: builds are bound by the network and the disk). When an
image fails, the images built FROM it are reported "skipped: base failed" and the others go on.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Literal

from toolkit.errors import BuildFailed, ImageNotFound, ToolkitError, UsageError
from toolkit.images.catalog import Catalog, CourseImage
from toolkit.images.containerfile import OS_IMAGE
from toolkit.images.families import Base, get_base
from toolkit.images.fingerprint import content_hash, labkit_version
from toolkit.images.rendering import DEFAULT_NAMESPACE, image_tag, render_containerfile
from toolkit.runtime.protocol import BuildOutput, Runtime
from toolkit.runtime.specs import BuildSpec

HASH_LABEL = "io.labkit.content-hash"
IMAGE_LABEL = "io.labkit.image"
BASE_LABEL = "io.labkit.base"
UP_TO_DATE = "up to date"
BASE_FAILED = "base failed"
DEFAULT_WORKERS = 2

EventKind = Literal["queued", "started", "step", "output", "built", "skipped", "failed"]
Status = Literal["built", "skipped", "failed"]


@dataclass(frozen=True)
class BuildEvent:
    """Something that happened to one image; `elapsed` counts from its start."""

    image: str
    tag: str
    kind: EventKind
    elapsed: float = 0.0
    step: str = ""  # the current step, "3/7 RUN apt-get update ..."
    message: str = ""  # an output line, a skip reason, an error
    log_tail: tuple[str, ...] = ()


EventCallback = Callable[[BuildEvent], None]


@dataclass(frozen=True)
class ImageBuild:
    """How one image's build ended."""

    name: str
    tag: str
    status: Status
    seconds: float
    reason: str = ""  # "up to date", "base failed", or the error
    image_id: str = ""
    content_hash: str = ""
    step: str = ""  # the failing step
    log_tail: tuple[str, ...] = ()

    @property
    def has_image(self) -> bool:
        """The tag exists and matches its inputs (built now or before)."""
        return self.status == "built" or (self.status == "skipped" and self.reason == UP_TO_DATE)

    @property
    def label(self) -> str:
        """`built`, `skipped: up to date`, `skipped: base failed`, `failed`."""
        return f"{self.status}: {self.reason}" if self.status == "skipped" else self.status


@dataclass(frozen=True)
class BuildReport:
    base: Base
    builds: tuple[ImageBuild, ...]

    @property
    def ok(self) -> bool:
        return all(b.status != "failed" and b.has_image for b in self.builds)

    @property
    def failed(self) -> tuple[ImageBuild, ...]:
        return tuple(b for b in self.builds if b.status == "failed")

    def get(self, name: str) -> ImageBuild:
        return next(b for b in self.builds if b.name == name)


@dataclass
class _Plan:
    """Everything decided before the first engine call."""

    base: Base
    order: list[str]
    rendered: dict[str, str]
    tags: dict[str, str]
    base_id: str
    results: dict[str, ImageBuild] = field(default_factory=dict)
    # name -> id of the image its tag named before this run rebuilt it
    replaced: dict[str, str] = field(default_factory=dict)
    # Set when the caller stopped waiting (Ctrl-C): builds still running are abandoned.
    cancelled: threading.Event = field(default_factory=threading.Event)


def missing_base_hint(base: Base) -> str:
    if base.bootstrappable:
        return f"run 'labkit images bootstrap {base.alias}' (no registry needed)"
    return f"pull {base.ref} where its registry is reachable, then 'labkit images load' it here"


class CourseBuilder:
    """Builds course images of one catalog for one base on one engine."""

    def __init__(
        self,
        runtime: Runtime,
        catalog: Catalog,
        base: Base | str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        force: bool = False,
        build_args: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.runtime = runtime
        self.catalog = catalog
        self.base = base if isinstance(base, Base) else get_base(base)
        self.namespace = namespace
        self.force = force
        self.build_args = dict(build_args or {})
        self.workers = max(1, workers)
        self._on_event = on_event
        self._event_lock = threading.Lock()

    def _emit(self, event: BuildEvent) -> None:
        if self._on_event is not None:
            with self._event_lock:  # the callback never runs twice at once
                self._on_event(event)

    def plan(self, names: Iterable[str] | None = None) -> _Plan:
        """Render every image first, so a bad Containerfile fails before any build starts."""
        order = self.catalog.build_order(names)
        rendered: dict[str, str] = {}
        for name in order:
            image = self.catalog.get(name)
            if self.base.family not in image.families:
                raise UsageError(
                    f"{name} cannot be built on {self.base.alias}: it uses packages the "
                    f"{self.base.family.value} family lacks"
                )
            rendered[name] = render_containerfile(image, self.base, self.namespace)
        try:
            base_id = self.runtime.inspect_image(self.base.ref).id
        except ImageNotFound:
            raise ImageNotFound(
                f"base image {self.base.ref} ({self.base.alias}) is not on {self.runtime.name}: "
                + missing_base_hint(self.base)
            ) from None
        tags = {n: image_tag(n, self.base, self.namespace) for n in order}
        return _Plan(self.base, order, rendered, tags, base_id)

    def build(self, names: Iterable[str] | None = None) -> BuildReport:
        """Build `names` (default: all) and the course images they are built from.

        Raises UsageError or ImageNotFound before building anything; build failures are in
        the report, never raised.
        """
        plan = self.plan(names)
        for name in plan.order:
            self._emit(BuildEvent(name, plan.tags[name], "queued"))
        pending = list(plan.order)
        running: dict[Future[ImageBuild], str] = {}
        try:
            while pending or running:
                for name in list(pending):
                    parents = self.catalog.get(name).parents
                    if any(p in plan.results and not plan.results[p].has_image for p in parents):
                        pending.remove(name)
                        self._finish(plan, ImageBuild(name, plan.tags[name], "skipped", 0.0, BASE_FAILED))
                    elif all(p in plan.results for p in parents) and len(running) < self.workers:
                        pending.remove(name)
                        running[_in_daemon_thread(partial(self._build_one, plan, name))] = name
                if not running:
                    if pending:  # cannot happen with a topological order; never spin
                        raise RuntimeError(f"no image of {pending} can start")
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    self._finish(plan, future.result())
        except BaseException:
            # Ctrl-C (or a failing callback): return at once rather than after the builds in
            # flight. When this process exits, the engine sees their connections close and
            # drops them; in a process that lives on, each runs to its end and its image is
            # removed again.
            plan.cancelled.set()
            raise
        self._remove_replaced(plan)
        return BuildReport(self.base, tuple(plan.results[n] for n in plan.order))

    def _remove_replaced(self, plan: _Plan) -> None:
        """Remove the images this run's builds replaced, once nothing names them any more.

        Without this every rebuild leaves the old image behind, untagged, and a course rebuilt
        through a term fills the disk. Children go first, since an image other images are built
        on cannot go before them; one a container still uses, or another tag names, stays.
        """
        for name in reversed(plan.order):
            old = plan.replaced.get(name)
            if old is None or plan.results[name].status != "built":
                continue
            with suppress(ToolkitError):
                if not self.runtime.inspect_image(old).tags:
                    self.runtime.remove_image(old)

    def _finish(self, plan: _Plan, result: ImageBuild) -> None:
        plan.results[result.name] = result
        message = result.reason if result.status != "built" else ""
        self._emit(
            BuildEvent(
                result.name, result.tag, result.status, result.seconds, result.step, message, result.log_tail
            )
        )

    def _parent_ids(self, plan: _Plan, image: CourseImage) -> str:
        ids = [plan.base_id] if any(f.image == OS_IMAGE for f in image.template.from_lines()) else []
        ids += [plan.results[p].image_id for p in image.parents]
        return ",".join(ids)

    def _build_one(self, plan: _Plan, name: str) -> ImageBuild:
        started = time.monotonic()
        image, tag = self.catalog.get(name), plan.tags[name]
        digest = content_hash(image, plan.rendered[name], self._parent_ids(plan, image), self.build_args)
        try:
            try:
                existing = self.runtime.inspect_image(tag)
            except ImageNotFound:
                existing = None
            if existing is not None:
                if not self.force and existing.labels.get(HASH_LABEL) == digest:
                    return ImageBuild(
                        name, tag, "skipped", time.monotonic() - started, UP_TO_DATE, existing.id, digest
                    )
                if HASH_LABEL in existing.labels:  # a labkit build: labkit may replace it
                    plan.replaced[name] = existing.id
            # Said only now: an up-to-date image is not "being built".
            self._emit(BuildEvent(name, tag, "started"))

            def progress(output: BuildOutput) -> None:
                elapsed = time.monotonic() - started
                if output.starts_step:
                    self._emit(BuildEvent(name, tag, "step", elapsed, output.step))
                else:
                    self._emit(BuildEvent(name, tag, "output", elapsed, output.step, output.line))

            with tempfile.TemporaryDirectory(prefix=f"labkit-build-{name}-") as folder:
                context = self._context(image, plan.rendered[name], Path(folder))
                info = self.runtime.build_image(
                    BuildSpec(
                        context=context,
                        tags=(tag,),
                        containerfile=Path("Containerfile"),
                        build_args=self.build_args,
                        labels=self._labels(plan, image, digest),
                        no_cache=self.force,
                    ),
                    on_progress=progress,
                )
            if plan.cancelled.is_set():
                # Nobody waits for this build any more (Ctrl-C): it ran to its end in the
                # background, so its image goes again.
                self._discard(tag, digest)
                return ImageBuild(name, tag, "failed", time.monotonic() - started, "interrupted")
        except BuildFailed as exc:
            self._discard(tag, digest)
            return ImageBuild(
                name,
                tag,
                "failed",
                time.monotonic() - started,
                exc.message,
                step=exc.step,
                log_tail=exc.log_tail,
            )
        except ToolkitError as exc:
            return ImageBuild(name, tag, "failed", time.monotonic() - started, exc.message)
        return ImageBuild(name, tag, "built", time.monotonic() - started, "", info.id, digest)

    def _discard(self, tag: str, digest: str) -> None:
        """Remove the tag a failed or abandoned build got as far as making, if it carries this
        build's hash. (A failed build leaves no labelled image otherwise: the runtime sees to it.)
        """
        with suppress(ToolkitError):  # not there, or the engine is gone: nothing more to do
            if self.runtime.inspect_image(tag).labels.get(HASH_LABEL) == digest:
                self.runtime.remove_image(tag, force=True)

    @staticmethod
    def _context(image: CourseImage, rendered: str, folder: Path) -> Path:
        """A private copy of the context with the rendered Containerfile in it."""
        for relative in image.context_files():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(image.folder / relative, target)
        (folder / "Containerfile").write_text(rendered, encoding="utf-8")
        return folder

    def _labels(self, plan: _Plan, image: CourseImage, digest: str) -> dict[str, str]:
        final_from = image.template.from_lines()[-1]
        parent = final_from.course_image
        if final_from.image == OS_IMAGE:
            base_name = self.base.ref
        else:
            base_name = plan.tags[parent] if parent in plan.tags else final_from.image
        return {
            "org.opencontainers.image.title": image.name,
            "org.opencontainers.image.description": image.description,
            "org.opencontainers.image.created": datetime.now(UTC).isoformat(timespec="seconds"),
            "org.opencontainers.image.version": labkit_version(),
            "org.opencontainers.image.base.name": base_name,
            IMAGE_LABEL: image.name,
            BASE_LABEL: self.base.alias,
            "io.labkit.family": self.base.family.value,
            HASH_LABEL: digest,
        }


def _in_daemon_thread(work: Callable[[], ImageBuild]) -> Future[ImageBuild]:
    """Run `work` on a daemon thread, its outcome in a future.

    Not an executor: its threads are joined when the interpreter exits, so after Ctrl-C labkit
    would wait for every build in flight to end, and each would tag its image.
    """
    future: Future[ImageBuild] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the waiting thread
            future.set_exception(exc)

    threading.Thread(target=run, name="labkit-build", daemon=True).start()
    return future
