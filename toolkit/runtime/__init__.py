"""The engine seam: one `Runtime` Protocol that hides Docker and Podman from everything above it.

    protocol.py   the Runtime Protocol (what an engine must do for labkit)
    specs.py      frozen dataclasses that cross the seam: specs in, infos out
    select.py     which engine to talk to: flag, environment, auto-detection
    streams.py    exec and log plumbing both adapters share: frames, lines, timeouts, kills
    build_output.py  build output as BuildOutput events, steps spelled alike on both engines
    docker/       the Docker adapter (docker-py)
    podman/       the Podman adapter (podman-py and the libpod API), made to behave like Docker
    fake/         an in-memory engine for unit tests, held to the same contract suite

Nothing here imports from the layers above (stack, images, checks, cli, testing). Every engine
difference lives inside its adapter package.
"""
