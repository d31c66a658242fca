"""Sphinx configuration for the kassaki-eval documentation (``make docs``).

Built offline: no intersphinx, no remote assets. Tutorials are the jupytext notebooks in
``notebooks/tutorials/``; myst-nb reads them as notebooks. ``make docs`` executes them (cached);
the test suite builds with execution off and warnings as errors (``tests/test_docs.py``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import kassaki_eval  # noqa: E402

# autosummary writes one stub per public object here; stubs of renamed or removed objects would
# linger (and warn), so the folder is rebuilt from the docstrings on every build.
_GENERATED = Path(__file__).resolve().parent / "api" / "generated"
if _GENERATED.is_dir():
    import shutil

    shutil.rmtree(_GENERATED)

project = "kassaki-eval"
author = "kassaki-eval engineers (Unhas, STIEM, Politeknik STIA LAN Makassar users)"
copyright = "2026, kassaki-eval engineers"
release = kassaki_eval.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb", ".py": "myst-nb"}
nb_custom_formats = {".py": ["jupytext.reads", {"fmt": "py:percent"}]}
nb_execution_mode = os.environ.get("KASSAKI_DOCS_EXECUTE", "cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_cache_path = str(ROOT / "docs" / "_build" / ".jupyter_cache")
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_default_options: dict[str, object] = {}
autosummary_imported_members = False
autosummary_ignore_module_all = False
autodoc_typehints = "none"          # numpydoc renders the Parameters section
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

exclude_patterns = ["_build", "**.ipynb_checkpoints", "_generated", "conf.py", "_templates"]
templates_path = ["_templates"]
html_theme = "pydata_sphinx_theme"
html_title = "kassaki-eval"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "icon_links": [],
}
html_last_updated_fmt = ""
suppress_warnings = ["mystnb.unknown_mime_type", "config.cache"]


def _copy_tutorials(app) -> None:  # noqa: ANN001 - Sphinx hook
    """Copy notebooks/tutorials/*.py into the source tree (Sphinx reads only its srcdir)."""
    src = ROOT / "notebooks" / "tutorials"
    dst = Path(app.srcdir) / "tutorials" / "nb"
    dst.mkdir(parents=True, exist_ok=True)
    for old in dst.glob("*.py"):
        if not (src / old.name).exists():
            old.unlink()
    for f in sorted(src.glob("*.py")) if src.is_dir() else []:
        target = dst / f.name
        text = f.read_text(encoding="utf-8")
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def _collect_references(app) -> None:  # noqa: ANN001 - Sphinx hook
    """Gather tests/references/*/README.md into one page section (headings shifted down)."""
    out = Path(app.srcdir) / "_generated" / "references.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for readme in sorted((ROOT / "tests" / "references").glob("*/README.md")):
        topic = readme.parent.name
        body = readme.read_text(encoding="utf-8").splitlines()
        if body and body[0].startswith("# "):
            body = body[1:]
        body = [("#" + line) if line.startswith("#") else line for line in body]
        parts.append(f"## `tests/references/{topic}/`\n\n" + "\n".join(body).strip() + "\n")
    text = "\n".join(parts)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")


def _skip_sklearn_plumbing(app, what, name, obj, skip, options):  # noqa: ANN001, ANN201
    """scikit-learn adds metadata-routing methods to every estimator; they are not our API."""
    if name.endswith("_request") or name == "get_metadata_routing":
        return True
    return None


def setup(app):  # noqa: ANN001, ANN201 - Sphinx hook
    app.connect("autodoc-skip-member", _skip_sklearn_plumbing)
    app.connect("builder-inited", _copy_tutorials)
    app.connect("builder-inited", _collect_references)
