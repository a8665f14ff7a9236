"""A build's output lines as `BuildOutput` events, the same on both engines.

Each adapter knows how its engine heads a step (`Step 3/7 : RUN x` on Docker, `STEP 3/7: RUN x`
on Podman) and hands that pattern here; what follows (the current step, spelled `3/7 RUN x`,
the tail of the log a BuildFailed carries) is kept alike for both.
"""

from __future__ import annotations

import collections
import re

from toolkit.runtime.protocol import BuildOutput, ProgressCallback

LOG_TAIL = 20


class BuildLog:
    """Follows one build's output: the step it is at, its last lines, events for the caller.

    Args:
        heading: matches a step's heading line; its groups are the step's number ("3/7")
            and its instruction ("RUN x").
        on_progress: receives a BuildOutput for each line.
    """

    def __init__(self, heading: re.Pattern[str], on_progress: ProgressCallback | None) -> None:
        self._heading = heading
        self._on_progress = on_progress
        self.step = ""  # "3/7 RUN x"
        self.step_line = ""  # the heading as the engine printed it, for messages
        self.tail: collections.deque[str] = collections.deque(maxlen=LOG_TAIL)

    def line(self, text: str) -> None:
        """One line of output (without its line end)."""
        match = self._heading.match(text)
        if match:
            self.step = f"{match.group(1)} {match.group(2)}"
            self.step_line = text
        self.tail.append(text)
        if self._on_progress is not None:
            self._on_progress(BuildOutput(text, self.step, starts_step=match is not None))
