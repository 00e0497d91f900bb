"""Every module declares its public names, and each of them exists."""

from __future__ import annotations

import importlib
import inspect

import pytest

from tests.conftest import ROOT

MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for folder in ("pipeline", "vendors", "web")
    for path in (ROOT / folder).rglob("*.py")
    if path.stem != "__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_all_and_every_name_exists(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.__all__ lists missing {public}"


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_and_classes_defined_here_are_documented(name):
    module = importlib.import_module(name)
    for public in module.__all__:
        item = getattr(module, public)
        if (inspect.isfunction(item) or inspect.isclass(item)) and item.__module__ == name:
            assert inspect.getdoc(item), f"{name}.{public} has no docstring"
