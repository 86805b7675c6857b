"""The code keeps the shape the README describes: small functions in the core and the service."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MAX_FUNCTION_LINES = 80


def functions(folder: str):
    for path in sorted((REPO / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.relative_to(REPO), node


@pytest.mark.parametrize("folder", ["indexing", "service"])
def test_no_function_is_longer_than_80_lines(folder):
    long = [f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path, node in functions(folder) if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def test_the_function_length_check_sees_nested_functions():
    names = {node.name for _, node in functions("service")}
    assert {"create_app", "lifespan", "install_error_handlers", "known_error"} <= names
