"""An in-memory engine for unit tests, held to the same contract suite as Docker and Podman.

runtime.py      FakeRuntime, the Runtime Protocol with no containers behind it
containers.py   a fake container's record and the exec calls it answered
images.py       images found and removed by tag, id or prefix, as both engines do
addresses.py    engine-chosen subnets, overlap and static addresses checked as engines do
"""

from toolkit.runtime.fake.containers import ExecCall
from toolkit.runtime.fake.runtime import FakeRuntime

__all__ = ["ExecCall", "FakeRuntime"]
