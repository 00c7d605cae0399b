// Keeps the "State" of a VideoVersion change page live while it is processed.
// Polls /api/media/versions/{id} every 2 s until the version is final; an
// error answer (logged out, deleted, server trouble) stops or slows polling
// instead of breaking the page.
(function () {
  "use strict";

  const POLL_MS = 2000;

  function label(status) {
    let text = status.state_label;
    if (status.state === "transcoding") text += " " + Math.round(status.progress_percent) + "%";
    if (status.reason) text += " — " + status.reason;
    return text;
  }

  function follow(node) {
    const id = node.dataset.versionStatus;
    let failures = 0;

    async function tick() {
      let response;
      try {
        response = await fetch("/api/media/versions/" + encodeURIComponent(id), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
      } catch (error) {
        failures += 1; // network blip: back off, keep the last text
        if (failures < 10) setTimeout(tick, POLL_MS * (failures + 1));
        return;
      }
      if (!response.ok) {
        // 4xx will not get better by asking again; 5xx might.
        if (response.status >= 500 && failures < 10) {
          failures += 1;
          setTimeout(tick, POLL_MS * (failures + 1));
        }
        return;
      }
      failures = 0;
      let status;
      try {
        status = await response.json();
      } catch (error) {
        return;
      }
      if (!status || typeof status.state_label !== "string") return;
      node.textContent = label(status);
      if (status.is_final) {
        node.dataset.final = "1";
        return;
      }
      setTimeout(tick, POLL_MS);
    }

    if (!node.dataset.final) setTimeout(tick, POLL_MS);
  }

  function start() {
    document.querySelectorAll("[data-version-status]").forEach(follow);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
