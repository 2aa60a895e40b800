// Copies the exchange code on the success page. External file: the page's CSP allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("copy-button");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) { return; }
    field.select();
    var done = function () { button.textContent = "Скопировано / Copied"; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
