#!/usr/bin/env python3
"""Reference oracle: reads image packages with Microsoft's own reader and prints what it sees.

Usage: python3 tests/reference/oracle.py FILE...

Prints one JSON array on stdout with, for each file, the fields the Rust reader must agree on:
image type, component id, image id, signing certificate thumbprint, signing type, debug name,
build time (Unix seconds), signature size, the temporary-image flags (null without the section)
and the ABI-depends versions (`[version, identity type]`, every ABIDepends section in order). A file
the reference reader rejects gets an "error" member instead. Requires `pip install azuresphere-imagemetadata==0.2.2` (the version the
project's expectations were checked against); exits with status 3 and a clear message without it.
"""

import json
import sys

REQUIRED = "azuresphere-imagemetadata==0.2.2"

try:
    from importlib.metadata import version, PackageNotFoundError

    try:
        INSTALLED = version("azuresphere-imagemetadata")
    except PackageNotFoundError:
        INSTALLED = None
    from azuresphere_imagemetadata.image import Image
    from azuresphere_imagemetadata.metadata_sections.metadata_id import MetadataSectionId
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"oracle: cannot import azuresphere_imagemetadata ({e}); run `pip install {REQUIRED}`",
          file=sys.stderr)
    sys.exit(3)

if INSTALLED != "0.2.2":
    print(f"oracle: azuresphere-imagemetadata {INSTALLED} is installed; run `pip install {REQUIRED}`",
          file=sys.stderr)
    sys.exit(3)


def temporary(section):
    """The flags read from the raw value: the reader's own `get_flag_names` uses `elif` and so
    never reports both flags at once."""
    if section is None:
        return None
    flags = section.flags.flags
    return {"remove_at_boot": bool(flags & 0x1), "under_development": bool(flags & 0x2)}


def describe(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        metadata = Image(data).metadata
        identity = metadata.identity
        signature = metadata.signature
        debug = metadata.debug
        return {
            "file": path,
            "image_type": identity.image_type if identity else None,
            "component_id": identity.component_uid if identity else None,
            "image_id": identity.image_uid if identity else None,
            "thumbprint": signature.signing_cert_thumbprint.hex() if signature else None,
            "signing_type": signature.signing_type.signing_type if signature else None,
            "debug_name": debug.image_name if debug else None,
            "built_unix": debug.debug_time if debug else None,
            "signature_size": metadata.signature_size,
            "temporary": temporary(metadata.tempinfo),
            "abi_depends": [[v.version, v.type]
                            for section in metadata.sections_by_id(MetadataSectionId.ABIDepends)
                            for v in section.versions],
        }
    except Exception as e:  # the reference reader raises plain exceptions on damage
        return {"file": path, "error": f"{type(e).__name__}: {e}"}


def main(argv):
    print(json.dumps([describe(p) for p in argv[1:]], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
