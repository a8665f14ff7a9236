"""Bundles without an engine: the manifest, cutting solutions, and every refusal of unpack."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from toolkit.bundle.manifest import FORMAT, BundledImage, Manifest, Member, host_architecture
from toolkit.bundle.pack import write_bundle
from toolkit.bundle.solutions import strip_solution
from toolkit.bundle.unpack import verify_bundle
from toolkit.errors import UsageError
from toolkit.stack.compose.loader import load_stack

COURSE = Path(__file__).resolve().parents[3]
EXERCISES = sorted(p.name for p in (COURSE / "compose").iterdir() if (p / "compose.yaml").is_file())
FILES = {
    "images.tar": b"an image archive, as far as checksums go" * 100,
    "course/compose/lab/compose.yaml": b"services:\n  a:\n    image: x\n",
    "course/images/base/Containerfile": b"FROM labkit/os\n",
}


def make_bundle(folder: Path, files: dict[str, bytes] = FILES, **changes: object) -> Path:
    folder.mkdir(exist_ok=True)
    staging = folder / "staging"
    for name, data in files.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    manifest = Manifest(
        labkit="0.1.0",
        architecture=host_architecture(),
        base="debian:bookworm",
        engine="docker",
        created="2026-11-29T16:00:00+00:00",
        solutions=False,
        exercises=("lab",),
        images=(BundledImage("labkit/base:debian-bookworm", "sha256:" + "ab" * 32),),
        members={name: Member(hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()},
    )
    path = folder / "course.tar"
    write_bundle(path, dataclasses.replace(manifest, **changes), staging)  # type: ignore[arg-type]
    return path


def raw_bundle(path: Path, extra_members: dict[str, Member], entries: dict[str, bytes]) -> Path:
    """A bundle written by hand: the sound manifest plus `extra_members`, then `entries`."""
    import io

    sound = make_bundle(path.parent / "sound")
    with tarfile.open(sound) as tar:
        first = tar.next()
        assert first is not None
        handle = tar.extractfile(first)
        assert handle is not None
        manifest = Manifest.from_json(handle.read(), sound.name)
    manifest.members.update(extra_members)
    with tarfile.open(path, "w") as tar:
        for name, data in (("manifest.json", manifest.to_json()), *entries.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def refused(bundle: Path, destination: Path, match: str) -> None:
    with pytest.raises(UsageError, match=match) as caught:
        verify_bundle(bundle, destination)
    assert "\n" not in str(caught.value)
    assert not destination.exists(), "a refused bundle left something behind"


def test_a_sound_bundle_is_staged_with_every_member(tmp_path: Path) -> None:
    verified = verify_bundle(make_bundle(tmp_path), tmp_path / "room")
    try:
        for name, data in FILES.items():
            assert (verified.staging / name).read_bytes() == data
        assert verified.manifest.exercises == ("lab",)
    finally:
        verified.discard()
    assert list((tmp_path / "room").iterdir()) == []


def test_a_truncated_bundle_is_refused(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    data = bundle.read_bytes()
    bundle.write_bytes(data[: len(data) // 2])
    refused(bundle, tmp_path / "room", "damaged or cut short|lacks")


def test_a_corrupted_member_is_refused(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    data = bytearray(bundle.read_bytes())
    spot = data.index(b"an image archive") + 5
    data[spot] ^= 0x20  # one flipped bit in the image archive
    bundle.write_bytes(bytes(data))
    refused(bundle, tmp_path / "room", r"images\.tar does not match its checksum")


def test_a_member_added_behind_the_manifest_is_refused(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    extra = tmp_path / "evil.sh"
    extra.write_text("rm -rf /\n")
    with tarfile.open(bundle, "a") as tar:
        tar.add(str(extra), arcname="course/compose/lab/evil.sh")
    refused(bundle, tmp_path / "room", "which its manifest does not list: it was tampered with")


def test_a_path_out_of_the_bundle_is_refused_even_when_listed(tmp_path: Path) -> None:
    escape = "course/../../escape"
    bundle = raw_bundle(
        tmp_path / "escaping.tar", {escape: Member(hashlib.sha256(b"x").hexdigest(), 1)}, {escape: b"x"}
    )
    refused(bundle, tmp_path / "room", "escape")
    assert not (tmp_path / "escape").exists()


def test_a_member_the_manifest_lists_but_the_bundle_lacks_is_refused(tmp_path: Path) -> None:
    listed = {"course/compose/lab/lab.conf": Member("00" * 32, 1)}
    bundle = raw_bundle(tmp_path / "short.tar", listed, FILES)
    refused(bundle, tmp_path / "room", "lacks course/compose/lab/lab.conf")


def test_a_bundle_for_another_architecture_is_refused(tmp_path: Path) -> None:
    other = "s390x" if host_architecture() != "s390x" else "amd64"
    refused(make_bundle(tmp_path, architecture=other), tmp_path / "room", f"holds {other} images")


def test_a_bundle_of_a_newer_format_is_refused_naming_its_labkit(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, format=FORMAT + 1, labkit="9.0.0")
    refused(bundle, tmp_path / "room", r"packed by labkit 9\.0\.0 in bundle format 2.*upgrade labkit")


def test_a_tar_that_is_no_bundle_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        tar.add(str(Path(__file__)), arcname="x.py")
    refused(plain, tmp_path / "room", "is not a labkit bundle")
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 64)
    refused(junk, tmp_path / "room", "damaged or cut short|not a labkit bundle")


def test_a_destination_with_a_course_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "room" / "compose").mkdir(parents=True)
    with pytest.raises(UsageError, match=r"already holds a course \(compose/\)"):
        verify_bundle(make_bundle(tmp_path), tmp_path / "room")


def test_the_cli_refuses_in_one_line_before_asking_any_engine(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    bundle.write_bytes(bundle.read_bytes()[:5000])
    result = subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", "course", "unpack", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        # An engine that cannot answer: reaching it would fail with exit 3, not the bundle's 2.
        env={"PATH": "/usr/bin:/bin", "LABKIT_ENGINE": "docker", "DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "course.tar" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.tar", "staging"]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_cutting_the_solution_keeps_the_rest_of_each_exercise(exercise: str, tmp_path: Path) -> None:
    source = COURSE / "compose" / exercise / "compose.yaml"
    copy = tmp_path / exercise / "compose.yaml"
    copy.parent.mkdir()
    for sibling in source.parent.iterdir():
        (tmp_path / exercise / sibling.name).write_bytes(sibling.read_bytes())
    copy.write_text(strip_solution(source.read_text()))
    before, after = load_stack(source), load_stack(copy)
    assert before.exercise.solution and not after.exercise.solution
    assert after.exercise.checks == before.exercise.checks
    assert after.exercise.description == before.exercise.description
    assert after.services.keys() == before.services.keys()
    assert "solution:" not in copy.read_text()
    # Comments the author wrote stay.
    assert [line for line in source.read_text().splitlines() if line.startswith("#")] == [
        line for line in copy.read_text().splitlines() if line.startswith("#")
    ]


def test_a_file_without_solution_is_unchanged() -> None:
    text = "x-labkit:\n  title: t\nservices:\n  a:\n    image: x\n"
    assert strip_solution(text) == text
    flow = "x-labkit: {title: t, solution: [{service: a, run: x}]}\nservices: {}\n"
    assert "solution" in strip_solution(flow) or strip_solution(flow) == "services: {}\n"
