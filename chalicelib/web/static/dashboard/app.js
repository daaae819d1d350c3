// The dashboard's shell: sign-in, hash routing (#/tours/<id> etc., so mail links can point
// into it, before and after sign-in) and the navigation, shown only to a signed-in person.

import {
  configure, ensureSession, signOutEverywhere, mountSignIn, el, showError, api, text,
} from "/ui/common.js";
import { setMe, roleLabel } from "/dashboard/session.js";
import { teamPage } from "/dashboard/settings.js";
import { listTours, tourDetail, tourForm } from "/dashboard/tours.js";
import { listReviews } from "/dashboard/reviews.js";
import { listAddresses, addressForm, addressPreview, gdprOverview } from "/dashboard/addresses.js";
import { page } from "/dashboard/views.js";
import { listProperties } from "/dashboard/properties.js";
import { listWebhooks } from "/dashboard/webhooks.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");

// [pattern, section, view]: the first match wins; groups are decoded and passed on.
const ROUTES = [
  [/^#\/tours\/?$/, "tours", listTours],
  [/^#\/tours\/new$/, "tours", (m) => tourForm(m, null)],
  [/^#\/tours\/([^/?]+)\/edit$/, "tours", tourForm],
  [/^#\/tours\/([^/?]+)$/, "tours", tourDetail],
  [/^#\/tours\/([^/?]+)\/leads\/([^/?]+)$/, "tours", tourDetail],
  [/^#\/reviews\/?$/, "reviews", listReviews],
  [/^#\/reviews\/([^/?]+)$/, "reviews", listReviews],
  [/^#\/addresses\/?(?:\?email=(.*))?$/, "addresses", listAddresses],
  [/^#\/addresses\/new$/, "addresses", (m) => addressForm(m, undefined)],
  [/^#\/addresses\/([^/?]+)\/edit$/, "addresses", addressForm],
  [/^#\/addresses\/([^/?]+)$/, "addresses", addressPreview],
  [/^#\/gdpr\/?$/, "gdpr", gdprOverview],
  [/^#\/properties\/?$/, "properties", listProperties],
  [/^#\/team\/?$/, "team", teamPage],
  [/^#\/webhooks\/?$/, "webhooks", listWebhooks],
];

const who = document.getElementById("who");

configure({ tokenKey: "freigabe.agency", onUnauthorized: showSignIn });

let me = null;

function showSignIn() {
  me = null;
  setMe(null);
  nav.hidden = true;
  signOut.hidden = true;
  who.hidden = true;
  document.title = "Anmelden – Makler-Dashboard";
  mountSignIn(main, {
    title: "Anmelden",
    hint: "Melden Sie sich mit Ihrer E-Mail-Adresse und Ihrem Passwort an.",
    check: "/agency/me",
    wrongArea: "Dieses Konto gehört zu keinem Maklerbüro (QA-Konten: /qa-console/).",
    onSignedIn: route,
  });
}

let generation = 0;

async function route() {
  if (!me) {
    if (!await ensureSession()) {
      showSignIn();
      return;
    }
    try {
      me = await api("GET", "/agency/me");
    } catch (_) {
      return; // a 401 has already shown the sign-in
    }
    setMe(me);
    text(who, (me.name || me.email || "API-Schlüssel") + " · " + roleLabel(me.role));
  }
  nav.hidden = false;
  signOut.hidden = false;
  who.hidden = false;
  const hash = location.hash || "#/tours";
  const found = ROUTES.map(([pattern, section, view]) => [pattern.exec(hash), section, view])
    .find(([match]) => match);
  const [match, section, view] = found || [null, null, null];
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const current = ++generation;
  if (!view) {
    page(main, "Seite nicht gefunden", el("p", {}, el("a", { href: "#/tours" }, "Zu den Rundgängen")));
    return;
  }
  main.setAttribute("aria-busy", "true");
  try {
    const args = match.slice(1).map((value) => (value === undefined ? undefined : decodeURIComponent(value)));
    await view(main, ...args);
  } catch (error) {
    if (current !== generation || error.status === 401) return;
    const box = el("div", {});
    page(main, "Fehler", box);
    showError(box, error);
  } finally {
    main.removeAttribute("aria-busy");
  }
  if (current === generation) {
    const heading = main.querySelector("#page-title");
    const focused = document.activeElement;
    if (heading && (!focused || focused === document.body || !main.contains(focused))) heading.focus();
  }
}

// Mails link to /dashboard/?review=<id> (and /dashboard/): turn that into the hash route.
const review = new URLSearchParams(location.search).get("review");
if (review) {
  history.replaceState(null, "", location.pathname + "#/reviews/" + encodeURIComponent(review));
}

signOut.addEventListener("click", async () => {
  signOut.disabled = true;
  await signOutEverywhere();
  signOut.disabled = false;
  location.hash = "";
  showSignIn();
});
window.addEventListener("hashchange", route);
route();
