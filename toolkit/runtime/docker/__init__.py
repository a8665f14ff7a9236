"""The Docker adapter: labkit's `Runtime` on docker-py's low-level API client.

adapter.py   DockerRuntime, the Protocol's implementation
convert.py   specs into Engine API payloads, inspect documents into specs (pure)
interfaces.py  a container's network endpoints and their interface names (Docker's own order)
build.py     the classic builder's stream into labkit's build events
exec.py      exec created and its stream opened (the rest: ../streams.py)
errors.py    docker-py's and requests' errors into labkit's, in one context manager (also
             for the testcontainers bridge, whose docker-py client speaks Docker's API to
             either engine)
"""

from toolkit.runtime.docker.adapter import DockerRuntime
from toolkit.runtime.docker.errors import engine_errors

__all__ = ["DockerRuntime", "engine_errors"]
