"""Doctor's pure parts: reading podman's configured rlimits."""

from __future__ import annotations

from pathlib import Path

from toolkit.doctor import configured_nofile


def test_last_file_setting_nofile_wins(tmp_path: Path) -> None:
    base = tmp_path / "containers.conf"
    base.write_text('[containers]\ndefault_ulimits = ["nofile=1048576:1048576"]\n')
    dropin = tmp_path / "50-labkit.conf"
    dropin.write_text('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=100:100"]\n')
    assert configured_nofile([base, dropin]) == 20000


def test_no_setting_and_missing_files_give_none(tmp_path: Path) -> None:
    empty = tmp_path / "empty.conf"
    empty.write_text("[engine]\n")
    assert configured_nofile([empty, tmp_path / "absent.conf"]) is None
