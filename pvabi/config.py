"""The project config, ``abi/pvabi.yaml``: what the compatibility gate enforces.

It pins the ruleset version the project reviewed, so upgrading pvabi never
silently changes a gate's verdicts, and sets the default mode, transitivity and
gate category that command-line options override for one run. An ABI without
the file gets the defaults below and the current ruleset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import doccache, yamlsafe
from .errors import InputError, InputErrors
from .ruleset import RULESET_VERSION

CONFIG_NAME = "pvabi.yaml"
CONFIG_SCHEMA = "config.schema.json"


@dataclass(frozen=True)
class Config:
    ruleset: int = RULESET_VERSION
    mode: str = "backward"
    transitive: bool = False
    category: str = "LAYOUT"
    path: str | None = None


def defaults_note(config: Config) -> str | None:
    """What a command says once when the ABI has no config: the defaults its verdict rests on."""
    if config.path is not None:
        return None
    return (f"no abi/{CONFIG_NAME}: using the defaults ruleset {config.ruleset}, mode {config.mode}, "
            f"transitive {str(config.transitive).lower()}, category {config.category} "
            "(pvabi init writes the file with every setting explained)")


def load_config(abi_dir: Path, display: str | None = None) -> Config:
    path = abi_dir / CONFIG_NAME
    if not path.exists():
        return Config()
    name = display or str(path)

    def schema_errors(doc: yamlsafe.Document) -> list[InputError]:
        return [InputError(yamlsafe.schema_message(err), name, doc.line(yamlsafe.schema_error_path(err)),
                           ".".join(str(p) for p in err.absolute_path) or None)
                for err in sorted(yamlsafe.schema_violations(CONFIG_SCHEMA, doc.data),
                                  key=lambda e: list(e.absolute_path))]

    doc, errors = doccache.load_checked(path, name, CONFIG_SCHEMA, schema_errors)  # every command reads it
    if errors:
        raise InputErrors(errors)
    data = doc.data
    config = Config(ruleset=data["ruleset"], mode=data.get("mode", "backward"),
                    transitive=data.get("transitive", False), category=data.get("category", "LAYOUT"), path=name)
    if config.ruleset != RULESET_VERSION:
        raise InputError(f"pins ruleset {config.ruleset}, but this pvabi implements ruleset {RULESET_VERSION}; "
                         f"review the rule changes in docs/rules.md, then update the pin",
                         name, doc.line(("ruleset",)), "ruleset")
    return config
