"""Scenarios of the tours: the agency's tours and their media, the public registration,
the agency's decisions and the mail links of the gate."""

from __future__ import annotations

import requests

from tests.conftest import DEMO, registration_payload, tour_payload
from tests.faults.scenarios_base import LINK, Act, Scenario, World, call, form

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
MEDIA = "/agency/tours/{tour_id}/viewpoints/{viewpoint_id}/media"


# -- tours ---------------------------------------------------------------------------------

def create_tour(w: World) -> Act:
    return call(w, "POST", "/agency/tours", tour_payload("email"))


def replace_tour(w: World) -> Act:
    tour = w.tour()
    return call(w, "PUT", f"/agency/tours/{tour['tour_id']}",
                 tour_payload("manual", title="Neu: Altbau mit Balkon"))


def delete_tour(w: World) -> Act:
    tour = w.tour("email")
    w.register(tour)
    return call(w, "DELETE", f"/agency/tours/{tour['tour_id']}")


def view_events(w: World) -> Act:
    tour = w.tour("email")
    return call(w, "POST", f"/tours/{tour['tour_id']}/views",
                 {"events": [{"type": "tour_view"}, {"type": "form_opened"}]}, token=None)


def register_email(w: World) -> Act:
    tour = w.tour("email")
    return call(w, "POST", f"/tours/{tour['tour_id']}/registrations",
                 registration_payload(), token=None)


def register_manual(w: World) -> Act:
    tour = w.tour("manual")
    return call(w, "POST", f"/tours/{tour['tour_id']}/registrations",
                 registration_payload(), token=None)


def _pending_manual(w: World) -> str:
    return w.register(w.tour("manual"))["registration_id"]


def approve_by_api(w: World) -> Act:
    return call(w, "POST", f"/agency/registrations/{_pending_manual(w)}/approve")


def deny_by_api(w: World) -> Act:
    return call(w, "POST", f"/agency/registrations/{_pending_manual(w)}/deny")


def unlock_link(w: World) -> Act:
    w.register(w.tour("email"))
    return form(w, w.link("unlock"))


def approve_link(w: World) -> Act:
    _pending_manual(w)
    return form(w, w.link("approve"))


def deny_link(w: World) -> Act:
    _pending_manual(w)
    return form(w, w.link("deny"))


def _media(tour_id: str, viewpoint_id: str = "wohnzimmer") -> str:
    return MEDIA.format(tour_id=tour_id, viewpoint_id=viewpoint_id)


def start_upload(w: World) -> Act:
    tour = w.tour("email")
    return call(w, "PUT", _media(tour["tour_id"]),
                {"content_type": "image/jpeg", "size": len(JPEG)})


def _uploaded(w: World) -> str:
    """A tour whose viewpoint's picture is in the bucket, waiting for ``complete``."""
    tour_id = w.tour("email")["tour_id"]
    started = w.ok(w.http.put(_media(tour_id), {"content_type": "image/jpeg",
                                                "size": len(JPEG)}, token=DEMO))
    put = requests.put(started["upload_url"], data=JPEG, headers=started["headers"],
                       timeout=10)
    assert put.status_code == 200, put.text
    return tour_id


def complete_upload(w: World) -> Act:
    return call(w, "POST", _media(_uploaded(w)) + "/complete")


def delete_media(w: World) -> Act:
    tour_id = _uploaded(w)
    w.ok(w.http.post(_media(tour_id) + "/complete", token=DEMO))
    return call(w, "DELETE", _media(tour_id))


def _used_unlock_link(w: World) -> str:
    w.register(w.tour("email"))
    link = w.link("unlock")
    w.ok(w.http.form_post(link), 303)
    return link


def resend_link(w: World) -> Act:
    """The offer of a used unlock link's 410 page: a fresh one-time link by mail."""
    return form(w, _used_unlock_link(w) + "/resend")


def reentry_link(w: World) -> Act:
    w.ok(w.http.form_post(_used_unlock_link(w) + "/resend"))
    return form(w, w.link("reentry"))


SCENARIOS = [
    Scenario("create tour", "POST", "/agency/tours", create_tour, 201, repeatable=True),
    Scenario("replace tour", "PUT", "/agency/tours/{tour_id}", replace_tour, repeatable=True),
    Scenario("delete tour", "DELETE", "/agency/tours/{tour_id}", delete_tour),
    Scenario("start media upload", "PUT", MEDIA, start_upload, repeatable=True),
    Scenario("complete media upload", "POST", MEDIA + "/complete", complete_upload),
    Scenario("delete media", "DELETE", MEDIA, delete_media),
    Scenario("view events", "POST", "/tours/{tour_id}/views", view_events, 202,
             repeatable=True),
    Scenario("register (email)", "POST", "/tours/{tour_id}/registrations", register_email, 202,
             repeatable=True),
    Scenario("register (manual)", "POST", "/tours/{tour_id}/registrations", register_manual,
             202, repeatable=True),
    Scenario("approve by API", "POST", "/agency/registrations/{registration_id}/approve",
             approve_by_api),
    Scenario("deny by API", "POST", "/agency/registrations/{registration_id}/deny", deny_by_api),
    Scenario("unlock link", "POST", "/links/unlock/{token}", unlock_link, 303),
    Scenario("resend unlock link", "POST", LINK + "/resend", resend_link, repeatable=True),
    Scenario("re-entry link", "POST", "/links/reentry/{token}", reentry_link, 303),
    Scenario("approve link", "POST", "/links/approve/{token}", approve_link),
    Scenario("deny link", "POST", "/links/deny/{token}", deny_link),
]
