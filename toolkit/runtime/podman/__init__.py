"""The Podman adapter: labkit's `Runtime` on podman-py and the libpod API, behaving like Docker.

adapter.py      PodmanRuntime, the Protocol's implementation
containers.py   specs into libpod's SpecGenerator, inspect documents into specs
images.py       images under Docker's names, built in Docker's format
labels.py       build labels on the final image only, as Docker puts them
network.py      networks that behave like Docker's user-defined bridges
volumes.py      volumes; a taken name hands the volume back, as on Docker
health.py       health probes run on demand (Podman runs none without systemd)
masquerade.py   no masquerade for traffic that stays on a labkit bridge
internal.py     Docker's FORWARD rules for internal networks (members reach each other only)
inside.py       Docker's default route, /etc/hosts and /etc/resolv.conf inside each container
refs.py         image references read as Docker reads them
users.py        the exec user spelled so that it gets Docker's capabilities
exec.py         exec sessions created and their streams opened (the rest: ../streams.py)
errors.py       podman-py's errors into labkit's, in one context manager
"""

from toolkit.runtime.podman.adapter import PodmanRuntime

__all__ = ["PodmanRuntime"]
