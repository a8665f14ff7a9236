"""`labkit -h` as command-line users read help: `labkit up EXERCISE`, flags without a type.

Typer 0.29 shows every flag's type (`--renumber <bool>`, though a flag takes no value) and a
required argument as `{exercise}`. Two small overrides restore the conventions click and
most tools follow: arguments in capitals in the usage line (`[SERVICE]` when optional), and no
type after a flag.
"""

from __future__ import annotations

from typing import Any

from typer import core


def _usage_name(self: core.TyperArgument) -> str:
    name = self.display_name_raw.upper()
    if self.nargs != 1:
        name += "..."
    return name if self.required else f"[{name}]"


_option_type = core.TyperOption.display_type_rich


def _option_type_unless_flag(self: core.TyperOption, ctx: Any) -> str | None:
    if self.is_flag:
        return None  # a flag takes no value: its type says nothing
    return _option_type(self, ctx)


def apply() -> None:
    """Install the overrides (idempotent)."""
    core.TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
    core.TyperOption.display_type_rich = _option_type_unless_flag  # type: ignore[method-assign]
