"""Make sure every service's image is on the engine before anything of the stack is created.

Three kinds of image: a service with `build:` gets its own (tagged `<project>-<service>`, or its
`image:` when it names one, as Compose does); a course image (`labkit/<name>:<base tag>`, with
`<name>` in the course's images/ catalog) is built by the course image builder when missing
or stale;
any other image must already be there, since labkit never pulls.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from toolkit.course import course_of
from toolkit.errors import BuildFailed, ImageNotFound, StackError
from toolkit.images.containerfile import COURSE_NAMESPACE
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import BuildSpec, ImageInfo
from toolkit.stack import naming
from toolkit.stack.model import BuildConfig, Service, Stack
from toolkit.stack.outcomes import StackEvent, StackEventCallback


@dataclass(frozen=True)
class ServiceImage:
    ref: str
    info: ImageInfo


@dataclass(frozen=True)
class CourseRef:
    """A reference that names a course image: which image, built on which base."""

    name: str
    base_alias: str


def image_ref(service: Service, project: str) -> str:
    """The reference a service's container runs."""
    if service.image:
        return service.image
    return naming.build_tag(project, service.name)


def parse_course_ref(ref: str, catalog_names: Iterable[str]) -> CourseRef | None:
    """The course image a reference names (`labkit/web:debian-bookworm`), or None."""
    from toolkit.images.families import BASES

    repository, _, tag = ref.rpartition(":")
    if not repository or "/" in tag:
        repository, tag = ref, "latest"
    namespace, _, name = repository.partition("/")
    if namespace != COURSE_NAMESPACE or name not in set(catalog_names):
        return None
    for base in BASES.values():
        if base.tag == tag:
            return CourseRef(name, base.alias)
    return None


def prepare_images(
    runtime: Runtime,
    stack: Stack,
    services: Iterable[str],
    *,
    project: str,
    on_event: StackEventCallback | None = None,
) -> dict[str, ServiceImage]:
    """Build what is missing and inspect every service's image; return them by service.

    Raises StackError naming the service whose image cannot be built or is absent.
    """
    emit = on_event or (lambda event: None)
    chosen = [stack.services[name] for name in services]
    refs = {service.name: image_ref(service, project) for service in chosen}
    for service in chosen:
        if service.build is not None:
            _build_service_image(runtime, stack, service, refs[service.name], emit)
    # Course images are built when missing or stale: an unchanged one costs a content hash,
    # never a builder call, and a student never runs an exercise on an outdated image.
    _build_course_images(runtime, stack, refs, emit)
    infos = _inspect_all(runtime, set(refs.values()))
    for name, ref in refs.items():
        if ref not in infos:
            raise StackError(
                f"service {name}: image {ref} is not on {runtime.name}, and labkit never "
                "pulls: build or load it (e.g. `labkit images load FILE`), or fix `image:`",
                service=name,
            )
    return {name: ServiceImage(ref, infos[ref]) for name, ref in refs.items()}


def _inspect_all(runtime: Runtime, refs: Iterable[str]) -> dict[str, ImageInfo]:
    """The images that exist among `refs`, by reference."""
    found = {}
    for ref in sorted(refs):
        try:
            found[ref] = runtime.inspect_image(ref)
        except ImageNotFound:
            continue
    return found


def _build_service_image(
    runtime: Runtime, stack: Stack, service: Service, tag: str, emit: StackEventCallback
) -> None:
    build = service.build
    assert build is not None
    if service.pull_policy != "build" and runtime.image_exists(tag):
        return  # as Compose: build when missing (`pull_policy: build` rebuilds every time)
    emit(StackEvent("image-build", tag, f"for service {service.name}"))
    try:
        with _containerfile(build) as containerfile:
            spec = BuildSpec(
                context=build.context,
                tags=(tag,),
                containerfile=containerfile,
                build_args=build.args,
                labels=build.labels,
                target=build.target,
            )
            runtime.build_image(spec, on_progress=lambda out: emit(StackEvent("image-build", tag, out.line)))
    except BuildFailed as exc:
        raise StackError(
            f"service {service.name}: its image {tag} did not build ({exc.message}); fix "
            f"{_written_at(build)} and run up again",
            service=service.name,
            probe_output=exc.step,
            log_tail=exc.log_tail,
        ) from exc
    emit(StackEvent("image-built", tag, f"for service {service.name}"))


@contextmanager
def _containerfile(build: BuildConfig) -> Iterator[Path | None]:
    """The Containerfile to build with; `dockerfile_inline` text goes to a file outside the
    context for the build's length (both adapters send such a file along with the context)."""
    if build.dockerfile_inline is None:
        yield build.context / build.dockerfile if build.dockerfile else None
        return
    with tempfile.TemporaryDirectory(prefix="labkit-inline-") as folder:
        path = Path(folder) / "Containerfile"
        path.write_text(build.dockerfile_inline, encoding="utf-8")
        yield path


def _written_at(build: BuildConfig) -> str:
    if build.dockerfile_inline is not None:
        return "the service's build.dockerfile_inline"
    return str(build.context / (build.dockerfile or "Containerfile"))


def course_images_dir(stack: Stack) -> Path | None:
    """The images/ folder of the course an exercise belongs to, or None to let the image
    catalog find the course (toolkit.course)."""
    course = course_of(stack.folder)
    return None if course is None else course / "images"


def _build_course_images(
    runtime: Runtime, stack: Stack, refs: Mapping[str, str], emit: StackEventCallback
) -> None:
    """Build the references that name course images and are missing or stale, grouped by base."""
    candidates = {name: ref for name, ref in refs.items() if ref.startswith(f"{COURSE_NAMESPACE}/")}
    if not candidates:
        return
    from toolkit.images import BuildEvent, ensure_images, load_catalog

    images_dir = course_images_dir(stack)
    catalog_names = load_catalog(images_dir).names
    by_base: dict[str, dict[str, list[str]]] = {}  # base alias -> image name -> services
    for service, ref in candidates.items():
        course = parse_course_ref(ref, catalog_names)
        if course is not None:
            by_base.setdefault(course.base_alias, {}).setdefault(course.name, []).append(service)

    def forward(event: BuildEvent) -> None:
        if event.kind in ("started", "built", "failed"):
            done = event.kind == "built"
            emit(StackEvent("image-built" if done else "image-build", event.tag, event.message or event.kind))

    for alias, images in by_base.items():
        try:
            ensure_images(runtime, list(images), alias, on_event=forward, images_dir=images_dir)
        except BuildFailed as exc:
            services = sorted(s for users in images.values() for s in users)
            raise StackError(
                f"service {services[0]}: {exc.message}; fix the image under images/ and run up "
                "again (or `labkit images build` to see the whole log)",
                service=services[0],
                probe_output=exc.step,
                log_tail=exc.log_tail,
            ) from exc
