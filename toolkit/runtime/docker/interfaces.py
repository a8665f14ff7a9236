"""A Docker container's network endpoints, and the interface names they get.

Docker numbers a container's interfaces eth0, eth1, ... by its own order of the container's
networks when it starts (networks that are not internal first, then by name; the order they were
connected in does not count). An attachment whose interface_name is the one Docker gives anyway
needs nothing. Any other name needs the endpoint option Docker added in Engine 28 (API 1.48);
older engines cannot name an interface, and the container is refused in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from toolkit.errors import UsageError
from toolkit.runtime.specs import ContainerSpec, NetworkAttachment

IFNAME_OPTION = "com.docker.network.endpoint.ifname"
IFNAME_API = (1, 48)


def api_at_least(version: str, wanted: tuple[int, int]) -> bool:
    major, _, minor = version.partition(".")
    try:
        return (int(major), int(minor)) >= wanted
    except ValueError:
        return False


def dockers_names(attachments: Sequence[NetworkAttachment], is_internal: Callable[[str], bool]) -> list[str]:
    """The interface name Docker itself gives each attachment, in the attachments' order."""
    if len(attachments) < 2:
        return ["eth0"] * len(attachments)
    ranked = sorted(attachments, key=lambda a: (is_internal(a.network), a.network))
    return [f"eth{ranked.index(attachment)}" for attachment in attachments]


def endpoint_options(
    container: str,
    attachments: Sequence[NetworkAttachment],
    api_version: str,
    engine_version: Callable[[], str],
    is_internal: Callable[[str], bool],
) -> list[dict[str, str] | None]:
    """Each attachment's endpoint driver options (None: none); UsageError if a name can't be had."""
    if all(a.interface_name is None for a in attachments):
        return [None] * len(attachments)
    options: list[dict[str, str] | None] = []
    for attachment, natural in zip(attachments, dockers_names(attachments, is_internal), strict=True):
        wanted = attachment.interface_name
        if wanted is None or wanted == natural:
            options.append(None)
        elif api_at_least(api_version, IFNAME_API):
            options.append({IFNAME_OPTION: wanted})
        else:
            raise UsageError(
                f"container {container}: Docker {engine_version()} (API {api_version}) numbers "
                f"interfaces by network name, internal networks last, and cannot name them: "
                f"{attachment.network} would be {natural}, not {wanted}; remove that network's "
                "interface_name or priority, or use Podman"
            )
    return options


class Endpoints:
    """A container's network endpoints: the first given at create, the others connected after."""

    def __init__(
        self,
        spec: ContainerSpec,
        api: Any,
        *,
        engine_version: Callable[[], str],
        is_internal: Callable[[str], bool],
    ) -> None:
        self._spec = spec
        self._api = api
        self._options = endpoint_options(
            spec.name, spec.networks, api.api_version, engine_version, is_internal
        )

    def _settings(self, position: int) -> dict[str, Any]:
        attachment = self._spec.networks[position]
        return {
            "ipv4_address": attachment.ipv4_address,
            "aliases": list(attachment.aliases) or None,
            "driver_opt": self._options[position],
        }

    def at_create(self) -> Any:
        """The networking config of `create_container` (None without networks)."""
        if not self._spec.networks:
            return None
        endpoint = self._api.create_endpoint_config(**self._settings(0))
        return self._api.create_networking_config({self._spec.networks[0].network: endpoint})

    def to_connect(self) -> list[tuple[NetworkAttachment, dict[str, Any]]]:
        """The other networks, each with the keyword arguments of its connect call."""
        return [(self._spec.networks[n], self._settings(n)) for n in range(1, len(self._spec.networks))]
