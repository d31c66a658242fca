r"""Survey designs and linearised (Taylor) variance, as R's ``survey`` package computes it.

A :class:`SurveyDesign` binds a table to its sampling design: weights, strata, primary sampling
units (PSUs), an optional finite-population correction and a rule for strata with a single PSU.
Every estimator in :mod:`kassaki_eval.poverty` and :mod:`kassaki_eval.poverty.inequality`
computes its
*influence function* (linearised variable) :math:`z_i`, so that the estimate behaves like the
total :math:`\sum_i w_i z_i`, and asks the design for the variance of that total.

The variance is R survey's ``svyrecvar`` "ultimate cluster" estimator (with-replacement
sampling of PSUs within strata, optionally corrected by :math:`1 - f_h`):

.. math::

    \widehat V = \sum_h (1 - f_h)\, \frac{n_h}{n_h - 1} \sum_{j=1}^{n_h}
        (t_{hj} - \bar t_h)^2, \qquad t_{hj} = \sum_{i \in (h, j)} w_i z_i .

Domains (sub-populations) keep the design: :math:`z_i` is set to 0 outside the domain and every
PSU of the full design still enters the sum (R's ``subset``/``svyby``). Degrees of freedom are
R's ``degf``: PSUs minus strata, counted over the rows that belong to the domain.

Speed: PSUs are integer-coded once, grouped by stratum, and every PSU total is one
``np.bincount``; many domains are handled at once by bincounting on ``psu * n_domains + domain``.

Example
-------
>>> import pandas as pd
>>> from kassaki_eval.poverty import SurveyDesign
>>> df = pd.DataFrame({"w": [1.0, 2, 1, 2], "h": ["a", "a", "b", "b"], "c": [1, 2, 3, 4],
...                    "y": [1.0, 2, 3, 4]})
>>> d = SurveyDesign(df, weight="w", strata="h", psu="c")
>>> round(float(d.mean("y").estimates.iloc[0]), 4)
2.6667
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DesignError, ParameterError, Problem, check_option
from ..results import EstimateResult, hash_frame

# estimator plumbing lives in _common; build_result, domain_sums, effective_weights and
# srs_variance stay importable from here for one release (they were defined here before)
from ._common import (  # noqa: F401
    build_result,
    domain_sums,
    effective_weights,
    ratio_of_totals,
    renamed_keywords,
    srs_variance,
)

__all__ = ["SurveyDesign", "Domains", "LONELY_PSU_RULES", "as_design"]

LONELY_PSU_RULES = ("fail", "certainty", "remove", "adjust", "average")
LonelyRule = Literal["fail", "certainty", "remove", "adjust", "average"]


@dataclass(frozen=True)
class Domains:
    """Integer-coded domains of a design.

    ``codes`` holds one code per row in ``0..n-1`` (``-1`` for rows outside every domain),
    ``labels`` the label of each code, ``name`` the grouping column(s) (``None`` for "all").
    """

    codes: np.ndarray
    labels: tuple[Any, ...]
    name: str | None

    @property
    def n(self) -> int:
        """Number of domains."""
        return len(self.labels)


class SurveyDesign:
    """A stratified, clustered sample with weights (R ``svydesign(ids=, strata=, weights=)``).

    Parameters
    ----------
    data : DataFrame
        One row per sampled unit (household).
    weight : str
        Sampling-weight column (units represented); must be finite and > 0.
    strata : str, optional
        Stratum column. ``None``: one stratum.
    psu : str, optional
        PSU (cluster) column. ``None``: every row is its own PSU.
    fpc : str, optional
        Finite-population correction, constant within a stratum: either the number of PSUs in the
        population stratum (values > 1) or the sampling fraction (all values <= 1), as in R.
    lonely_psu : {"fail", "certainty", "remove", "adjust", "average"}
        What to do with a stratum holding one PSU (R's ``options(survey.lonely.psu=)``):
        ``fail`` raises; ``certainty`` gives it zero variance; ``remove`` ignores it (zero
        variance too: R survey 4.1 computes ``remove`` and ``certainty`` alike); ``adjust``
        centres its PSU total at zero (the population mean of a linearised variable) instead
        of the stratum mean; ``average`` replaces it by the average variance of the other
        strata. In a domain (``by=``/``subset=``) ``average`` averages over the strata that
        have rows in the domain, as R's ``svyby``/``subset`` do (tests/references/survey,
        ``make_lonely_refs.R``).
    fpc2 : str, optional
        Second-stage finite-population correction (households in the PSU's population, or the
        within-PSU sampling fraction), constant within a PSU. With ``fpc`` it turns on R's
        two-stage variance (``svydesign(id=~psu+unit, fpc=~fpc+fpc2)``):
        ``sum_h (1 - f_h) n_h/(n_h-1) SS_between + sum_h f_h sum_j (1 - f_hj) m_j/(m_j-1)
        SS_within(j)``; rows are the second-stage units.
    nest : bool
        PSU ids repeat across strata and are only unique within a stratum (R's ``nest=TRUE``).
        When false, a PSU id found in two strata is an error.
    table : str
        Table name used in error messages.
    id_column : str, optional
        Pseudonymous id column quoted as examples in error messages (row numbers otherwise).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"w": [10.0, 10, 20, 20], "kec": ["a", "a", "b", "b"],
    ...                    "vil": ["a1", "a2", "b1", "b2"], "y": [1.0, 0, 1, 1]})
    >>> d = SurveyDesign(df, weight="w", strata="kec", psu="vil")
    >>> d.n_psu, d.n_strata, d.degf
    (4, 2, 2)
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: LonelyRule = "fail",
        nest: bool = False,
        *,
        fpc2: str | None = None,
        table: str = "survey",
        id_column: str | None = None,
    ) -> None:
        owner = "SurveyDesign"
        if not isinstance(data, pd.DataFrame):
            raise ParameterError(f"The 'data' parameter of {owner} must be a pandas DataFrame. "
                                 f"Got {type(data).__name__} instead.")
        check_option(owner, "lonely_psu", lonely_psu, LONELY_PSU_RULES)
        for name, col in (("weight", weight), ("strata", strata), ("psu", psu), ("fpc", fpc),
                          ("fpc2", fpc2), ("id_column", id_column)):
            if col is not None and col not in data.columns:
                raise ParameterError(
                    f"The '{name}' parameter of {owner} must name a column of {table}. Got "
                    f"{col!r} instead; columns are {list(data.columns)[:12]}.")
        self.data = data
        self.weight_col, self.strata_col, self.psu_col, self.fpc_col = weight, strata, psu, fpc
        self.lonely_psu: LonelyRule = lonely_psu
        self.nest = bool(nest)
        self.table = table
        self.id_column = id_column
        n = len(data)
        if n == 0:
            raise DesignError(f"{table}: the table is empty; a design needs at least one row.")
        self.n = n

        w = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise DesignError(Problem(
                table, weight, "must be finite and > 0 (zero, negative or missing weights found)",
                int(bad.sum()), self.examples(bad),
                "drop out-of-scope rows before building the design, or repair the weights; a "
                "domain is estimated with the `by=`/`subset=` argument, not with zero weights."
            ).message())
        self.weights = w

        # strata codes (sorted labels => deterministic order)
        if strata is None:
            s_codes = np.zeros(n, dtype=np.int64)
            self.strata_labels: tuple[Any, ...] = ("all",)
        else:
            if data[strata].isna().any():
                m = data[strata].isna().to_numpy()
                raise DesignError(Problem(table, strata, "is missing", int(m.sum()),
                                          self.examples(m), "fill the stratum of every row."
                                          ).message())
            s_codes, s_uni = pd.factorize(data[strata], sort=True)
            self.strata_labels = tuple(s_uni)
        # psu codes
        if psu is None:
            raw_psu = np.arange(n, dtype=np.int64)
            p_labels = None
        else:
            if data[psu].isna().any():
                m = data[psu].isna().to_numpy()
                raise DesignError(Problem(table, psu, "is missing", int(m.sum()),
                                          self.examples(m), "fill the PSU of every row.").message())
            raw_psu, p_uni = pd.factorize(data[psu], sort=True)
            p_labels = p_uni
        if not self.nest and psu is not None:
            # a PSU id in two strata is an error unless nest=True (R's svydesign check)
            pair = pd.DataFrame({"p": raw_psu, "s": s_codes}).drop_duplicates()
            dup = pair["p"].duplicated(keep=False)
            if dup.any():
                bad_psu = np.unique(pair.loc[dup, "p"].to_numpy())
                ex = ([p_labels[i] for i in bad_psu[:5]] if p_labels is not None
                      else list(bad_psu[:5]))
                raise DesignError(Problem(
                    table, psu, "has PSU ids that appear in more than one stratum",
                    int(len(bad_psu)), tuple(ex),
                    "use nest=True if PSU ids are only unique within a stratum, or fix the codes."
                ).message())
        # global PSU code grouped by stratum: order PSUs by (stratum, psu)
        combo = s_codes.astype(np.int64) * (int(raw_psu.max()) + 1) + raw_psu
        psu_codes, uniq = pd.factorize(combo, sort=True)
        self.psu_codes = psu_codes.astype(np.int64)
        self.n_psu = len(uniq)
        self.psu_stratum = (uniq // (int(raw_psu.max()) + 1)).astype(np.int64)
        self.strata_codes = s_codes.astype(np.int64)
        self.n_strata = len(self.strata_labels)
        self.n_h = np.bincount(self.psu_stratum, minlength=self.n_strata)
        self._starts = np.concatenate([[0], np.cumsum(self.n_h)[:-1]]).astype(np.int64)

        # finite-population correction: 1 - f_h per stratum
        self.one_minus_f = np.ones(self.n_strata)
        if fpc is not None:
            fv = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=float)
            if (~np.isfinite(fv) | (fv <= 0)).any():
                m = ~np.isfinite(fv) | (fv <= 0)
                raise DesignError(Problem(table, fpc, "must be finite and > 0", int(m.sum()),
                                          self.examples(m), "give the population PSU count "
                                          "or the sampling fraction of the stratum.").message())
            per = pd.DataFrame({"s": s_codes, "f": fv}).groupby("s")["f"].agg(["min", "max"])
            varying = per.index[per["min"] != per["max"]]
            if len(varying):
                raise DesignError(Problem(table, fpc, "varies within a stratum", int(len(varying)),
                                          tuple(self.strata_labels[i] for i in varying[:5]),
                                          "the fpc must be constant within each stratum."
                                          ).message())
            fh = per["min"].to_numpy()
            if np.all(fv <= 1):
                frac = fh  # sampling fractions
            else:
                if (fh < self.n_h).any():
                    bad_s = np.flatnonzero(fh < self.n_h)
                    raise DesignError(Problem(
                        table, fpc, "is smaller than the number of sampled PSUs", len(bad_s),
                        tuple(self.strata_labels[i] for i in bad_s[:5]),
                        "the fpc is the number of PSUs in the population stratum.").message())
                frac = self.n_h / fh
            self.one_minus_f = 1.0 - frac

        # second stage (rows within PSUs)
        self.fpc2_col = fpc2
        self.m_j = np.bincount(self.psu_codes, minlength=self.n_psu).astype(float)
        self.one_minus_f2: np.ndarray | None = None
        if fpc2 is not None:
            if fpc is None or psu is None:
                raise ParameterError("The 'fpc2' parameter of SurveyDesign must come with 'psu' "
                                     f"and 'fpc' (a two-stage design). Got fpc2={fpc2!r}, "
                                     f"psu={psu!r}, fpc={fpc!r} instead.")
            f2 = pd.to_numeric(data[fpc2], errors="coerce").to_numpy(dtype=float)
            per2 = pd.DataFrame({"p": self.psu_codes, "f": f2}).groupby("p")["f"].agg(
                ["min", "max"])
            # rows with a bad value, or in a PSU where the value varies (counted in rows, with
            # examples, like every other column check)
            varying = (per2["min"] != per2["max"]).to_numpy()[self.psu_codes]
            m2 = varying | ~(np.isfinite(f2) & (f2 > 0))
            if m2.any():
                raise DesignError(Problem(table, fpc2, "must be > 0 and constant within a PSU",
                                          int(m2.sum()), self.examples(m2),
                                          "give the number of households in each PSU's "
                                          "population (or the within-PSU sampling fraction)."
                                          ).message())
            M = per2["min"].to_numpy()
            frac2 = M if np.all(f2 <= 1) else self.m_j / M
            if np.any(frac2 > 1 + 1e-12):
                raise DesignError(f"{table}: column '{fpc2}' is smaller than the number of sampled "
                                  f"rows in some PSUs. Fix: fpc2 is the PSU's population count.")
            self.one_minus_f2 = 1.0 - frac2

        self.lonely = self.n_h == 1
        if self.lonely.any() and lonely_psu == "fail":
            idx = np.flatnonzero(self.lonely)
            raise DesignError(Problem(
                table, strata or "*", "has strata with a single PSU (lonely PSU)", int(len(idx)),
                tuple(self.strata_labels[i] for i in idx[:5]),
                "merge the stratum with a similar one, or choose lonely_psu='certainty', "
                "'remove', 'adjust' or 'average' (R survey's options)."
            ).message())
        self.degf = int(self.n_psu - self.n_strata)
        # per-design caches (the design is treated as immutable): domain codes, df, weights
        self._cache: dict[Any, Any] = {}

    @property
    def inputs_hash(self) -> str:
        """SHA-256 of the data (computed once per design, for provenance)."""
        if "hash" not in self._cache:
            self._cache["hash"] = hash_frame(self.data)
        return self._cache["hash"]

    # ------------------------------------------------------------------------------------------
    def examples(self, mask: np.ndarray) -> tuple[Any, ...]:
        """Return up to five examples of the rows in ``mask`` for an error message.

        Pseudonymous ids from ``id_column`` when the design has one, row numbers otherwise.
        """
        idx = np.flatnonzero(mask)[:5]
        if self.id_column is not None:
            return tuple(self.data[self.id_column].iloc[idx].tolist())
        return tuple(f"row {i}" for i in idx)

    _examples = examples  # the old private name, kept for one release

    def spec(self) -> dict[str, Any]:
        """Return the constructor arguments of this design (without ``data``)."""
        return {"weight": self.weight_col, "strata": self.strata_col, "psu": self.psu_col,
                "fpc": self.fpc_col, "lonely_psu": self.lonely_psu, "nest": self.nest,
                "fpc2": self.fpc2_col, "table": self.table, "id_column": self.id_column}

    def for_rows(self, mask: np.ndarray | pd.Series) -> SurveyDesign:
        """Build a new design with the same options on the rows in ``mask`` only.

        For a separate sample held in the same table, such as one survey wave. A domain of
        this sample is *not* a new design: estimate it with ``by=``/``subset=``, which keep
        every PSU of the design (R ``subset``/``svyby``).
        """
        m = np.asarray(mask, dtype=bool)
        if m.shape != (self.n,):
            raise ParameterError(f"The 'mask' parameter of SurveyDesign.for_rows must be a "
                                 f"boolean mask with one value per row ({self.n}). Got shape "
                                 f"{m.shape} instead.")
        return SurveyDesign(self.data[m].reset_index(drop=True), **self.spec())

    def person_weights(self, size: str | np.ndarray | None, owner: str) -> np.ndarray:
        """Design weights, times household size for person-level measures (cached by name)."""
        if size is None:
            return self.weights
        if isinstance(size, str) and ("w", size) in self._cache:
            return self._cache[("w", size)]
        s = self.column(size, owner, "size")
        if (s <= 0).any():
            m = s <= 0
            raise DesignError(Problem(self.table, size if isinstance(size, str) else "size",
                                      "must be > 0", int(m.sum()), self.examples(m),
                                      "household size is at least 1.").message())
        out = self.weights * s
        if isinstance(size, str):
            self._cache[("w", size)] = out
        return out

    def __repr__(self) -> str:
        """Show the design's size and options."""
        return (f"SurveyDesign(n={self.n}, strata={self.n_strata}, psu={self.n_psu}, "
                f"degf={self.degf}, fpc={'yes' if self.fpc_col else 'no'}, "
                f"lonely_psu={self.lonely_psu!r})")

    def options(self) -> dict[str, Any]:
        """Return the design options (for provenance)."""
        return {"weight": self.weight_col, "strata": self.strata_col, "psu": self.psu_col,
                "fpc": self.fpc_col, "fpc2": self.fpc2_col, "lonely_psu": self.lonely_psu,
                "nest": self.nest,
                "variance": "Taylor linearisation, with-replacement ultimate-cluster (R svyrecvar)"}

    # ------------------------------------------------------------------------------------------
    def column(self, name: str | np.ndarray | pd.Series | float, owner: str, what: str
               ) -> np.ndarray:
        """Return a numeric column (by name) or an array/scalar broadcast to the rows."""
        if isinstance(name, str) and ("col", name) in self._cache:
            return self._cache[("col", name)]
        if isinstance(name, str):
            if name not in self.data.columns:
                raise ParameterError(f"The '{what}' parameter of {owner} must name a column of "
                                     f"{self.table}. Got {name!r} instead.")
            v = pd.to_numeric(self.data[name], errors="coerce").to_numpy(dtype=float)
        elif np.isscalar(name):
            v = np.full(self.n, float(name))  # type: ignore[arg-type]
        else:
            v = np.asarray(name, dtype=float)
            if v.shape != (self.n,):
                raise ParameterError(f"The '{what}' parameter of {owner} must have one value per "
                                     f"row ({self.n}). Got shape {v.shape} instead.")
        bad = ~np.isfinite(v)
        if bad.any():
            raise DesignError(Problem(self.table, name if isinstance(name, str) else what,
                                      "is missing or not finite", int(bad.sum()),
                                      self.examples(bad),
                                      "impute or drop those rows before building the design."
                                      ).message())
        if isinstance(name, str):
            v.flags.writeable = False  # cached: callers must not modify it
            self._cache[("col", name)] = v
        return v

    def values_in(self, name: str | np.ndarray | pd.Series | float, dom: Domains, owner: str,
                  what: str, na_rm: bool = False) -> tuple[np.ndarray, Domains]:
        """Return a numeric column for the rows of a domain, with R's missing-value rules.

        Missing (or non-finite) values outside ``dom`` are ignored (set to 0: those rows only
        carry the design). Inside ``dom`` they raise :class:`DesignError`, unless ``na_rm``:
        then those rows leave the domain and the design is kept (R ``na.rm=TRUE``:
        ``design[!is.na(x), ]`` keeps the strata and PSU counts). Returns the values and the
        (possibly reduced) domains.
        """
        if not isinstance(name, str) or name not in self.data.columns:
            return self.column(name, owner, what), dom
        if ("col", name) in self._cache:
            return self._cache[("col", name)], dom
        v = pd.to_numeric(self.data[name], errors="coerce").to_numpy(dtype=float)
        missing = ~np.isfinite(v)
        if not missing.any():
            return self.column(name, owner, what), dom
        inside = dom.codes >= 0
        bad = missing & inside
        if bad.any() and not na_rm:
            raise DesignError(Problem(
                self.table, name, "is missing or not finite in the rows estimated",
                int(bad.sum()), self.examples(bad),
                "impute them, or pass na_rm=True to leave those rows out of the estimate "
                "(the design is kept, as R's na.rm=TRUE).").message())
        codes = np.where(bad, -1, dom.codes)
        if bad.any():
            empty = [lab for i, lab in enumerate(dom.labels) if not (codes == i).any()]
            if empty:
                raise DesignError(Problem(
                    self.table, name, "is missing in every row of some domains", len(empty),
                    tuple(empty), "drop these domains; with no observed value a domain has no "
                    "estimate.").message())
            dom = Domains(codes.astype(np.int64), dom.labels, dom.name)
        out = np.where(missing, 0.0, v)
        out.flags.writeable = False
        return out, dom

    def domains(self, by: str | Sequence[str] | None = None,
                subset: np.ndarray | pd.Series | None = None,
                levels: Sequence[Any] | None = None, owner: str = "estimator") -> Domains:
        """Integer-code the domains defined by ``by`` (and restricted to ``subset``).

        Raises :class:`DesignError` for an empty domain (no sampled row): a requested level of
        ``levels`` absent from the sample, or a ``subset`` with no row.
        """
        key = ("dom", by if isinstance(by, (str, type(None))) else tuple(by))
        if subset is None and levels is None and key in self._cache:
            return self._cache[key]
        dom = self._domains(by, subset, levels, owner)
        if subset is None and levels is None:
            self._cache[key] = dom
        return dom

    def _domains(self, by: Any, subset: Any, levels: Any, owner: str) -> Domains:
        mask = np.ones(self.n, dtype=bool)
        if subset is not None:
            mask = np.asarray(subset, dtype=bool)
            if mask.shape != (self.n,):
                raise ParameterError(f"The 'subset' parameter of {owner} must be a boolean mask "
                                     f"with one value per row. Got shape {mask.shape} instead.")
            if not mask.any():
                raise DesignError(f"{self.table}: the domain selected by 'subset' is empty (0 of "
                                  f"{self.n} rows). Fix: check the condition; an empty domain has "
                                  f"no estimate.")
        if by is None:
            codes = np.where(mask, 0, -1).astype(np.int64)
            return Domains(codes, ("all",), None)
        cols = [by] if isinstance(by, str) else list(by)
        for c in cols:
            if c not in self.data.columns:
                raise ParameterError(f"The 'by' parameter of {owner} must name columns of "
                                     f"{self.table}. Got {c!r} instead.")
        key = self.data[cols[0]] if len(cols) == 1 else \
            pd.Series(list(zip(*(self.data[c] for c in cols), strict=True)),
                      index=self.data.index)
        codes, uni = pd.factorize(key, sort=True)
        codes = np.where(mask & (codes >= 0), codes, -1).astype(np.int64)
        labels = list(uni)
        present = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
        if levels is not None:
            missing = [lv for lv in levels
                       if lv not in set(labels) or not present[labels.index(lv)]]
            if missing:
                raise DesignError(Problem(
                    self.table, "/".join(cols), "has requested domains with no sampled row",
                    len(missing), tuple(missing),
                    "drop these levels from 'levels' or report them as "
                    "not estimable; an empty domain has no design-based estimate.").message())
            remap = np.full(len(labels), -1, dtype=np.int64)
            for i, lv in enumerate(levels):
                remap[labels.index(lv)] = i
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            labels = list(levels)
        else:
            keep = np.flatnonzero(present)
            if len(keep) < len(labels):
                remap = np.full(len(labels), -1, dtype=np.int64)
                remap[keep] = np.arange(len(keep))
                codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
                labels = [labels[i] for i in keep]
        name = cols[0] if len(cols) == 1 else ",".join(cols)
        return Domains(codes.astype(np.int64), tuple(labels), name)

    # ------------------------------------------------------------------------------------------
    def psu_totals(self, values: Any, dom: Domains, weights: np.ndarray | None = None
                   ) -> np.ndarray:
        """PSU-by-domain totals of ``w * values``: array ``(n_psu, n_domains, k)``.

        One ``np.bincount`` per column on the combined code ``psu * D + domain``.
        """
        w = self.weights if weights is None else weights
        if isinstance(values, (list, tuple)):
            cols = list(values)  # 1-D arrays; None means "ones" (the weights themselves)
        else:
            vals = np.asarray(values, dtype=float)
            cols = [vals] if vals.ndim == 1 else [vals[:, j] for j in range(vals.shape[1])]
        D = dom.n
        nested = self._nested(dom)
        if nested is not None:
            # domains are unions of PSUs: one bincount over PSUs, scattered to (PSU, domain)
            out = np.zeros((self.n_psu, D, len(cols)))
            rows = np.arange(self.n_psu)
            for j, v in enumerate(cols):
                wt = w if v is None else w * v
                out[rows, nested, j] = np.bincount(self.psu_codes, weights=wt,
                                                   minlength=self.n_psu)
            return out
        inside = dom.codes >= 0
        all_in = bool(inside.all())
        if all_in:
            code = self.psu_codes if D == 1 else self.psu_codes * D + dom.codes
            wv = w
        else:
            code = self.psu_codes[inside] * D + dom.codes[inside]
            wv = w[inside]
        size = self.n_psu * D
        out = np.empty((self.n_psu, D, len(cols)))
        for j, v in enumerate(cols):
            if v is None:
                wt = wv
            else:
                wt = wv * (v if all_in else np.asarray(v)[inside])
            out[:, :, j] = np.bincount(code, weights=wt, minlength=size).reshape(self.n_psu, D)
        return out

    def _nested(self, dom: Domains) -> np.ndarray | None:
        """Domain code of each PSU, or None.

        Defined when every row is in a domain and domains never split a PSU (e.g. kecamatan
        when kecamatan are strata); cached per domain.
        """
        key = ("nested", id(dom.codes))
        hit = self._cache.get(key)
        if hit is not None and hit[0] is dom.codes:
            return hit[1]
        out = None
        if dom.n == 1 and bool((dom.codes == 0).all()):
            out = np.zeros(self.n_psu, dtype=np.int64)
        elif bool((dom.codes >= 0).all()):
            first = np.full(self.n_psu, -1, dtype=np.int64)
            first[self.psu_codes] = dom.codes
            if bool((first[self.psu_codes] == dom.codes).all()):
                out = first
        self._cache[key] = (dom.codes, out)
        return out

    @property
    def two_stage(self) -> bool:
        """True when the design has a second-stage fpc (``fpc2``)."""
        return self.one_minus_f2 is not None

    def variance_of_totals(self, t: np.ndarray, sq: np.ndarray | None = None) -> np.ndarray:
        """Return :meth:`variance` of PSU totals (deprecated: use ``variance(totals=)``)."""
        import warnings
        warnings.warn("SurveyDesign.variance_of_totals is deprecated and will be removed in the "
                      "next release; use SurveyDesign.variance(totals=..., squares=...).",
                      DeprecationWarning, stacklevel=2)
        return self.variance(totals=t, squares=sq)

    def strata_present(self, dom: Domains | Sequence[Domains]) -> np.ndarray:
        """Return which strata have a sampled row in each domain: ``(n_strata, n_domains)``.

        Several Domains: their columns side by side, as the estimators stack them.
        """
        doms = [dom] if isinstance(dom, Domains) else list(dom)
        cols = []
        for dd in doms:
            key = ("present", id(dd.codes))
            hit = self._cache.get(key)
            if hit is not None and hit[0] is dd.codes:
                cols.append(hit[1])
                continue
            inside = dd.codes >= 0
            pres = np.zeros((self.n_strata, dd.n), dtype=bool)
            pres[self.strata_codes[inside], dd.codes[inside]] = True
            self._cache[key] = (dd.codes, pres)
            cols.append(pres)
        return np.concatenate(cols, axis=1)

    def _variance_from_totals(self, t: np.ndarray, sq: np.ndarray | None,
                              dom: Domains | Sequence[Domains] | None = None) -> np.ndarray:
        present = None
        if dom is not None and self.lonely_psu == "average" and bool(self.lonely.any()):
            pd_ = self.strata_present(dom)                       # (H, D)
            k = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
            if t.ndim < 2 or t.shape[1] != pd_.shape[1]:
                raise DesignError(f"SurveyDesign.variance: 'dom' has {pd_.shape[1]} domains "
                                  f"but the totals have shape {t.shape}; the second axis of "
                                  f"the PSU totals must be the domains.")
            present = np.repeat(pd_, k, axis=1)                  # (H, m)
        var1 = self._variance_stage1(t, present)
        if not self.two_stage:
            return var1
        if sq is None:
            raise DesignError("this estimator needs unit-level squares for the second-stage "
                              "variance (fpc2). Fix: build the design without fpc2, or use an "
                              "estimator of kassaki_eval.poverty / inequality.")
        shape = t.shape[1:]
        T = t.reshape(self.n_psu, -1)
        S = sq.reshape(self.n_psu, -1)
        m = self.m_j
        within = S - T * T / m[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(m > 1, m / (m - 1), 0.0) * self.one_minus_f2
        f1 = 1.0 - self.one_minus_f[self.psu_stratum]
        return var1 + ((f1 * c) @ within).reshape(shape)

    def unit_squares(self, values: Any, dom: Domains, weights: np.ndarray | None = None
                     ) -> np.ndarray | None:
        """PSU-by-domain totals of ``(w z)^2`` (only for two-stage designs; None otherwise)."""
        if not self.two_stage:
            return None
        w = self.weights if weights is None else weights
        if isinstance(values, (list, tuple)):
            vals = [np.asarray(v, dtype=float) ** 2 for v in values]
        else:
            v = np.asarray(values, dtype=float)
            vals = [v ** 2] if v.ndim == 1 else [v[:, j] ** 2 for j in range(v.shape[1])]
        return self.psu_totals(vals, dom, w * w)

    def _variance_stage1(self, t: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
        shape = t.shape[1:]
        T = t.reshape(self.n_psu, -1)
        sums = np.add.reduceat(T, self._starts, axis=0)            # (H, m)
        nh = self.n_h.astype(float)
        means = sums / nh[:, None]
        dev = T - means[self.psu_stratum]
        ss = np.add.reduceat(dev * dev, self._starts, axis=0)      # (H, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = self.one_minus_f * nh / (nh - 1.0)
        lonely = self.lonely
        if lonely.any():
            if self.lonely_psu in ("certainty", "remove"):
                scale = np.where(lonely, 0.0, scale)
            elif self.lonely_psu == "adjust":
                # R: the lonely PSU total is not centred at its stratum mean (it would be 0)
                # but at zero, the population mean of a linearised variable; scale = 1 - f.
                ss = np.where(lonely[:, None], sums * sums, ss)
                scale = np.where(lonely, self.one_minus_f, scale)
            elif self.lonely_psu == "average":
                scale = np.where(lonely, 0.0, scale)
        var = scale @ ss
        if lonely.any() and self.lonely_psu == "average":
            # R's onestage: sum over the strata with a variance, times (strata) / (strata with
            # a variance), counting only the strata present in the domain (R subsets the rows)
            if present is None:
                present = np.ones((self.n_strata, T.shape[1]), dtype=bool)
            n_pres = present.sum(axis=0).astype(float)
            n_ok = (present & ~lonely[:, None]).sum(axis=0).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                var = np.where(n_ok > 0, var * n_pres / n_ok, np.nan)
        return var.reshape(shape)

    def domain_degf(self, dom: Domains) -> np.ndarray:
        """R's ``degf`` of each domain: PSUs with a domain row minus strata with a domain row."""
        key = ("degf", id(dom.codes))
        hit = self._cache.get(key)
        if hit is not None and hit[0] is dom.codes:
            return hit[1]
        out = self._domain_degf(dom)
        self._cache[key] = (dom.codes, out)
        return out

    def domain_counts(self, dom: Domains) -> np.ndarray:
        """Count the sampled rows per domain (cached per domain)."""
        key = ("count", id(dom.codes))
        hit = self._cache.get(key)
        if hit is not None and hit[0] is dom.codes:
            return hit[1]
        inside = dom.codes >= 0
        out = np.bincount(dom.codes[inside] if not inside.all() else dom.codes, minlength=dom.n)
        self._cache[key] = (dom.codes, out)
        return out

    def _domain_degf(self, dom: Domains) -> np.ndarray:
        inside = dom.codes >= 0
        D = dom.n
        pc = np.bincount(self.psu_codes[inside] * D + dom.codes[inside],
                         minlength=self.n_psu * D).reshape(self.n_psu, D) > 0
        n_psu_d = pc.sum(axis=0)
        sc = np.zeros((self.n_strata, D), dtype=bool)
        np.logical_or.at(sc, self.psu_stratum, pc)
        return (n_psu_d - sc.sum(axis=0)).astype(float)

    def variance(self, scores: Any = None, dom: Domains | Sequence[Domains] | None = None,
                 weights: np.ndarray | None = None, *, totals: np.ndarray | None = None,
                 squares: np.ndarray | None = None) -> np.ndarray:
        r"""Design variance of linearised estimators: the one variance entry point.

        Two ways in, the same engine (R survey's ``svyrecvar``: with-replacement ultimate
        clusters within strata, ``1 - f_h``, lonely-PSU rule, optional second stage):

        - ``scores``: influence-function values :math:`z_i` on the estimate's scale, one row per
          unit (a column per measure); returns the variance of :math:`\sum_i w_i z_i` for
          each domain of ``dom`` (all rows when None) and column: ``(n_domains, k)``.
        - ``totals``: PSU totals of :math:`w_i z_i` already aggregated by the estimator (shape
          ``(n_psu, ...)``, e.g. from :meth:`psu_totals`), with ``squares`` the PSU totals of
          :math:`(w_i z_i)^2` for a two-stage design (:meth:`unit_squares`); returns an array
          of shape ``totals.shape[1:]``. Estimators that form their scores algebraically from
          PSU totals (FGT, ratios) use this form. Pass ``dom`` (the Domains along the second
          axis of ``totals``, or several side by side) so that ``lonely_psu="average"`` averages
          over the strata present in each domain, as R does; without it every stratum counts.
        """
        if totals is not None:
            if scores is not None:
                raise ParameterError("The 'scores' parameter of SurveyDesign.variance must be "
                                     "None when 'totals' is given. Got both instead.")
            return self._variance_from_totals(np.asarray(totals, dtype=float), squares, dom)
        if scores is None:
            raise ParameterError("SurveyDesign.variance needs 'scores' (per-unit influence "
                                 "values) or 'totals' (PSU totals). Got neither.")
        if dom is None:
            dom = Domains(np.zeros(self.n, dtype=np.int64), ("all",), None)
        if not isinstance(dom, Domains):
            raise ParameterError("The 'dom' parameter of SurveyDesign.variance must be one "
                                 "Domains (or None) with 'scores'; several side by side only "
                                 f"with 'totals'. Got {type(dom).__name__} instead.")
        return self._variance_from_totals(self.psu_totals(scores, dom, weights),
                                          self.unit_squares(scores, dom, weights), dom)

    # ------------------------------------------------------------------------------------------
    def mean(self, y: str, *, by: str | Sequence[str] | None = None,
             subset: np.ndarray | None = None, size: str | None = None,
             df: Literal["design", "normal"] = "design", na_rm: bool = False,
             alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
        """Weighted mean with linearised SE (R: ``svymean`` / ``svyby(..., svymean)``).

        Parameters
        ----------
        y : str
            Variable.
        by, subset
            Domains (the design is kept: R's ``svyby``/``subset``).
        size : str, optional
            Household-size column: person-level mean (weights x size).
        df : {"design", "normal"}
            Intervals: Student t with the domain's design df (R ``degf``), or normal (R's
            ``confint`` default).
        na_rm : bool
            Leave rows with a missing ``y`` out of the estimate, keeping the design (R
            ``na.rm=TRUE``); missing values outside the domain never matter.
        alpha : float
            Intervals at level 1 - alpha (``conf_alpha`` is its deprecated old name).
        """
        owner = "SurveyDesign.mean"
        alpha = renamed_keywords(owner, deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
        dom = self.domains(by, subset, owner=owner)
        vals, dom = self.values_in(y, dom, owner, "y", na_rm)
        return ratio_of_totals(self, {"y": vals},
                               lambda T: T["y"] / T["_N"], lambda T: {"y": 1 / T["_N"],
                                                                      "_N": -T["y"] / T["_N"] ** 2},
                               size=size, method="mean", term=y, alpha=alpha, dom=dom, df=df,
                               options={"na_rm": na_rm})

    def total(self, y: str, *, by: str | Sequence[str] | None = None,
              subset: np.ndarray | None = None, df: Literal["design", "normal"] = "design",
              na_rm: bool = False, alpha: float = 0.05, **deprecated: Any) -> EstimateResult:
        """Weighted total with linearised SE (R: ``svytotal``); options as :meth:`mean`."""
        owner = "SurveyDesign.total"
        alpha = renamed_keywords(owner, deprecated, {"conf_alpha": "alpha"}).get("alpha", alpha)
        dom = self.domains(by, subset, owner=owner)
        vals, dom = self.values_in(y, dom, owner, "y", na_rm)
        return ratio_of_totals(self, {"y": vals},
                               lambda T: T["y"], lambda T: {"y": np.ones_like(T["y"])},
                               method="total", term=y, alpha=alpha, deff=False, dom=dom, df=df,
                               options={"na_rm": na_rm})


def as_design(data: Any, design: Any = None, owner: str = "estimator") -> SurveyDesign:
    """Accept a :class:`SurveyDesign`, or a DataFrame plus design options (dict) or design."""
    if isinstance(data, SurveyDesign):
        return data
    if isinstance(design, SurveyDesign):
        return design
    if isinstance(data, pd.DataFrame) and isinstance(design, Mapping):
        return SurveyDesign(data, **dict(design))
    raise ParameterError(
        f"The 'design' parameter of {owner} must be a SurveyDesign, or a dict of SurveyDesign "
        f"options when 'data' is a DataFrame. Got {type(design).__name__} instead.")
