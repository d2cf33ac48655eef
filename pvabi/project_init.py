"""``pvabi init``: a new ABI root a newcomer can validate, freeze and diff at once.

It writes one small, commented example layout, a config with every setting
written out (so no verdict rests on a default nobody saw), and copies of the
JSON Schemas beside them so an editor's YAML language server resolves the
``$schema`` modelines inside the user's own repository. It never overwrites.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from . import __version__
from .errors import InputError
from .ruleset import RULESET_VERSION
from .versions import write_atomic

SCHEMAS = ("layout", "config")

EXAMPLE_LAYOUT = """\
# yaml-language-server: $schema=../schemas/layout.schema.json
# An example layout: replace it with your own interface. One file holds one
# interface; `meta.id` equals the file name. docs/layout-language.md has the
# whole language; `pvabi show steal_time` prints this layout's byte map.
meta:
  id: steal_time
  doc: >
    Per-vCPU steal-time record a hypervisor publishes in guest memory the guest
    registered: how long the vCPU was runnable but not running.
  # Where the facts come from: cite the public header you transcribe.
  source: "torvalds/linux: arch/x86/include/uapi/asm/kvm_para.h (struct kvm_steal_time)"
types:
  steal_time:
    kind: struct
    doc: 64 bytes on every architecture; the guest registers its address, the host fills it.
    size: 64            # asserted: validate fails if the layout ever lays out differently
    writer: host        # who writes the fields by default (host, guest, both, none)
    reader: guest       # who reads them
    fields:
      - name: steal
        type: u64
        offset: 0
        doc: Nanoseconds the vCPU was runnable but not running.
      - name: version
        type: u32
        offset: 8
        doc: Odd while the host updates the record; the guest re-reads until it is even and unchanged.
      - name: flags
        type: u32
        offset: 12
        doc: Reserved for future use; the host writes zero.
        reserved: zero
      - name: preempted
        type: u8
        offset: 16
        doc: Non-zero when the vCPU was preempted since the guest last cleared it.
        writer: both
      - name: pad
        type: u8
        count: 47
        offset: 17
        reserved: zero   # room to grow: a later version can carve new fields out of it
"""

CONFIG = f"""\
# yaml-language-server: $schema=schemas/config.schema.json
# What `pvabi diff`, `pvabi freeze` and the CI gate enforce for this ABI.
# Every setting is written out; docs/diff.md explains each one.

# The rule set this project reviewed. pvabi refuses to run against a different
# one, so an upgrade of pvabi never silently changes a verdict.
ruleset: {RULESET_VERSION}

# backward: old guests on a new host must keep working (the usual promise).
# forward: new guests on an old host. full: both.
mode: backward

# true: check the working layouts against every frozen version, not only the newest.
transitive: true

# The strictest category of change that fails the gate:
# SOURCE (even renames), LAYOUT (any change of bytes or sizes), WIRE (only bytes a reader interprets).
category: LAYOUT
"""


def schema_path(name: str) -> Path:
    """The installed JSON Schema ``name`` (``layout``, ``config``, ``diff``, ...)."""
    ref = resources.files("pvabi").joinpath(f"schemas/{name}.schema.json")
    if not ref.is_file():
        known = sorted(p.name.removesuffix(".schema.json") for p in resources.files("pvabi").joinpath("schemas")
                       .iterdir() if p.name.endswith(".schema.json"))
        raise InputError(f"no schema named {name!r} (known: {', '.join(known)})")
    return Path(str(ref))


def init_project(directory: Path, layout: tuple[str, str] | None = None) -> list[Path]:
    """Create ``directory/abi/`` with an example layout (or ``layout``: file id and text, e.g. imported
    from a C header), a config and schema copies; return what was written."""
    abi = directory / "abi"
    layout_id, layout_text = layout or ("steal_time", EXAMPLE_LAYOUT)
    planned = {abi / "layouts" / f"{layout_id}.yaml": layout_text.encode(),
               abi / "pvabi.yaml": CONFIG.encode()}
    for name in SCHEMAS:
        planned[abi / "schemas" / f"{name}.schema.json"] = schema_path(name).read_bytes()
    existing = [p for p in (abi / "layouts", abi / "pvabi.yaml", abi / "versions") if p.exists()]
    if existing:
        raise InputError("refusing to overwrite an existing ABI (nothing was written)", str(existing[0]))
    if directory.exists() and not directory.is_dir():
        raise InputError("not a directory", str(directory))
    try:
        for path, data in planned.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror}", str(e.filename or directory)) from None
    return list(planned)


# --- pvabi init --ci: a CI job that runs the gate (docs/ci.md) -----------------------------------------------------

# The gate compares a pull request with its merge base, so the job needs the base branch's history:
# a shallow clone (the default of both systems) would make --against fail with "fetch with depth 0".
GITHUB_WORKFLOW = f"""\
# The pvabi gate (written by `pvabi init --ci github`; docs/ci.md explains each step).
# A pull request fails when it breaks the ABI, edits frozen history, or leaves a waiver stale.
name: pvabi
on:
  pull_request:
  push:
    branches: [main]
jobs:
  abi:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # --against needs the base branch's history
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install pvabi
        run: python -m pip install "pvabi=={__version__}"
      - name: pvabi check
        env:
          BASE: ${{{{ github.base_ref }}}}
        run: |
          if [ -n "$BASE" ]; then
            pvabi check --against "origin/$BASE"
          else
            pvabi check
          fi
"""

GITLAB_CI = f"""\
# The pvabi gate (written by `pvabi init --ci gitlab`; docs/ci.md explains each step).
# A merge request fails when it breaks the ABI, edits frozen history, or leaves a waiver stale.
pvabi:
  image: python:3.11
  variables:
    GIT_DEPTH: 0  # --against needs the target branch's history
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - python -m pip install "pvabi=={__version__}"
    - |
      if [ -n "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME" ]; then
        T="$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
        git fetch origin "+refs/heads/$T:refs/remotes/origin/$T"
        pvabi check --against "origin/$T"
      else
        pvabi check
      fi
"""

CI_FILES = {"github": (".github/workflows/pvabi.yml", GITHUB_WORKFLOW), "gitlab": (".gitlab-ci.yml", GITLAB_CI)}


def init_ci(directory: Path, system: str) -> Path:
    """Write the CI job running ``pvabi check`` for ``system`` (github, gitlab); never overwrite one."""
    if system not in CI_FILES:
        raise InputError(f"unknown CI system {system!r} (known: {', '.join(CI_FILES)})")
    name, text = CI_FILES[system]
    path = directory / name
    if path.exists() or path.is_symlink():
        raise InputError("refusing to overwrite an existing CI file; add this job to it by hand (docs/ci.md "
                         "shows it): pvabi check --against origin/<base branch>", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode())
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror}", str(path)) from None
    return path
