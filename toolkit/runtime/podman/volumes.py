"""Podman volumes, answered as Docker answers: creating a taken name hands the volume back."""

from __future__ import annotations

import json

from podman.api import APIClient

from toolkit.errors import NameConflict, VolumeNotFound
from toolkit.runtime.podman.errors import JSON, body, check, engine_errors
from toolkit.runtime.podman.network import label_filters
from toolkit.runtime.specs import LabelSelector, VolumeInfo, VolumeSpec


class PodmanVolumes:
    """Volume operations on the libpod API."""

    def __init__(self, api: APIClient) -> None:
        self._api = api

    def create(self, spec: VolumeSpec) -> VolumeInfo:
        document = {"Name": spec.name, "Label": dict(spec.labels), "Options": dict(spec.driver_opts)}
        try:
            with engine_errors(f"volume {spec.name}", conflict=NameConflict):
                return _volume_info(body(self._api.post("/volumes/create", data=json.dumps(document))))
        except NameConflict:
            # Docker hands back an existing volume of that name; so does labkit on Podman.
            with engine_errors(f"volume {spec.name}", not_found=VolumeNotFound):
                return _volume_info(body(self._api.get(f"/volumes/{spec.name}/json")))

    def remove(self, name: str, force: bool = False) -> None:
        with engine_errors(f"volume {name}", not_found=VolumeNotFound):
            check(self._api.delete(f"/volumes/{name}", params={"force": force}))

    def find(self, labels: LabelSelector) -> list[VolumeInfo]:
        params = {"filters": json.dumps({"label": label_filters(labels)})} if labels else None
        with engine_errors("volumes"):
            return [_volume_info(v) for v in body(self._api.get("/volumes/json", params=params)) or []]


def _volume_info(document: JSON) -> VolumeInfo:
    return VolumeInfo(
        name=str(document.get("Name", "")),
        labels=dict(document.get("Labels") or {}),
        mountpoint=str(document.get("Mountpoint", "")),
    )
