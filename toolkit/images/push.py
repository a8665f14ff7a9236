"""Push course images to a registry a cluster pulls from (`labkit images push`).

`labkit/web:debian-bookworm` goes to `REGISTRY/labkit/web:debian-bookworm`, the reference
`labkit export kube --registry REGISTRY` writes into the pods. Every image is looked up before
the first push, so a missing one stops the command before the registry sees anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from toolkit.errors import ImageNotFound, UsageError
from toolkit.images.registry import registry_ref
from toolkit.images.rendering import image_tag
from toolkit.runtime.protocol import Runtime


@dataclass(frozen=True)
class PushedImage:
    name: str  # the course image
    source: str  # the local reference
    destination: str  # where it went


def push_course_images(
    runtime: Runtime,
    names: Sequence[str],
    base: str,
    registry: str,
    *,
    insecure: bool = False,
    on_push: Callable[[str, str], None] | None = None,
) -> list[PushedImage]:
    """Push the course images `names`, built on `base`, to `registry`; return what was pushed.

    Raises:
        UsageError: an image is not built on this engine (nothing was pushed).
        EngineError: the registry refused a push or did not answer.
    """
    refs = {name: image_tag(name, base) for name in names}
    missing = [ref for ref in refs.values() if not runtime.image_exists(ref)]
    if missing:
        raise UsageError(
            f"not built on {runtime.name}: {', '.join(missing)}; build first "
            f"(labkit images build {' '.join(names)} --base {base})"
        )
    pushed = []
    for name, ref in refs.items():
        destination = registry_ref(registry, ref)
        if on_push is not None:
            on_push(ref, destination)
        try:
            runtime.push_image(ref, destination, insecure=insecure)
        except ImageNotFound as exc:  # removed between the look-up and the push
            raise UsageError(f"{ref}: {exc}") from exc
        pushed.append(PushedImage(name, ref, destination))
    return pushed
