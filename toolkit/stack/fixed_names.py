"""Networks and volumes with a `name:` of their own: one per host, like a fixed container name.

Compose lets a network or volume keep the name written in the file instead of
`<project>-<key>`. The engine holds one of each per name, and labkit's `down -v` removes what
carries its project's label, so a name another project (or something not labkit's) holds is
refused before `up` creates anything: it names the key, the name and who holds it. An external
network (`external: true`) is the opposite: shared on purpose, never created here, so it must
exist already.
"""

from __future__ import annotations

from collections.abc import Iterable

from toolkit.errors import NetworkNotFound, StackError
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.model import Stack


def check_fixed_names(runtime: Runtime, project: str, stack: Stack, networks: Iterable[str],
                      volumes: Iterable[str]) -> None:  # fmt: skip
    """Refuse explicit network and volume names held by what is not this project's.

    Raises:
        StackError: naming the key, the name and who holds it.
    """
    for key in networks:
        declared = stack.networks.get(key)
        name = declared.explicit_name if declared is not None else None
        if declared is None or name is None:
            continue
        try:
            holder = runtime.inspect_network(name).labels.get(naming.LABEL_PROJECT)
        except NetworkNotFound:
            if declared.external:
                raise StackError(
                    f"network {key} is external: {runtime.name} has no network named {name}; create "
                    f"it first (e.g. `{runtime.name} network create {name}`) or declare it in the file"
                ) from None
            continue
        if not declared.external:  # an external network is shared on purpose
            _refuse_unless_ours("network", key, name, holder, project)
    named = {stack.volumes[key].explicit_name: key for key in volumes if stack.volumes[key].explicit_name}
    if named:
        for volume in runtime.list_volumes({}):
            if volume.name in named:
                holder = volume.labels.get(naming.LABEL_PROJECT)
                _refuse_unless_ours("volume", named[volume.name], volume.name, holder, project)


def _refuse_unless_ours(kind: str, key: str, name: str, holder: str | None, project: str) -> None:
    if holder == project:
        return
    whose = f"labkit project {holder}" if holder else "not labkit's"
    raise StackError(
        f"{kind} {key} is named {name}, and a {kind} of that name exists ({whose}): a fixed name "
        f"is used once per host; bring that project down or remove the {kind}, or drop `name:` "
        "to run this file under several project names"
    )
