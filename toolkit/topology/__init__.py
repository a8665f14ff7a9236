"""An exercise's topology as a picture: networks, hosts, routers and the addresses that join them.

`from_stack` draws what a Compose file declares (with a project's renumbered addresses when it
has them), `from_engine` what the engine actually assigned to a running project. Both return a
`Topology`, which `dot`, `mermaid` and `render` turn into text or an image.
"""

from toolkit.topology.model import Interface, NetworkNode, PublishedPort, ServiceNode, Topology

__all__ = ["Interface", "NetworkNode", "PublishedPort", "ServiceNode", "Topology"]
