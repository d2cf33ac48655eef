"""The ``pvabi`` command line: a thin layer over the library.

Every command is a few library calls plus output. Exit codes: 0 ok, 1 findings,
2 bad input or usage (always one line per problem), 3 an internal error (a bug
in pvabi: one line, and the traceback only with ``--debug``).

Unlike the rest of pvabi, this module keeps its annotations evaluated (no
``from __future__ import annotations``): typer reads every command's signature
on each run, and resolving ~270 string annotations with ``eval`` cost 0.1 s of
every start-up, ``--help`` included.
"""

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from .abiroot import WORKING, AbiRoot
from .errors import InputError, InputErrors, PvabiError

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project


def _argument_type_column(self: Any, ctx: Any) -> str | None:
    return None


# typer prints an argument's Python type (<str>) beside its metavar, in plain help too (through
# display_type_rich); the metavar (LAYOUT, FILE) already says what the value is, so it is dropped.
if hasattr(typer.core, "TyperArgument") and hasattr(typer.core.TyperArgument, "display_type_rich"):
    setattr(typer.core.TyperArgument, "display_type_rich", _argument_type_column)  # noqa: B010 (typer versions type it differently)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

# Plain help (rich_markup_mode=None): typer's rich formatting imports rich, markdown-it and pygments, a third
# of a second before `pvabi --help` prints anything.
app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Keep the binary ABI between a hypervisor and its guests from breaking.\n\n"
                       "Exit codes: 0 ok; 1 findings (a break the gate refuses, a bad image); "
                       "2 bad input or usage; 3 internal error (a bug in pvabi: please report it).",
                  context_settings={"help_option_names": ["-h", "--help"]})

_debug = False


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"pvabi {__version__}")
        raise typer.Exit()


@app.callback()
def _global(version: Annotated[bool, typer.Option("--version", metavar="", callback=_print_version,
                                                  is_eager=True, help="Print pvabi's version and exit.")] = False,
            debug: Annotated[bool, typer.Option("--debug", metavar="",
                                                help="On an internal error, print the traceback.")] = False) -> None:
    global _debug
    _debug = debug

F = TypeVar("F", bound=Callable[..., Any])

RootArg = Annotated[str | None, typer.Option("--root", metavar="DIR", help="Directory holding abi/ (or abi/ "
                                             "itself). Default: found upward from the current directory.")]
VersionOpt = Annotated[str, typer.Option("--abi-version", metavar="VERSION", help="A frozen version (v1.2, or v1 "
                                         "for the newest v1.x) or 'working' for abi/layouts/.")]
ArchOpt = Annotated[str | None, typer.Option("--arch", "-a", metavar="ARCH", help="x86_32 (i386), x86_64, arm32, "
                                             "aarch64, ppc64, s390x. Default: x86_64, or the layout's first "
                                             "architecture.")]
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Stable JSON output (see docs/json.md).")]
LayoutArg = Annotated[str, typer.Argument(metavar="LAYOUT", help="Layout (struct or union) name.")]


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


def _project(root: str | None) -> "Project":
    """The ABI at ``root`` or found upward. Imported here: ``pvabi --help`` needs no YAML or schema library."""
    from .project import Project

    return Project.find(root)


def _root(positional: str | None, option: str | None) -> "Project":
    if positional is not None and option is not None and positional != option:
        raise InputError(f"two ABI roots given ({positional!r} and --root {option!r}); give one")
    return _project(positional if positional is not None else option)


def _say_defaults(note: str | None) -> None:
    if note:
        typer.echo(f"note: {note}", err=True)


def _emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=False))


@app.command(epilog="Example: pvabi validate    (or: pvabi validate path/to/repo)")
@handles_errors
def validate(root_dir: Annotated[str | None, typer.Argument(metavar="ROOT", help="Directory holding abi/, or "
                                                            "abi/ itself (the same as --root).")] = None,
             root: RootArg = None) -> None:
    """Check every layout (schema, names, cycles, asserted offsets and sizes), abi/pvabi.yaml and every
    frozen version; report every problem of every file at once."""
    summary = _root(root_dir, root).validate()
    config = f"config {summary.config}" if summary.config else "no config (defaults)"
    typer.echo(f"ok: {summary.files} layout files, {summary.layouts} layouts, {config}, "
               f"{summary.versions} frozen versions verified ({summary.root})")


@app.command(epilog="Example: pvabi show vcpu_info --arch x86_32\n\nMore: pvabi show pvclock_flags    "
                    "(enums, flags and aliases too)")
@handles_errors
def show(name: Annotated[str, typer.Argument(metavar="NAME", help="A layout (struct or union), enum, flags "
                                             "or alias type.")],
         version: VersionOpt = WORKING, arch: ArchOpt = None, json_: JsonOpt = False,
         format_: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text, json (as --json) or html "
                                              "(a self-contained byte map of a layout; every architecture it "
                                              "exists on unless --arch).")] = "text",
         root: RootArg = None) -> None:
    """A pahole-like map of a layout (offsets, sizes, holes, reserved regions, cache lines); for an enum its
    values, for flags their bits, for an alias what it resolves to on each architecture."""
    from .engine import find_layout
    from .show import render_text
    from .show import to_json as show_json

    if format_ not in ("text", "json", "html"):
        raise InputError(f"unknown format {format_!r} for show (known: text, json, html)")
    json_ = json_ or format_ == "json"
    abi = _project(root).load(version)
    if format_ == "html":
        from .arch import ARCH_NAMES
        from .formats.html import render_layouts
        from .lookup import record

        rec = record(abi, name)
        arches = [find_layout(abi, name, arch).arch] if arch else [a for a in ARCH_NAMES if rec.exists_on(a)]
        typer.echo(render_layouts(f"pvabi show {name} ({version})", [find_layout(abi, name, a) for a in arches],
                                  rec.doc.strip() if rec.doc else ""), nl=False)
        return
    if name in abi.types and abi.record(name) is None:
        from .typeview import describe
        from .typeview import render_text as type_text

        view = describe(abi, name, arch)
        if json_:
            _emit_json(view)
        else:
            typer.echo(type_text(view), nl=False)
        return
    lay = find_layout(abi, name, arch)
    if json_:
        _emit_json(show_json(lay))
    else:
        typer.echo(render_text(lay), nl=False)


def _offset(text: str | None) -> int:
    if text is None:
        return 0
    try:
        return int(text, 0)
    except ValueError:
        raise InputError(f"--offset takes a byte offset such as 4096 or 0x1000, not {text!r}") from None


@app.command(epilog="Example: pvabi decode vcpu_time_info image.bin --arch x86_32\n\n"
                    "More: pvabi decode vrom_header rom.bin --arch i386 --offset 0x0 --hex")
@handles_errors
def decode(layout: LayoutArg,
           image: Annotated[Path, typer.Argument(metavar="FILE", help="Binary image file (or a larger dump, "
                                                 "with --offset).")],
           version: VersionOpt = WORKING, arch: ArchOpt = None, json_: JsonOpt = False,
           offset: Annotated[str | None, typer.Option("--offset", metavar="N", help="Decode the layout at byte "
                             "N of FILE (decimal or 0x hex) inside a larger dump.")] = None,
           hex_: Annotated[bool, typer.Option("--hex", metavar="", help="Show integers in hex.")] = False,
           root: RootArg = None) -> None:
    """Decode an image; exit 1 if it breaks a writer rule (non-zero reserved bytes, undefined flags)."""
    from .decoded import text_lines
    from .imagefile import decode_file
    from .values import DECODE_SCHEMA, to_json

    found = decode_file(_project(root).layout(layout, version, arch), image, _offset(offset))
    lay, values, notes = found.layout, found.values, found.notes
    if json_:
        _emit_json({"schema": DECODE_SCHEMA, "layout": lay.name, "arch": lay.arch, "version": version,
                    "offset": found.offset, "values": to_json(lay, values), "notes": [str(n) for n in notes]})
    else:
        for line in text_lines(lay, values, hex_, found.offset):
            typer.echo(line)
        for n in notes:
            typer.echo(f"note: {n}")
    if notes:
        raise typer.Exit(1)


@app.command(epilog="Example: pvabi encode vcpu_time_info values.json -o image.bin --arch x86_32")
@handles_errors
def encode(layout: LayoutArg,
           values_file: Annotated[Path, typer.Argument(metavar="VALUES.json",
                                                       help="Values as JSON (the shape decode --json prints).")],
           output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="Image file to write.")],
           version: VersionOpt = WORKING, arch: ArchOpt = None, root: RootArg = None,
           allow_reserved: Annotated[bool, typer.Option("--allow-reserved", metavar="", help="Write non-zero bytes "
                                     "into reserved-zero space (and undefined flag bits) with a warning, instead "
                                     "of refusing.")] = False) -> None:
    """Build an image from JSON values; reserved bytes and padding default to zero.

    The output of decode --json is taken as it is: its layout, architecture and version are used (or a
    different one given here is refused).
    """
    from .imagefile import encode_file

    done = encode_file(_project(root), layout, values_file, output, version, arch, allow_reserved)
    for n in done.forced:
        typer.echo(f"warning: {done.layout.name}.{n} (written because of --allow-reserved)", err=True)
    typer.echo(f"wrote {done.size} bytes to {output}")


@app.command(epilog="Example: pvabi versions --json")
@handles_errors
def versions(json_: JsonOpt = False, root: RootArg = None) -> None:
    """List the frozen versions, oldest first, with dates and summaries."""
    from .versions import VERSION_LIST_SCHEMA

    frozen = _project(root).versions
    if json_:
        _emit_json({"schema": VERSION_LIST_SCHEMA,
                    "versions": [{"name": v.name, "date": v.date, "summary": v.summary} for v in frozen]})
        return
    for v in frozen:
        typer.echo(f"{v.name:<8} {v.date}  {v.summary}")
    typer.echo(f"{WORKING:<8} {'-':<10}  abi/layouts/ (not frozen)")


@app.command(name="freeze", epilog='Example: pvabi freeze v2.1 --summary "Add the steal-time record"')
@handles_errors
def freeze_cmd(version: Annotated[str, typer.Argument(metavar="VERSION",
                                                      help="New version, vMAJOR.MINOR, above the last.")],
               summary: Annotated[str, typer.Option("--summary", "-m", metavar="TEXT",
                                                    help="One-line summary (required).")] = "",
               date: Annotated[str | None, typer.Option("--date", metavar="YYYY-MM-DD",
                                                        help="Release date; default today.")] = None,
               allow_break: Annotated[str | None, typer.Option("--allow-break", metavar="REASON", help="Freeze "
                                      "even though the gate finds a break the version name does not allow; the "
                                      "reason is recorded in the summary.")] = None,
               root: RootArg = None) -> None:
    """Snapshot the working layouts as a new, immutable, hash-locked version.

    The project's gate (abi/pvabi.yaml) runs against the previous version first: a breaking change
    under a minor version is refused (exit 1, with the findings) unless --allow-break gives a reason.
    """
    from .diffreport import diff_report
    from .formats.text import render as render_text_diff
    from .release import GateRefused, release

    r: AbiRoot = _project(root).root
    try:
        v, result = release(r, version, summary, date, allow_break)
    except GateRefused as e:
        typer.echo(render_text_diff(diff_report(e.result)), nl=False)
        _fail([str(e)], 1)
        return
    if result is not None and result.failed:
        typer.echo(f"warning: froze breaking changes under {v.name}: {allow_break}", err=True)
    typer.echo(f"froze {v.name}: {len(v.files)} files into {r.versions / v.name}")


ModeOpt = Annotated[str | None, typer.Option("--mode", metavar="MODE", help="backward (old guests on a new host), "
                                             "forward (new guests on an old host) or full. Default: from "
                                             "abi/pvabi.yaml.")]
FormatOpt = Annotated[list[str] | None, typer.Option("--format", "-f", metavar="FORMAT[:FILE]", help="text, "
                      "json, markdown, github, junit, sarif, gitlab or html, to stdout or, as FORMAT:FILE, to a file "
                      "(repeatable; at most one to stdout). Default: text.")]


@app.command(epilog="Example: pvabi diff v1.3 v2.0 --mode full\n\n"
                    "More: pvabi diff v2 working --arch x86_32 --format markdown\n\n"
                    "pvabi diff v1.0 v1.1 --format json --witness-dir witnesses/\n\n"
                    "pvabi diff v1.3 v2.0 --format json:diff.json --format text")
@handles_errors
def diff(old: Annotated[str, typer.Argument(metavar="OLD", help="Old side: a version (v1.2, v1), 'working', "
                                             "or another ABI root.")],
         new: Annotated[str, typer.Argument(metavar="NEW", help="New side, likewise.")] = WORKING,
         layout: Annotated[list[str] | None, typer.Option("--layout", "-l", metavar="LAYOUT", help="Only this "
                           "layout (repeatable).")] = None,
         arch: Annotated[list[str] | None, typer.Option("--arch", "-a", metavar="ARCH", help="Only this "
                         "architecture (repeatable).")] = None,
         mode: ModeOpt = None,
         transitive: Annotated[bool | None, typer.Option("--transitive/--no-transitive", metavar="", help="Also "
                               "check NEW against every earlier frozen version. Default: from abi/pvabi.yaml.")]
         = None,
         category: Annotated[str | None, typer.Option("--category", metavar="CATEGORY", help="Gate: SOURCE, LAYOUT "
                             "or WIRE. Default: from abi/pvabi.yaml.")] = None,
         format_: FormatOpt = None,
         witness_dir: Annotated[Path | None, typer.Option("--witness-dir", metavar="DIR", help="Save every witness "
                                "image (.bin) and its description (.json) here.")] = None,
         color: Annotated[bool | None, typer.Option("--color/--no-color", metavar="", help="Colour the text format. "
                          "Default: on a terminal, unless NO_COLOR is set.")] = None,
         quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="Only the verdict line of each "
                          "comparison.")] = False,
         root: RootArg = None) -> None:
    """Classify every change between two versions, per rule, direction and architecture.

    Exit 0 when no finding violates the gate (or the versions declare a major
    bump), 1 when one does, 2 on bad input.
    """
    from .config import defaults_note
    from .diff import Policy
    from .diffreport import diff_report
    from .diffrun import open_for_diff, run_diff, save_witnesses
    from .formats import FORMATS, parse_targets, write_report

    targets = parse_targets(format_ or ["text"])
    r, cfg = open_for_diff(root, old, new)
    _say_defaults(defaults_note(cfg))
    policy = Policy((mode or cfg.mode).lower(), (category or cfg.category).upper())
    result = run_diff(r, old, new, policy, cfg.transitive if transitive is None else transitive,
                      tuple(arch) if arch else None, tuple(layout) if layout else None)
    files = save_witnesses(result, witness_dir) if witness_dir is not None else {}
    report = diff_report(result, files)
    for target in targets:
        if target.file is not None:
            write_report(report, target)
    to_stdout = next((t.format for t in targets if t.file is None), None)
    if to_stdout == "json" or (to_stdout is not None and not quiet):
        use_color = sys.stdout.isatty() and "NO_COLOR" not in os.environ if color is None else color
        use_color = use_color and to_stdout == "text"
        typer.echo(FORMATS[to_stdout](report, use_color), nl=False, color=use_color)
    elif to_stdout is not None:
        for section in report.in_display_order():
            typer.echo(section.verdict)
    raise typer.Exit(report.exit_code)


@app.command(epilog="Example: pvabi rules FIELD_OFFSET_CHANGED\n\nMore: pvabi rules --markdown > docs/rules.md")
@handles_errors
def rules(rule_id: Annotated[str | None, typer.Argument(metavar="RULE_ID", help="One rule's whole doc.")] = None,
          json_: JsonOpt = False,
          markdown: Annotated[bool, typer.Option("--markdown", metavar="", help="The docs/rules.md page.")]
          = False) -> None:
    """List the compatibility rules: ID, category, severity per direction and title; RULE_ID prints one
    rule's whole doc."""
    from .rulesdoc import rule_json, rule_text, rules_json, rules_markdown, rules_text

    if rule_id is not None:
        if json_:
            _emit_json(rule_json(rule_id))
        else:
            typer.echo(rule_text(rule_id), nl=False)
    elif json_:
        _emit_json(rules_json())
    elif markdown:
        typer.echo(rules_markdown(), nl=False)
    else:
        typer.echo(rules_text(), nl=False)


@app.command(epilog="Example: pvabi init    (or: pvabi init path/to/repo)")
@handles_errors
def init(directory: Annotated[Path, typer.Argument(metavar="DIR", help="Repository to create abi/ in.")]
         = Path("."),
         from_header: Annotated[Path | None, typer.Option("--from-header", metavar="HEADER", help="Start from "
                                "a C header's struct (see import-c) instead of the example.")] = None,
         struct: Annotated[str | None, typer.Option("--struct", metavar="NAME", help="With --from-header: the "
                           "struct.")] = None,
         ci: Annotated[str | None, typer.Option("--ci", metavar="SYSTEM", help="Also write a CI job running "
                       "pvabi check: github (.github/workflows/pvabi.yml) or gitlab (.gitlab-ci.yml). With an "
                       "existing abi/, only the job is written.")] = None) -> None:
    """Start an ABI: abi/layouts/ with one commented example layout, abi/pvabi.yaml with every setting
    explained, and schema copies for editors. Never overwrites."""
    from .project_init import CI_FILES, init_ci, init_project

    if ci is not None and ci not in CI_FILES:
        raise InputError(f"unknown CI system {ci!r} for --ci (known: {', '.join(CI_FILES)})")
    if ci is not None and (directory / "abi" / "layouts").is_dir() and not (from_header or struct):
        typer.echo(f"wrote {init_ci(directory, ci)}")
        typer.echo("next: commit it; pull requests then run pvabi check --against their base branch")
        return
    layout = _from_header(from_header, struct) if from_header or struct else None
    if ci is not None and (directory / CI_FILES[ci][0]).exists():
        init_ci(directory, ci)  # refuses before anything is written
    for path in init_project(directory, layout):
        typer.echo(f"wrote {path}")
    if ci is not None:
        typer.echo(f"wrote {init_ci(directory, ci)}")
    typer.echo(f"next: pvabi validate; pvabi show {layout[0] if layout else 'steal_time'}; "
               "pvabi freeze v1.0 --summary \"First version\"")


@app.command(epilog="Example: pvabi schema layout\n\nMore: pvabi schema config")
@handles_errors
def schema(name: Annotated[str, typer.Argument(metavar="NAME", help="layout, config, or any JSON output's "
                                               "schema (diff, show, ...).")] = "layout") -> None:
    """Print the path of an installed JSON Schema, for an editor's YAML language server."""
    from .project_init import schema_path

    typer.echo(str(schema_path(name)))


@app.command(epilog="Example: pvabi changelog v1.0 v2.0\n\nMore: pvabi changelog v1.3 working")
@handles_errors
def changelog(old: Annotated[str, typer.Argument(metavar="OLD", help="Oldest version (its changes are not listed).")],
              new: Annotated[str, typer.Argument(metavar="NEW", help="Newest version, or 'working'.")] = WORKING,
              root: RootArg = None) -> None:
    """The human summary of each release between OLD and NEW, newest first (the format of abi/CHANGES.md)."""
    from .changelog import render_changelog

    typer.echo(render_changelog(_project(root), old, new), nl=False)


def main() -> None:
    """The console script: pvabi's own errors were reported by the commands; anything else is a bug."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # the last line of defence: one line and its own exit code, never 1
        if _debug or "--debug" in sys.argv[1:]:
            import traceback

            traceback.print_exc()
        detail = " ".join(str(e).split())[:300]
        typer.echo(f"pvabi: internal error: {type(e).__name__}: {detail}; rerun with --debug for the traceback",
                   err=True)
        sys.exit(EXIT_INTERNAL)


# -- precompiled binaries and C headers (issue 15): pvabi/binary/ does the work ------------------------------

BinaryArg = Annotated[str, typer.Argument(metavar="BINARY", help="An ELF object, shared object, executable or "
                                          "kernel module with DWARF (-g) or .BTF; or a raw BTF blob.")]
StructOpt = Annotated[str, typer.Option("--struct", "-s", metavar="NAME", help="The struct or union.")]


@app.command(epilog="Example: pvabi extract guest.o --struct vcpu_info --as-layout > abi/layouts/vcpu_info.yaml")
@handles_errors
def extract(binary: BinaryArg, struct: StructOpt,
            arch: Annotated[str | None, typer.Option("--arch", "-a", metavar="ARCH", help="Needed for a raw BTF "
                            "blob only; an ELF file's header names its architecture.")] = None,
            as_layout: Annotated[bool, typer.Option("--as-layout", metavar="", help="Print a layout file to "
                                 "review and commit, instead of the byte map.")] = False) -> None:
    """A struct as compiled into a binary: its byte map, or (--as-layout) a layout file."""
    from .binary.extract import extract as extract_struct
    from .show import render_text

    found = extract_struct(binary, struct, arch)
    typer.echo(found.text if as_layout else render_text(found.layout()), nl=False)


@app.command(name="check-binary", epilog="Example: pvabi check-binary guest.ko    (or: pvabi check-binary vmlinux "
                                         "--abi-version v1.3 --mode full)")
@handles_errors
def check_binary(binary: BinaryArg,
                 layout: Annotated[list[str] | None, typer.Option("--layout", "-l", metavar="LAYOUT", help="Only "
                                   "this layout (repeatable). Default: every layout of the version it defines.")]
                 = None,
                 version: Annotated[str | None, typer.Option("--abi-version", metavar="VERSION", help="The version "
                                    "to check against. Default: the newest frozen version.")] = None,
                 mode: Annotated[str | None, typer.Option("--mode", metavar="MODE", help="backward (the binary is "
                                 "an old guest on the version's host), forward, or full. Default: from "
                                 "abi/pvabi.yaml.")] = None,
                 binary_side: Annotated[str, typer.Option("--binary-side", metavar="SIDE", help="old (default: "
                                        "built before the version) or new.")] = "old",
                 format_: Annotated[str, typer.Option("--format", metavar="FORMAT", help="text, json or "
                                    "markdown.")] = "text",
                 arch: Annotated[str | None, typer.Option("--arch", "-a", metavar="ARCH", help="For a raw BTF blob "
                              "only.")] = None,
                 root: RootArg = None) -> None:
    """Compare the layouts compiled into BINARY with a version, by the rules of `pvabi diff`; exit 1 when one
    of its structs would be misread."""
    from .binary.checkbin import check_binary as run_check
    from .diff import Policy
    from .diffreport import diff_report
    from .formats import FORMATS

    if format_ not in FORMATS:
        raise InputError(f"unknown format {format_!r} (known: {', '.join(FORMATS)})")
    from .config import defaults_note

    project = _project(root)
    cfg = project.config
    _say_defaults(defaults_note(cfg))
    found = run_check(project, binary, Policy((mode or cfg.mode).lower(), cfg.category), version,
                      tuple(layout) if layout else None, arch, binary_side)
    typer.echo(FORMATS[format_](diff_report(found.result), False), nl=False)
    if format_ == "text":
        if found.absent:
            typer.echo(f"not in {binary}: {', '.join(found.absent)}")
        verdict = (f"would misread {', '.join(found.misread)}" if found.misread
                   else f"reads every layout it defines as {found.version} does")
        typer.echo(f"{binary} ({found.arch}, {found.form}): {verdict}")
    raise typer.Exit(found.result.exit_code)


@app.command(name="import-c", epilog="Example: pvabi import-c xen.h --struct vcpu_info --arch x86_32 --arch x86_64 "
                                     "-I include > abi/layouts/vcpu_info.yaml")
@handles_errors
def import_c(header: Annotated[Path, typer.Argument(metavar="HEADER", help="The C header.")],
             struct: Annotated[list[str], typer.Option("--struct", "-s", metavar="NAME", help="The struct or "
                               "union (repeatable: one file, named after the first).")],
             arch: Annotated[list[str] | None, typer.Option("--arch", "-a", metavar="ARCH", help="Compile for this "
                             "architecture (repeatable). Default: x86_32 and x86_64.")] = None,
             include: Annotated[list[str] | None, typer.Option("-I", metavar="DIR", help="Include directory "
                                "(repeatable).")] = None,
             define: Annotated[list[str] | None, typer.Option("-D", metavar="MACRO", help="Macro, NAME or "
                               "NAME=VALUE (repeatable).")] = None) -> None:
    """A C header's struct (and the types it uses) as a layout file, compiled with -g per architecture and read
    back from the DWARF; members found on some architectures only get only_arch."""
    from .binary.importc import import_c as run_import

    typer.echo(run_import(header, tuple(struct), tuple(arch or ()) or None, tuple(include or ()),
                          tuple(define or ())).text, nl=False)


def _from_header(header: Path | None, struct: str | None) -> tuple[str, str]:
    """``init --from-header``: the imported layout file, with the schema modeline the example carries."""
    from .binary.importc import import_c as run_import

    if header is None or struct is None:
        raise InputError("--from-header and --struct go together")
    imported = run_import(header, struct)
    return struct, "# yaml-language-server: $schema=../schemas/layout.schema.json\n" + imported.text


# --- pvabi gen: code for consumers (pvabi/codegen/) ---------------------------------------------------------------

gen_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                      help="Generate code from the layouts: C headers, Python modules.")
app.add_typer(gen_app, name="gen")
AbiVersionOpt = VersionOpt
CheckOpt = Annotated[bool, typer.Option("--check", metavar="", help="Write nothing; exit 1 with a unified diff if "
                                        "the output on disk differs from what would be generated.")]


def _gen(target: str, root: str | None, version: str, out: Path, check: bool, options: Any, argv: list[str]) -> None:
    from dataclasses import replace

    from .codegen import outputs, read_source, stale, write

    project = _project(root)
    shown = _shown_from(project.root)
    options = replace(options, command=" ".join(["pvabi", "gen", target, *argv, "-o", shown(out)]))
    files = outputs(target, read_source(project, version), options, out)
    if check:
        diff_text = stale(target, files, out, shown)
        if diff_text:
            typer.echo(diff_text, nl=False)
            typer.echo(f"error: {shown(out)} is stale; regenerate with: {options.command}", err=True)
            raise typer.Exit(1)
        typer.echo(f"ok: {shown(out)} is up to date")
        return
    changed = write(target, files, out, shown)
    typer.echo(f"{shown(out)}: {len(files)} files, {len(changed)} written or removed")


def _shown_from(r: AbiRoot) -> Callable[[Path], str]:
    """Paths inside the ABI's repository as relative paths, so banners do not depend on the machine."""
    def shown(p: Path) -> str:
        try:
            return Path(os.path.abspath(p)).relative_to(r.display_base).as_posix()
        except ValueError:
            return str(p)
    return shown


@gen_app.command("c", epilog="Example: pvabi gen c -o include/pvabi\n\nMore: pvabi gen c --check -o include/pvabi")
@handles_errors
def gen_c(output: Annotated[Path, typer.Option("--output", "-o", metavar="DIR",
                                               help="Directory for the headers.")],
          abi_version: AbiVersionOpt = WORKING,
          types: Annotated[str, typer.Option("--types", metavar="TYPES",
                                             help="stdint (uint32_t) or linux (__u32, __le32).")]
          = "stdint",
          prefix: Annotated[str, typer.Option("--prefix", metavar="PREFIX",
                                              help="Put in front of every file-scope C name.")] = "",
          check: CheckOpt = False, root: RootArg = None) -> None:
    """C headers, one per layout file, checked by static assertions on every architecture."""
    from .codegen.c import COptions

    argv = [*(["--abi-version", abi_version] if abi_version != WORKING else []),
            *(["--types", types] if types != "stdint" else []), *(["--prefix", prefix] if prefix else [])]
    _gen("c", root, abi_version, output, check, COptions(types=types, prefix=prefix), argv)


@gen_app.command("python", epilog="Example: pvabi gen python -o vcpu_abi.py")
@handles_errors
def gen_python(output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE",
                                                    help="The module file to write.")],
               abi_version: AbiVersionOpt = WORKING, check: CheckOpt = False, root: RootArg = None) -> None:
    """A standalone Python module of construct definitions (imports construct only, never pvabi)."""
    from .codegen.python import PyOptions

    argv = ["--abi-version", abi_version] if abi_version != WORKING else []
    _gen("python", root, abi_version, output, check, PyOptions(), argv)


# --- pvabi check: the pre-merge gate (pvabi/gate.py) ---------------------------------------------------------------

def _today(text: str | None) -> Any:
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--today takes a day written YYYY-MM-DD, not {text!r}") from None


def _progress_on_terminal() -> Callable[[int, int, str], None] | None:
    """Progress on stderr, only for a person watching: a CI log or a pipe gets none."""
    if not sys.stderr.isatty():
        return None

    def tell(i: int, n: int, what: str) -> None:
        sys.stderr.write(f"\r\x1b[K[{i}/{n}] {what}...")
        sys.stderr.flush()
    return tell


@app.command(epilog="Example: pvabi check    (in CI: pvabi check --against origin/main)\n\n"
                    "More: pvabi check --against origin/main --new-only --format json")
@handles_errors
def check(against: Annotated[str | None, typer.Option("--against", metavar="GIT_REF", help="Compare with the "
                             "merge base of HEAD and this ref (read from git, no checkout): frozen history must be "
                             "what it had, and --new-only hides what it already had.")] = None,
          new_only: Annotated[bool, typer.Option("--new-only", metavar="", help="With --against: report only "
                              "findings the change introduces.")] = False,
          mode: ModeOpt = None,
          category: Annotated[str | None, typer.Option("--category", metavar="CATEGORY", help="Gate: SOURCE, "
                              "LAYOUT or WIRE. Default: from abi/pvabi.yaml.")] = None,
          transitive: Annotated[bool | None, typer.Option("--transitive/--no-transitive", metavar="", help="Also "
                                "diff against every earlier frozen version. Default: from abi/pvabi.yaml.")] = None,
          format_: FormatOpt = None,
          json_: Annotated[bool, typer.Option("--json", metavar="", help="Shorthand for --format json.")] = False,
          color: Annotated[bool | None, typer.Option("--color/--no-color", metavar="", help="Colour the text "
                           "format. Default: on a terminal, unless NO_COLOR is set.")] = None,
          today: Annotated[str | None, typer.Option("--today", metavar="YYYY-MM-DD", help="For testing: the day "
                           "waivers expire against. Default: today (UTC).")] = None,
          root: RootArg = None) -> None:
    """The pre-merge gate: validate, verify frozen versions, protect frozen history (--against), diff the
    working layouts under the project's policy, check generated headers, apply abi/waivers.yaml.

    Exit 0 when nothing fails the gate, 1 when something does, 2 on bad input.
    """
    import time

    from .config import defaults_note
    from .formats import FORMATS, parse_targets, write_report
    from .gate import CheckOptions, run_check
    from .gatereport import check_report

    targets = parse_targets([*(format_ or ([] if json_ else ["text"])), *(["json"] if json_ else [])])
    if new_only and against is None:
        raise InputError("--new-only needs --against GIT_REF: the findings the base already had")
    project = _project(root)
    r = project.root
    _say_defaults(defaults_note(project.config))
    started = time.monotonic()
    progress = _progress_on_terminal()
    try:
        result = run_check(r, CheckOptions(against, new_only, mode, category, _today(today), transitive), progress)
    finally:
        if progress is not None:
            sys.stderr.write("\r\x1b[K")
    report = check_report(result)
    for target in targets:
        if target.file is not None:
            write_report(report, target)
    to_stdout = next((t.format for t in targets if t.file is None), None)
    if to_stdout is not None:
        use_color = sys.stdout.isatty() and "NO_COLOR" not in os.environ if color is None else color
        use_color = use_color and to_stdout == "text"
        typer.echo(FORMATS[to_stdout](report, use_color), nl=False, color=use_color)
    # The time goes to stderr: stdout is the same bytes for the same input.
    typer.echo(f"pvabi check: {len(result.steps)} steps in {time.monotonic() - started:.1f} s", err=True)
    raise typer.Exit(report.exit_code)


# --- the image checker (issue 12): pvabi/images.py keeps the corpus, pvabi/checker.py reads it ---------------------

images_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="The image corpus in abi/images/ (docs/images.md).")
app.add_typer(images_app, name="images")


@images_app.command("add", epilog="Example: pvabi images add rom.bin --layout vrom_header --arch x86_32 "
                                  "--abi-version v2.0 --note \"read from the VMI device of host X\"")
@handles_errors
def images_add(image: Annotated[Path, typer.Argument(metavar="IMAGE", help="The captured image file.")],
               layout: Annotated[str, typer.Option("--layout", "-l", metavar="LAYOUT", help="The layout it "
                                                   "holds.")],
               arch: Annotated[str, typer.Option("--arch", "-a", metavar="ARCH", help="Its architecture.")],
               writer: Annotated[str, typer.Option("--writer", metavar="PARTY", help="host or guest: whose fields "
                                                   "it was captured for.")] = "host",
               offset: Annotated[str | None, typer.Option("--offset", metavar="N", help="Where the layout starts "
                                                          "in IMAGE (decimal or 0x hex).")] = None,
               version: VersionOpt = WORKING,
               note: Annotated[str, typer.Option("--note", metavar="TEXT", help="Where and how it was "
                                                 "captured.")] = "captured from a running system",
               root: RootArg = None) -> None:
    """Register a captured image (a page dumped from a guest, a ROM read from a device): decode it, copy it into
    abi/images/ and write its sidecar; an image of a frozen version is hash-locked."""
    from .abiroot import find_root
    from .checker import find_layout
    from .images import register

    r = find_root(root)
    name, lay = find_layout(r, layout, version, arch)
    img = register(r, image, lay, name, writer, _offset(offset), note)
    typer.echo(f"added {img.shown}: {lay.name} on {lay.arch}, written by the {writer} under {name}, "
               f"{len(img.expected)} expected values")


@app.command(name="check-images", epilog="Example: pvabi check-images --mode full\n\n"
                                         "More: pvabi check-images --against working --format json\n\n"
                                         "pvabi check-images --format sarif:images.sarif --format text")
@handles_errors
def check_images_cmd(against: Annotated[str | None, typer.Option("--against", metavar="VERSION", help="Read every "
                                        "image under this version only (a frozen version or working).")] = None,
                     mode: ModeOpt = None,
                     transitive: Annotated[bool | None, typer.Option("--transitive/--no-transitive", help="Read "
                                           "each image under every version the mode reaches, not only the "
                                           "next. Default: from abi/pvabi.yaml.")] = None,
                     format_: FormatOpt = None,
                     json_: Annotated[bool, typer.Option("--json", metavar="", help="Shorthand for --format json.")]
                     = False,
                     color: Annotated[bool | None, typer.Option("--color/--no-color", metavar="", help="Colour the "
                                      "text format. Default: on a terminal, unless NO_COLOR is set.")] = None,
                     quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="Only the verdict line "
                                      "of each pair of versions.")] = False,
                     root: RootArg = None) -> None:
    """Read every image of abi/images/ under the versions the mode requires: shared fields must decode to the
    values their writer stored, new fields to their absent value, reserved-zero bytes to zero, constants and
    enums to known values. Exit 1 on a failure."""
    from .abiroot import find_root
    from .checker import check_images, images_report
    from .config import defaults_note, load_config
    from .formats import FORMATS, parse_targets, write_report

    targets = parse_targets([*(format_ or ([] if json_ else ["text"])), *(["json"] if json_ else [])])
    r = find_root(root)
    cfg = load_config(r.path, str((r.path / "pvabi.yaml").relative_to(r.display_base)))
    _say_defaults(defaults_note(cfg))
    result = check_images(r, against, (mode or cfg.mode).lower(), cfg.transitive if transitive is None else transitive)
    report = images_report(result, cfg)
    for target in targets:
        if target.file is not None:
            write_report(report, target)
    to_stdout = next((t.format for t in targets if t.file is None), None)
    if to_stdout == "text" and quiet:
        for section in report.in_display_order():
            typer.echo(section.verdict)
    elif to_stdout is not None:
        use_color = sys.stdout.isatty() and "NO_COLOR" not in os.environ if color is None else color
        use_color = use_color and to_stdout == "text"
        typer.echo(FORMATS[to_stdout](report, use_color), nl=False, color=use_color)
    raise typer.Exit(report.exit_code)


@app.command(epilog="Example: pvabi fuzz v1.3 v2.0\n\nMore: pvabi fuzz v2.0 working --count 500 --jobs 2 --seed 7")
@handles_errors
def fuzz(old: Annotated[str, typer.Argument(metavar="V1", help="The writers' version.")],
         new: Annotated[str, typer.Argument(metavar="V2", help="The readers' version (or working).")] = WORKING,
         count: Annotated[int, typer.Option("--count", "-n", metavar="N", help="Images per layout, architecture "
                                            "and writer.")] = 50,
         seed: Annotated[int | None, typer.Option("--seed", metavar="S", help="Reproduce a run. Default: a new "
                                                  "random seed, printed.")] = None,
         jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="J", help="Processes; the results do not "
                                           "depend on it.")] = 1,
         layout: Annotated[list[str] | None, typer.Option("--layout", "-l", metavar="LAYOUT", help="Only this "
                                                          "layout (repeatable).")] = None,
         root: RootArg = None) -> None:
    """Write many legal images of V1, as each party writes them, read them under V2 with the checks of
    check-images, and shrink each failing image to a minimal one. Exit 1 on a failure."""
    from .abiroot import find_root
    from .checker_output import render_fuzz
    from .fuzz import fuzz as run_fuzz

    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little")
    result = run_fuzz(find_root(root), old, new, count, seed, jobs, tuple(layout) if layout else None)
    command = " ".join(["pvabi", "fuzz", old, new, "--seed", str(seed), "--count", str(count),
                        *[f"--layout {name}" for name in layout or ()]])
    typer.echo(render_fuzz(result, command), nl=False)
    raise typer.Exit(result.exit_code)
