"""Panoramas behind the gate: the agency uploads a picture per viewpoint straight to the
private bucket (presigned PUT), ``complete`` checks what arrived, the player gets a
short-lived presigned GET — for a protected viewpoint only with an unlocked viewer token.

Objects: ``uploads/<tour>/<id>`` while an upload waits for ``complete`` (the bucket's
lifecycle removes forgotten ones after a day), ``media/<tour>/<id>`` once checked. Every
upload gets a new id, so a replaced picture never answers under an old URL.

Items in the tours table (owned here):
- ``TOUR#<tour>`` / ``MEDIA#<viewpoint>``  the viewpoint's picture and/or pending upload
- ``TOUR#<tour>`` / ``MEDIACOUNT``         how many viewpoints have an item (≤ 500)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.body import Body
from chalicelib.clock import Clock, iso, parse_iso
from chalicelib.errors import Conflict, NotFound, Unauthorized, Unavailable, ValidationFailed
from chalicelib.secrets_util import new_id
from chalicelib.storage.dynamo import (
    Condition,
    ConditionFailed,
    Item,
    Table,
    Transaction,
    TransactionCancelled,
    Update,
)
from chalicelib.storage.media_bucket import MediaBucket
from chalicelib.tours.model import valid_viewpoint_id
from chalicelib.tours.repository import registration_key, tour_key

MAX_BYTES = 100 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
VIEW_SECONDS = 10 * 60
MAX_VIEWPOINTS = 500
ContentType = Literal["image/jpeg", "image/png", "image/webp"]
TYPE_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}


class NotUnlocked(Unauthorized):
    code = "not_unlocked"
    message = "Dieser Standpunkt ist erst nach der Freischaltung sichtbar."


class MediaUpload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    content_type: ContentType
    size: int = Field(ge=1, le=MAX_BYTES)


def sniff(head: bytes) -> str | None:
    """The picture type its first bytes say (the declared type is not trusted)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def media_key(tour_id: str, viewpoint_id: str) -> tuple[str, str]:
    return f"TOUR#{tour_id}", f"MEDIA#{viewpoint_id}"


def _count_key(tour_id: str) -> tuple[str, str]:
    return f"TOUR#{tour_id}", "MEDIACOUNT"


# (tour id, registration item or None, viewer secret) → may this viewer see protected ones?
ViewerCheck = Callable[[str, Item | None, str], bool]
TokenParser = Callable[[str | None], tuple[str, str] | None]


class MediaService:
    def __init__(self, table: Table, bucket: MediaBucket, clock: Clock, *,
                 parse_token: TokenParser, unlocked: ViewerCheck,
                 max_viewpoints: int = MAX_VIEWPOINTS) -> None:
        self.table = table
        self.bucket = bucket
        self.clock = clock
        self.parse_token = parse_token
        self.unlocked = unlocked
        self.max_viewpoints = max_viewpoints

    # -- agency -------------------------------------------------------------------------

    def start_upload(self, agency_id: str, tour_id: str, viewpoint_id: str,
                     body: Body[MediaUpload]) -> dict[str, Any]:
        media = self._owned(agency_id, tour_id, viewpoint_id)
        upload = body.get()
        now = self.clock.now()
        expires_at = iso(now + timedelta(seconds=UPLOAD_SECONDS))
        pending: dict[str, Any] = {
            "key": f"uploads/{tour_id}/{new_id()}", "content_type": upload.content_type,
            "size": upload.size, "expires_at": expires_at}
        if media is not None:
            self._replace_pending(tour_id, viewpoint_id, media, pending)
        else:
            self._first_pending(tour_id, viewpoint_id, pending)
        url, headers = self.bucket.presign_put(pending["key"], upload.content_type,
                                               UPLOAD_SECONDS)
        return {"upload_url": url, "method": "PUT", "headers": headers,
                "expires_at": expires_at, "max_bytes": upload.size}

    def complete(self, agency_id: str, tour_id: str, viewpoint_id: str) -> dict[str, Any]:
        media = self._owned(agency_id, tour_id, viewpoint_id)
        pending = (media or {}).get("pending")
        if not pending:
            raise Conflict("Für diesen Standpunkt wartet kein Upload.", code="no_pending_upload")
        size = self._checked_size(pending)
        final_key = f"media/{tour_id}/{new_id()}"
        self.bucket.copy(pending["key"], final_key, pending["content_type"])
        sets = {"key": final_key, "content_type": pending["content_type"], "size": size,
                "updated_at": iso(self.clock.now())}
        try:
            self.table.update(*media_key(tour_id, viewpoint_id),
                              Update(sets=sets, removes=["pending"]),
                              Condition("{pending}.{key} = {:k}", k=pending["key"]))
        except ConditionFailed as exc:
            self.bucket.delete([final_key])
            raise Conflict("Inzwischen wurde ein neuer Upload begonnen.",
                           code="upload_replaced") from exc
        assert media is not None
        self.bucket.delete([pending["key"], media.get("key")])
        done = {k: v for k, v in media.items() if k != "pending"}
        return _agency_view(viewpoint_id, {**done, **sets})

    def delete(self, agency_id: str, tour_id: str, viewpoint_id: str) -> dict[str, Any]:
        media = self._owned(agency_id, tour_id, viewpoint_id)
        if media is None:
            raise NotFound("Für diesen Standpunkt gibt es keine Medien.", code="no_media")
        # The pictures first: a failure leaves the item, and a repeated DELETE finishes.
        self.bucket.delete([media.get("key"), (media.get("pending") or {}).get("key")])
        tx = Transaction(self.table.client)
        tx.delete(self.table, *media_key(tour_id, viewpoint_id),
                  condition=Condition("attribute_exists({pk})"), label="media")
        tx.update(self.table, *_count_key(tour_id), Update(adds={"n": -1}), label="count")
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if "media" in exc.failed:
                raise NotFound("Für diesen Standpunkt gibt es keine Medien.",
                               code="no_media") from exc
            raise Unavailable(retry_after=1) from exc  # a concurrent transaction
        return {"viewpoint_id": viewpoint_id, "deleted": True}

    def list(self, agency_id: str, tour_id: str) -> dict[str, Any]:
        """The tour's pictures for the dashboard, each with a short-lived thumbnail URL."""
        tour = self.table.get(*tour_key(tour_id))
        if tour is None or tour.get("agency_id") != agency_id:
            raise NotFound("Rundgang nicht gefunden.")
        items, _ = self.table.query(
            Condition("{pk} = {:p} AND begins_with({sk}, {:s})", p=f"TOUR#{tour_id}",
                      s="MEDIA#"), limit=self.max_viewpoints)
        expires_at = iso(self.clock.now() + timedelta(seconds=VIEW_SECONDS))
        media = []
        for item in items:
            view = _agency_view(item["sk"].removeprefix("MEDIA#"), item)
            if item.get("key"):
                view["url"] = self.bucket.presign_get(item["key"], VIEW_SECONDS)
                view["expires_at"] = expires_at
            media.append(view)
        return {"media": media}

    def delete_tour_media(self, tour_id: str) -> int:
        """Deletes every object of the tour (also forgotten uploads); its media items go
        with the tour's partition (tours.deletion). Answers how many objects there were."""
        return (self.bucket.delete_prefix(f"media/{tour_id}/")
                + self.bucket.delete_prefix(f"uploads/{tour_id}/"))

    # -- player -------------------------------------------------------------------------

    def player_url(self, tour_id: str, viewpoint_id: str, viewer_token: str | None,
                   check_origin: Callable[[Item], None]) -> dict[str, Any]:
        """One BatchGetItem: tour, media item and (with a token) the registration."""
        if not valid_viewpoint_id(viewpoint_id):
            raise NotFound("Für diesen Standpunkt gibt es keine Medien.", code="no_media")
        parsed = self.parse_token(viewer_token)
        keys = [tour_key(tour_id), media_key(tour_id, viewpoint_id)]
        if parsed is not None:
            keys.append(registration_key(parsed[0]))
        found = {(i["pk"], i["sk"]): i for i in self.table.batch_get(keys)}
        tour = found.get(tour_key(tour_id))
        if tour is None:
            raise NotFound("Rundgang nicht gefunden.")
        check_origin(tour)
        protection = tour["protection"]
        if protection["mode"] != "off" and viewpoint_id in protection["protected_viewpoints"]:
            registration = found.get(registration_key(parsed[0])) if parsed else None
            if parsed is None or not self.unlocked(tour_id, registration, parsed[1]):
                raise NotUnlocked()
        media = found.get(media_key(tour_id, viewpoint_id))
        if media is None or not media.get("key"):
            raise NotFound("Für diesen Standpunkt gibt es keine Medien.", code="no_media")
        return {"url": self.bucket.presign_get(media["key"], VIEW_SECONDS),
                "expires_at": iso(self.clock.now() + timedelta(seconds=VIEW_SECONDS))}

    # -- internals ----------------------------------------------------------------------

    def _owned(self, agency_id: str, tour_id: str, viewpoint_id: str) -> Item | None:
        """The viewpoint's media item (or None) of a tour of this agency: one read."""
        found = {(i["pk"], i["sk"]): i for i in self.table.batch_get(
            [tour_key(tour_id), media_key(tour_id, viewpoint_id)])}
        tour = found.get(tour_key(tour_id))
        if tour is None or tour.get("agency_id") != agency_id:
            raise NotFound("Rundgang nicht gefunden.")
        if not valid_viewpoint_id(viewpoint_id):
            raise ValidationFailed({"viewpoint_id": "Standpunkt-IDs: 1–100 Zeichen aus "
                                                    "Buchstaben, Ziffern, _ . : -"})
        return found.get(media_key(tour_id, viewpoint_id))

    def _first_pending(self, tour_id: str, viewpoint_id: str, pending: dict[str, Any]) -> None:
        tx = Transaction(self.table.client)
        tx.put(self.table, {"pk": media_key(tour_id, viewpoint_id)[0],
                            "sk": media_key(tour_id, viewpoint_id)[1],
                            "tour_id": tour_id, "viewpoint_id": viewpoint_id,
                            "pending": pending},
               condition=Condition("attribute_not_exists({pk})"), label="media")
        tx.update(self.table, *_count_key(tour_id), Update(adds={"n": 1}),
                  condition=Condition("attribute_not_exists({n}) OR {n} < {:max}",
                                      max=self.max_viewpoints), label="count")
        try:
            tx.execute()
        except TransactionCancelled as exc:
            if "count" in exc.failed:
                raise ValidationFailed({"viewpoint_id": f"Höchstens {self.max_viewpoints} "
                                                        "Standpunkte je Rundgang haben Medien."}
                                       ) from exc
            if exc.conflict and not exc.failed:  # a concurrent transaction: try again
                raise Unavailable(retry_after=1) from exc
            raise Conflict("Der Standpunkt wurde gleichzeitig geändert. Bitte erneut "
                           "versuchen.", code="media_conflict") from exc

    def _replace_pending(self, tour_id: str, viewpoint_id: str, media: Item,
                         pending: dict[str, Any]) -> None:
        previous = (media.get("pending") or {}).get("key")
        try:
            self.table.update(*media_key(tour_id, viewpoint_id), Update(sets={"pending": pending}),
                              Condition("attribute_exists({pk})"))
        except ConditionFailed as exc:
            raise Conflict("Der Standpunkt wurde gleichzeitig geändert. Bitte erneut "
                           "versuchen.", code="media_conflict") from exc
        if previous:
            self.bucket.delete([previous])

    def _checked_size(self, pending: dict[str, Any]) -> int:
        """The uploaded object's size once it exists, is no larger than declared and is
        the declared type by its first bytes; otherwise it is removed and 422."""
        stored = self.bucket.head(pending["key"])
        if stored is None:
            if parse_iso(pending["expires_at"]) < self.clock.now():
                raise ValidationFailed({"media": "Der Upload-Link ist abgelaufen. Bitte laden "
                                                 "Sie die Datei erneut hoch."})
            raise ValidationFailed({"media": "Es wurde noch keine Datei hochgeladen."})
        problem = None
        if stored.size > int(pending["size"]):
            problem = (f"Die Datei ist größer als angegeben ({stored.size} statt höchstens "
                       f"{pending['size']} Bytes).")
        elif stored.size == 0:
            problem = "Die Datei ist leer."
        elif sniff(self.bucket.first_bytes(pending["key"])) != pending["content_type"]:
            problem = f"Die Datei ist kein {TYPE_NAMES[pending['content_type']]}-Bild."
        if problem:
            self.bucket.delete([pending["key"]])
            raise ValidationFailed({"media": problem})
        return stored.size


def _agency_view(viewpoint_id: str, item: Item) -> dict[str, Any]:
    pending = item.get("pending")
    return {"viewpoint_id": viewpoint_id, "ready": bool(item.get("key")),
            "content_type": item.get("content_type"), "size": item.get("size"),
            "updated_at": item.get("updated_at"),
            "upload_pending": bool(pending)}

