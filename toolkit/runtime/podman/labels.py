"""Build labels on the final image only, as Docker puts them, for a Podman build.

Podman 4.3 stamps the build API's `labels` on every image a layered build commits (and adds
one committed LABEL step per label), so each build leaves a trail of untagged intermediate
images carrying labkit's labels, content hash included. The adapter therefore builds without
labels and then labels the result with a one-instruction build of its own: `FROM <image id>`
and `LABEL ...`, whose Containerfile this module writes.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field

CONTAINERFILE = "Containerfile"
# Inside double quotes a Containerfile word escapes only these three; `$` would expand.
_ESCAPED = ("\\", '"', "$")
# A line break ends the instruction and `=` in a key splits it early: no quoting helps, so such
# a label travels as a build argument instead (see label_stage).
_UNWRITABLE = ("\n", "\r")
_ARG_PREFIX = "LABKIT_LABEL_"


@dataclass(frozen=True)
class LabelStage:
    """The build that labels an image: its Containerfile and the build arguments it reads."""

    containerfile: str
    build_args: Mapping[str, str] = field(default_factory=dict)

    @property
    def cacheable(self) -> bool:
        """Whether the engine's layer cache may answer this build.

        Buildah's cache key holds the instruction's text, not the build arguments it expands,
        so a LABEL reading arguments would be answered with an earlier build's values.
        """
        return not self.build_args

    def archive(self) -> io.BytesIO:
        """The build context: a tar holding the Containerfile alone."""
        data = self.containerfile.encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            member = tarfile.TarInfo(CONTAINERFILE)
            member.size = len(data)
            member.mode = 0o644
            tar.addfile(member, io.BytesIO(data))
        buffer.seek(0)
        return buffer


def label_stage(image_id: str, labels: Mapping[str, str]) -> LabelStage:
    """The build that puts `labels` on `image_id` (an id, so no name lookup can go astray).

    Labels are written into the instruction literally whenever they can be, so the same labels
    on the same image hit the cache; the rare one that can't is read from a build argument.
    """
    words: list[str] = []
    build_args: dict[str, str] = {}
    for index, (key, value) in enumerate(labels.items()):
        if _writable(key, in_key=True) and _writable(value, in_key=False):
            words.append(f"{_quoted(key)}={_quoted(value)}")
            continue
        key_arg, value_arg = f"{_ARG_PREFIX}KEY_{index}", f"{_ARG_PREFIX}VALUE_{index}"
        build_args[key_arg], build_args[value_arg] = key, value
        words.append(f'"${{{key_arg}}}"="${{{value_arg}}}"')
    lines = [f"FROM {image_id.removeprefix('sha256:')}"]
    lines += [f"ARG {name}" for name in build_args]
    lines.append("LABEL " + " ".join(words))
    return LabelStage("\n".join(lines) + "\n", build_args)


def _writable(text: str, *, in_key: bool) -> bool:
    return not any(char in text for char in _UNWRITABLE) and not (in_key and "=" in text)


def _quoted(text: str) -> str:
    for char in _ESCAPED:
        text = text.replace(char, "\\" + char)
    return f'"{text}"'
