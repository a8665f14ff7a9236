"""Compose's `logging`, `security_opt`, `runtime` and restart retries as libpod fields.

Docker takes these as Compose writes them; libpod names each part apart. Log drivers: Podman
has k8s-file (its own file format, which it also takes under Docker's name json-file) and none;
journald needs a systemd journal, which these hosts do not run. Docker's json-file rotates
`max-file` files of `max-size` bytes; Podman keeps one file that it truncates at `size`, so the
two together become one file of their product: the same bound on the disk a container's log
may take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from toolkit.runtime.podman.errors import JSON
from toolkit.runtime.security import read_options
from toolkit.runtime.specs import ContainerSpec

_FILE_OPTIONS = ("max-size", "max-file", "tag")
# Log drivers a container may name -> the options each takes (EngineInfo.log_drivers).
LOG_DRIVERS: Mapping[str, tuple[str, ...] | None] = {
    "k8s-file": _FILE_OPTIONS,
    "json-file": _FILE_OPTIONS,
    "none": (),
}
_SIZE = re.compile(r"([0-9]+)\s*([kmg]?)b?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}  # Docker's log sizes are binary


def log_size(text: str) -> int:
    """Bytes of a Docker log size such as "10m"; ValueError for anything else."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"invalid log size {text!r}: expected a number with k, m or g")
    return int(found.group(1)) * _UNITS[found.group(2).lower()]


def options_document(spec: ContainerSpec) -> JSON:
    """The SpecGenerator fields for the spec's logging, security options, runtime and retries."""
    document: JSON = {}
    if spec.logging is not None:
        document["log_configuration"] = _log_configuration(spec.logging.driver, spec.logging.options)
    security = read_options(spec.security_opt)
    if security.no_new_privileges:
        document["no_new_privileges"] = True
    if security.seccomp_unconfined:
        document["seccomp_profile_path"] = "unconfined"
    if security.apparmor_profile is not None:
        document["apparmor_profile"] = security.apparmor_profile
    if security.label_disabled:
        document["selinux_opts"] = ["disable"]
    if spec.runtime is not None:
        document["oci_runtime"] = spec.runtime
    if spec.restart == "on-failure" and spec.restart_retries is not None:
        document["restart_tries"] = spec.restart_retries
    return document


def _log_configuration(driver: str | None, options: Mapping[str, str]) -> JSON:
    configuration: JSON = {"driver": "k8s-file" if driver == "json-file" else driver or ""}
    if "max-size" in options:
        files = int(options.get("max-file", "1"))
        configuration["size"] = log_size(options["max-size"]) * max(files, 1)
    if "tag" in options:
        configuration["options"] = {"tag": options["tag"]}
    return configuration
