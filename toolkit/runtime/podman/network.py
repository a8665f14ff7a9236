"""Podman networks that behave like Docker's user-defined bridge networks."""

from __future__ import annotations

import json
import time

from podman.api import APIClient

from toolkit.errors import EngineError, NameConflict, NetworkNotFound
from toolkit.runtime.podman.errors import JSON, body, check, engine_errors
from toolkit.runtime.podman.internal import add_internal_rules
from toolkit.runtime.podman.masquerade import MasqueradeExemption
from toolkit.runtime.specs import LabelSelector, NetworkInfo, NetworkSpec


def label_filters(labels: LabelSelector) -> list[str]:
    """libpod's label filter values: `key=value`, or `key` for "present"."""
    return [key if value is None else f"{key}={value}" for key, value in labels.items()]


class PodmanNetworks:
    """Create, inspect, list and remove bridge networks."""

    def __init__(self, api: APIClient, exemption: MasqueradeExemption) -> None:
        self._api = api
        self._exemption = exemption

    def create(self, spec: NetworkSpec) -> NetworkInfo:
        document: JSON = {
            "name": spec.name,
            "driver": "bridge",
            "internal": spec.internal,
            "labels": dict(spec.labels),
            # The API's default is no name resolution (the CLI's is on); Docker's user
            # networks always resolve container names and aliases.
            "dns_enabled": True,
            # Docker drops traffic between two of its bridges; Podman routes it unless isolated.
            "options": {"isolate": "true"},
        }
        if spec.subnet:
            # podman-py's IPAMConfig fails against podman 4.3; the libpod `subnets` field works.
            subnet: JSON = {"subnet": spec.subnet}
            if spec.gateway:
                subnet["gateway"] = spec.gateway
            document["subnets"] = [subnet]
        created = self._post_create(spec.name, document)
        info = network_info(created)
        bridge = str(created.get("network_interface") or "")
        try:
            if spec.internal:  # no gateway, no masquerade rules: Docker's internal rules instead
                add_internal_rules(self._exemption, bridge, spec.name, info.subnet)
            else:
                self._exemption.add(bridge, spec.name)
        except Exception:
            self._exemption.remove(bridge)
            self._delete(spec.name)  # a network that can't behave as documented is undone
            raise
        return info

    def _post_create(self, name: str, document: JSON) -> JSON:
        """POST the network, again when Podman trips over another network going away.

        Podman 4.3 checks a new subnet against every interface of the host; when another
        bridge is removed while it reads them, the create fails with "route ip+net: no such
        network interface" (a 500), although nothing is wrong with this network.
        """
        for attempt in range(4):
            try:
                with engine_errors(f"network {name}", conflict=NameConflict):
                    return body(self._api.post("/networks/create", data=json.dumps(document)))  # type: ignore[no-any-return]
            except EngineError as exc:
                if "no such network interface" not in str(exc) or attempt == 3:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def inspect(self, name: str) -> NetworkInfo:
        return network_info(self._get(name))

    def is_internal(self, name: str) -> bool:
        """Whether the network of that name is internal (False if it is gone)."""
        try:
            return bool(self._get(name).get("internal", False))
        except NetworkNotFound:
            return False

    def remove(self, name: str) -> None:
        bridge = str(self._get(name).get("network_interface") or "")
        self._delete(name)
        self._exemption.remove(bridge)

    def find(self, labels: LabelSelector) -> list[NetworkInfo]:
        params = {"filters": json.dumps({"label": label_filters(labels)})} if labels else None
        with engine_errors("networks"):
            found = body(self._api.get("/networks/json", params=params))
        return [network_info(document) for document in found or []]

    def _get(self, name: str) -> JSON:
        with engine_errors(f"network {name}", not_found=NetworkNotFound):
            document: JSON = body(self._api.get(f"/networks/{name}/json"))
        return document

    def _delete(self, name: str) -> None:
        with engine_errors(f"network {name}", not_found=NetworkNotFound):
            check(self._api.delete(f"/networks/{name}"))


def network_info(document: JSON) -> NetworkInfo:
    """A libpod network document as labkit's NetworkInfo (its first IPv4 subnet)."""
    subnets = [s for s in document.get("subnets") or [] if ":" not in str(s.get("subnet", ""))]
    first: JSON = subnets[0] if subnets else {}
    return NetworkInfo(
        id=str(document.get("id", "")),
        name=str(document.get("name", "")),
        subnet=first.get("subnet"),
        gateway=first.get("gateway"),
        internal=bool(document.get("internal", False)),
        labels=dict(document.get("labels") or {}),
    )
