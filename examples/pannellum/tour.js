/* Pannellum 2.5.7 + freigabe: the free entrance is a public picture of the player's own site;
 * the protected rooms' panoramas come only from the gate (Freigabe.mediaUrl) once unlocked.
 * Query: ?api=<freigabe base URL>&tour=<tour id>. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var api = params.get("api"), tourId = params.get("tour");
  var statusLabel = document.getElementById("status");
  var viewer = null;
  // Hotspots of protected rooms have no sceneId (Pannellum would open the scene itself):
  // clickHandlerFunc asks the gate first.
  var HOTSPOTS = {
    eingang: [{ pitch: 0, yaw: 0, type: "info", text: "Wohnzimmer", cssClass: "pnlm-hotspot pnlm-scene geschuetzt",
                clickHandlerFunc: go, clickHandlerArgs: "wohnzimmer" }],
    wohnzimmer: [{ pitch: 0, yaw: 180, type: "info", text: "Eingang", cssClass: "pnlm-hotspot pnlm-scene",
                   clickHandlerFunc: go, clickHandlerArgs: "eingang" }]
  };

  function say(text) { statusLabel.textContent = text; }

  function panorama(id) {
    // The public picture needs no gate; every other one is fetched through it.
    return id === "eingang" ? Promise.resolve("eingang.jpg") : window.Freigabe.mediaUrl(id);
  }

  function show(id) {
    return panorama(id).then(function (url) {
      if (!viewer.getConfig().scenes || !(id in viewer.getConfig().scenes)) {
        viewer.addScene(id, { type: "equirectangular", panorama: url, hotSpots: HOTSPOTS[id],
                              pitch: 0, yaw: 0, hfov: 100 });
      }
      viewer.loadScene(id, 0, 0, 100);
      window.Freigabe.viewpointShown(id);
      document.body.setAttribute("data-scene", id);
    });
  }

  function go(event, id) {
    window.Freigabe.requestAccess(id).then(function () { return show(id); },
      function (reason) { say("Zugang: " + reason.reason); });
  }

  function loadEmbed() {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = api + "/embed/v1.js";
      script.onload = resolve;
      script.onerror = function () { reject(new Error("embed")); };
      document.head.appendChild(script);
    });
  }

  viewer = window.pannellum.viewer("panorama", {
    "default": { firstScene: "eingang", sceneFadeDuration: 0, autoLoad: true },
    scenes: { eingang: { type: "equirectangular", panorama: "eingang.jpg", hotSpots: HOTSPOTS.eingang,
                         pitch: 0, yaw: 0, hfov: 100 } }
  });
  viewer.on("load", function () { document.body.setAttribute("data-loaded", viewer.getScene()); });

  loadEmbed().then(function () {
    window.Freigabe.on("statuschange", function (e) { say("Status: " + e.status); });
    return window.Freigabe.init({
      tourId: tourId, baseUrl: api,
      container: document.getElementById("panorama"),  // the dialog stays visible in fullscreen
      fallbackProtected: ["wohnzimmer"]                // closed also when the gate cannot answer
    });
  }).then(function (info) {
    say("Status: " + info.status);
    // Back from the unlock mail: straight to the room the prospect asked for.
    if (info.viewpointId && info.viewpointId in HOTSPOTS) { go(null, info.viewpointId); }
    else { window.Freigabe.viewpointShown("eingang"); }
  }, function () { say("Freigabe nicht erreichbar"); });
})();
