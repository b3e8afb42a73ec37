"""The code stays readable as it grows: short functions, and the benchmark outside the product."""

import ast

from tests.conftest import ROOT

MAX_FUNCTION_LINES = 60


def test_no_function_is_over_60_lines():
    long = []
    for path in sorted((ROOT / "pipelines").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_the_runtime_package_holds_no_benchmark():
    for path in (ROOT / "pipelines").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import bench" not in text and "from bench" not in text, path
    assert not list((ROOT / "pipelines").rglob("bench*.py"))
