"""The header suggester's synonym table (found by mypy in issue 16)."""
from kassaki_eval.data.suggest import SYNONYMS, match_header


def test_every_synonym_entry_is_a_tuple_of_words():
    # ("desa program") without the comma was a string: its letters became one-letter synonyms
    for name, words in SYNONYMS.items():
        assert isinstance(words, tuple), name
        assert all(isinstance(w, str) and len(w) > 1 for w in words), name


def test_desa_program_is_the_treated_village_and_a_letter_is_not():
    assert match_header("desa program", "survey") == ("treated_village", 1.0)
    target, score = match_header("p", "survey")
    assert not (target == "treated_village" and score == 1.0)
