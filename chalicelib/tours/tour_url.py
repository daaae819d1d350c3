"""A tour's ``tour_url`` as it is stored and put into ``Location`` headers and mails: an
ASCII URI (IDNA host, percent-encoded path and query) that must use ``https``, except
``http://127.0.0.1…``/``http://localhost…`` on the local stack (v2 contract, Tours).

Why: the unlock redirect hands the viewer token to this URL, so plain ``http`` would carry
it over the network unencrypted (in the fragment, but to a page any network hop can
rewrite); and a non-ASCII URL (an IRI such as ``https://küche.example/rundgänge``) cannot
be written into an HTTP header — the unlock committed and then the response crashed, the
link used up and the prospect never redirected (issue 19). Hosts go through the ``idna``
package (IDNA 2008 with UTS #46 mapping: ``straße.de`` stays a domain of its own, as
browsers resolve it), which email-validator already brings.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import idna

LOCAL_HTTP_HOSTS = frozenset({"127.0.0.1", "localhost"})
_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = _PATH_SAFE + "?"


class TourUrlError(ValueError):
    """The German reason, shown as ``fields.tour_url``."""


def _host(host: str) -> str:
    if host.startswith("["):
        # An IPv6 literal: hex digits, colons, dots (an embedded IPv4) only.
        if not re.fullmatch(r"\[[0-9a-fA-F:.]{2,45}\]", host):
            raise TourUrlError("hat einen ungültigen Host")
        return host.lower()
    labels = host.rstrip(".").split(".")
    out = []
    for label in labels:
        if label.isascii():
            label = label.lower()
            if not _ASCII_LABEL.fullmatch(label):
                raise TourUrlError("hat einen ungültigen Host")
            out.append(label)
            continue
        try:
            out.append(idna.encode(label, uts46=True).decode("ascii"))
        except idna.IDNAError as exc:
            raise TourUrlError("hat einen ungültigen internationalen Domainnamen") from exc
    result = ".".join(out)
    if not result or len(result) > 253:
        raise TourUrlError("hat einen ungültigen Host")
    return result


def _encoded(text: str, safe: str) -> str:
    # Keeps existing %XX escapes; a "%" that starts none is a literal percent sign.
    return quote(_STRAY_PERCENT.sub("%25", text), safe=safe)


def ascii_uri(value: str) -> str:
    """``value`` (a URI or an IRI with scheme and host) as an ASCII URI. Raises
    ``TourUrlError`` for anything that is not an absolute http(s) URL."""
    value = value.strip()
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise TourUrlError("darf keine Leer- oder Steuerzeichen enthalten")
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. brackets around something that is no IPv6 address
        raise TourUrlError("hat einen ungültigen Host") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise TourUrlError("muss eine https-URL sein")
    if parts.fragment or value.endswith("#"):
        raise TourUrlError("darf keinen #-Anker enthalten (er wird für die Freischaltung "
                           "genutzt)")
    if "@" in parts.netloc:
        raise TourUrlError("darf keine Zugangsdaten (name@host) enthalten")
    hostport = parts.netloc
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        host, rest = hostport[:end + 1], hostport[end + 1:]
        if rest and not rest.startswith(":"):
            raise TourUrlError("hat einen ungültigen Host")
        port = rest[1:]
    elif ":" in hostport:
        host, port = hostport.rsplit(":", 1)
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise TourUrlError("hat einen ungültigen Port")
    default = {"http": "80", "https": "443"}[scheme]
    netloc = _host(host) + (f":{int(port)}" if port and str(int(port)) != default else "")
    uri = f"{scheme}://{netloc}{_encoded(parts.path, _PATH_SAFE)}"
    if parts.query:
        uri += "?" + _encoded(parts.query, _QUERY_SAFE)
    return uri


def check_scheme(uri: str, *, local: bool) -> str:
    """``https`` always; ``http`` only to this machine on the local stack (the demo
    player). ``uri`` is already ``ascii_uri``'s answer."""
    parts = urlsplit(uri)
    if parts.scheme == "https":
        return uri
    if local and parts.hostname in LOCAL_HTTP_HOSTS:
        return uri
    raise TourUrlError("muss mit https:// beginnen (der Zugang zum Rundgang wird darüber "
                       "übergeben)")


def redirect_target(stored: str) -> str:
    """What a ``Location`` header gets for a stored tour_url: tours saved before the
    ASCII rule may still hold an IRI (or plain http, which keeps working until the next
    PUT). Never raises: an unparseable legacy value is percent-encoded as a whole."""
    try:
        return ascii_uri(stored)
    except TourUrlError:
        return quote(stored, safe=_QUERY_SAFE + "#")
