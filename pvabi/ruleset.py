"""The ruleset version: one integer, apart from the rules, so reading it costs no rule import.

It is bumped whenever a rule is added or a verdict changes; a project's
``abi/pvabi.yaml`` pins it (``config``), and ``pvabi.rules`` re-exports it.
"""

RULESET_VERSION = 2
