"""The ``pvabi`` command line: a thin layer over the library.

Every command is a few library calls plus output. Exit codes: 0 ok, 1 findings,
2 bad input or usage (always one line per problem, never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from . import arch as archmod
from .abiroot import WORKING, AbiRoot, find_root, load
from .codec import ConstructCodec, encode_values, inspect
from .engine import Layout, Resolver
from .errors import InputError, InputErrors, PvabiError
from .model import Abi
from .show import render_text
from .show import to_json as show_json
from .values import check_decoded, decoded_document, to_json
from .versions import VersionIndex, write_atomic

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Keep the binary ABI between a hypervisor and its guests from breaking.",
                  context_settings={"help_option_names": ["-h", "--help"]})

F = TypeVar("F", bound=Callable[..., Any])

RootArg = Annotated[str | None, typer.Option("--root", help="Directory holding abi/ (or abi/ itself). "
                                             "Default: found upward from the current directory.")]
VersionOpt = Annotated[str, typer.Option("--version", "-V", help="A frozen version (v1.2, or v1 for the "
                                         "newest v1.x) or 'working' for abi/layouts/.")]
ArchOpt = Annotated[str | None, typer.Option("--arch", "-a", help="x86_32 (i386), x86_64, arm32, aarch64, "
                                             "ppc64, s390x. Default: x86_64, or the layout's first architecture.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Stable JSON output (see docs/json.md).")]


def _fail(lines: list[str], code: int = 2) -> None:
    for line in lines:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(code)


def handles_errors(fn: F) -> F:
    """Turn pvabi errors into one-line messages and exit code 2."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputErrors as e:
            _fail([str(x) for x in e.errors])
        except PvabiError as e:
            _fail([str(e)])
    return wrapper  # type: ignore[return-value]


def _layout(abi: Abi, name: str, arch: str | None) -> Layout:
    rec = abi.record(name)
    if rec is None:
        known = ", ".join(sorted(r.name for r in abi.records()))
        raise InputError(f"no layout named {name!r} in {abi.name} (layouts: {known})")
    if arch is None:
        arch = archmod.DEFAULT_ARCH if rec.exists_on(archmod.DEFAULT_ARCH) else sorted(rec.arches or ())[0]
    try:
        canonical = archmod.canonical(arch)
    except KeyError:
        raise InputError(f"unknown architecture {arch!r} (known: {', '.join(archmod.ARCHES)}; "
                         f"aliases: {', '.join(archmod.ALIASES)})") from None
    return Resolver(abi, canonical).layout(name)


def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False))


@app.command(epilog="Example: pvabi validate    (or: pvabi validate path/to/repo)")
@handles_errors
def validate(root: Annotated[str | None, typer.Argument(help="Directory holding abi/, or abi/ itself.")] = None
             ) -> None:
    """Check every layout (schema, names, cycles, asserted offsets and sizes) and every frozen version."""
    r = find_root(root)
    problems: list[InputError] = []
    abi = None
    try:
        abi = load(r, WORKING)
    except InputErrors as e:
        problems.extend(e.errors)
    index = VersionIndex.read(r)
    problems.extend(index.orphans())
    for v in index.versions:
        tampered = index.verify(v.name)
        problems.extend(tampered)
        if tampered:
            continue  # its layouts are not what was frozen: checking them would only add noise
        try:
            load(r, v.name)
        except InputErrors as e:
            problems.extend(e.errors)
    if problems:
        raise InputErrors(problems)
    assert abi is not None
    typer.echo(f"ok: {len(abi.files)} layout files, {len(abi.records())} layouts, "
               f"{len(index.versions)} frozen versions verified ({r.path})")


@app.command(epilog="Example: pvabi show vcpu_info --arch x86_32")
@handles_errors
def show(layout: Annotated[str, typer.Argument(help="Layout (struct or union) name.")],
         version: VersionOpt = WORKING, arch: ArchOpt = None, json_: JsonOpt = False, root: RootArg = None) -> None:
    """A pahole-like map of a layout: offsets, sizes, holes, reserved regions, cache lines."""
    lay = _layout(load(find_root(root), version), layout, arch)
    if json_:
        _emit_json(show_json(lay))
    else:
        typer.echo(render_text(lay), nl=False)


@app.command(epilog="Example: pvabi decode vcpu_time_info image.bin --arch x86_32 --json")
@handles_errors
def decode(layout: Annotated[str, typer.Argument(help="Layout name.")],
           image: Annotated[Path, typer.Argument(help="Binary image file.")],
           version: VersionOpt = WORKING, arch: ArchOpt = None, json_: JsonOpt = False,
           root: RootArg = None) -> None:
    """Decode an image; exit 1 if it breaks a writer rule (non-zero reserved bytes, undefined flags)."""
    lay = _layout(load(find_root(root), version), layout, arch)
    try:
        with image.open("rb") as f:
            data = f.read(lay.size + 1)  # one byte more tells "too long" without reading a huge file
            on_disk = os.fstat(f.fileno()).st_size
    except OSError as e:
        raise InputError(f"cannot read image: {e.strerror}", str(image)) from None
    if len(data) > lay.size:
        size = f"{on_disk} bytes" if on_disk > lay.size else f"more than {lay.size} bytes"
        raise InputError(f"image is {size}, longer than {lay.name} ({lay.size} bytes on {lay.arch})", str(image))
    try:
        values = ConstructCodec(lay).parse(data)
    except PvabiError as e:
        raise InputError(str(e), str(image)) from None
    notes = inspect(lay, values)
    if json_:
        _emit_json({"schema": "pvabi.decode/1", "layout": lay.name, "arch": lay.arch, "version": version,
                    "values": to_json(lay, values), "notes": [str(n) for n in notes]})
    else:
        for line in _text_values(to_json(lay, values)):
            typer.echo(line)
        for n in notes:
            typer.echo(f"note: {n}")
    if notes:
        raise typer.Exit(1)


def _text_values(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict) and not ({"hex"} <= value.keys() or "value" in value):
        out = []
        for k, v in value.items():
            out.extend(_text_values(v, f"{prefix}.{k}" if prefix else k))
        return out
    if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        return [line for i, v in enumerate(value) for line in _text_values(v, f"{prefix}[{i}]")]
    return [f"{prefix} = {json.dumps(value)}"]


@app.command(epilog="Example: pvabi encode vcpu_time_info values.json -o image.bin --arch x86_32")
@handles_errors
def encode(layout: Annotated[str, typer.Argument(help="Layout name.")],
           values_file: Annotated[Path, typer.Argument(metavar="VALUES.json",
                                                       help="Values as JSON (the shape decode --json prints).")],
           output: Annotated[Path, typer.Option("--output", "-o", help="Image file to write.")],
           version: VersionOpt = WORKING, arch: ArchOpt = None, root: RootArg = None,
           allow_reserved: Annotated[bool, typer.Option("--allow-reserved", help="Write non-zero bytes into "
                                     "reserved-zero space (and undefined flag bits) with a warning, instead of "
                                     "refusing.")] = False) -> None:
    """Build an image from JSON values; reserved bytes and padding default to zero.

    The output of decode --json is taken as it is: its layout, architecture and version are used (or a
    different one given here is refused).
    """
    r = find_root(root)
    try:
        data = json.loads(values_file.read_text("utf-8"))
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", str(values_file)) from None
    except (ValueError, RecursionError) as e:
        raise InputError(f"malformed JSON: {e}", str(values_file)) from None
    doc = decoded_document(data)
    try:
        arch = check_decoded(doc, layout, arch, version, VersionIndex.read(r).resolve)
    except PvabiError as e:
        raise InputError(str(e), str(values_file)) from None
    lay = _layout(load(r, version), layout, arch)
    try:
        image, notes = encode_values(lay, doc.values, allow_reserved)
    except PvabiError as e:
        raise InputError(str(e), str(values_file)) from None
    for n in notes:
        typer.echo(f"warning: {lay.name}.{n} (written because of --allow-reserved)", err=True)
    try:
        write_atomic(output, image)
    except OSError as e:
        raise InputError(f"cannot write image: {e.strerror}", str(output)) from None
    typer.echo(f"wrote {len(image)} bytes to {output}")


@app.command(epilog="Example: pvabi versions --json")
@handles_errors
def versions(json_: JsonOpt = False, root: RootArg = None) -> None:
    """List the frozen versions, oldest first, with dates and summaries."""
    index = VersionIndex.read(find_root(root))
    if json_:
        _emit_json({"schema": "pvabi.version-list/1",
                    "versions": [{"name": v.name, "date": v.date, "summary": v.summary} for v in index.versions]})
        return
    for v in index.versions:
        typer.echo(f"{v.name:<8} {v.date}  {v.summary}")
    typer.echo(f"{WORKING:<8} {'-':<10}  abi/layouts/ (not frozen)")


@app.command(name="freeze", epilog='Example: pvabi freeze v2.1 --summary "Add the steal-time record"')
@handles_errors
def freeze_cmd(version: Annotated[str, typer.Argument(help="New version, vMAJOR.MINOR, above the last.")],
               summary: Annotated[str, typer.Option("--summary", "-m", help="One-line summary (required).")] = "",
               date: Annotated[str | None, typer.Option(help="Release date (YYYY-MM-DD); default today.")] = None,
               allow_break: Annotated[str | None, typer.Option("--allow-break", metavar="REASON", help="Freeze "
                                      "even though the gate finds a break the version name does not allow; the "
                                      "reason is recorded in the summary.")] = None,
               root: RootArg = None) -> None:
    """Snapshot the working layouts as a new, immutable, hash-locked version.

    The project's gate (abi/pvabi.yaml) runs against the previous version first: a breaking change
    under a minor version is refused (exit 1, with the findings) unless --allow-break gives a reason.
    """
    from .formats.text import render as render_text_diff
    from .release import GateRefused, release

    r: AbiRoot = find_root(root)
    try:
        v, result = release(r, version, summary, date, allow_break)
    except GateRefused as e:
        typer.echo(render_text_diff(e.result), nl=False)
        _fail([str(e)], 1)
        return
    if result is not None and result.failed:
        typer.echo(f"warning: froze breaking changes under {v.name}: {allow_break}", err=True)
    typer.echo(f"froze {v.name}: {len(v.files)} files into {r.versions / v.name}")


ModeOpt = Annotated[str | None, typer.Option("--mode", help="backward (old guests on a new host), forward (new "
                                             "guests on an old host) or full. Default: from abi/pvabi.yaml.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="text, json or markdown.")]


@app.command(epilog="Example: pvabi diff v1.3 v2.0 --mode full\n\n"
                    "More: pvabi diff v2 working --arch x86_32 --format markdown\n\n"
                    "pvabi diff v1.0 v1.1 --format json --witness-dir witnesses/")
@handles_errors
def diff(old: Annotated[str, typer.Argument(help="Old side: a version (v1.2, v1), 'working', or another ABI root.")],
         new: Annotated[str, typer.Argument(help="New side, likewise.")] = WORKING,
         layout: Annotated[list[str] | None, typer.Option("--layout", "-l", help="Only this layout (repeatable).")]
         = None,
         arch: Annotated[list[str] | None, typer.Option("--arch", "-a", help="Only this architecture (repeatable).")]
         = None,
         mode: ModeOpt = None,
         transitive: Annotated[bool | None, typer.Option("--transitive/--no-transitive", help="Also check NEW "
                               "against every earlier frozen version. Default: from abi/pvabi.yaml.")] = None,
         category: Annotated[str | None, typer.Option("--category", help="Gate: SOURCE, LAYOUT or WIRE. Default: "
                             "from abi/pvabi.yaml.")] = None,
         format_: FormatOpt = "text",
         witness_dir: Annotated[Path | None, typer.Option("--witness-dir", help="Save every witness image "
                                "(.bin) and its description (.json) here.")] = None,
         color: Annotated[bool | None, typer.Option("--color/--no-color", help="Colour the text format. "
                          "Default: on a terminal.")] = None,
         root: RootArg = None) -> None:
    """Classify every change between two versions, per rule, direction and architecture.

    Exit 0 when no finding violates the gate (or the versions declare a major
    bump), 1 when one does, 2 on bad input.
    """
    from .config import load_config
    from .diff import Policy
    from .diffrun import run_diff, save_witnesses
    from .formats import FORMATS
    from .formats.json_format import to_json as diff_json

    r = find_root(root)
    if format_ not in FORMATS:
        raise InputError(f"unknown format {format_!r} (known: {', '.join(FORMATS)})")
    cfg = load_config(r.path, str((r.path / "pvabi.yaml").relative_to(r.display_base)))
    policy = Policy((mode or cfg.mode).lower(), (category or cfg.category).upper())
    result = run_diff(r, old, new, policy, cfg.transitive if transitive is None else transitive,
                      tuple(arch) if arch else None, tuple(layout) if layout else None)
    files = save_witnesses(result, witness_dir) if witness_dir is not None else {}
    if format_ == "json":
        _emit_json(diff_json(result, files))
    else:
        use_color = sys.stdout.isatty() and "NO_COLOR" not in os.environ if color is None else color
        typer.echo(FORMATS[format_](result, use_color), nl=False, color=use_color)
    raise typer.Exit(result.exit_code)


@app.command(epilog="Example: pvabi rules --json\n\nMore: pvabi rules --markdown > docs/rules.md")
@handles_errors
def rules(json_: JsonOpt = False,
          markdown: Annotated[bool, typer.Option("--markdown", help="The docs/rules.md page.")] = False) -> None:
    """List the compatibility rules: ID, category, severity per direction, what they check."""
    from .rulesdoc import rules_json, rules_markdown, rules_text

    if json_:
        _emit_json(rules_json())
    elif markdown:
        typer.echo(rules_markdown(), nl=False)
    else:
        typer.echo(rules_text(), nl=False)


@app.command(epilog="Example: pvabi changelog v1.0 v2.0\n\nMore: pvabi changelog v1.3 working")
@handles_errors
def changelog(old: Annotated[str, typer.Argument(help="Oldest version (its changes are not listed).")],
              new: Annotated[str, typer.Argument(help="Newest version, or 'working'.")] = WORKING,
              root: RootArg = None) -> None:
    """The human summary of each release between OLD and NEW, newest first (the format of abi/CHANGES.md)."""
    from .changelog import render_changelog

    typer.echo(render_changelog(find_root(root), old, new), nl=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
