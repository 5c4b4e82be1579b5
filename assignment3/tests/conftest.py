"""pytest hooks of the public tests: the public points, in all and per file, at the end of the run."""

from grader.public import pytest_terminal_summary  # noqa: F401 - a hook pytest finds by its name
