/* Photo Sphere Viewer 5 (markers plugin) + freigabe: the free entrance is a public picture of
 * the player's own site; the protected rooms' panoramas come only from the gate
 * (Freigabe.mediaUrl) once unlocked. Query: ?api=<freigabe base URL>&tour=<tour id>. */
import { Viewer } from "@photo-sphere-viewer/core";
import { MarkersPlugin } from "@photo-sphere-viewer/markers-plugin";

const params = new URLSearchParams(window.location.search);
const api = params.get("api"), tourId = params.get("tour");
const statusLabel = document.getElementById("status");
// A marker is only a button: which room it leads to is in its data, and the glue switches.
const MARKERS = {
  eingang: [{ id: "zum-wohnzimmer", position: { yaw: 0, pitch: 0 }, html: "Wohnzimmer",
              className: "raum geschuetzt", data: { to: "wohnzimmer" } }],
  wohnzimmer: [{ id: "zum-eingang", position: { yaw: Math.PI, pitch: 0 }, html: "Eingang",
                 className: "raum", data: { to: "eingang" } }]
};
const shown = { "eingang.jpg": "eingang" };  // panorama URL → room, for the loaded event

const viewer = new Viewer({
  container: "panorama", panorama: "eingang.jpg", caption: "Eingang", defaultZoomLvl: 30,
  navbar: ["zoom", "move", "caption", "fullscreen"],
  lang: { zoom: "Zoom", zoomOut: "Verkleinern", zoomIn: "Vergrößern", moveUp: "Nach oben",
          moveDown: "Nach unten", moveLeft: "Nach links", moveRight: "Nach rechts",
          fullscreen: "Vollbild", loading: "Lädt …", loadError: "Das Panorama lässt sich nicht laden",
          webglError: "Ihr Browser unterstützt kein WebGL" },
  plugins: [[MarkersPlugin, { markers: MARKERS.eingang }]]
});
const markers = viewer.getPlugin(MarkersPlugin);

function say(text) { statusLabel.textContent = text; }

viewer.addEventListener("panorama-loaded", ({ data }) => {
  document.body.setAttribute("data-loaded", shown[data.panorama]);
});

function panorama(id) {
  // The public picture needs no gate; every other one is fetched through it.
  return id === "eingang" ? Promise.resolve("eingang.jpg") : window.Freigabe.mediaUrl(id);
}

async function show(id) {
  const url = await panorama(id);
  shown[url] = id;
  markers.clearMarkers();
  await viewer.setPanorama(url, { caption: id === "eingang" ? "Eingang" : "Wohnzimmer",
                                  position: { yaw: 0, pitch: 0 }, transition: false });
  markers.setMarkers(MARKERS[id]);
  window.Freigabe.viewpointShown(id);
  if (id !== "eingang") { document.body.setAttribute("data-scene", id); }
}

function go(id) {
  // Only what the gate lets through is shown; the free entrance passes at once.
  window.Freigabe.requestAccess(id).then(() => show(id),
    (reason) => say("Zugang: " + reason.reason));
}

markers.addEventListener("select-marker", ({ marker }) => go(marker.data.to));

function loadEmbed() {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = api + "/embed/v1.js";
    script.onload = resolve;
    script.onerror = () => reject(new Error("embed"));
    document.head.appendChild(script);
  });
}

loadEmbed().then(() => {
  window.Freigabe.on("statuschange", (e) => say("Status: " + e.status));
  return window.Freigabe.init({
    tourId, baseUrl: api,
    container: document.getElementById("panorama"),  // PSV makes this element fullscreen
    fallbackProtected: ["wohnzimmer"]                // closed also when the gate cannot answer
  });
}).then((info) => {
  say("Status: " + info.status);
  // Back from the unlock mail: straight to the room the prospect asked for.
  if (info.viewpointId && info.viewpointId in MARKERS) { go(info.viewpointId); }
  else { window.Freigabe.viewpointShown("eingang"); }
}, () => say("Freigabe nicht erreichbar"));
