"""``pvabi.imagefile``: decode and encode as library calls, held against bytes packed by hand.

The layout is Xen's ``struct vcpu_time_info`` (xen-project/xen:
xen/include/public/xen.h): u32 version, u32 pad0, u64 tsc_timestamp, u64
system_time, u32 tsc_to_system_mul, s8 tsc_shift, u8 flags, u8 pad1[2] — 32
bytes, naturally aligned, the same on every architecture. ``struct.pack``
writes it without pvabi.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from conftest import REPO

from pvabi.errors import InputError
from pvabi.imagefile import decode_file, encode_file
from pvabi.project import Project

VALUES = {"version": 6, "tsc_timestamp": 0x1122334455667788, "system_time": 10**12, "tsc_to_system_mul": 0xDEADBEEF,
          "tsc_shift": -3, "flags": 1}


def _packed(endian: str = "<") -> bytes:
    v = VALUES
    return struct.pack(endian + "IIQQIbB2x", v["version"], 0, v["tsc_timestamp"], v["system_time"],
                       v["tsc_to_system_mul"], v["tsc_shift"], v["flags"])


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.find(REPO)


def test_decode_file_reads_what_struct_pack_wrote(project: Project, tmp_path: Path) -> None:
    image = tmp_path / "time.bin"
    image.write_bytes(_packed())
    found = decode_file(project.layout("vcpu_time_info", "v2.0", "i386"), image)
    assert {k: found.values[k] for k in VALUES} == VALUES
    assert found.values["flags"].names == ("TSC_STABLE",)
    assert (found.offset, found.notes, found.layout.arch) == (0, (), "x86_32")


def test_decode_file_inside_a_dump_and_big_endian(project: Project, tmp_path: Path) -> None:
    dump = tmp_path / "dump.bin"
    dump.write_bytes(b"\xff" * 100 + _packed(">") + b"\xff" * 7)
    found = decode_file(project.layout("vcpu_time_info", "working", "s390x"), dump, 100)
    assert {k: found.values[k] for k in VALUES} == VALUES and found.offset == 100


def test_decode_file_names_the_image_in_its_errors(project: Project, tmp_path: Path) -> None:
    image = tmp_path / "short.bin"
    image.write_bytes(_packed()[:31])
    layout = project.layout("vcpu_time_info")
    with pytest.raises(InputError) as caught:
        decode_file(layout, image, 8)
    assert caught.value.file == str(image)
    assert caught.value.message == ("image is 31 bytes: vcpu_time_info (32 bytes on x86_64) at offset 8 runs "
                                    "past its end")


def test_decoded_notes_say_what_breaks_a_writer_rule(project: Project, tmp_path: Path) -> None:
    image = tmp_path / "dirty.bin"
    image.write_bytes(_packed()[:30] + b"\x01\x00")  # pad1 is reserved: zero
    found = decode_file(project.layout("vcpu_time_info"), image)
    assert len(found.notes) == 1 and "pad1" in str(found.notes[0])


def test_encode_file_writes_the_bytes_struct_pack_writes(project: Project, tmp_path: Path) -> None:
    values = tmp_path / "values.json"
    values.write_text(json.dumps(VALUES), "utf-8")
    out = tmp_path / "out.bin"
    done = encode_file(project, "vcpu_time_info", values, out, "v2.0", "x86_32")
    assert out.read_bytes() == _packed() and done.size == 32 and done.forced == ()
    again = encode_file(project, "vcpu_time_info", values, out, "v2.0", "s390x")
    assert out.read_bytes() == _packed(">") and again.layout.arch == "s390x"


def test_encode_file_errors_name_the_values_file(project: Project, tmp_path: Path) -> None:
    values = tmp_path / "values.json"
    values.write_text("{not json", "utf-8")
    with pytest.raises(InputError) as caught:
        encode_file(project, "vcpu_time_info", values, tmp_path / "out.bin", "working")
    assert caught.value.file == str(values) and caught.value.message.startswith("malformed JSON: ")
    assert not (tmp_path / "out.bin").exists()
