// The account page's buttons: end one session, or all of them. External file: the page's CSP
// allows no inline script. The browser sends the session cookie and an Origin header with each
// DELETE; the service checks both.
document.addEventListener("DOMContentLoaded", function () {
  var send = function (path, then) {
    fetch(path, { method: "DELETE", credentials: "same-origin" }).then(function (answer) {
      if (answer.ok || answer.status === 401 || answer.status === 404) { then(); }
    });
  };
  document.querySelectorAll("[data-end-session]").forEach(function (button) {
    button.addEventListener("click", function () {
      send("/auth/sessions/" + encodeURIComponent(button.getAttribute("data-end-session")), function () {
        window.location.reload();
      });
    });
  });
  var all = document.getElementById("end-all");
  if (all) {
    all.addEventListener("click", function () {
      send("/auth/sessions", function () { window.location.assign("/"); });
    });
  }
});
