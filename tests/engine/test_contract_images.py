"""Engine contract, images: build, tag, remove, save/load, import (see test_contract.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import busybox_rootfs_tar, needs_engine, on_fake_and_engines
from tests.engine.test_contract import Lab, lab_fixture, run  # noqa: F401 (a fixture)
from toolkit.errors import BuildFailed, EngineError, ImageNotFound, NotFound
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import BuildSpec

pytestmark = [pytest.mark.engine, on_fake_and_engines]

STAGED = """\
FROM {base} AS base
ARG GREETING=none
RUN echo "$GREETING" > /greeting
HEALTHCHECK --interval=7s --timeout=3s --retries=2 CMD test -s /greeting

FROM base AS final
RUN touch /final
"""


@needs_engine("a real build")
def test_build_with_arg_label_target_and_progress(runtime: Runtime, lab: Lab, tmp_path: Path) -> None:
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "Containerfile.lab").write_text(STAGED.format(base=lab.image))
    first, second = f"labkit-test/{lab.prefix}:built", f"labkit-test/{lab.prefix}:also"
    lab.images += [first, second]
    lines: list[str] = []

    info = runtime.build_image(
        BuildSpec(
            context=tmp_path,
            tags=(first, second),
            containerfile=Path("lab/Containerfile.lab"),  # relative to the context
            build_args={"GREETING": "hello-arg"},
            labels=dict(lab.labels),
            target="base",
        ),
        on_progress=lambda out: lines.append(out.line),
    )

    assert any("RUN echo" in line for line in lines), lines
    assert runtime.image_exists(first) and runtime.image_exists(second)
    assert runtime.inspect_image(second).id == info.id
    assert info.labels["io.labkit.project"] == lab.prefix
    assert info.id in {i.id for i in runtime.list_images({"io.labkit.project": lab.prefix})}
    # The HEALTHCHECK survives the build, in seconds.
    assert info.healthcheck is not None
    assert (info.healthcheck.interval, info.healthcheck.timeout) == (7.0, 3.0)
    assert info.healthcheck.retries == 2
    assert "test -s /greeting" in " ".join(info.healthcheck.argv())

    container = lab.container("built", image=first)
    assert run(runtime, container, "cat /greeting") == "hello-arg"
    assert runtime.exec(container, ["test", "-e", "/final"]).exit_code == 1  # target stopped early
    assert runtime.run_healthcheck(container).passed  # the image's healthcheck
    assert runtime.inspect_container(container).health == "healthy"


@needs_engine("a real build")
def test_a_failing_build_raises_build_failed_with_its_step(
    runtime: Runtime, lab: Lab, tmp_path: Path
) -> None:
    (tmp_path / "Containerfile").write_text(
        f"FROM {lab.image}\nRUN echo about-to-fail && exit 3\nRUN echo never\n"
    )
    ref = f"labkit-test/{lab.prefix}:broken"
    lab.images.append(ref)
    lines: list[str] = []

    with pytest.raises(BuildFailed) as caught:
        runtime.build_image(
            BuildSpec(context=tmp_path, tags=(ref,)), on_progress=lambda out: lines.append(out.line)
        )

    assert "RUN echo about-to-fail" in caught.value.step
    assert any("about-to-fail" in line for line in caught.value.log_tail)
    assert 0 < len(caught.value.log_tail) <= 25
    assert lines
    assert not runtime.image_exists(ref)


def test_tag_and_remove(runtime: Runtime, lab: Lab) -> None:
    ref = f"labkit-test/{lab.prefix}:tagged"
    lab.images.append(ref)

    runtime.tag_image(lab.image, ref)

    assert runtime.inspect_image(ref).id == runtime.inspect_image(lab.image).id
    runtime.remove_image(ref)
    assert not runtime.image_exists(ref)
    assert runtime.image_exists(lab.image)  # removing a tag keeps the image's other names
    with pytest.raises(ImageNotFound):
        runtime.remove_image(ref)
    with pytest.raises(ImageNotFound):
        runtime.tag_image(ref, f"{ref}-again")


@needs_engine("image archives, which the fake cannot write")
def test_save_and_load_round_trip(runtime: Runtime, lab: Lab, tmp_path: Path) -> None:
    ref = f"labkit-test/{lab.prefix}:saved"
    lab.images.append(ref)
    runtime.tag_image(lab.image, ref)
    archive = tmp_path / "images.tar"

    runtime.save_images([ref], archive)
    runtime.remove_image(ref)
    assert not runtime.image_exists(ref)
    loaded = runtime.load_images(archive)

    assert archive.stat().st_size > 0
    assert runtime.image_exists(ref)
    assert any(name.endswith(ref) for name in loaded), loaded


@needs_engine("a real root filesystem and a command in it")
def test_import_rootfs_with_changes_and_labels(runtime: Runtime, lab: Lab, tmp_path: Path) -> None:
    tar = busybox_rootfs_tar(tmp_path / "rootfs.tar")
    ref = f"labkit-test/{lab.prefix}:imported"
    lab.images.append(ref)

    info = runtime.import_rootfs(
        tar,
        ref,
        changes=["ENV PATH=/bin:/sbin GREETING=imported", "WORKDIR /tmp", 'CMD ["/bin/sh"]'],
        labels={"io.labkit.project": lab.prefix, "io.labkit.note": 'with spaces = and quotes"'},
    )

    assert info.labels["io.labkit.project"] == lab.prefix
    assert info.labels["io.labkit.note"] == 'with spaces = and quotes"'
    assert [i.id for i in runtime.list_images({"io.labkit.project": lab.prefix})] == [info.id]
    container = lab.container("imported", image=ref)
    assert run(runtime, container, "echo $GREETING; pwd") == "imported\n/tmp"


def test_an_image_is_found_and_removed_by_id(runtime: Runtime, lab: Lab, tmp_path: Path) -> None:
    ref, other = f"labkit-test/{lab.prefix}:own", f"labkit-test/{lab.prefix}:other"
    lab.images += [ref, other]
    tar = busybox_rootfs_tar(tmp_path / "rootfs.tar")
    own = runtime.import_rootfs(tar, ref, changes=['CMD ["/bin/sh"]'], labels=dict(lab.labels))
    digits = own.id.removeprefix("sha256:")

    for spelling in (own.id, digits, digits[:12]):
        assert runtime.image_exists(spelling)
        assert runtime.inspect_image(spelling).id == own.id
    runtime.tag_image(own.id, other)
    assert sorted(runtime.inspect_image(own.id).tags) == sorted([ref, other])
    with pytest.raises(EngineError) as several_tags:
        runtime.remove_image(own.id)
    assert not isinstance(several_tags.value, NotFound)
    assert runtime.image_exists(ref) and runtime.image_exists(other)
    runtime.remove_image(other)  # one of two tags: only the name goes
    assert runtime.inspect_image(own.id).tags == (ref,)
    container = lab.container("user", image=ref, start=False)
    with pytest.raises(EngineError) as in_use:
        runtime.remove_image(own.id)
    assert not isinstance(in_use.value, NotFound)
    assert runtime.image_exists(own.id)
    runtime.remove_container(container)

    runtime.remove_image(own.id)

    assert not runtime.image_exists(own.id) and not runtime.image_exists(ref)
    assert own.id not in {image.id for image in runtime.list_images({"io.labkit.project": lab.prefix})}
    with pytest.raises(ImageNotFound):
        runtime.remove_image(own.id)
