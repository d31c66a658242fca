"""``kassaki-eval ingest``'s refusal to overwrite its input, pinned whole (issue 18, session 14,
helper mutX; kassaki_eval/data/cli.py).

The seed-21 sample of data/cli.py had no survivor; this area was pinned by a substring only
(tests/data/test_cli.py): the message word for word (kassaki_eval/data/cli.py's template,
through ``main``'s ``kassaki-eval <command>: error:`` line), the same file written another
way (``sub/../p3ke.csv``: the paths are compared resolved), and the refusal coming before the
file is read (a raw registry without --demo or a key would otherwise fail on the key).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from kassaki_eval.cli import main


def test_ingest_refuses_to_write_over_its_input_whatever_the_spelling(tmp_path: Path, capsys,
                                                                     monkeypatch):
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    (tmp_path / "sub").mkdir()
    src = tmp_path / "p3ke.csv"
    src.write_text("no_kk,nik_head,name_head\n7310010101900001,7310010101900002,Zafira\n")
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    other = str(tmp_path / "sub" / ".." / "p3ke.csv")
    for out in (str(src), other):
        assert main(["ingest", str(src), "--table", "registry", "--out", out, "--force"]) == 2
        cap = capsys.readouterr()
        assert cap.out == ""
        assert cap.err == (f"kassaki-eval ingest: error: The '--out' parameter of kassaki-eval "
                           f"ingest must differ from the input (the raw file is never "
                           f"modified). Got {out!r} instead.\n")
        # no NIK, KK number or name from the file in the message
        assert not any(s in cap.err for s in ("7310010101900001", "7310010101900002", "Zafira"))
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
