"""The "Adressvervollständigung": find addresses by the start of any word of their name,
company, email or city, or of their phone number (contract v2, ``GET /agency/addresses?q=``).

Design (no Scan, cost ∝ matches): one index item per (address, folded word) in the
addresses table,

    pk ``SEARCH#<agency>#<first two letters of the word>``   sk ``<word>#<address id>``

so a term (≥ 2 characters) is one ``begins_with`` Query in exactly one partition (the
first two letters spread an agency's words over many partitions). A prefix item per
address and prefix would be exact too but bursts the 100-item transaction limit on a name
change; a word item per address stays at a few dozen. Each item carries the address's
sort position (``o``: folded last name, first name, id), so the result is ordered and
paged without reading an address that is not on the page; the page's addresses are then
read in one BatchGetItem and checked against the query once more (an index item is
written in the same transaction as its address, but a reader between two pages may see a
newer address).

The address keeps the set of its words (``search_words``) so that a change writes exactly
the difference and the erasure deletes exactly these items; the email index mirrors the
searchable fields (``search``) so that a tour registration, which reads only the email
index, can compute the difference too (``chalicelib/privacy/addresses.py``).

Folding is written here, not taken from a library: the contract fixes it precisely (NFKC,
casefold, ä→ae ö→oe ü→ue ß→ss, other diacritics dropped), and a general transliteration
library (unidecode, ICU) maps ä to a, which the contract forbids.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SEARCH_FIELDS = ("first_name", "last_name", "company", "city", "phone")
WORD_FIELDS = ("first_name", "last_name", "company", "city")
MAX_WORDS = 30
MAX_WORD = 100
MIN_TERM = 2
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_SPLIT = re.compile(r"[^\w]+|_")
_EMAIL_SPLIT = re.compile(r"[.@\-_+]+")
_PHONE_LIKE = re.compile(r"^\+?[0-9()/.\-]+$")
ORDER_SEP = "\x01"


def fold(text: str) -> str:
    """NFKC, casefold, the German umlauts spelled out, every other diacritic dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold leaves ä/ö/ü composed after NFKC; a stray combining diaeresis is composed
    # by NFKC onto its letter first, so "u\u0308" becomes "ue" as well.
    folded = folded.translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFD", folded)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def phone_digits(value: str) -> str:
    """One spelling of a number: ``+49 30…``, ``0049 30…`` and ``030…`` all give
    ``030…``; another country's ``+43 1…``/``0043 1…`` give ``00431…``."""
    raw = value.strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        digits = "00" + digits
    if digits.startswith("0049"):
        digits = "0" + digits[4:]
    return digits


def _words(text: str) -> set[str]:
    found: set[str] = set()
    for chunk in fold(text).split():
        found.add(chunk)
        found.update(part for part in _SPLIT.split(chunk) if part)
    return found


def words_of(address: Mapping[str, Any]) -> set[str]:
    """The folded words an address is found by (each ≥ 2 characters)."""
    found: set[str] = set()
    for name in WORD_FIELDS:
        if address.get(name):
            found |= _words(str(address[name]))
    email = address.get("email")
    if email:
        whole = fold(str(email))
        found.add(whole)
        found.update(p for p in _EMAIL_SPLIT.split(whole) if p)
    if address.get("phone"):
        found.add(phone_digits(str(address["phone"])))
    words = sorted(w for w in found if MIN_TERM <= len(w) <= MAX_WORD)
    return set(words[:MAX_WORDS])


def order_key(address: Mapping[str, Any]) -> str:
    return ORDER_SEP.join((fold(address.get("last_name") or ""),
                           fold(address.get("first_name") or ""), address["address_id"]))


def search_pk(agency_id: str, word: str) -> str:
    return f"SEARCH#{agency_id}#{word[:MIN_TERM]}"


def token_key(agency_id: str, word: str, address_id: str) -> tuple[str, str]:
    return search_pk(agency_id, word), f"{word}#{address_id}"


def mirror_fields(address: Mapping[str, Any]) -> dict[str, str]:
    """What the email index mirrors of the searchable fields (the email is its key)."""
    return {name: str(address[name]) for name in SEARCH_FIELDS if address.get(name)}


def terms(q: str) -> list[list[str]]:
    """The query's terms, each as the prefixes that may match it: its folded text and,
    for a phone-like term, its digits. Runs of phone-like parts are one number
    ("+49 30 123" is one term), as people type phone numbers with spaces."""
    parts = q.split()
    merged: list[str] = []
    for part in parts:
        if merged and _PHONE_LIKE.match(part) and _PHONE_LIKE.match(merged[-1]) \
                and any(c.isdigit() for c in part):
            merged[-1] += part
        else:
            merged.append(part)
    found: list[list[str]] = []
    for part in merged:
        prefixes = {fold(part)}
        if _PHONE_LIKE.match(part) and any(c.isdigit() for c in part):
            prefixes.add(phone_digits(part))
        prefixes = {p for p in prefixes if MIN_TERM <= len(p) <= MAX_WORD}
        if prefixes:
            found.append(sorted(prefixes))
    return found


def matches(address: Mapping[str, Any], query_terms: Iterable[list[str]]) -> bool:
    words = words_of(address)
    return all(any(w.startswith(p) for w in words for p in prefixes)
               for prefixes in query_terms)


# -- writes (inside the address's own transaction) ----------------------------------------

def stage_words(tx: Any, table: Any, agency_id: str, address_id: str,
                before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
                ) -> set[str] | None:
    """Adds to ``tx`` the index items that turn ``before``'s words into ``after``'s (None:
    no address). Returns the new word set to store on the address, or None if nothing
    changed."""
    old_words = set((before or {}).get("search_words") or ())
    new_words = words_of(after) if after else set()
    old_order = (before or {}).get("search_order")
    new_order = order_key({**after, "address_id": address_id}) if after else None
    if old_words == new_words and old_order == new_order:
        return None
    for word in sorted(old_words - new_words):
        tx.delete(table, *token_key(agency_id, word, address_id), label="search")
    rewrite = new_words if old_order != new_order else new_words - old_words
    for word in sorted(rewrite):
        pk, sk = token_key(agency_id, word, address_id)
        tx.put(table, {"pk": pk, "sk": sk, "a": address_id, "o": new_order}, label="search")
    return new_words


def index_sets(words: set[str] | None, after: Mapping[str, Any], address_id: str
               ) -> tuple[dict[str, Any], list[str]]:
    """The address attributes that record its words: (sets, removes). DynamoDB stores no
    empty set, so no words means the attribute goes."""
    if words is None:
        return {}, []
    order = order_key({**after, "address_id": address_id})
    if words:
        return {"search_words": set(words), "search_order": order}, []
    return {"search_order": order}, ["search_words"]


@dataclass
class LeadWords:
    """What a lead's update adds to its address and email-index writes."""

    address_sets: dict[str, Any] = field(default_factory=dict)
    address_removes: list[str] = field(default_factory=list)
    index_sets: dict[str, Any] = field(default_factory=dict)
    index_guard: str = ""
    index_params: dict[str, Any] = field(default_factory=dict)


def stage_lead(tx: Any, table: Any, agency_id: str, address_id: str,
               mirrored: dict[str, str] | None, email: str, given: Mapping[str, Any]
               ) -> LeadWords:
    """The search-index part of a lead updating an existing address, computed from the
    email index's mirror of the searchable fields (the registration reads nothing else).
    The index write is guarded on that mirror, so a concurrent change fails the
    transaction and the caller reads again. Without a mirror (an address older than the
    index) every word is written: an overwrite is harmless."""
    before = {**(mirrored or {}), "email": email, "address_id": address_id}
    after = {**before, **{k: v for k, v in given.items() if k in SEARCH_FIELDS and v}}
    old = ({"search_words": words_of(before), "search_order": order_key(before)}
           if mirrored is not None else None)
    words = stage_words(tx, table, agency_id, address_id, old, after)
    result = LeadWords()
    result.address_sets, result.address_removes = index_sets(words, after, address_id)
    fields = mirror_fields(after)
    if mirrored is None:
        result.index_sets["search"] = fields
        result.index_guard = " AND attribute_not_exists({search})"
    elif fields != mirrored:
        result.index_sets["search"] = fields
        result.index_guard = " AND {search} = {:s}"
        result.index_params["s"] = mirrored
    return result
