"""Quoting helpers for the SQL the pipeline writes; one place, so quoting is never improvised."""

FLOAT_TYPES = ("DOUBLE", "FLOAT")


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + value.replace("'", "''") + "'"


def steady_float(column: str) -> str:
    """A select item that rounds a float column to 12 significant digits, keeping its name.

    DuckDB adds up floating-point values in whatever order its threads finish, so the last
    digits of a sum or an average can differ between two builds of the same input (0.500375
    in one, 0.5003749999999999 in the next); 12 significant digits are far more than any figure
    means, and the same in every build. Downloads and page data both go through this.
    """
    c = q(column)
    return f"case when isfinite({c}) then cast(printf('%.12g', {c}) as double) else {c} end as {c}"
