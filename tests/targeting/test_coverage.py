"""Monte Carlo: design-based 95 % CIs of targeting errors cover the population value.

Population: 48,000 households in 4 strata x 40 villages (tests/targeting/conftest.py's
generator; village effects make villages real clusters). Rule: select households whose
log consumption plus N(0, 0.35) noise is in the bottom 30 %. Each draw samples 8 villages per
stratum (simple random, without replacement) and 25 households per village; weights are the
inverse inclusion probabilities. 400 draws: the Monte Carlo SE of a 95 % coverage rate is
about 1.1 pp, so the accepted band is [0.92, 0.98] (the with-replacement variance ignores the
8/40 sampling fraction, which makes intervals slightly conservative).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.targeting import targeting_accuracy

from .conftest import make_households

DRAWS = 400


@pytest.mark.slow
def test_ci_coverage_of_exclusion_and_inclusion_errors():
    pop = make_households(48_000, seed=5, n_kec=4, villages_per_kec=40)
    rng = np.random.default_rng(99)
    noisy = np.log(pop.consumption_pc) + rng.normal(0, 0.35, len(pop))
    pop["selected"] = (noisy < np.quantile(noisy, 0.30)).astype(int)
    line = float(pop.consumption_pc.quantile(0.15))
    poor = pop.consumption_pc < line
    truth = {"exclusion_error": float((poor & (pop.selected == 0)).sum() / poor.sum()),
             "inclusion_error": float((~poor & (pop.selected == 1)).sum() / pop.selected.sum())}
    vil = pop.groupby(["stratum", "village_code"]).indices
    by_stratum: dict[str, list[tuple[str, np.ndarray]]] = {}
    for (st, v), idx in vil.items():
        by_stratum.setdefault(st, []).append((v, idx))
    hits = {k: 0 for k in truth}
    for _ in range(DRAWS):
        parts = []
        for st, vs in by_stratum.items():
            for j in rng.choice(len(vs), 8, replace=False):
                idx = vs[j][1]
                take = rng.choice(idx, 25, replace=False)
                parts.append(pop.iloc[take].assign(weight=(len(vs) / 8) * (len(idx) / 25)))
        sample = pd.concat(parts, ignore_index=True)
        t = targeting_accuracy(sample, poverty_line=line, benchmarks=("poverty_line",), by=(),
                               deciles=False).tidy()
        t = t[t.benchmark == "poverty_line"].set_index("term")
        for k, v in truth.items():
            hits[k] += int(t.loc[k, "conf_low"] <= v <= t.loc[k, "conf_high"])
    rates = {k: h / DRAWS for k, h in hits.items()}
    print("coverage of 95% CIs over", DRAWS, "draws:", rates)
    for k, r in rates.items():
        assert 0.92 <= r <= 0.98, (k, r)
