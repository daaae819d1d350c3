"""The curated German insult lexicon and the text normalization it is matched after.

Normalization undoes the usual disguises: case, umlauts and ß (``ü`` and ``ue`` are the
same), leetspeak digits (``B3trüg3r``), repeated letters (``Betrüüüger``) and letters
split by spaces, dots or dashes (``B e t r ü g e r``, ``I.d.i.o.t``, ``Be-trü-ger``).
The lexicon itself lives in ``lexicon_de.txt`` beside this module.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

LEXICON_FILE = Path(__file__).with_name("lexicon_de.txt")

_LEET = str.maketrans({"3": "e", "1": "i", "0": "o", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "€": "e"})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_LETTER = r"[^\W\d_]"
# "!" or "|" standing for an i between letters (Id!ot, B|öd).
_BANG_AS_I = re.compile(rf"(?<={_LETTER})[!|](?={_LETTER})")
# Separators inside a word: B.e.t.r.ü.g.e.r, Be-trü-ger, I_d_i_o_t, Ar*schloch.
_IN_WORD_SEPARATORS = re.compile(rf"(?<={_LETTER})[.\-_*·•'’‐‑–]+(?={_LETTER})")
_WORDS = re.compile(rf"{_LETTER}+")
_REPEATS = re.compile(r"(.)\1+")
ENDINGS = ("", "e", "en", "er", "es", "em", "n", "s", "in", "innen", "ern", "nen")
MIN_SPLIT_RUN = 3


def _collapse(word: str) -> str:
    return _REPEATS.sub(r"\1", word)


def _fold(word: str) -> str:
    word = word.translate(_UMLAUTS)
    # Any other diacritic goes (é → e), so "Betrüger" written with a combining mark matches.
    return "".join(c for c in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(c))


def canonical(word: str) -> str:
    """The form both the lexicon and a text's words are compared in."""
    word = unicodedata.normalize("NFKC", word).casefold().translate(_LEET)
    # Collapse before and after folding: "üüü" → "ü" → "ue"; "ss" → "s". Folding may
    # uncover capitals (NFKD of "𝓐" is "A"), so case is folded once more.
    return _collapse(_fold(_collapse(word)).casefold())


def words(text: str) -> list[str]:
    """The text's words in canonical form, with split-up words joined again."""
    # lower(), not casefold(): "ß" must stay one letter in "s c h e i ß k e r l" (canonical
    # folds it per word).
    text = unicodedata.normalize("NFKC", text).lower().translate(_LEET)
    # A mark NFKC could not compose would split the word ("ü" plus a second diaeresis,
    # "u.¨.g"): a lone diaeresis is the German "e" of "ue", any other mark goes.
    text = "".join(c for c in text.replace("\u0308", "e") if not unicodedata.combining(c))
    text = _BANG_AS_I.sub("i", text)
    text = _IN_WORD_SEPARATORS.sub("", text)
    raw = _WORDS.findall(text)
    joined: list[str] = []
    run: list[str] = []
    for word in [*raw, ""]:
        if len(word) == 1:
            run.append(word)
            continue
        if len(run) >= MIN_SPLIT_RUN:
            joined.append("".join(run))  # "i d i o t" → "idiot"
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return [canonical(w) for w in joined]


@dataclass(frozen=True)
class Entry:
    word: str                 # as written in the lexicon (shown to QA)
    stem: str                 # canonical
    forms: frozenset[str]     # canonical inflected forms
    prefix: bool = False
    suffix: bool = False

    def matches(self, token: str) -> bool:
        if token in self.forms:
            return True
        if self.suffix and any(token.endswith(form) for form in self.forms):
            return True
        return self.prefix and token.startswith(self.stem)


@dataclass(frozen=True)
class Lexicon:
    entries: tuple[Entry, ...]
    allowed: frozenset[str]

    def find(self, text: str) -> list[str]:
        """The lexicon words found in ``text`` (each once, in order of appearance).

        Each distinct token is looked up once, in the index below: a token costs a few
        dict lookups per distinct form length instead of a pass over every entry and form
        (16 KB of distinct words took ~0.3 s that way; issue 19). The answer is the one of
        the first entry whose ``Entry.matches`` holds, as before."""
        found: dict[str, None] = {}
        for token in dict.fromkeys(words(text)):
            if len(token) < 3 or token in self.allowed:
                continue
            entry = self._first_match(token)
            if entry is not None:
                found.setdefault(entry.word)
        return list(found)

    @functools.cached_property
    def _index(self) -> tuple[dict[str, int], dict[str, int], dict[str, int],
                              tuple[int, ...], tuple[int, ...]]:
        """Form → first entry index for exact forms, suffix forms and prefix stems, and
        the lengths of the suffix forms and prefix stems."""
        exact: dict[str, int] = {}
        suffixes: dict[str, int] = {}
        prefixes: dict[str, int] = {}
        for position, entry in enumerate(self.entries):
            for form in entry.forms:
                exact.setdefault(form, position)
                if entry.suffix:
                    suffixes.setdefault(form, position)
            if entry.prefix:
                prefixes.setdefault(entry.stem, position)
        return (exact, suffixes, prefixes, tuple(sorted({len(f) for f in suffixes})),
                tuple(sorted({len(p) for p in prefixes})))

    def _first_match(self, token: str) -> Entry | None:
        exact, suffixes, prefixes, suffix_lengths, prefix_lengths = self._index
        candidates = []
        if token in exact:
            candidates.append(exact[token])
        size = len(token)
        for length in suffix_lengths:
            if length <= size and token[size - length:] in suffixes:
                candidates.append(suffixes[token[size - length:]])
        for length in prefix_lengths:
            if length <= size and token[:length] in prefixes:
                candidates.append(prefixes[token[:length]])
        return self.entries[min(candidates)] if candidates else None


def parse(lines: list[str]) -> Lexicon:
    entries: list[Entry] = []
    allowed: set[str] = set()
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("!"):
            allowed.add(canonical(line[1:].strip()))
            continue
        word, *modes = line.split()
        unknown = set(modes) - {"prefix", "suffix"}
        if unknown:
            raise ValueError(f"unknown lexicon mode {sorted(unknown)} for {word!r}")
        stem = canonical(word)
        forms = frozenset(canonical(word + ending) for ending in ENDINGS)
        entries.append(Entry(word, stem, forms, "prefix" in modes, "suffix" in modes))
    return Lexicon(tuple(entries), frozenset(allowed))


@functools.cache
def default_lexicon() -> Lexicon:
    return parse(LEXICON_FILE.read_text(encoding="utf-8").splitlines())
