"""Validated, pseudonymised data: contracts, loaders and the keyed hash of personal ids.

Data flow (DIME): raw file (read-only) -> :func:`load_table` (format sniffed, every contract
problem reported at once, registry pseudonymised) -> analysis tables.

Example
-------
>>> from kassaki_eval import config
>>> from kassaki_eval.data import load_table
>>> load_table(config.district_dir() / "villages.csv", table="villages").shape
(103, 10)
"""
from .checks import MIN_LINKAGE, check_tables, cross_table_problems, linkage_rate
from .contracts import CONTRACTS, TABLES, Column, TableSpec, get_spec, problems, validate
from .loaders import (
                      load_participation,
                      load_registry,
                      load_survey,
                      load_table,
                      read_raw,
                      sniff_format,
                      validate_file,
                      write_table,
)

# the module ``kassaki_eval.data.pseudonymise`` keeps its name: no function shadows it
from .pseudonymise import (
                      ScrubFilter,
                      install_scrub_filter,
                      pseudonymise_id,
                      pseudonymise_registry,
                      resolve_key,
                      scrub,
)

__all__ = [
    "CONTRACTS", "TABLES", "Column", "TableSpec", "get_spec", "problems", "validate",
    "load_table", "load_registry", "load_survey", "load_participation", "read_raw",
    "sniff_format", "validate_file", "write_table",
    "pseudonymise_registry", "pseudonymise_id", "resolve_key", "scrub", "ScrubFilter",
    "install_scrub_filter", "MIN_LINKAGE", "check_tables", "cross_table_problems",
    "linkage_rate",
]
