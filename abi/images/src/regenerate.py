"""Write the corpus images with C programs compiled against each frozen version's generated header.

    python abi/images/src/regenerate.py            # add the images that are missing (a newly frozen version)
    python abi/images/src/regenerate.py --check    # rebuild every image in memory; exit 1 if one differs

For every frozen version, ``pvabi gen c --abi-version V`` writes the headers
into a temporary directory; each writer below is compiled with gcc for each of
its architectures (``-m64``, ``-m32``: i386 needs gcc-multilib for libc) and
run. The program stores distinctive values through the header's names, writes
the structure's bytes and prints each field it set; this script records those
values in the sidecar, after checking that they are exactly the fields the
layout says that party writes and that pvabi decodes the compiler's bytes to
them. Images of frozen versions are never rewritten: an existing image is kept
(and ``--check`` says if the compiler no longer reproduces it).

arm32 is not covered: it needs an ARM cross compiler and a way to run its
programs (qemu-user), which the reference machine lacks.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from pvabi.abiroot import find_root
from pvabi.checker import load_version
from pvabi.engine import Resolver
from pvabi.imagedecode import decode, json_value
from pvabi.images import Image, expected_values, images_dir, read_index, write_index
from pvabi.values import EnumValue, FlagsValue
from pvabi.versions import VersionIndex, write_atomic

HERE = Path(__file__).resolve().parent
# (C source, layout, the party it writes as, architectures)
WRITERS = (
    ("shared_info_host.c", "shared_info_page", "host", ("x86_64", "x86_32")),
    ("shared_info_guest.c", "shared_info_page", "guest", ("x86_64", "x86_32")),
    ("vrom_header_host.c", "vrom_header", "host", ("x86_32",)),
    ("vmi_ap_state_guest.c", "vmi_ap_state", "guest", ("x86_32",)),
)
ARCH_FLAG = {"x86_64": "-m64", "x86_32": "-m32"}
CFLAGS = ("-std=c11", "-O0", "-Wall", "-Wextra", "-Werror")


class RegenerateError(Exception):
    pass


def image_name(layout: str, arch: str, version: str, writer: str) -> str:
    return f"{layout}-{arch}-{version}-{writer}.bin"


def gcc_command(source: str, arch: str, headers: str, output: str) -> list[str]:
    return ["gcc", *CFLAGS, ARCH_FLAG[arch], "-I", headers, "-I", str(HERE), str(HERE / source), "-o", output]


def run_writer(source: str, arch: str, headers: Path, work: Path) -> tuple[bytes, dict[str, int]]:
    """Compile and run one writer: the image bytes and the values it printed."""
    exe = work / f"{Path(source).stem}-{arch}"
    built = subprocess.run(gcc_command(source, arch, str(headers), str(exe)), capture_output=True, text=True)
    if built.returncode != 0:
        raise RegenerateError(f"gcc failed for {source} ({arch}): {built.stderr.strip()}")
    out = work / "image.bin"
    ran = subprocess.run([str(exe), str(out)], capture_output=True, text=True)
    if ran.returncode != 0:
        raise RegenerateError(f"{source} ({arch}) failed: {ran.stderr.strip()}")
    values = {}
    for line in ran.stdout.splitlines():
        path, _, value = line.partition("=")
        values[path] = int(value)
    return out.read_bytes(), values


def headers_for(version: str, work: Path, root_dir: Path) -> Path:
    out = work / f"include-{version}"
    subprocess.run([sys.executable, "-m", "pvabi", "gen", "c", "--abi-version", version, "-o", str(out),
                    "--root", str(root_dir)], check=True, capture_output=True)
    return out


def sidecar_for(layout, version: str, writer: str, source: str, arch: str, data: bytes,
                printed: dict[str, int]) -> dict:
    """The sidecar of one written image, after checking the program against the layout and pvabi's decoder."""
    decoded = decode(layout, data)
    name = image_name(layout.name, arch, version, writer)
    should = expected_values(decoded, writer)
    if set(printed) != set(should):
        missing, extra = sorted(set(should) - set(printed)), sorted(set(printed) - set(should))
        raise RegenerateError(f"{name}: {source} does not set exactly the {writer}'s fields of {layout.name}: "
                              f"unset {missing[:5]}, not the {writer}'s {extra[:5]}")
    expected = {}
    for path, value in printed.items():
        slot = decoded.slots[path]
        if isinstance(slot.value, EnumValue) and slot.member.enum is not None:
            expected[path] = json_value(EnumValue(value, slot.member.enum))
        elif isinstance(slot.value, FlagsValue) and slot.member.flags is not None:
            expected[path] = json_value(FlagsValue(value, slot.member.flags))
        else:
            expected[path] = value
        if expected[path] != should[path]:
            raise RegenerateError(f"{name}: {path}: the program stored {value}, pvabi decodes {should[path]}")
    command = " && ".join([
        f"pvabi gen c --abi-version {version} -o HDR",
        shlex.join(gcc_command(source, arch, "HDR", "writer")).replace(str(HERE), "abi/images/src"),
        f"./writer {name}"])
    img = Image(name, Path(name), name, layout.name, version, arch, writer, 0, hashlib.sha256(data).hexdigest(),
                {"by": "program", "source": f"src/{source}", "command": command}, expected)
    return img.to_json()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="rebuild every image and compare; write nothing")
    ap.add_argument("--only", action="append", default=[], metavar="GLOB", help="image names to consider")
    ap.add_argument("--root", default=str(HERE.parent.parent.parent), help="directory holding abi/")
    args = ap.parse_args(argv)
    root = find_root(args.root)
    target = images_dir(root)
    locked = read_index(root)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="pvabi-corpus-") as tmp:
        work = Path(tmp)
        for v in VersionIndex.read(root).versions:
            todo = [(s, lay, w, a) for s, lay, w, arches in WRITERS for a in arches
                    if not args.only or any(fnmatch.fnmatch(image_name(lay, a, v.name, w), g) for g in args.only)]
            if not todo:
                continue
            abi = load_version(root, v.name)
            headers = headers_for(v.name, work, root.display_base)
            for source, layout_name, writer, arch in todo:
                name = image_name(layout_name, arch, v.name, writer)
                path = target / name
                if path.exists() and not args.check:
                    print(f"kept {name}")
                    continue
                data, printed = run_writer(source, arch, headers, work)
                sidecar = sidecar_for(Resolver(abi, arch).layout(layout_name), v.name, writer, source, arch, data,
                                      printed)
                if args.check:
                    same = path.exists() and path.read_bytes() == data
                    print(f"{'ok' if same else 'DIFFERS'} {name}")
                    failures += not same
                    continue
                write_atomic(path, data)
                write_atomic(path.with_suffix(".json"), (json.dumps(sidecar, indent=2) + "\n").encode())
                locked[name] = sidecar["sha256"]
                print(f"wrote {name}")
    if not args.check:
        write_index(root, locked)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RegenerateError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
