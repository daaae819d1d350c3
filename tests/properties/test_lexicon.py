"""Lexicon normalization (check ``abusive_language``): any Unicode text is handled without
an error, normalized words are a fixed point of the normalization, and every lexicon
word still matches when disguised the usual ways (case, umlaut spelling, leetspeak,
repeated letters, letters split by spaces, dots or dashes) inside an ordinary sentence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.reviews.checks import abusive_words, contact_data
from chalicelib.reviews.lexicon import canonical, default_lexicon, words

LEXICON = default_lexicon()
ENTRIES = [entry.word for entry in LEXICON.entries]
LEET = {"e": "3", "i": "1", "o": "0", "a": "4", "s": "5", "t": "7"}
UMLAUTS = {"ä": ["ä", "ae", "a\u0308", "Ä"], "ö": ["ö", "oe", "o\u0308", "Ö"],
           "ü": ["ü", "ue", "u\u0308", "Ü"], "ß": ["ß", "ss"]}
SENTENCES = ["Der Makler ist ein {} und das sage ich laut.", "{}!", "Also wirklich: {}.",
             "Termine nie eingehalten, {}, nie wieder."]
# Everything Unicode has, surrogates aside (JSON bodies cannot carry them).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=400)


@given(any_text)
def test_any_text_is_handled(text: str) -> None:
    found = abusive_words(text)
    assert isinstance(found, list) and all(word in ENTRIES for word in found)
    assert isinstance(contact_data(text), list)
    assert all(isinstance(word, str) for word in words(text))


@given(any_text)
def test_normalized_words_are_a_fixed_point(text: str) -> None:
    for word in words(text):
        assert canonical(word) == word


@given(st.text(st.characters(categories=["L", "M"]), min_size=1, max_size=40))
def test_canonical_is_idempotent_on_words(word: str) -> None:
    """What ``canonical`` is given: words (letters and their combining marks)."""
    once = canonical(word)
    assert canonical(once) == once


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    word = draw(st.sampled_from(ENTRIES))
    separator = draw(st.sampled_from(["", "", "", ".", "-", " ", "_", "*"]))
    chars: list[str] = []
    for char in word:
        if char in UMLAUTS:
            spelled = draw(st.sampled_from(UMLAUTS[char]))
        elif char in LEET and draw(st.integers(0, 3)) == 0:
            spelled = LEET[char]
        else:
            spelled = char.upper() if draw(st.booleans()) else char
        # Repeated letters: "Betrüüüger", "Betrueeeger" (the last letter of the spelling).
        spelled += spelled[-1] * draw(st.sampled_from([0, 0, 0, 1, 2]))
        # A separator goes between letters, so a two-letter spelling ("ue") is split too.
        chars.extend(spelled if separator else [spelled])
    sentence = draw(st.sampled_from(SENTENCES))
    return word, sentence.format(separator.join(chars))


@given(disguised())
def test_disguised_lexicon_words_are_still_caught(case: tuple[str, str]) -> None:
    word, text = case
    assert abusive_words(text), (word, text)


@given(st.sampled_from(SENTENCES))
def test_the_sentences_alone_are_clean(sentence: str) -> None:
    assert abusive_words(sentence.format("Beratung")) == []
