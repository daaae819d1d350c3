"""Private media behind the gate (contract v2, "Tours: the gate protects the pictures"):
presigned upload, the complete step's checks, the player's presigned GET only for unlocked
viewers of a protected viewpoint, deletion. The uploads go through the presigned URLs the
API hands out (moto answers them in-process)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

from bench.counting import AwsCounter
from tests.conftest import DEMO, OTHER, registration_payload
from tests.support import links_of

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 200


def media_path(tour_id: str, viewpoint: str) -> str:
    return f"/agency/tours/{tour_id}/viewpoints/{viewpoint}/media"


def upload(http: Any, tour_id: str, viewpoint: str, data: bytes,
           content_type: str = "image/jpeg", size: int | None = None) -> Any:
    started = http.put(media_path(tour_id, viewpoint),
                       {"content_type": content_type, "size": size or len(data)}, token=DEMO)
    assert started.status == 200, started.body
    answer = started.json
    put = requests.put(answer["upload_url"], data=data, headers=answer["headers"], timeout=10)
    assert put.status_code == 200, put.text
    return http.post(media_path(tour_id, viewpoint) + "/complete", token=DEMO)


def s3(container: Any) -> Any:
    """The test's own client (its calls are not the app's, so not in the IAM audit)."""
    return boto3.client("s3", region_name=container.settings.region)


def bucket_keys(container: Any) -> list[str]:
    listed = s3(container).list_objects_v2(Bucket=container.settings.media_bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def unlocked_token(http: Any, tour: dict[str, Any], outbox: Any, email: str) -> str:
    reply = http.post(f"/tours/{tour['tour_id']}/registrations",
                      registration_payload(email=email))
    assert reply.status == 202, reply.body
    mail = next(m for m in reversed(outbox()) if m["to"] == [email])
    [link] = links_of(mail, "unlock")
    posted = http.form_post(link)
    assert posted.status == 303, posted.body
    return re.search(r"#freigabe=([^&]+)", posted.headers["location"]).group(1)


def test_upload_url_is_presigned_for_fifteen_minutes_and_the_declared_type(
        http: Any, make_tour: Any, clock: Any) -> None:
    tour = make_tour("email")
    answer = http.put(media_path(tour["tour_id"], "wohnzimmer"),
                      {"content_type": "image/png", "size": 1234}, token=DEMO)
    assert answer.status == 200, answer.body
    body = answer.json
    assert body["method"] == "PUT"
    assert body["headers"] == {"Content-Type": "image/png"}
    query = parse_qs(urlsplit(body["upload_url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert "content-type" in query["X-Amz-SignedHeaders"][0]
    assert body["expires_at"] == "2026-11-23T09:15:00.000Z"


@pytest.mark.parametrize("body, field", [
    ({"content_type": "image/gif", "size": 10}, "content_type"),
    ({"content_type": "image/jpeg", "size": 100 * 1024 * 1024 + 1}, "size"),
    ({"content_type": "image/jpeg", "size": 0}, "size"),
    ({"content_type": "image/jpeg", "size": "12"}, "size"),
    ({"content_type": "image/jpeg"}, "size"),
])
def test_upload_refuses_other_types_and_sizes(http: Any, make_tour: Any, body: Any,
                                              field: str) -> None:
    tour = make_tour("email")
    answer = http.put(media_path(tour["tour_id"], "bad"), body, token=DEMO)
    assert answer.status == 422, answer.body
    assert field in answer.json["error"]["fields"]


def test_complete_accepts_each_type_by_its_first_bytes(http: Any, make_tour: Any,
                                                       container: Any) -> None:
    tour = make_tour("email")
    for viewpoint, data, kind in (("kueche", JPEG, "image/jpeg"), ("flur", PNG, "image/png"),
                                  ("bad", WEBP, "image/webp")):
        done = upload(http, tour["tour_id"], viewpoint, data, kind)
        assert done.status == 200, done.body
        assert done.json["ready"] is True and done.json["content_type"] == kind
        assert done.json["upload_pending"] is False
        assert done.json["size"] == len(data)
    keys = bucket_keys(container)
    assert len(keys) == 3 and all(k.startswith(f"media/{tour['tour_id']}/") for k in keys)


def test_complete_removes_a_file_that_is_not_the_declared_type(http: Any, make_tour: Any,
                                                                container: Any) -> None:
    tour = make_tour("email")
    done = upload(http, tour["tour_id"], "kueche", b"<svg onload=alert(1)>" + b" " * 50)
    assert done.status == 422
    assert "JPEG" in done.json["error"]["fields"]["media"]
    assert bucket_keys(container) == []
    assert http.get(f"/tours/{tour['tour_id']}/viewpoints/kueche/media").status == 404


def test_complete_removes_a_file_larger_than_declared(http: Any, make_tour: Any,
                                                      container: Any) -> None:
    tour = make_tour("email")
    done = upload(http, tour["tour_id"], "kueche", JPEG, size=20)
    assert done.status == 422
    assert "größer" in done.json["error"]["fields"]["media"]
    assert bucket_keys(container) == []


def test_complete_without_an_upload(http: Any, make_tour: Any) -> None:
    tour = make_tour("email")
    assert http.post(media_path(tour["tour_id"], "kueche") + "/complete",
                     token=DEMO).status == 409
    started = http.put(media_path(tour["tour_id"], "kueche"),
                       {"content_type": "image/jpeg", "size": 10}, token=DEMO)
    assert started.status == 200
    nothing = http.post(media_path(tour["tour_id"], "kueche") + "/complete", token=DEMO)
    assert nothing.status == 422
    assert "noch keine Datei" in nothing.json["error"]["fields"]["media"]


def test_replacing_a_picture_removes_the_old_object(http: Any, make_tour: Any,
                                                    container: Any) -> None:
    tour = make_tour("off")
    assert upload(http, tour["tour_id"], "kueche", JPEG).status == 200
    [first] = bucket_keys(container)
    assert upload(http, tour["tour_id"], "kueche", PNG, "image/png").status == 200
    [second] = bucket_keys(container)
    assert first != second
    url = http.get(f"/tours/{tour['tour_id']}/viewpoints/kueche/media").json["url"]
    assert requests.get(url, timeout=10).content == PNG


def test_player_gets_free_viewpoints_and_protected_ones_only_unlocked(
        http: Any, make_tour: Any, outbox: Any) -> None:
    tour = make_tour("email")  # protected: wohnzimmer, bad
    tour_id = tour["tour_id"]
    assert upload(http, tour_id, "flur", PNG, "image/png").status == 200
    assert upload(http, tour_id, "wohnzimmer", JPEG).status == 200

    free = http.get(f"/tours/{tour_id}/viewpoints/flur/media")
    assert free.status == 200, free.body
    assert free.headers["access-control-allow-origin"] == "*"
    query = parse_qs(urlsplit(free.json["url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 600
    assert free.json["expires_at"] == "2026-11-23T09:10:00.000Z"
    assert requests.get(free.json["url"], timeout=10).content == PNG

    # Protected: 401 not_unlocked without a token, with a pending one, with a forged one,
    # and for a protected viewpoint that has no media at all (no hint what exists).
    for headers in ({}, {"X-Viewer-Token": "garbage"}):
        for viewpoint in ("wohnzimmer", "bad"):
            locked = http.get(f"/tours/{tour_id}/viewpoints/{viewpoint}/media", headers=headers)
            assert locked.status == 401, (viewpoint, headers)
            assert locked.json["error"]["code"] == "not_unlocked"
    pending = http.post(f"/tours/{tour_id}/registrations",
                        registration_payload(email="wartet@example.org")).json["viewer_token"]
    assert http.get(f"/tours/{tour_id}/viewpoints/wohnzimmer/media",
                    headers={"X-Viewer-Token": pending}).status == 401

    token = unlocked_token(http, tour, outbox, "eva@example.org")
    registration_id, secret = token.split(".")
    forged = f"{registration_id}.{'x' * len(secret)}"
    assert http.get(f"/tours/{tour_id}/viewpoints/wohnzimmer/media",
                    headers={"X-Viewer-Token": forged}).status == 401
    opened = http.get(f"/tours/{tour_id}/viewpoints/wohnzimmer/media",
                      headers={"X-Viewer-Token": token})
    assert opened.status == 200, opened.body
    assert requests.get(opened.json["url"], timeout=10).content == JPEG
    # Unlocked, but no picture for that viewpoint: 404.
    none = http.get(f"/tours/{tour_id}/viewpoints/bad/media", headers={"X-Viewer-Token": token})
    assert none.status == 404 and none.json["error"]["code"] == "no_media"
    # A token of another tour opens nothing here.
    other = make_tour("email")
    assert http.get(f"/tours/{other['tour_id']}/viewpoints/wohnzimmer/media",
                    headers={"X-Viewer-Token": token}).status == 401


def test_player_access_check_is_one_read(http: Any, make_tour: Any, outbox: Any,
                                         container: Any) -> None:
    tour = make_tour("email")
    assert upload(http, tour["tour_id"], "wohnzimmer", JPEG).status == 200
    token = unlocked_token(http, tour, outbox, "eva@example.org")
    counter = AwsCounter()
    counter.hook(container.dynamodb)
    with counter.measure() as work:
        answer = http.get(f"/tours/{tour['tour_id']}/viewpoints/wohnzimmer/media",
                          headers={"X-Viewer-Token": token})
    assert answer.status == 200
    assert work.reads == 1 and work.calls["BatchGetItem"] == 1 and work.writes == 0


def test_the_bucket_object_is_not_public(http: Any, make_tour: Any, container: Any) -> None:
    tour = make_tour("off")
    assert upload(http, tour["tour_id"], "kueche", JPEG).status == 200
    [key] = bucket_keys(container)
    bucket = container.settings.media_bucket
    anonymous = requests.get(f"https://{bucket}.s3.eu-central-1.amazonaws.com/{key}", timeout=10)
    assert anonymous.status_code == 403
    block = s3(container).get_public_access_block(Bucket=bucket)
    assert all(block["PublicAccessBlockConfiguration"].values())


def test_delete_removes_item_and_objects(http: Any, make_tour: Any, container: Any) -> None:
    tour = make_tour("off")
    assert upload(http, tour["tour_id"], "kueche", JPEG).status == 200
    deleted = http.request("DELETE", media_path(tour["tour_id"], "kueche"), token=DEMO)
    assert deleted.status == 200, deleted.body
    assert bucket_keys(container) == []
    assert http.get(f"/tours/{tour['tour_id']}/viewpoints/kueche/media").status == 404
    assert http.request("DELETE", media_path(tour["tour_id"], "kueche"),
                        token=DEMO).status == 404


def test_another_agency_sees_404_everywhere(http: Any, make_tour: Any) -> None:
    tour = make_tour("off")
    path = media_path(tour["tour_id"], "kueche")
    assert http.put(path, {"content_type": "image/jpeg", "size": 10}, token=OTHER).status == 404
    assert http.put(path, {"bogus": 1}, token=OTHER).status == 404  # 404 before validation
    assert http.post(path + "/complete", token=OTHER).status == 404
    assert http.request("DELETE", path, token=OTHER).status == 404
    assert http.get(f"/agency/tours/{tour['tour_id']}/media", token=OTHER).status == 404
    assert http.put(path, {"content_type": "image/jpeg", "size": 10}).status == 401


def test_at_most_500_viewpoints_per_tour_have_media(http: Any, make_tour: Any,
                                                     container: Any) -> None:
    tour = make_tour("off")
    container.media.max_viewpoints = 3
    for n in range(3):
        assert http.put(media_path(tour["tour_id"], f"vp{n}"),
                        {"content_type": "image/jpeg", "size": 10}, token=DEMO).status == 200
    refused = http.put(media_path(tour["tour_id"], "vp3"),
                       {"content_type": "image/jpeg", "size": 10}, token=DEMO)
    assert refused.status == 422 and "viewpoint_id" in refused.json["error"]["fields"]
    # A viewpoint that has an item may be uploaded again; a deleted one frees its place.
    assert http.put(media_path(tour["tour_id"], "vp0"),
                    {"content_type": "image/jpeg", "size": 10}, token=DEMO).status == 200
    assert http.request("DELETE", media_path(tour["tour_id"], "vp1"), token=DEMO).status == 200
    assert http.put(media_path(tour["tour_id"], "vp3"),
                    {"content_type": "image/jpeg", "size": 10}, token=DEMO).status == 200


def test_list_shows_thumbnails_for_the_dashboard(http: Any, make_tour: Any) -> None:
    tour = make_tour("email")
    assert upload(http, tour["tour_id"], "wohnzimmer", JPEG).status == 200
    listed = http.get(f"/agency/tours/{tour['tour_id']}/media", token=DEMO)
    assert listed.status == 200
    [item] = listed.json["media"]
    assert item["viewpoint_id"] == "wohnzimmer" and item["ready"] is True
    assert requests.get(item["url"], timeout=10).content == JPEG


def test_unknown_tour_and_bad_viewpoint_ids(http: Any) -> None:
    assert http.get("/tours/nope/viewpoints/kueche/media").status == 404
    assert http.put(media_path("nope", "kueche"), {"content_type": "image/jpeg", "size": 1},
                    token=DEMO).status == 404
