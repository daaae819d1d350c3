// Who is signed in, for the views: the role decides which actions are shown (the API
// refuses the others with 403 anyway). CSS hides .needs-editor for assistants and
// .needs-owner for everybody but owners (body[data-role], ui/common.css).

const ROLE_LABELS = { owner: "Inhaber", agent: "Makler", assistant: "Assistenz" };
let current = null;

export function setMe(me) {
  current = me;
  if (me) document.body.dataset.role = me.role;
  else delete document.body.dataset.role;
}

export function me() {
  return current;
}

export function roleLabel(role) {
  return ROLE_LABELS[role] || role || "";
}

/** Owners and agents change things; assistants add activities and consent requests only. */
export function canEdit() {
  return Boolean(current) && current.role !== "assistant";
}

export function isOwner() {
  return Boolean(current) && current.role === "owner" && !current.api_key_id;
}
