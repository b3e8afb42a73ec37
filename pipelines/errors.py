"""One error family, so the CLI can catch it in one place and print one actionable line.

Every error carries the file it is about, because the person fixing it needs to know
where to look before they need to know anything else.
"""

from __future__ import annotations

from pathlib import Path


class ScorecardError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    kind = "error"

    def __init__(self, message: str, file: str | Path | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class ConfigError(ScorecardError):
    """config.yml is invalid: an unknown key, a wrong type, a missing file or column."""

    kind = "config error"


class DataError(ScorecardError):
    """An extract cannot be read at all (wrong encoding, missing required column, ...)."""

    kind = "data error"


class UnusableFileError(DataError):
    """A file with nothing to read for its table: empty, or without the columns the table needs.

    Fatal for a table the user configured; a preset's optional table (a CRM object the org does
    not use, exported as a bare header) is skipped with a note instead.
    """


class ModelError(ScorecardError):
    """A SQL model failed to run, or the models reference each other in a cycle."""

    kind = "model error"


class DataTestError(ScorecardError):
    """A data test found failing rows; the build stops so a wrong number is never published."""

    kind = "data test failed"

    def __init__(self, message: str, file: str | Path | None = None, sample: list[dict] | None = None):
        super().__init__(message, file)
        self.sample = sample or []


class QualityGateError(ScorecardError):
    """More rows were rejected than the configured share allows."""

    kind = "too many rejected rows"


class BuildError(ScorecardError):
    """The site could not be rendered or built."""

    kind = "build error"


class HistoryError(ScorecardError):
    """The stored history cannot be read or written as asked: a damaged file, an older day that would
    change, a warehouse that cannot be written. The file is named from the warehouse root."""

    kind = "history error"


class LockError(ScorecardError):
    """Another build or load holds the lock on the same warehouse or site."""

    kind = "busy"


class ExtractGateError(ScorecardError):
    """An extract is empty, or far smaller than its previous version: a broken export more often than a real change."""

    kind = "suspicious extract"
