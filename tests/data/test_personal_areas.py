"""data/personal.py: the name-column share rule (seed-21 sample, session 12; issue 18)."""
from __future__ import annotations

import pandas as pd

from kassaki_eval.data.personal import PersonalColumn, personal_columns

# made-up given names (no real person) and codes with digits (never name-shaped)
_WORDS = ["Budi", "Sari", "Andi", "Dewi", "Rina", "Tono", "Wati", "Joko"]
_CODES = ["A1", "B2", "C3"]


def test_a_text_column_is_a_name_column_from_80_percent_name_shaped_values():
    """The rule (personal._classify): at least 5 values, >= 80 % shaped like names (words, no
    digits) and >= 50 % distinct. 8 of 10 is flagged, 7 of 10 is not (a column name with no
    hint, so only the values decide). Kills x__classify__mutmut_108 (n_words * n >= 0.8, which
    flags any column with one capitalised word)."""
    eight = pd.DataFrame({"keterangan": _WORDS[:8] + _CODES[:2]})
    assert personal_columns(eight) == [PersonalColumn(
        "keterangan", "name", 8, "8 values shaped like personal names, 100% distinct")]
    seven = pd.DataFrame({"keterangan": _WORDS[:7] + _CODES})
    assert personal_columns(seven) == []


def test_an_all_missing_id_column_is_not_mangled():
    """An export's empty NIK column (every value missing, object dtype) goes through the Arrow
    path as a string array of nulls and is simply not mangled. Kills
    x__mangled_parts__mutmut_8 (the Arrow type inferred: a null array, and string_is_ascii
    has no kernel for it: ArrowNotImplementedError)."""
    from kassaki_eval.data.personal import float_mangled
    assert float_mangled(pd.Series([None, None, None], dtype=object)).tolist() == [False] * 3
