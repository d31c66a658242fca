"""Why csdid's DR-with-covariates standard errors differ from R DRDID / moderndid / ours.

R DRDID::drdid_rc (github.com/pedrohcgs/DRDID, R/drdid_rc.R, master 654531e; the same lines
since the first commit 37e834c) adds the base-period estimation effect of the control outcome
regression:
    inf.treat.or <- inf.treat.or.post + inf.treat.or.pre
    inf.cont.or  <- inf.cont.or.post  + inf.cont.or.pre
moderndid 0.2.0 (moderndid/drdid/estimators/drdid_rc.py) copies it; csdid 0.4.3
(csdid/attgt_fnc/drdid_trim.py::drdid_rc) and, since session 12 (2026-12-04), kassaki_eval
(impact/staggered.py, locally efficient DR for repeated cross-sections) subtract it
(``inf_treat_or_post - inf_treat_or_pre``, same for the control part): the derivative of the
estimate. Everything else is the same.

This script copies kassaki_eval to a temporary directory, puts R's two signs back there, and
compares both versions with the committed peer outputs (cs_mpdta_rc_peers.csv,
cs_mpdta_unbalanced_csdid.csv). Run from the repository root:
  .venv/bin/python tests/references/did/check_drdid_rc_sign.py > tests/references/did/check_drdid_rc_sign_output.txt
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REF = ROOT / "tests" / "references" / "did"
OLD = ("inf_treat = i_tpost - i_tpre + lin_c_post @ M1_post - lin_c_pre @ M1_pre",
       "inf_cont = i_cpost - i_cpre + inf_ps + lin_c_post @ M3_post - lin_c_pre @ M3_pre")

CHECK = f'''
import warnings, numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from kassaki_eval.impact.staggered import callaway_santanna
m = pd.read_csv("{REF}/mpdta.csv")
r = pd.read_csv("{REF}/cs_mpdta_rc_peers.csv")
res = callaway_santanna(m, y="lemp", unit=None, time="year", cohort="first.treat", method="dr",
                        covariates=["lpop"], panel="cross_section")
tab = res.tidy().set_index("term")
for peer in ("moderndid", "csdid"):
    ref = r[(r.peer == peer) & (r.config == "dr_never_lpop") & (r.kind == "attgt")].set_index("term")
    d = np.max(np.abs(tab.loc[ref.index, "std_error"] / ref["std_error"] - 1))
    print(f"  repeated cross-sections, DR + lpop: max relative SE difference to {{peer}}: {{d:.2e}}")
u = pd.read_csv("{REF}/cs_mpdta_unbalanced_csdid.csv")
mu = m.drop(index=m.sample(frac=0.1, random_state=1).index)
res = callaway_santanna(mu, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                        method="dr", covariates=["lpop"], panel="unbalanced")
tab = res.tidy().set_index("term")
ref = u[(u.config == "dr_never_lpop") & (u.kind == "attgt")].set_index("term")
d = np.max(np.abs(tab.loc[ref.index, "std_error"] / ref["std_error"] - 1))
print(f"  unbalanced panel, DR + lpop: max relative SE difference to csdid: {{d:.2e}}")
'''


def run(pkg_root: Path, label: str) -> None:
    print(label, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "check.py"
        script.write_text(CHECK)
        subprocess.run([sys.executable, str(script)], check=True,
                       env={"PYTHONPATH": str(pkg_root), "PATH": "/usr/bin:/bin"})


def main() -> None:
    run(ROOT, "kassaki_eval as is (csdid's '-', the derivative):")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "kassaki_eval", Path(tmp) / "kassaki_eval")
        f = Path(tmp) / "kassaki_eval" / "impact" / "staggered.py"
        s = f.read_text()
        assert all(o in s for o in OLD)
        s = s.replace(OLD[0], OLD[0].replace("- lin_c_pre @ M1_pre", "+ lin_c_pre @ M1_pre"))
        s = s.replace(OLD[1], OLD[1].replace("- lin_c_pre @ M3_pre", "+ lin_c_pre @ M3_pre"))
        f.write_text(s)
        run(Path(tmp), "the two base-period signs flipped back (R DRDID's '+'):")


if __name__ == "__main__":
    main()
