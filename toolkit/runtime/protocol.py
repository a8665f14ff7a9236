"""The engine seam: the one interface that hides Docker and Podman from everything above it.

Docker's behaviour is the reference (Compose files are written for it). Each adapter makes its
engine behave that way and turns its SDK's errors into `toolkit.errors` inside the adapter, so
callers never see which engine runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from toolkit.runtime.specs import (
    BuildSpec,
    ContainerInfo,
    ContainerSpec,
    EngineInfo,
    ExecResult,
    HealthProbe,
    ImageInfo,
    LabelSelector,
    NetworkInfo,
    NetworkSpec,
    VolumeInfo,
    VolumeSpec,
)


@dataclass(frozen=True)
class BuildOutput:
    """One line of a build's output, read the same way on every engine.

    `step` is the step the line belongs to, as "3/7 RUN apt-get update" whether the engine
    printed "Step 3/7 : RUN ..." (Docker) or "STEP 3/7: RUN ..." (Podman); "" before the first.
    `starts_step` marks the step's own heading line.
    """

    line: str
    step: str = ""
    starts_step: bool = False


ProgressCallback = Callable[[BuildOutput], None]


@runtime_checkable
class Runtime(Protocol):
    """A container engine, as labkit needs it."""

    @property
    def name(self) -> str:
        """The engine's name: "docker" or "podman"."""
        ...

    def info(self) -> EngineInfo:
        """Describe the engine: version, API version, socket, rootless."""
        ...

    def close(self) -> None:
        """Release the connection (and any service the adapter started for itself)."""
        ...

    # ------------------------------------------------------------ images
    def image_exists(self, ref: str) -> bool: ...

    def inspect_image(self, ref: str) -> ImageInfo:
        """Raises ImageNotFound."""
        ...

    def list_images(self, labels: LabelSelector) -> list[ImageInfo]: ...

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        """Build and tag an image, streaming its output to on_progress; raises BuildFailed.

        BuildFailed.step is the failing step as BuildOutput.step spells it. A failed build
        leaves no image carrying the spec's labels behind.

        Images keep Docker's format, so a Containerfile's HEALTHCHECK survives on both engines.
        """
        ...

    def tag_image(self, ref: str, new_ref: str) -> None: ...

    def remove_image(self, ref: str, force: bool = False) -> None: ...

    def push_image(self, ref: str, destination: str, *, insecure: bool = False) -> None:
        """Push the local image `ref` to a registry as `destination` (HOST[:PORT]/REPO:TAG).

        `insecure` allows plain HTTP (and unverified TLS) where the engine decides per push;
        Docker decides per daemon (localhost registries are allowed). Raises ImageNotFound,
        EngineError (the registry refused or did not answer).
        """
        ...

    def save_images(self, refs: Sequence[str], path: Path) -> None:
        """Write the images to one docker-archive tar that `load_images` on either engine reads."""
        ...

    def load_images(self, path: Path) -> list[str]:
        """Load images from a tar written by `save_images`; return the references loaded."""
        ...

    def import_rootfs(
        self,
        tar_path: Path,
        ref: str,
        *,
        changes: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        """Make an image from a root filesystem tarball (Containerfile-style `changes`)."""
        ...

    # ------------------------------------------------------------ networks
    def create_network(self, spec: NetworkSpec) -> NetworkInfo:
        """Create a bridge network; raises NameConflict if the name is taken."""
        ...

    def inspect_network(self, name: str) -> NetworkInfo:
        """Raises NetworkNotFound."""
        ...

    def remove_network(self, name: str) -> None:
        """Raises NetworkNotFound."""
        ...

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]: ...

    # ------------------------------------------------------------ volumes
    def create_volume(self, spec: VolumeSpec) -> VolumeInfo: ...

    def remove_volume(self, name: str, force: bool = False) -> None: ...

    def list_volumes(self, labels: LabelSelector) -> list[VolumeInfo]: ...

    # ------------------------------------------------------------ containers
    def create_container(self, spec: ContainerSpec) -> str:
        """Create (not start) a container; return its id. Raises NameConflict, ImageNotFound."""
        ...

    def start_container(self, container: str) -> None: ...

    def stop_container(self, container: str, timeout: float = 10.0) -> None: ...

    def kill_container(self, container: str, signal: str = "SIGKILL") -> None: ...

    def remove_container(self, container: str, *, force: bool = True, volumes: bool = False) -> None:
        """Remove a container; with force a running one is killed first (no stop timeout)."""
        ...

    def inspect_container(self, container: str) -> ContainerInfo:
        """State, exit code, IPs per network, and health as labkit sees it.

        Raises ContainerNotFound.
        """
        ...

    def list_containers(
        self, labels: LabelSelector, *, all: bool = True, health: bool = True
    ) -> list[ContainerInfo]:
        """Every container carrying `labels` (with all=False, the running ones), inspected.

        With health=False no healthcheck is probed on demand: `health` is then what the
        engine last recorded, for callers that do not read it (`down`, finding a service).
        """
        ...

    def container_logs(
        self, container: str, *, tail: int | None = None, follow: bool = False
    ) -> Iterator[str]:
        """Lines of the container's stdout and stderr; with follow, until it stops."""
        ...

    def exec(
        self,
        container: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        """Run a command in a running container; raises ExecTimeout past timeout.

        A non-root user holds none of the container's capabilities, on both engines: only root
        in the container (and so sudo) reaches them.
        """
        ...

    def exec_user(self, container: str, user: str | None) -> str | None:
        """The user to hand the engine's own `exec` command for `user` (None: the container's
        user), so that a terminal session gets what `exec` here gives."""
        ...

    def run_healthcheck(self, container: str) -> HealthProbe:
        """Run the container's healthcheck (its own or its image's) once, now."""
        ...
