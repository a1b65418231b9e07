"""The examples in the package's docstrings run and show what they say (doctest)."""

import doctest
import importlib
import pkgutil

import pytest

import dendritic

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(dendritic.__path__, "dendritic.")
                 if name != "dendritic.__main__")  # importing it runs the command line


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (run: python -m doctest)"


def test_the_package_has_examples_to_check():
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name)))
    assert examples >= 20, examples
