"""Podman images under Docker's names, built in Docker's format."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from podman.api import APIClient

from toolkit.errors import BuildFailed, EngineError, ImageNotFound, ToolkitError
from toolkit.runtime.build_output import BuildLog
from toolkit.runtime.podman import refs as podman_refs
from toolkit.runtime.podman.errors import JSON, body, check, engine_errors
from toolkit.runtime.podman.labels import CONTAINERFILE as LABEL_CONTAINERFILE
from toolkit.runtime.podman.labels import label_stage
from toolkit.runtime.podman.network import label_filters
from toolkit.runtime.protocol import ProgressCallback
from toolkit.runtime.specs import BuildSpec, HealthcheckSpec, ImageInfo, LabelSelector

# Podman's default build format is OCI, which has no HEALTHCHECK: build Docker's.
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
# Buildah stamps this on every image it builds; Docker's images don't carry it.
BUILDAH_LABEL = "io.buildah.version"
_HEADING = re.compile(r"^STEP (\d+/\d+):\s*(.*)$")
_IMAGE_ID = re.compile(r"^[0-9a-f]{64}$")
_NANOSECONDS = 1e9


class PodmanImages:
    """Image operations; every name is stored and looked up Docker-qualified."""

    def __init__(self, api: APIClient) -> None:
        self._api = api

    def exists(self, ref: str) -> bool:
        try:
            self.resolve(ref)
        except ImageNotFound:
            return False
        return True

    def resolve(self, ref: str) -> str:
        """The reference Podman knows this image by; raises ImageNotFound.

        Docker's reading comes first (`labkit/x` is `docker.io/labkit/x`); Podman's own
        resolution is the fallback, so images made outside labkit (`localhost/...`) are found.
        """
        candidates = [ref, podman_refs.qualify(ref)]
        if not podman_refs.looks_like_id(ref):
            candidates.reverse()
        with engine_errors(f"image {ref}"):
            for candidate in dict.fromkeys(candidates):
                if self._api.get(f"/images/{_quote(candidate)}/exists").status_code == 204:
                    return candidate
        raise ImageNotFound(f"image {ref} not found: build, load or import it first")

    def inspect(self, ref: str) -> ImageInfo:
        resolved = self.resolve(ref)
        with engine_errors(f"image {ref}", not_found=ImageNotFound):
            return image_info(body(self._api.get(f"/images/{_quote(resolved)}/json")))

    def find(self, labels: LabelSelector) -> list[ImageInfo]:
        params = {"filters": json.dumps({"label": label_filters(labels)})} if labels else None
        for attempt in range(3):
            try:
                with engine_errors("images"):
                    summaries = body(self._api.get("/images/json", params=params)) or []
                break
            except EngineError as exc:
                # Podman reads each image as it lists them, and fails the whole listing (500,
                # "image not known") when one is removed meanwhile: ask again.
                if "image not known" not in str(exc) or attempt == 2:
                    raise
        found: list[ImageInfo] = []
        for summary in summaries:
            try:
                found.append(self.inspect(str(summary["Id"])))
            except ImageNotFound:
                continue  # removed since it was listed
        return found

    def build(self, spec: BuildSpec, on_progress: ProgressCallback | None) -> ImageInfo:
        try:
            return self._build(spec, on_progress)
        except BuildFailed:
            with contextlib.suppress(ToolkitError):  # the build's own error is the one to tell
                self._discard_labelled(spec.labels)
            raise

    def _discard_labelled(self, labels: Mapping[str, str]) -> None:
        """Remove the untagged images a failed build left carrying its labels, as Docker leaves
        none: should Podman stamp them on a layer (labels.py says when it did), no one names it.
        """
        left = [i.id for i in self.find(labels) if not i.tags] if labels else []
        while left:  # a layer goes once the layers built on it are gone
            removed = []
            for image_id in left:
                with contextlib.suppress(EngineError):
                    self.remove(image_id, force=False)
                    removed.append(image_id)
            if not removed:
                break
            left = [i for i in left if i not in removed]

    def _build(self, spec: BuildSpec, on_progress: ProgressCallback | None) -> ImageInfo:
        context, containerfile = _context_archive(spec)
        tags = [podman_refs.qualify(tag) for tag in spec.tags]
        # Build labels go on the final image only, as Docker's do (labels.py says why):
        # the build itself then carries neither labels nor tags, and the label stage tags.
        params: JSON = {
            "dockerfile": containerfile,
            "t": [] if spec.labels else tags,
            "outputformat": DOCKER_MANIFEST,
            "nocache": spec.no_cache,
            "rm": True,
            # A failed build otherwise leaves its working container in storage (not in `ps`).
            "forcerm": True,
            "layers": True,
        }
        if spec.build_args:
            params["buildargs"] = json.dumps(dict(spec.build_args))
        if spec.target:
            params["target"] = spec.target
        what = ", ".join(spec.tags) or str(spec.context)
        with engine_errors(f"build of {what}"), context:
            image_id = self._run_build(params, context, what, on_progress)
        if spec.labels:
            stage = label_stage(image_id, spec.labels)
            label_params: JSON = {
                "dockerfile": LABEL_CONTAINERFILE,
                "t": tags,
                "outputformat": DOCKER_MANIFEST,
                "nocache": not stage.cacheable,
                "rm": True,
                "forcerm": True,
                "layers": True,
            }
            if stage.build_args:
                label_params["buildargs"] = json.dumps(dict(stage.build_args))
            with engine_errors(f"labelling of {what}"), stage.archive() as archive:
                image_id = self._run_build(label_params, archive, what, None)
        return self.inspect(image_id)

    def _run_build(self, params: JSON, context: Any, what: str, on_progress: ProgressCallback | None) -> str:
        """POST one build, stream its output; return the image id or raise BuildFailed."""
        response = check(
            self._api.post(
                "/build",
                params=params,
                data=context,
                headers={"Content-Type": "application/x-tar"},
                stream=True,
            )
        )
        return _follow_build(response.iter_lines(), what, on_progress)

    def tag(self, ref: str, new_ref: str) -> None:
        resolved = self.resolve(ref)
        repository, tag = podman_refs.split_repository(new_ref)
        with engine_errors(f"image {ref}", not_found=ImageNotFound):
            check(self._api.post(f"/images/{_quote(resolved)}/tag", params={"repo": repository, "tag": tag}))

    def remove(self, ref: str, force: bool) -> None:
        resolved = self.resolve(ref)
        what = f"image {ref}"
        try:
            with engine_errors(what, not_found=ImageNotFound):
                check(self._api.delete(f"/images/{_quote(resolved)}"))
        except ImageNotFound:
            raise
        except EngineError:
            # Podman's forced removal also removes the containers using the image; Docker's
            # only takes the name away and leaves the containers (and the image) be.
            if not force or podman_refs.looks_like_id(resolved):
                raise
            repository, tag = podman_refs.split_repository(resolved)
            with engine_errors(what, not_found=ImageNotFound):
                check(
                    self._api.post(
                        f"/images/{_quote(resolved)}/untag", params={"repo": repository, "tag": tag}
                    )
                )

    def push(self, ref: str, destination: str, insecure: bool) -> None:
        """Push `ref` as `destination`; Podman takes the destination and TLS choice per push."""
        resolved = self.resolve(ref)
        params = {"destination": destination, "tlsVerify": not insecure}
        what = f"pushing {ref} as {destination}"
        with engine_errors(what, not_found=ImageNotFound):
            response = check(self._api.post(f"/images/{_quote(resolved)}/push", params=params, stream=True))
            for line in response.iter_lines():
                event = json.loads(line) if line and line.strip().startswith(b"{") else {}
                if event.get("error"):
                    raise EngineError(f"{what}: {event['error']}")

    def save(self, refs: Sequence[str], path: Path) -> None:
        resolved = [self.resolve(ref) for ref in refs]
        params = {"references": resolved, "format": "docker-archive", "compress": False}
        with engine_errors(f"save of {', '.join(refs)}"):
            response = check(self._api.get("/images/export", params=params, stream=True))
            with path.open("wb") as out:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    out.write(chunk)

    def load(self, path: Path) -> list[str]:
        archived = _archive_repo_tags(path)
        with engine_errors(f"load of {path}"), path.open("rb") as archive:
            loaded = body(
                self._api.post("/images/load", data=archive, headers={"Content-Type": "application/x-tar"})
            )
        names = [str(name) for name in loaded.get("Names") or []]
        return [podman_refs.familiar(self._docker_name(name, archived)) for name in names]

    def _docker_name(self, loaded: str, archived: Sequence[str]) -> str:
        """Rename an image Podman loaded under `localhost/` to the name Docker would give it.

        Docker writes short names into its archives (`labkit/base:x`); Podman loads those as
        `localhost/labkit/base:x`, where Docker's name, and a FROM line, would not find them.
        """
        short = loaded.removeprefix("localhost/")
        if short == loaded or short not in archived:
            return loaded  # named fully in the archive: kept as written
        qualified = podman_refs.qualify(short)
        repository, tag = podman_refs.split_repository(short)
        local_repository = loaded.rsplit(":", 1)[0]
        with engine_errors(f"image {short}", not_found=ImageNotFound):
            check(self._api.post(f"/images/{_quote(loaded)}/tag", params={"repo": repository, "tag": tag}))
            check(
                self._api.post(
                    f"/images/{_quote(qualified)}/untag",
                    params={"repo": local_repository, "tag": tag},
                )
            )
        return qualified

    def import_rootfs(
        self, tar_path: Path, ref: str, changes: Sequence[str], labels: Mapping[str, str]
    ) -> ImageInfo:
        # Podman strips one pair of quotes around a LABEL's key and value, and unescapes nothing.
        label_changes = [f'LABEL "{key}"="{value}"' for key, value in labels.items()]
        all_changes = [*podman_changes(changes), *label_changes]
        params = {"reference": podman_refs.qualify(ref), "changes": all_changes}
        with engine_errors(f"import of {ref}"), tar_path.open("rb") as archive:
            check(
                self._api.post(
                    "/images/import",
                    params=params,
                    data=archive,
                    headers={"Content-Type": "application/x-tar"},
                )
            )
        return self.inspect(ref)


def podman_changes(changes: Sequence[str]) -> list[str]:
    """Containerfile-style changes as Podman's import reads them: one ENV or LABEL pair each.

    Docker parses `ENV A=1 B=2` and quoted values as a Containerfile does; Podman's parser
    takes everything after the first `=` as one value and strips one pair of surrounding
    quotes, without unescaping. Each pair is therefore sent alone, its value quoted.
    """
    rewritten: list[str] = []
    for change in changes:
        instruction, _, rest = change.strip().partition(" ")
        keyword = instruction.upper()
        if keyword not in ("ENV", "LABEL") or not rest.strip():
            rewritten.append(change)
            continue
        try:
            words = shlex.split(rest)
        except ValueError:  # unbalanced quotes: let Podman read it its own way
            rewritten.append(change)
            continue
        if "=" not in words[0]:  # the legacy form: ENV KEY value with spaces
            rewritten.append(f'{keyword} "{words[0]}"="{" ".join(words[1:])}"')
            continue
        for word in words:
            key, _, value = word.partition("=")
            rewritten.append(f'{keyword} "{key}"="{value}"')
    return rewritten


def image_info(document: JSON) -> ImageInfo:
    """A libpod image document as labkit's ImageInfo, named as Docker names images."""
    config: JSON = document.get("Config") or {}
    labels = dict(document.get("Labels") or config.get("Labels") or {})
    labels.pop(BUILDAH_LABEL, None)
    image_id = str(document.get("Id", ""))
    return ImageInfo(
        id=image_id if image_id.startswith("sha256:") else f"sha256:{image_id}",
        tags=tuple(podman_refs.familiar(tag) for tag in document.get("RepoTags") or []),
        labels=labels,
        created=str(document.get("Created", "")),
        size=int(document.get("Size") or 0),
        healthcheck=healthcheck_spec(document.get("Healthcheck") or config.get("Healthcheck")),
    )


def healthcheck_spec(document: JSON | None) -> HealthcheckSpec | None:
    """A Docker-style health config (durations in nanoseconds) as a HealthcheckSpec."""
    if not document or not document.get("Test"):
        return None
    defaults = HealthcheckSpec(test=())

    def seconds(key: str, default: float) -> float:
        value = document.get(key) or 0
        return value / _NANOSECONDS if value else default  # 0 means the engine's default

    return HealthcheckSpec(
        test=tuple(str(word) for word in document["Test"]),
        interval=seconds("Interval", defaults.interval),
        timeout=seconds("Timeout", defaults.timeout),
        retries=int(document.get("Retries") or defaults.retries),
        start_period=seconds("StartPeriod", defaults.start_period),
        start_interval=seconds("StartInterval", defaults.start_interval),
    )


def _follow_build(lines: Iterator[Any], tags: str, on_progress: ProgressCallback | None) -> str:
    """Stream the build's output to on_progress; return the image id or raise BuildFailed."""
    log = BuildLog(_HEADING, on_progress)
    image_id = ""
    for raw in lines:
        if not raw:
            continue
        message: JSON = json.loads(raw)
        if "error" in message:
            error = str(message["error"]).strip()
            log.tail.append(error)
            raise BuildFailed(
                f"build of {tags} failed at {log.step_line or 'its start'}: {error}",
                step=log.step,
                log_tail=list(log.tail),
            )
        for line in str(message.get("stream", "")).splitlines():
            line = line.rstrip()
            if not line:
                continue
            if _IMAGE_ID.match(line):
                image_id = line
            log.line(line)
    if not image_id:
        raise BuildFailed(f"build of {tags} ended without an image", step=log.step, log_tail=list(log.tail))
    return image_id


def _context_archive(spec: BuildSpec) -> tuple[Any, str]:
    """The build context as a tar file object, and the Containerfile's name inside it.

    docker-py's context tarball is used on purpose: `.dockerignore` then means exactly what it
    means to Docker, and a Containerfile outside the context travels inside the archive.
    """
    from docker.utils.build import tar  # docker-py's archiver: Docker's ignore rules

    context = spec.context.resolve()
    if not context.is_dir():
        raise BuildFailed(f"build context {spec.context} is not a folder")
    containerfile = _containerfile(spec, context)
    try:
        inside = containerfile.relative_to(context).as_posix()
        dockerfile: tuple[str | None, str | None] = (inside, None)
    except ValueError:
        inside = ".containerfile.labkit"
        dockerfile = (inside, containerfile.read_text())
    ignore = _ignore_patterns(context)
    return tar(str(context), exclude=ignore, dockerfile=dockerfile), inside


def _archive_repo_tags(path: Path) -> list[str]:
    """The names a docker-archive's manifest.json gives its images ([] if it has none)."""
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member is not None else []
    except (OSError, KeyError, ValueError, tarfile.TarError):
        return []
    return [str(tag) for entry in manifest for tag in entry.get("RepoTags") or []]


def _containerfile(spec: BuildSpec, context: Path) -> Path:
    if spec.containerfile is not None:
        path = spec.containerfile
        path = path if path.is_absolute() else context / path
        if not path.is_file():
            raise BuildFailed(f"Containerfile {path} not found")
        return path.resolve()
    for name in ("Containerfile", "Dockerfile"):
        if (context / name).is_file():
            return context / name
    raise BuildFailed(f"no Containerfile or Dockerfile in {context}")


def _ignore_patterns(context: Path) -> list[str]:
    for name in (".containerignore", ".dockerignore"):
        path = context / name
        if path.is_file():
            lines = (line.strip() for line in path.read_text().splitlines())
            return [line for line in lines if line and not line.startswith("#")]
    return []


def _quote(ref: str) -> str:
    """A reference as one URL path segment (names contain slashes)."""
    return quote(ref, safe="")
