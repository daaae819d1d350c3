// "Bewertung anfragen": the agency invites a customer (an owner, buyer or tenant) to review
// it — on an opened address with a deal relation, and in bulk for a property's buyers and
// tenants. The API checks everything (objection, relation, already invited); this only asks
// and reports in German.

import { api, el, field, hideMessage, showError, showOk, confirmDialog, formatDateTime } from "/ui/common.js";
import { counted } from "/ui/plural.js";
import { INVITATION_STATUS, INVITE_REFUSED, ROLE } from "/dashboard/labels.js";
import { badge, message, fullName, qs } from "/dashboard/views.js";

// UWG § 7(3): the mail goes to customers without their consent only if they were told of
// their right to object when their address was collected.
const LEGAL_HINT = "Nur für Kundinnen und Kunden, deren E-Mail-Adresse Sie im Zusammenhang mit "
  + "Ihrer Leistung erhalten und die Sie dabei auf ihr Widerspruchsrecht hingewiesen haben "
  + "(§ 7 Abs. 3 UWG). Jede Einladung enthält einen Link zum Widerspruch; die Bewertung erscheint "
  + "mit dem Hinweis „Auf Einladung des Maklers“.";

function relationsOf(preview) {
  return (preview.relations || []).map((value) => {
    const at = value.lastIndexOf("#");
    return { property_id: value.slice(0, at), role: value.slice(at + 1) };
  });
}

function refusal(error) {
  return INVITE_REFUSED[error.code] || error.message;
}

/** The "Bewertung" card of an opened address: its invitations and the button, shown only
 * when the address is an owner, buyer or tenant of a property. */
export async function invitationCard(address, preview, properties) {
  const relations = relationsOf(preview);
  if (!relations.length) return null;
  const titles = Object.fromEntries((properties || []).map((p) => [p.property_id, p.title]));
  const box = message();
  const list = el("div", {});
  const reload = async () => {
    const data = await api("GET", "/agency/review-invitations?address_id=" + qs(address.address_id));
    const items = data.invitations || [];
    list.replaceChildren(items.length
      ? el("ul", { class: "invitations" }, items.map((i) => el("li", { "data-invitation-id": i.invitation_id },
        badge(INVITATION_STATUS, i.status), " ",
        i.property_id ? (titles[i.property_id] || i.property_id) : "ohne Immobilie",
        " · gesendet " + formatDateTime(i.sent_at))))
      : el("p", { class: "muted" }, "Noch keine Einladung gesendet."));
  };
  await reload();
  const pick = field("Immobilie", { name: "property_id" }, "select");
  pick.input.append(...relations.map((r) => el("option", { value: r.property_id },
    (titles[r.property_id] || r.property_id) + " (" + (ROLE[r.role] || r.role) + ")")));
  const send = el("button", { type: "submit", class: "primary" }, "Bewertung anfragen");
  const form = el("form", { class: "needs-editor", novalidate: true, "aria-label": "Bewertung anfragen" },
    pick.wrap, el("p", { class: "muted small" }, LEGAL_HINT), el("div", { class: "actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(box);
    send.disabled = true;
    try {
      await api("POST", "/agency/review-invitations",
        { address_id: address.address_id, property_id: pick.input.value });
      await reload();
      showOk(box, "Die Einladung zur Bewertung wurde an " + address.email + " gesendet.");
    } catch (error) {
      if (error.status === 401) return;
      showError(box, error);
    } finally {
      send.disabled = false;
    }
  });
  return el("section", { class: "card", "aria-labelledby": "invite-title" },
    el("h3", { id: "invite-title" }, "Bewertung"), box, list,
    address.email ? form : el("p", { class: "muted" }, "Keine E-Mail-Adresse hinterlegt: keine Einladung möglich."));
}

/** "Bewertung anfragen" for a property: every buyer and tenant, one invitation each. */
export function bulkInviteButton(property, box) {
  const button = el("button", { type: "button", class: "needs-editor" }, "Bewertung anfragen");
  button.addEventListener("click", async () => {
    hideMessage(box);
    button.disabled = true;
    try {
      const data = await api("GET", "/agency/properties/" + qs(property.property_id) + "/relations");
      const people = (data.relations || []).filter((r) => r.role === "buyer" || r.role === "tenant");
      if (!people.length) {
        showOk(box, "Für „" + property.title + "“ sind keine Käufer oder Mieter eingetragen.");
        return;
      }
      const sure = await confirmDialog("Bewertung anfragen?",
        counted(people.length, "Käufer oder Mieter", "Käufer und Mieter") + " von „" + property.title
        + "“ erhalten eine Einladung zur Bewertung per E-Mail. " + LEGAL_HINT, "Einladungen senden");
      if (!sure) return;
      const sent = [];
      const refused = [];
      for (const person of people) {
        const name = fullName(person.address || {});
        try {
          await api("POST", "/agency/review-invitations",
            { address_id: person.address_id, property_id: property.property_id });
          sent.push(name);
        } catch (error) {
          if (error.status === 401) return;
          refused.push(name + " (" + refusal(error) + ")");
        }
      }
      showOk(box, (sent.length ? "Einladung gesendet an " + counted(sent.length, "Person", "Personen")
        + ": " + sent.join(", ") + "." : "Keine Einladung gesendet.")
        + (refused.length ? " Nicht gesendet: " + refused.join("; ") + "." : ""));
    } catch (error) {
      if (error.status !== 401) showError(box, error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
