"""Proxy-means-test (PMT) models: scikit-learn estimators of log per-capita consumption.

Four models share one preprocessing step (one-hot encoding of categorical covariates such as
``electricity`` and ``head_sector``, logs of ``hh_size`` and ``floor_area_pc``) and one
contract (scikit-learn's): hyper-parameters are stored unchanged in ``__init__``, all
validation happens in ``fit``, ``fit`` returns ``self``, learned state ends in ``_``, and
``predict`` before ``fit`` raises :class:`kassaki_eval.exceptions.NotFittedError` (a subclass
of scikit-learn's). They therefore work in ``cross_val_score``, ``Pipeline`` and
``GridSearchCV``.

- :class:`OLSPMT` -- survey-weighted least squares (``sample_weight`` = survey weight).
- :class:`QuantilePMT` -- quantile regression at the poverty-line quantile (Brown, Ravallion &
  van de Walle 2018, "A poor means test?", J. Dev. Econ. 134): the fit concentrates on the
  part of the distribution where the eligibility decision is made.
- :class:`ElasticNetPMT` / :class:`LassoPMT` -- penalised least squares on standardised
  covariates.
- :class:`BoostingPMT` -- gradient boosting (``HistGradientBoostingRegressor``).

``y`` is always log per-capita consumption (see :func:`pmt_target`); ``predict`` returns the
predicted log per-capita consumption, the same scale as the registry's ``pmt_score``.

``by="kec_code"`` fits one model per kecamatan (groups smaller than ``min_group_size`` use the
pooled model), as P3KE estimates a PMT per district.

:func:`validate_pmt` gives out-of-sample R², RMSE and targeting errors by k-fold or by held-out
kecamatan (``GroupKFold`` / ``LeaveOneGroupOut``).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import NotFittedError as _SkNotFitted
from sklearn.linear_model import ElasticNet, LinearRegression, QuantileRegressor
from sklearn.model_selection import GroupKFold, KFold, LeaveOneGroupOut
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from ..exceptions import DataWarning, NotFittedError, ParameterError, Problem, SchemaError, require
from ..results import EstimateResult, Provenance, hash_frame

__all__ = [
    "PMT_FEATURES", "LOG_FEATURES", "OLSPMT", "QuantilePMT", "ElasticNetPMT", "LassoPMT",
    "BoostingPMT", "pmt_target", "validate_pmt",
]

#: The registry's PMT covariates (docs/ARCHITECTURE.md, table ``registry``) used by default.
PMT_FEATURES: tuple[str, ...] = (
    "zone", "hh_size", "n_children", "n_elderly", "head_sex", "head_age", "head_educ",
    "head_sector", "floor_area_pc", "roof_good", "wall_good", "floor_good", "toilet_own",
    "water_piped", "electricity", "cooking_lpg", "house_owned", "land_farm", "land_pond",
    "livestock", "asset_motorcycle", "asset_fridge", "asset_tv", "asset_boat", "asset_car",
    "asset_gold",
)
#: Covariates entered in logs by default (consumption per head falls with size roughly in logs).
LOG_FEATURES: tuple[str, ...] = ("hh_size", "floor_area_pc")


def pmt_target(consumption_pc: Any) -> np.ndarray:
    """Log per-capita consumption, the target of every PMT here.

    Examples
    --------
    >>> pmt_target([420_000.0])
    array([12.94800999])
    """
    c = np.asarray(consumption_pc, dtype=float)
    if np.any(~np.isfinite(c)) or np.any(c <= 0):
        bad = np.flatnonzero(~np.isfinite(c) | (c <= 0))
        raise SchemaError([Problem("survey", "consumption_pc", "must be positive to take logs",
                                   int(bad.size), tuple(bad[:5].tolist()),
                                   "drop or correct households with zero or missing consumption")])
    return np.log(c)


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ParameterError(f"The 'X' parameter of a PMT must be a DataFrame or a 2-D array. "
                             f"Got an array of shape {arr.shape} instead.")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


class _BasePMT(RegressorMixin, BaseEstimator):
    """Shared fit/predict logic. Subclasses define ``__init__`` and :meth:`_regressor`."""

    _scale_numeric = False
    # defaults read with getattr so that every subclass lists its own parameters explicitly
    features: Sequence[str] | None
    categorical: Sequence[str] | None
    log_features: Sequence[str] | None
    by: str | None
    min_group_size: int

    # -- to override ---------------------------------------------------------------------
    def _regressor(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare_target(self, y: np.ndarray, sample_weight: np.ndarray) -> None:
        """Hook for models that learn something from ``y`` before fitting (quantile PMT)."""

    # -- helpers ------------------------------------------------------------------------
    @property
    def _owner(self) -> str:
        return type(self).__name__

    def _columns(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            return list(self.features)
        present = [c for c in PMT_FEATURES if c in X.columns]
        # default: the contract's PMT covariates found in X; a plain matrix uses all its columns
        feats = present if present else [c for c in X.columns if c != self.by]
        return feats

    def _check_columns(self, X: pd.DataFrame, needed: Sequence[str], table: str) -> None:
        missing = [c for c in needed if c not in X.columns]
        if missing:
            why = "is missing (the PMT needs it)" if table == "training data" else \
                "is missing (the PMT was fitted on it)"
            raise SchemaError([Problem(
                table, c, why, len(X), (),
                "supply it with the same name as in the survey, or refit the PMT with features= "
                "limited to the columns both tables share") for c in missing], table=table)
        nan_cols = [c for c in needed if X[c].isna().any()]
        if nan_cols:
            probs = []
            for c in nan_cols:
                bad = np.flatnonzero(X[c].isna().to_numpy())
                ids = X["family_id"].to_numpy()[bad[:5]] if "family_id" in X.columns else bad[:5]
                probs.append(Problem(table, c, "has missing values", int(bad.size),
                                     tuple(np.asarray(ids).tolist()),
                                     "impute or drop these rows before fitting or scoring"))
            raise SchemaError(probs)

    @staticmethod
    def _check_logs(X: pd.DataFrame, logf: Sequence[str], table: str, step: str) -> None:
        """Covariates entered in logs must be > 0 (scoring a 0 would give a -inf PMT score)."""
        probs = []
        for c in logf:
            v = X[c].to_numpy(dtype=float)
            bad = np.flatnonzero(~(v > 0))
            if bad.size:
                fix = (f"correct the values or pass log_features without '{c}'" if step == "fit"
                       else "correct the values; the PMT was fitted on its logarithm")
                probs.append(Problem(table, c, "must be positive (entered in logs)",
                                     int(bad.size), tuple(bad[:5].tolist()), fix))
        if probs:
            raise SchemaError(probs)

    def _build(self) -> Pipeline:
        num = [
            c for c in self.features_ if c not in self.categorical_ and c not in self.log_features_
        ]
        parts = []
        scaler = StandardScaler() if self._scale_numeric else "passthrough"
        if num:
            parts.append(("num", scaler, num))
        if self.log_features_:
            logt = FunctionTransformer(np.log, feature_names_out="one-to-one")
            parts.append(("log", Pipeline([("log", logt), ("scale", StandardScaler())])
                          if self._scale_numeric else logt, list(self.log_features_)))
        if self.categorical_:
            cats = [self.categories_[c] for c in self.categorical_]
            parts.append(
                (
                    "cat",
                    OneHotEncoder(
                        categories=cats, drop="first", handle_unknown="ignore", sparse_output=False
                    ),
                    list(self.categorical_),
                )
            )
        prep = ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
        return Pipeline([("prep", prep), ("model", self._regressor())])

    # -- sklearn API --------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _BasePMT:
        """Fit the PMT.

        Parameters
        ----------
        X : DataFrame
            PMT covariates (registry column names); extra columns are ignored.
        y : array-like
            Log per-capita consumption (:func:`pmt_target`).
        sample_weight : array-like, optional
            Survey weights (households represented). Must be positive and finite.
        """
        X = _as_frame(X)
        y = np.asarray(y, dtype=float).ravel()
        if y.shape[0] != len(X):
            raise ParameterError(f"The 'y' parameter of {self._owner}.fit must have one value per "
                                 f"row of X ({len(X)}). Got {y.shape[0]} values instead.")
        if not np.all(np.isfinite(y)):
            raise ParameterError(f"The 'y' parameter of {self._owner}.fit must be finite (log "
                                 f"per-capita consumption). Got {int((~np.isfinite(y)).sum())} "
                                 f"non-finite values instead.")
        if sample_weight is None:
            sw = np.ones(len(X))
        else:
            sw = np.asarray(sample_weight, dtype=float).ravel()
            if sw.shape[0] != len(X) or not np.all(np.isfinite(sw)) or np.any(sw <= 0):
                raise ParameterError(
                    f"The 'sample_weight' parameter of {self._owner}.fit must hold "
                    f"{len(X)} positive finite weights. Got "
                    f"{int(np.sum(~(np.isfinite(sw) & (sw > 0))))} bad values "
                    f"(or length {sw.shape[0]}) instead."
                )
        require(isinstance(self.min_group_size, (int, np.integer)) and self.min_group_size >= 1,
                self._owner, "min_group_size", "an integer >= 1", self.min_group_size)
        feats = self._columns(X)
        needed = feats + ([self.by] if self.by is not None else [])
        self._check_columns(X, needed, "training data")
        if self.categorical is not None:
            cat = list(self.categorical)
            unknown = [c for c in cat if c not in feats]
            require(not unknown, self._owner, "categorical", "a subset of the features",
                    self.categorical)
        else:
            cat = [c for c in feats if not pd.api.types.is_numeric_dtype(X[c])]
        logf = [c for c in (self.log_features if self.log_features is not None else LOG_FEATURES)
                if c in feats and c not in cat]
        self._check_logs(X, logf, "training data", "fit")
        self.features_ = feats
        self.categorical_ = cat
        self.log_features_ = logf
        self.categories_ = {c: np.array(sorted(pd.unique(X[c].astype(str)))) for c in cat}
        Xf = X[feats].copy()
        for c in cat:
            Xf[c] = Xf[c].astype(str)
        self._prepare_target(y, sw)
        pooled = self._build()
        pooled.fit(Xf, y, model__sample_weight=sw)
        self.pipeline_ = pooled
        self.group_models_: dict[str, Pipeline] = {}
        if self.by is not None:
            g = X[self.by].astype(str).to_numpy()
            for key in np.unique(g):
                m = g == key
                if m.sum() >= self.min_group_size:
                    pipe = self._build()
                    pipe.fit(Xf.loc[m], y[m], model__sample_weight=sw[m])
                    self.group_models_[str(key)] = pipe
        self.n_features_in_ = len(needed)
        self.feature_names_in_ = np.asarray(needed, dtype=object)
        self.n_train_ = len(X)
        return self

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self, "pipeline_")
        except _SkNotFitted:
            raise NotFittedError(
                f"This {self._owner} instance is not fitted yet. Call 'fit' with the survey's PMT "
                f"covariates and log per-capita consumption before scoring.") from None

    def predict(self, X: Any) -> np.ndarray:
        """Predicted log per-capita consumption for each row of ``X``."""
        self._check_fitted()
        X = _as_frame(X)
        needed = list(self.feature_names_in_)
        self._check_columns(X, needed, "registry")
        self._check_logs(X, self.log_features_, "registry", "score")
        Xf = X[self.features_]
        if self.categorical_:
            Xf = Xf.copy()
            for c in self.categorical_:
                col = Xf[c].astype(str)
                unseen = ~col.isin(self.categories_[c])
                if unseen.any():
                    vals = pd.unique(col[unseen])[:5]
                    warnings.warn(
                        f"registry: column '{c}' has {int(unseen.sum())} rows with categories the "
                        f"PMT never saw in training (e.g. {', '.join(map(str, vals))}); they are "
                        f"scored as the reference category.", DataWarning, stacklevel=2)
                Xf[c] = col
        with warnings.catch_warnings():
            # unseen categories were reported above in our own words
            warnings.filterwarnings("ignore", message="Found unknown categories")
            if not self.group_models_:
                return self.pipeline_.predict(Xf)
            out = np.empty(len(Xf))
            g = X[self.by].astype(str).to_numpy()
            use_pooled = ~np.isin(g, list(self.group_models_))
            if use_pooled.any():
                out[use_pooled] = self.pipeline_.predict(Xf.loc[use_pooled])
            for key, pipe in self.group_models_.items():
                m = g == key
                if m.any():
                    out[m] = pipe.predict(Xf.loc[m])
            return out

    def get_feature_names_out(self) -> np.ndarray:
        """Names of the encoded covariates the model sees (after one-hot encoding and logs)."""
        self._check_fitted()
        return self.pipeline_.named_steps["prep"].get_feature_names_out()


class OLSPMT(_BasePMT):
    """Survey-weighted least-squares PMT of log per-capita consumption.

    Parameters
    ----------
    features : sequence of str, optional
        Covariates. Default: the columns of :data:`PMT_FEATURES` found in ``X`` (all columns of
        a plain matrix). The list used is stored in ``features_``; scoring a table that lacks
        one of them raises :class:`SchemaError`.
    categorical : sequence of str, optional
        Columns to one-hot encode; default every non-numeric feature.
    log_features : sequence of str, optional
        Numeric features entered in logs; default :data:`LOG_FEATURES`.
    by : str, optional
        Fit one model per value of this column (e.g. ``"kec_code"``). A pooled model is always
        fitted too.
    min_group_size : int
        Groups with fewer training rows, and groups absent from training, are scored with the
        pooled model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"hh_size": [1, 2, 3, 4, 5, 6], "asset_tv": [1, 1, 0, 1, 0, 0]})
    >>> y = np.array([13.5, 13.3, 12.9, 13.0, 12.6, 12.5])
    >>> OLSPMT().fit(X, y, sample_weight=np.ones(6)).predict(X).round(2).shape
    (6,)
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        log_features: Sequence[str] | None = None,
        by: str | None = None,
        min_group_size: int = 200,
    ) -> None:
        self.features = features
        self.categorical = categorical
        self.log_features = log_features
        self.by = by
        self.min_group_size = min_group_size

    def _regressor(self) -> Any:
        return LinearRegression()

    @property
    def coef_(self) -> pd.Series:
        """Pooled-model coefficients by encoded covariate name."""
        self._check_fitted()
        m = self.pipeline_.named_steps["model"]
        return pd.Series(m.coef_, index=self.get_feature_names_out(), name="coef")


class QuantilePMT(_BasePMT):
    """Quantile-regression PMT at the poverty-line quantile (Brown, Ravallion & van de Walle 2018).

    Parameters
    ----------
    quantile : float, optional
        The quantile to fit. When ``None`` it is learned in ``fit`` as the weighted share of
        households with ``exp(y)`` below ``poverty_line`` (stored in ``quantile_``).
    poverty_line : float, optional
        Rp per capita per month; used only when ``quantile`` is ``None``.
    features, categorical, log_features, by, min_group_size
        As in :class:`OLSPMT`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"hh_size": [1, 2, 3, 4, 5, 6], "asset_tv": [1, 1, 0, 1, 0, 0]})
    >>> QuantilePMT(quantile=0.2).fit(X, np.log([9e5, 8e5, 4e5, 7e5, 3e5, 3.5e5])).quantile_
    0.2
    """

    def __init__(self, quantile: float | None = None, poverty_line: float | None = None,
                 features: Sequence[str] | None = None, categorical: Sequence[str] | None = None,
                 log_features: Sequence[str] | None = None, by: str | None = None,
                 min_group_size: int = 200) -> None:
        self.quantile = quantile
        self.poverty_line = poverty_line
        self.features = features
        self.categorical = categorical
        self.log_features = log_features
        self.by = by
        self.min_group_size = min_group_size

    def _prepare_target(self, y: np.ndarray, sample_weight: np.ndarray) -> None:
        if self.quantile is not None:
            q = self.quantile
            require(isinstance(q, (float, int)) and 0 < float(q) < 1, self._owner, "quantile",
                    "a float in (0, 1)", q)
            self.quantile_ = float(q)
            return
        z = self.poverty_line
        if z is None or not (np.isfinite(z) and z > 0):
            raise ParameterError(
                f"The 'poverty_line' parameter of {self._owner} must be a positive number "
                f"(Rp per capita per month) when quantile is None. Got {z!r} instead."
            )
        share = float(np.sum(sample_weight * (y < np.log(z))) / np.sum(sample_weight))
        if not 0 < share < 1:
            raise ParameterError(
                f"The 'poverty_line' parameter of {self._owner} must lie inside the "
                f"range of consumption so that a quantile exists. Got {z!r} "
                f"(share below it: {share:.3f}) instead."
            )
        self.quantile_ = share

    def _regressor(self) -> Any:
        return QuantileRegressor(quantile=self.quantile_, alpha=0.0, solver="highs")


class ElasticNetPMT(_BasePMT):
    """Penalised (elastic-net) PMT on standardised covariates.

    Parameters
    ----------
    alpha : float
        Penalty strength (scikit-learn's ``ElasticNet.alpha``).
    l1_ratio : float
        1 is the lasso, 0 ridge.
    features, categorical, log_features, by, min_group_size
        As in :class:`OLSPMT`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"hh_size": [1, 2, 3, 4, 5, 6], "asset_tv": [1, 1, 0, 1, 0, 0]})
    >>> ElasticNetPMT(alpha=0.01).fit(X, np.log([9e5, 8e5, 4e5, 7e5, 3e5, 3.5e5])).predict(X).shape
    (6,)
    """

    _scale_numeric = True

    def __init__(
        self,
        alpha: float = 0.001,
        l1_ratio: float = 0.5,
        features: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        log_features: Sequence[str] | None = None,
        by: str | None = None,
        min_group_size: int = 200,
    ) -> None:
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.features = features
        self.categorical = categorical
        self.log_features = log_features
        self.by = by
        self.min_group_size = min_group_size

    def _regressor(self) -> Any:
        require(isinstance(self.alpha, (float, int)) and self.alpha >= 0, self._owner, "alpha",
                "a non-negative float", self.alpha)
        require(isinstance(self.l1_ratio, (float, int)) and 0 <= self.l1_ratio <= 1, self._owner,
                "l1_ratio", "a float in [0, 1]", self.l1_ratio)
        return ElasticNet(alpha=float(self.alpha), l1_ratio=float(self.l1_ratio), max_iter=10_000)


class LassoPMT(_BasePMT):
    """Lasso PMT (:class:`ElasticNetPMT` with ``l1_ratio=1``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"hh_size": [1, 2, 3, 4, 5, 6], "asset_tv": [1, 1, 0, 1, 0, 0]})
    >>> LassoPMT(alpha=0.01).fit(X, np.log([9e5, 8e5, 4e5, 7e5, 3e5, 3.5e5])).predict(X).shape
    (6,)
    """

    _scale_numeric = True

    def __init__(
        self,
        alpha: float = 0.001,
        features: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        log_features: Sequence[str] | None = None,
        by: str | None = None,
        min_group_size: int = 200,
    ) -> None:
        self.alpha = alpha
        self.features = features
        self.categorical = categorical
        self.log_features = log_features
        self.by = by
        self.min_group_size = min_group_size

    def _regressor(self) -> Any:
        require(isinstance(self.alpha, (float, int)) and self.alpha >= 0, self._owner, "alpha",
                "a non-negative float", self.alpha)
        return ElasticNet(alpha=float(self.alpha), l1_ratio=1.0, max_iter=10_000)


class BoostingPMT(_BasePMT):
    """Gradient-boosting PMT (scikit-learn's ``HistGradientBoostingRegressor``).

    Parameters
    ----------
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Passed to ``HistGradientBoostingRegressor``.
    random_state : int
        Seed (early stopping is off, so fits are deterministic anyway).
    features, categorical, log_features, by, min_group_size
        As in :class:`OLSPMT`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"hh_size": [1, 2, 3, 4, 5, 6] * 10, "asset_tv": [1, 1, 0, 1, 0, 0] * 10})
    >>> BoostingPMT(max_iter=10).fit(X, np.linspace(12, 14, 60)).predict(X).shape
    (60,)
    """

    def __init__(self, max_iter: int = 200, learning_rate: float = 0.05, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 40, l2_regularization: float = 1.0, random_state: int = 0,
                 features: Sequence[str] | None = None, categorical: Sequence[str] | None = None,
                 log_features: Sequence[str] | None = None, by: str | None = None,
                 min_group_size: int = 200) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state
        self.features = features
        self.categorical = categorical
        self.log_features = log_features
        self.by = by
        self.min_group_size = min_group_size

    def _regressor(self) -> Any:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization, early_stopping=False,
            random_state=self.random_state)


# -- out-of-sample validation -------------------------------------------------------------

def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w))


def validate_pmt(
    estimator: _BasePMT,
    X: pd.DataFrame,
    y: Any,
    *,
    sample_weight: Any = None,
    scheme: Literal["kfold", "group", "leave_one_group_out"] = "kfold",
    groups: str | Any = None,
    n_splits: int = 5,
    poverty_line: float | None = None,
    random_state: int = 0,
    alpha: float = 0.05,
) -> EstimateResult:
    """Out-of-sample validation of a PMT by k-fold or by held-out kecamatan.

    Each fold fits a clone of ``estimator`` on the training part and predicts the held-out
    part. Reported per fold and on the pooled out-of-fold predictions (``fold == "all"``):

    - ``r2`` and ``rmse`` of log per-capita consumption (survey-weighted);
    - with ``poverty_line``: ``exclusion_error`` and ``inclusion_error`` of selecting, in the
      held-out part, the households predicted poorest up to the true weighted poverty rate
      (the programme-size benchmark of Grosh et al. 2022, so the two errors are equal in
      expectation), and ``exclusion_error_line`` of selecting those predicted below the line.

    ``std_error`` of the pooled rows is the fold-to-fold standard deviation over
    ``sqrt(n_folds)`` (a rough guide, not a design-based SE).

    Parameters
    ----------
    estimator : PMT estimator (unfitted; cloned per fold)
    X, y, sample_weight : training data as for ``fit``
    scheme : ``"kfold"`` (shuffled ``KFold``), ``"group"`` (``GroupKFold``) or
        ``"leave_one_group_out"`` (``LeaveOneGroupOut``: one kecamatan held out at a time)
    groups : column name of ``X`` or array (required for the grouped schemes)
    n_splits : int
    poverty_line : float, optional (Rp per capita per month)

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"asset_tv": rng.integers(0, 2, 300), "hh_size": rng.integers(1, 8, 300)})
    >>> y = 13 + 0.3 * X.asset_tv - 0.2 * np.log(X.hh_size) + rng.normal(0, .3, 300)
    >>> res = validate_pmt(OLSPMT(), X, y, n_splits=3)
    >>> sorted(set(res.tidy()["term"]))
    ['r2', 'rmse']
    """
    owner = "validate_pmt"
    from ..exceptions import check_option
    check_option(owner, "scheme", scheme, ["kfold", "group", "leave_one_group_out"])
    X = _as_frame(X)
    y = np.asarray(y, dtype=float).ravel()
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float).ravel()
    if scheme == "kfold":
        require(isinstance(n_splits, (int, np.integer)) and 2 <= n_splits <= len(X), owner,
                "n_splits", f"an integer in [2, {len(X)}]", n_splits)
        splits = list(KFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(X))
        gvals = None
    else:
        if groups is None:
            raise ParameterError(f"The 'groups' parameter of {owner} must be a column name or an "
                                 f"array when scheme={scheme!r}. Got None instead.")
        gvals = (
            (X[groups] if isinstance(groups, str) else pd.Series(np.asarray(groups)))
            .astype(str)
            .to_numpy()
        )
        cv = (
            LeaveOneGroupOut() if scheme == "leave_one_group_out" else GroupKFold(n_splits=n_splits)
        )
        splits = list(cv.split(X, y, gvals))
    oof = np.full(len(X), np.nan)
    rows: list[dict[str, Any]] = []
    for k, (tr, te) in enumerate(splits):
        est = clone(estimator).fit(X.iloc[tr], y[tr], sample_weight=w[tr])
        pred = est.predict(X.iloc[te])
        oof[te] = pred
        held = ",".join(sorted(set(gvals[te]))) if gvals is not None else ""
        rows += _fold_metrics(y[te], pred, w[te], poverty_line, fold=str(k + 1), held_out=held)
    pooled = _fold_metrics(y, oof, w, poverty_line, fold="all", held_out="")
    per_fold = pd.DataFrame(rows)
    for r in pooled:
        vals = per_fold.loc[per_fold["term"] == r["term"], "estimate"].to_numpy(float)
        r["std_error"] = (
            float(np.std(vals, ddof=1) / np.sqrt(len(vals))) if len(vals) > 1 else np.nan
        )
    table = pd.DataFrame(pooled + rows)
    table["scheme"] = scheme
    prov = Provenance(method="validate_pmt", options={
        "estimator": repr(estimator), "scheme": scheme, "n_splits": len(splits),
        "poverty_line": poverty_line, "random_state": random_state},
        inputs_hash=hash_frame(X.assign(_y=y, _w=w)), n_input=len(X), n_used=len(X))
    return EstimateResult(table, method="validate_pmt", alpha=alpha, provenance=prov,
                          extras={"oof_prediction": oof})


def _fold_metrics(y: np.ndarray, pred: np.ndarray, w: np.ndarray, line: float | None, *,
                  fold: str, held_out: str) -> list[dict[str, Any]]:
    resid = y - pred
    ybar = _wmean(y, w)
    r2 = 1 - np.sum(w * resid**2) / np.sum(w * (y - ybar) ** 2)
    out = [
        {"term": "r2", "estimate": float(r2)},
        {"term": "rmse", "estimate": float(np.sqrt(_wmean(resid**2, w)))},
    ]
    if line is not None:
        poor = y < np.log(line)
        rate = _wmean(poor.astype(float), w)
        # programme-size benchmark: select the predicted-poorest up to the true poverty rate
        order = np.argsort(pred, kind="stable")
        cum = np.cumsum(w[order]) / np.sum(w)
        sel = np.zeros(len(y), bool)
        sel[order[cum <= rate + 1e-12]] = True
        sel_line = pred < np.log(line)
        wp = np.sum(w * poor)
        out += [
            {
                "term": "exclusion_error",
                "estimate": float(np.sum(w * poor * ~sel) / wp) if wp > 0 else np.nan,
            },
            {
                "term": "inclusion_error",
                "estimate": float(np.sum(w * ~poor * sel) / np.sum(w * sel))
                if np.sum(w * sel) > 0
                else np.nan,
            },
            {
                "term": "exclusion_error_line",
                "estimate": float(np.sum(w * poor * ~sel_line) / wp) if wp > 0 else np.nan,
            },
        ]
    for r in out:
        r.update(std_error=np.nan, n_obs=len(y), fold=fold, held_out=held_out)
    return out
