"""Allow ``python -m pvabi``."""

from .cli import main

main()
