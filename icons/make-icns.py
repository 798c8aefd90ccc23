#!/usr/bin/env python3
"""Writes icons/icon.icns from icons/master.png with every size macOS asks for (16 to 1024 px).

`cargo tauri icon` would do this too, but needs tauri-cli; this needs only Python 3 and
ImageMagick's `convert` (installed by `.ci/setup --test`). Run from the repository root:
    python3 icons/make-icns.py
The ICNS container is a 4-byte magic, a big-endian total length, then (type, length, PNG) entries;
modern macOS reads PNG payloads for every type listed here.
"""
import struct
import subprocess
import sys
from pathlib import Path

# (ICNS type, pixel size): 1x and @2x entries for 16, 32, 128, 256 and 512 pt.
ENTRIES = [
    (b"icp4", 16), (b"ic11", 32),
    (b"icp5", 32), (b"ic12", 64),
    (b"ic07", 128), (b"ic13", 256),
    (b"ic08", 256), (b"ic14", 512),
    (b"ic09", 512), (b"ic10", 1024),
]


def png(master: Path, size: int) -> bytes:
    # 8-bit RGBA PNG, resized with a high-quality filter; strip dates so the output is reproducible.
    return subprocess.run(
        ["convert", str(master), "-filter", "Lanczos", "-resize", f"{size}x{size}",
         "-depth", "8", "-strip", "-define", "png:color-type=6", "png:-"],
        check=True, capture_output=True).stdout


def main() -> int:
    root = Path(__file__).resolve().parent
    master = root / "master.png"
    cache = {}
    body = b""
    for kind, size in ENTRIES:
        data = cache.setdefault(size, png(master, size))
        body += kind + struct.pack(">I", len(data) + 8) + data
    out = root / "icon.icns"
    out.write_bytes(b"icns" + struct.pack(">I", len(body) + 8) + body)
    print(f"wrote {out} ({len(ENTRIES)} entries, {len(body) + 8} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
