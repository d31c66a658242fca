"""Architecture rules the package keeps (issue 16: one way in for each concept).

- no module imports another module's private (``_name``) helper: shared internals live in a
  ``_common`` module of the package that owns them, under public names;
- every package and public module declares ``__all__``, and every name in it exists;
- estimators return the result shape: a public function of the estimator packages that returns a
  plain DataFrame is named ``*_table`` (or is listed below with the reason it is not an estimator);
- no dynamic import of library modules in the report (a rename must break, not empty a section);
- ``alpha`` is only ever a confidence level: no public signature uses ``conf_alpha`` or ``level``
  except as deprecated keyword aliases.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import kassaki_eval

PKG = Path(kassaki_eval.__file__).resolve().parent
DEPRECATED_ALIASES = {"kassaki_eval.survey", "kassaki_eval.inequality"}


def _modules() -> list[str]:
    names = ["kassaki_eval"]
    for info in pkgutil.walk_packages([str(PKG)], prefix="kassaki_eval."):
        names.append(info.name)
    return sorted(names)


def _source_files() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_private_imports_across_modules() -> None:
    hits = []
    for f in _source_files():
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        hits.append(f"{f.relative_to(PKG.parent)}:{node.lineno} "
                                    f"from {'.' * node.level}{node.module or ''} import {alias.name}")
    assert not hits, "private names imported across modules:\n" + "\n".join(hits)


def _public_modules() -> list[str]:
    out = []
    for name in _modules():
        last = name.rsplit(".", 1)[-1]
        if name in DEPRECATED_ALIASES or (last.startswith("_") and last != "__init__"):
            continue
        if last in {"__main__", "cli"}:
            continue
        out.append(name)
    return out


@pytest.mark.parametrize("modname", _public_modules())
def test_every_public_module_declares_all(modname: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = importlib.import_module(modname)
    names = getattr(mod, "__all__", None)
    assert names is not None, f"{modname} has no __all__"
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{modname}.__all__ names what does not exist: {missing}"


# Public functions of the estimator packages that return a DataFrame without being estimators.
NOT_ESTIMATORS = {
    "kassaki_eval.poverty.poverty_lines": "reads the district's reference lines",
    "kassaki_eval.poverty.incidence_curve": "a curve over many lines for plotting (one fgt each)",
    "kassaki_eval.targeting.score_registry": "transformer: the registry with PMT scores added",
    "kassaki_eval.impact.village_panel": "data construction: the village-by-wave analysis panel",
    "kassaki_eval.impact.evaluation_panel": "data construction: the evaluation's village panel",
    "kassaki_eval.inference.romano_wolf_wild": "adjusts the p-values of several fitted results",
}
ESTIMATOR_PACKAGES = ["kassaki_eval.poverty", "kassaki_eval.targeting", "kassaki_eval.impact",
                      "kassaki_eval.inference"]


def _returns_frame(fn: object) -> bool:
    ann = inspect.signature(fn).return_annotation  # type: ignore[arg-type]
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return text in {"pd.DataFrame", "DataFrame", "pandas.DataFrame"}


def test_estimators_return_the_result_shape() -> None:
    offenders = []
    for pkg in ESTIMATOR_PACKAGES:
        mod = importlib.import_module(pkg)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not inspect.isfunction(obj) or name.endswith("_table"):
                continue
            if _returns_frame(obj) and f"{pkg}.{name}" not in NOT_ESTIMATORS:
                offenders.append(f"{pkg}.{name}")
    assert not offenders, ("return a bare DataFrame; return EstimateResult or name the function "
                           f"*_table: {offenders}")


def test_no_dynamic_imports_in_the_library() -> None:
    hits = []
    for f in _source_files():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name in {"import_module", "__import__"}:
                    hits.append(f"{f.relative_to(PKG.parent)}:{node.lineno}")
    assert not hits, f"dynamic imports (a rename would fail silently): {hits}"


def test_alpha_is_the_confidence_level_only() -> None:
    offenders = []
    for pkg in ESTIMATOR_PACKAGES:
        mod = importlib.import_module(pkg)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not callable(obj):
                continue
            try:
                params = inspect.signature(obj).parameters
            except (TypeError, ValueError):
                continue
            for bad in ("conf_alpha", "level", "conf_level"):
                if bad in params and params[bad].kind is not inspect.Parameter.VAR_KEYWORD:
                    offenders.append(f"{pkg}.{name}({bad}=)")
            a = params.get("alpha")
            if a is not None and a.default is not inspect.Parameter.empty and a.default is not None:
                if not (isinstance(a.default, float) and 0 < a.default < 0.5):
                    offenders.append(f"{pkg}.{name}(alpha={a.default!r})")
    assert not offenders, f"'alpha' must be a confidence level (e.g. 0.05): {offenders}"


def test_impact_names_resolve_lazily() -> None:
    import kassaki_eval.impact as impact
    assert set(impact._WHERE) == set(impact.__all__)
    for name in impact.__all__:
        obj = getattr(impact, name)
        assert obj.__module__ == f"kassaki_eval.impact.{impact._WHERE[name]}", name
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        impact.not_a_name  # noqa: B018


def test_report_command_starts_without_the_heavy_libraries() -> None:
    # the parent of a report run only parses arguments, makes the inputs and publishes;
    # scikit-learn, statsmodels and scipy.stats (about a second of CPU) load in the kernels
    code = ("import sys; from kassaki_eval.cli import build_parser; build_parser(); "
            "import kassaki_eval.reporting.runner, kassaki_eval.reporting.inputs; "
            "print(sorted(m for m in ('sklearn', 'statsmodels', 'scipy.stats', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PKG.parent, env={**os.environ, "PYTHONPATH": str(PKG.parent)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
