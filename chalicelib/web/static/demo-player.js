(function () {
  "use strict";
  var tourId = document.body.getAttribute("data-tour-id");
  var colors = ["#1d4ed8", "#047857", "#b45309", "#7c3aed", "#be123c", "#0e7490"];
  var panel = document.getElementById("panel");
  var stateLabel = document.getElementById("state");

  function show(name, index) {
    panel.textContent = name;
    panel.style.background = colors[index % colors.length];
  }

  window.Freigabe.init({ tourId: tourId }).then(function (info) {
    stateLabel.textContent = "Status: " + info.status;
    var names = ["eingang", "flur"].concat(info.protected_viewpoints || []);
    var nav = document.getElementById("viewpoints");
    names.forEach(function (name, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = name;
      button.setAttribute("data-viewpoint", name);
      if (window.Freigabe.isProtected(name)) { button.className = "protected"; }
      button.addEventListener("click", function () {
        window.Freigabe.requestAccess(name).then(function () {
          stateLabel.textContent = "Status: " + window.Freigabe.status();
          show(name, index);
        }, function () { /* the viewer closed the dialog */ });
      });
      nav.appendChild(button);
    });
  }, function (error) { stateLabel.textContent = error.message; });
})();
