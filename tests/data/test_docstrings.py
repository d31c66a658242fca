"""The examples in the data modules' docstrings run."""
import doctest

import pytest

import kassaki_eval.data as data_pkg
from kassaki_eval.data import contracts, loaders, pseudonymise


@pytest.mark.parametrize("mod", [data_pkg, contracts, loaders, pseudonymise],
                         ids=lambda m: m.__name__)
def test_docstring_examples(mod):
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0
