/* Marzipano 0.10.2 + freigabe: the free entrance is a public picture of the player's own site;
 * the protected rooms' panoramas come only from the gate (Freigabe.mediaUrl) once unlocked.
 * Query: ?api=<freigabe base URL>&tour=<tour id>. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var api = params.get("api"), tourId = params.get("tour");
  var statusLabel = document.getElementById("status");
  var element = document.getElementById("panorama");
  var viewer = new window.Marzipano.Viewer(element);
  // A hotspot is only a button: which room it leads to is here, and the glue switches.
  var HOTSPOTS = {
    eingang: [{ yaw: 0, pitch: 0, text: "Wohnzimmer", to: "wohnzimmer", protectedRoom: true }],
    wohnzimmer: [{ yaw: Math.PI, pitch: 0, text: "Eingang", to: "eingang" }]
  };
  var scenes = {}, shown = null;

  function say(text) { statusLabel.textContent = text; }

  // Marzipano's drag and pinch controls listen on the viewer's element: a hotspot or button
  // keeps its own touches and clicks (as Marzipano's sample tour does).
  function keepEvents(el) {
    ["touchstart", "touchmove", "touchend", "touchcancel", "pointerdown", "pointermove",
     "pointerup", "pointercancel", "mousedown", "wheel"].forEach(function (type) {
      el.addEventListener(type, function (event) { event.stopPropagation(); });
    });
  }

  function sceneFor(id, url) {
    if (scenes[id]) { return scenes[id]; }
    var scene = viewer.createScene({
      source: window.Marzipano.ImageUrlSource.fromString(url),
      geometry: new window.Marzipano.EquirectGeometry([{ width: 1024 }]),
      view: new window.Marzipano.RectilinearView({ yaw: 0, pitch: 0, fov: 100 * Math.PI / 180 },
        window.Marzipano.RectilinearView.limit.traditional(1024, 120 * Math.PI / 180)),
      pinFirstLevel: true
    });
    HOTSPOTS[id].forEach(function (spot) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "raum" + (spot.protectedRoom ? " geschuetzt" : "");
      button.textContent = spot.text;
      keepEvents(button);
      button.addEventListener("click", function () { go(spot.to); });
      scene.hotspotContainer().createHotspot(button, { yaw: spot.yaw, pitch: spot.pitch });
    });
    scenes[id] = scene;
    return scene;
  }

  // The stage reports a stable frame once every visible texture of the scene is drawn.
  viewer.stage().addEventListener("renderComplete", function (stable) {
    if (stable && shown) { document.body.setAttribute("data-loaded", shown); }
  });

  function panorama(id) {
    // The public picture needs no gate; every other one is fetched through it.
    return id === "eingang" ? Promise.resolve("eingang.jpg") : window.Freigabe.mediaUrl(id);
  }

  function show(id) {
    return panorama(id).then(function (url) {
      shown = id;
      sceneFor(id, url).switchTo({ transitionDuration: 0 });
      if (window.Freigabe) { window.Freigabe.viewpointShown(id); }
      if (id !== "eingang") { document.body.setAttribute("data-scene", id); }
    });
  }

  function go(id) {
    window.Freigabe.requestAccess(id).then(function () { return show(id); },
      function (reason) { say("Zugang: " + reason.reason); });
  }

  var fullscreen = document.getElementById("vollbild");
  keepEvents(fullscreen);
  fullscreen.addEventListener("click", function () {
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else { element.requestFullscreen(); }  // the element the dialog is mounted in
  });

  function loadEmbed() {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = api + "/embed/v1.js";
      script.onload = resolve;
      script.onerror = function () { reject(new Error("embed")); };
      document.head.appendChild(script);
    });
  }

  show("eingang");
  loadEmbed().then(function () {
    window.Freigabe.on("statuschange", function (e) { say("Status: " + e.status); });
    return window.Freigabe.init({
      tourId: tourId, baseUrl: api,
      container: element,               // the dialog stays visible in fullscreen
      fallbackProtected: ["wohnzimmer"] // closed also when the gate cannot answer
    });
  }).then(function (info) {
    say("Status: " + info.status);
    // Back from the unlock mail: straight to the room the prospect asked for.
    if (info.viewpointId && info.viewpointId in HOTSPOTS) { go(info.viewpointId); }
    else { window.Freigabe.viewpointShown("eingang"); }
  }, function () { say("Freigabe nicht erreichbar"); });
})();
