"""A disclosure attack on published tables: linear programming over every published total.

Attacker model (the usual one for secondary cell suppression, e.g. tau-ARGUS' audit and
sdcTable's ``attack()``): the attacker knows every published number and every additive
relation between them (a total is the sum of its parts), and that counts and shares are not
negative; the attacker does not know which suppressed cells were below ``k``. For each
suppressed cell the attacker computes the smallest and largest value consistent with all of
that (two linear programs). A cell is *recovered* when that interval is narrower than
``tol`` (half a household for counts): the exact value is known.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

__all__ = ["System", "attack"]


@dataclass
class System:
    """Additive relations: ``sum(coef * var) = rhs`` with known values substituted."""

    known: dict[tuple, float] = field(default_factory=dict)
    unknown: list[tuple] = field(default_factory=list)
    rows: list[tuple[dict[tuple, float], float]] = field(default_factory=list)

    def value(self, var: tuple, v: float | None) -> None:
        """A published value (``None``/NaN: suppressed, an unknown)."""
        if v is None or (isinstance(v, float) and np.isnan(v)):
            if var not in self.unknown and var not in self.known:
                self.unknown.append(var)
        else:
            if var in self.unknown:  # published by another table: the attacker knows it
                self.unknown.remove(var)
            self.known[var] = float(v)

    def total(self, parts: list[tuple], total: float) -> None:
        """``sum(parts) = total`` (a published relation)."""
        self.rows.append(({p: 1.0 for p in parts}, float(total)))


def attack(system: System, tol: dict[str, float] | None = None
           ) -> dict[tuple, tuple[float, float]]:
    """Feasibility interval (min, max) of every unknown; see the module docstring."""
    unk = [u for u in system.unknown if u not in system.known]
    if not unk:
        return {}
    pos = {u: i for i, u in enumerate(unk)}
    a_eq, b_eq = [], []
    for coefs, rhs in system.rows:
        row = np.zeros(len(unk))
        b = rhs
        used = False
        for var, c in coefs.items():
            if var in pos:
                row[pos[var]] += c
                used = True
            elif var in system.known:
                b -= c * system.known[var]
            else:
                raise KeyError(f"variable {var} neither published nor suppressed")
        if used:
            a_eq.append(row)
            b_eq.append(b)
    out = {}
    for u, i in pos.items():
        c = np.zeros(len(unk))
        c[i] = 1.0
        lo = linprog(c, A_eq=np.array(a_eq) if a_eq else None,
                     b_eq=np.array(b_eq) if b_eq else None, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=np.array(a_eq) if a_eq else None,
                     b_eq=np.array(b_eq) if b_eq else None, bounds=(0, None), method="highs")
        if lo.status == 2 or hi.status == 2:
            # the stated relations contradict the published numbers: the attack model is
            # wrong, and a "nothing recovered" from it would mean nothing
            raise AssertionError(f"published numbers violate the stated relations ({u})")
        lo_v = lo.fun if lo.status == 0 else 0.0
        hi_v = -hi.fun if hi.status == 0 else np.inf  # unbounded above
        out[u] = (float(lo_v), float(hi_v))
    return out
