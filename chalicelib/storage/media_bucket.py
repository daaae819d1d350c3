"""The private media bucket (S3): presigned PUT and GET, HeadObject, the first bytes of an
object, deletes. Objects are never public: a presigned URL is the only way to them.

Locally the bucket lives in moto's server mode on 127.0.0.1 (devstack), so the URLs this
module signs really answer a browser."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from chalicelib.errors import Unavailable

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_THROTTLED = frozenset({"SlowDown", "503", "ServiceUnavailable", "RequestLimitExceeded",
                        "InternalError", "500"})
MAX_DELETE_KEYS = 1000  # DeleteObjects takes at most 1,000 keys per call


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str | None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(exc: ClientError) -> None:
    if _code(exc) in _THROTTLED:
        raise Unavailable(retry_after=2) from exc


class MediaBucket:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def presign_put(self, key: str, content_type: str, expires_in: int) -> tuple[str, dict[str, str]]:
        """A URL for one PUT of ``key``; the returned headers are part of the signature and
        must be sent as they are."""
        url = self.client.generate_presigned_url(
            "put_object", ExpiresIn=expires_in, HttpMethod="PUT",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type})
        return url, {"Content-Type": content_type}

    def presign_get(self, key: str, expires_in: int) -> str:
        # The browser may keep the picture no longer than the URL lives, and only for itself.
        return str(self.client.generate_presigned_url(
            "get_object", ExpiresIn=expires_in,
            Params={"Bucket": self.bucket, "Key": key,
                    "ResponseCacheControl": f"private, max-age={expires_in}"}))

    def origin(self) -> str:
        """Scheme and host of the URLs this bucket signs (signing is local, no request):
        the dashboard's CSP lets uploads and thumbnails reach this origin and no other."""
        parts = urlsplit(self.presign_get("origin", 60))
        return f"{parts.scheme}://{parts.netloc}"

    def head(self, key: str) -> StoredObject | None:
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            _unavailable(exc)
            raise
        return StoredObject(int(answer["ContentLength"]), answer.get("ContentType"))

    def first_bytes(self, key: str, count: int = 32) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key,
                                            Range=f"bytes=0-{count - 1}")
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return b""
            _unavailable(exc)
            raise
        with answer["Body"] as body:
            return bytes(body.read(count))

    def delete(self, keys: Iterable[str | None]) -> None:
        """Deletes the objects (a missing one is no error; None and "" stand for no object,
        so callers pass an item's optional keys as they are)."""
        wanted = list(dict.fromkeys(k for k in keys if k))
        for start in range(0, len(wanted), MAX_DELETE_KEYS):
            chunk = wanted[start:start + MAX_DELETE_KEYS]
            try:
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": k} for k in chunk], "Quiet": True})
            except ClientError as exc:
                _unavailable(exc)
                raise

    def copy(self, source: str, target: str, content_type: str) -> None:
        """Server-side copy (≤ 5 GB in one call; uploads are ≤ 100 MB)."""
        try:
            self.client.copy_object(
                Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": source},
                ContentType=content_type, MetadataDirective="REPLACE")
        except ClientError as exc:
            _unavailable(exc)
            raise

    def delete_prefix(self, prefix: str) -> int:
        """Deletes every object under ``prefix``; answers how many there were."""
        deleted = 0
        token: str | None = None
        while True:
            args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
            if token:
                args["ContinuationToken"] = token
            try:
                page = self.client.list_objects_v2(**args)
            except ClientError as exc:
                _unavailable(exc)
                raise
            keys = [o["Key"] for o in page.get("Contents", [])]
            self.delete(keys)
            deleted += len(keys)
            if not page.get("IsTruncated"):
                return deleted
            token = page.get("NextContinuationToken")
