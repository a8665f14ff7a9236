"""The offline course bundle: one archive with the course images, the exercises and a manifest.

`pack_course` writes it on a machine that has (or builds) the images; `verify_bundle` checks
every member of one against its manifest before anything is loaded; `install_bundle` loads the
images into an engine and puts the exercises where `labkit up` finds them. A student's bundle
holds no solutions.
"""

from toolkit.bundle.manifest import FORMAT, Manifest
from toolkit.bundle.pack import PackResult, pack_course
from toolkit.bundle.unpack import UnpackResult, VerifiedBundle, install_bundle, verify_bundle

__all__ = [
    "FORMAT",
    "Manifest",
    "PackResult",
    "UnpackResult",
    "VerifiedBundle",
    "install_bundle",
    "pack_course",
    "verify_bundle",
]
