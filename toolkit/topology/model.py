"""The topology of an exercise: pure, frozen values that every picture format is drawn from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["file", "engine"]


@dataclass(frozen=True)
class NetworkNode:
    """A network drawn as a node of its own."""

    name: str  # the Compose key
    subnet: str | None = None  # None: the engine picks one when the stack starts
    gateway: str | None = None
    internal: bool = False

    @property
    def label_lines(self) -> tuple[str, ...]:
        lines = [self.name, self.subnet or "subnet chosen by the engine"]
        if self.gateway:
            lines.append(f"gw {self.gateway}")
        if self.internal:
            lines.append("internal")
        return tuple(lines)


@dataclass(frozen=True)
class Interface:
    """One leg of a service on one network: an edge of the picture."""

    network: str  # the Compose key
    name: str  # eth0, eth1, ... as the container sees it (or as labkit will attach it)
    address: str | None = None  # None: the engine assigns one when the stack starts

    @property
    def label(self) -> str:
        return f"{self.name} {self.address or '(assigned at start)'}"


@dataclass(frozen=True)
class PublishedPort:
    container_port: int
    protocol: str = "tcp"
    host_port: int | None = None  # None: the engine picks a free port
    host_ip: str = ""

    @property
    def label(self) -> str:
        host = f"{self.host_ip}:" if self.host_ip else ""
        published = str(self.host_port) if self.host_port is not None else "any"
        return f"{host}{published}->{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class ServiceNode:
    """A service drawn as a box (a host) or as a router."""

    name: str  # the Compose key
    hostname: str
    image: str  # the image reference, or what it is built from
    interfaces: tuple[Interface, ...] = ()
    forwards_ipv4: bool = False
    ports: tuple[PublishedPort, ...] = ()

    @property
    def is_router(self) -> bool:
        """On two or more networks with IPv4 forwarding on: it routes between them."""
        return self.forwards_ipv4 and len({leg.network for leg in self.interfaces}) >= 2


@dataclass(frozen=True)
class Edge:
    service: str
    network: str
    label: str


@dataclass(frozen=True)
class Topology:
    """What a picture of the exercise shows, in the Compose file's order."""

    project: str
    title: str
    networks: tuple[NetworkNode, ...]
    services: tuple[ServiceNode, ...]
    source: Source = "file"
    engine: str | None = None  # the engine a running project was read from

    @property
    def edges(self) -> tuple[Edge, ...]:
        """One edge per interface, from the service to its network."""
        return tuple(
            Edge(service.name, leg.network, leg.label)
            for service in self.services
            for leg in service.interfaces
        )

    @property
    def routers(self) -> tuple[ServiceNode, ...]:
        return tuple(service for service in self.services if service.is_router)

    def addresses(self) -> tuple[str, ...]:
        """Every address the picture shows: subnets, gateways and interface addresses."""
        found: list[str] = []
        for network in self.networks:
            found += [value for value in (network.subnet, network.gateway) if value]
        for service in self.services:
            found += [leg.address for leg in service.interfaces if leg.address]
        return tuple(found)
