"""The decoder: typed values out of images, DecodeError (path, offset) as data, and no construct traceback."""

from __future__ import annotations

import random
import struct
from pathlib import Path
from typing import Any

import construct as cs
import pytest
from conftest import REPO, Run, run_in_process

from pvabi import codec as codecmod
from pvabi.decoder import decode, encode, read_slot
from pvabi.engine import Layout
from pvabi.errors import DecodeError, InputError
from pvabi.slots import slots
from pvabi.values import EnumValue, FlagsValue
from pvabi.witness import SEEDS, write_image
from shipped import shipped_layouts
from valuepath import walk

LAYOUTS = shipped_layouts()


def _ident(layout: Layout) -> str:
    return f"{layout.name}-{layout.arch}"


def _layout(name: str, arch: str) -> Layout:
    return next(x for x in LAYOUTS if x.name == name and x.arch == arch)


def test_a_wrong_constant_is_a_decode_error_with_path_and_offset() -> None:
    layout = _layout("vrom_header", "x86_32")
    image = bytearray(write_image(layout, layout.size, 0))
    decode(layout, bytes(image))  # the legal image decodes
    image[8] ^= 0xFF  # vrom_signature, a u32 constant at offset 8 (abi/layouts/vmi_rom.yaml)
    with pytest.raises(DecodeError) as caught:
        decode(layout, bytes(image))
    e = caught.value
    assert isinstance(e, InputError)
    assert (e.path, e.offset) == ("vrom_header.vrom_signature", 8)
    assert "constant mismatch" in e.message and "\n" not in str(e)


@pytest.mark.parametrize("delta", [-1, 1])
def test_a_wrong_length_is_a_decode_error_about_the_whole_image(delta: int) -> None:
    layout = _layout("vcpu_time_info", "x86_64")
    with pytest.raises(DecodeError) as caught:
        decode(layout, bytes(layout.size + delta))
    assert (caught.value.path, caught.value.offset) == ("vcpu_time_info", None)
    assert f"image is {layout.size + delta} bytes" in caught.value.message


@pytest.mark.parametrize("failure", [struct.error("unpack requires a buffer of 8 bytes"), ValueError("bad"),
                                     cs.StreamError("stream read less than specified amount")])
def test_any_failure_under_construct_becomes_a_decode_error(failure: Exception) -> None:
    """Compiled parsers can fail with plain Python errors (struct.error, ValueError): translated all the same."""
    layout = _layout("vcpu_time_info", "x86_64")

    class Broken:
        def parse(self, data: bytes) -> Any:
            raise failure

    codec = codecmod.ConstructCodec(layout)
    codec.construct = Broken()
    with pytest.raises(DecodeError) as caught:
        codec.parse(bytes(layout.size))
    assert caught.value.path == "vcpu_time_info" and str(failure) in caught.value.message


@pytest.mark.parametrize("layout", LAYOUTS, ids=_ident)
def test_garbage_decodes_or_fails_as_a_decode_error(layout: Layout) -> None:
    rng = random.Random(f"{layout.name}-{layout.arch}")
    for _ in range(20):
        data = bytes(rng.randrange(256) for _ in range(layout.size))
        try:
            values = decode(layout, data)
        except DecodeError as e:
            assert e.path.startswith(layout.name) and (e.offset is None or 0 <= e.offset < layout.size)
        else:
            assert encode(layout, values) == data


@pytest.mark.parametrize("layout", LAYOUTS, ids=_ident)
def test_decode_runs_the_fast_path_and_agrees_with_construct(layout: Layout) -> None:
    """decode/encode go through the generated struct code; construct, the reference, gives the same."""
    from pvabi.decoder import reference
    from pvabi.fastcodec import fast_codec, supports

    assert supports(layout), "a shipped layout the fast path does not take"
    rng = random.Random(f"fast-{layout.name}-{layout.arch}")
    before = fast_codec(layout).deferred
    for _ in range(10):
        data = bytearray(rng.randrange(256) for _ in range(layout.size))
        try:
            expected = reference(layout).parse(bytes(data))
        except DecodeError:
            continue  # a constant the random bytes break: construct's error is the answer either way
        values = decode(layout, bytes(data))
        assert values == expected and [type(v) for v in values.values()] == [type(v) for v in expected.values()]
        assert encode(layout, values) == reference(layout).build(expected)
    assert fast_codec(layout).deferred == before


@pytest.mark.parametrize("layout", LAYOUTS, ids=_ident)
def test_read_slot_gives_the_values_decode_gives(layout: Layout) -> None:
    """The slot reader the witness search uses agrees with the full decoder, value and type, on every slot."""
    for seed in range(0, SEEDS, 3):
        image = write_image(layout, layout.size, seed)
        values = decode(layout, image)
        live = [s for s in slots(layout, seed) if s.live]
        assert live or not layout.members
        for s in live:
            mine, theirs = read_slot(image, s), walk(values, s.path)
            assert _typed(mine) == _typed(theirs), f"{s.path}: {mine!r} != {theirs!r}"


def _typed(v: Any) -> Any:
    if isinstance(v, EnumValue):
        return ("enum", int(v), v.name)
    if isinstance(v, FlagsValue):
        return ("flags", int(v), v.names, v.unknown)
    if isinstance(v, list):
        return [_typed(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    return ("int", v)


def test_decoded_values_are_typed() -> None:
    layout = _layout("vcpu_time_info", "x86_64")
    values = decode(layout, write_image(layout, layout.size, 1))
    assert isinstance(values["flags"], FlagsValue) and isinstance(values["pad1"], bytes)
    assert type(values["version"]) is int


# --- the command line ----------------------------------------------------------------------------------------


def _decode_cli(tmp_path: Path, data: bytes, *extra: str) -> Run:
    image = tmp_path / "image.bin"
    image.write_bytes(data)
    return run_in_process(["decode", "vrom_header", image, "--arch", "i386", "--root", REPO, *extra])


@pytest.mark.parametrize(("data", "needle"), [
    (bytes(143), "image is 143 bytes, shorter than vrom_header"),
    (bytes(145), "image is 145 bytes, longer than vrom_header"),
    (bytes(144), "vrom_header.rom_signature (offset 0): constant mismatch"),
    (bytes(random.Random(9).randrange(256) for _ in range(144)), "vrom_header.rom_signature (offset 0)"),
], ids=["truncated", "oversized", "zeros", "garbage"])
def test_bad_images_through_the_cli_are_one_line_and_exit_2(tmp_path: Path, data: bytes, needle: str) -> None:
    run = _decode_cli(tmp_path, data)
    assert run.exit_code == 2, run.output
    assert len(run.error_lines) == 1 and needle in run.error_lines[0], run.stderr
    assert run.error_lines[0].startswith(f"error: {tmp_path / 'image.bin'}: ")
    assert "Traceback" not in run.output
