"""Keyed hashes: what we store instead of an email, a phone number or an IP, so that an
item can be found again by whoever knows the value, while the table alone reveals nothing.

One scheme for every key and attribute: the message is ``<kind>:<value>`` under the
stage's secret hash key (SSM), with ``kind`` naming what is hashed (``email``, ``phone``,
``ip``, ``suppress``, ``ops``, ``rate-email``…) so equal values of different kinds never
share a pseudonym.

- ``keyed_hash``: SHA-256 over ``<key>:<kind>:<value>``, first 128 bits (32 hex). Index
  keys and lookup attributes (review identities, IP signals, the suppression list, ops
  idempotency records, rate counters). Not an HMAC: the construction predates this
  module, and stored items that live for years (IDENT#, SUPPRESS#, reviews'
  ``email_hash``) are found by exactly these values; a key-prefixed SHA-256 of a
  fixed-format message has no length-extension use here (no one is asked to verify a
  tag), so a migration of those items would buy nothing.
- ``keyed_hmac``: HMAC-SHA256 over ``<kind>:<value>``, full length. The deletion proof's
  email hash (tombstones are kept as proof and looked up by it).

Written here rather than taken from a library: two lines over ``hashlib``/``hmac``; the
point of the module is that there is exactly one place that decides the scheme.
"""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(hash_key: str, kind: str, value: str) -> str:
    message = f"{hash_key}:{kind}:{value}".encode()
    return hashlib.sha256(message).hexdigest()[:32]


def keyed_hmac(hash_key: str, kind: str, value: str) -> str:
    return hmac.new(hash_key.encode("utf-8"), f"{kind}:{value}".encode(),
                    hashlib.sha256).hexdigest()
