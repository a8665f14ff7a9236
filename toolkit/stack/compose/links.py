"""A service's `links`: other services it reaches by an extra name.

"db" or "db:database": the linking service reaches `db` by `database` too. Compose v2 turns
each link into a dependency (the linked service starts first) and, on user-defined networks,
into a name only the linking container resolves. labkit gives the linked service's container
that name as a network alias on every network the two share (specs_from_model.link_aliases),
which both engines honour the same way; other services on those networks resolve it too.
"""

from __future__ import annotations

from toolkit.stack.compose.fields import UNSUPPORTED, At, LoadContext, items, nonempty_string
from toolkit.stack.model import Dependency, Link, Stack


def read_links(at: At) -> tuple[Link, ...]:
    """Read `links`: "SERVICE" or "SERVICE:ALIAS" strings; repeats are kept once."""
    found: dict[str, Link] = {}
    for item in items(at):
        text = nonempty_string(item)
        service, separator, alias = text.partition(":")
        if not service or ":" in alias or (separator and not alias):
            item.fail(f"invalid link {text!r}: write SERVICE or SERVICE:ALIAS")
        found.setdefault(text, Link(service, alias or service))
    return tuple(found.values())


def with_link_dependencies(
    depends_on: tuple[Dependency, ...], links: tuple[Link, ...]
) -> tuple[Dependency, ...]:
    """`depends_on` plus a dependency on each linked service it does not name, as Compose adds:
    started, and restarting the linking service when `up` changes the linked one."""
    named = {dependency.service for dependency in depends_on}
    added = dict.fromkeys(link.service for link in links if link.service not in named)
    return depends_on + tuple(Dependency(service, restart=True) for service in added)


def check_links(stack: Stack, ctx: LoadContext) -> None:
    """Refuse a link between services that share no network: no alias could carry it."""
    for service in stack.services.values():
        for link in service.links:
            linked = stack.services.get(link.service)
            if linked is None:
                continue  # its implied dependency names it (cross_checks.py)
            shared = {a.network for a in service.networks} & {a.network for a in linked.networks}
            if not shared:
                raise ctx.error(
                    f"service {service.name!r} links to {link.service!r}, but they share no network: "
                    f"{UNSUPPORTED} links without one; put both on one network",
                    f"services.{service.name}.links",
                )
