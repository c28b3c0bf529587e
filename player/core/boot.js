/*
 * Boot: read what content/course.js set (format, strings, content), honour
 * ?module=, start the player, and make sure leaving the page saves the
 * state and ends the LMS session exactly once.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const document = window.document;
  const CONTENT_SCHEMA = 1;

  function fail(root, message) {
    root.textContent = "";
    root.appendChild(U.el("main", { class: "gsog-main gsog-fatal" }, [
      U.el("h1", { text: U.t("error_title") }),
      U.el("p", { role: "alert", text: message }),
    ]));
  }

  function boot() {
    const root = document.getElementById("gsog-root") || document.body;
    const content = window.GSOG_CONTENT;
    U.setStrings(window.GSOG_STRINGS || {});
    if (!content || content.schema !== CONTENT_SCHEMA) {
      fail(root, U.t("error_content"));
      return;
    }
    document.documentElement.lang = content.course.lang;
    document.title = content.course.title;

    const params = U.params();
    const module = params.module || null;
    if (module && !content.modules.some((m) => m.id === module)) {
      // A packaging error: better to say so than to show (and track) the whole course in one AU.
      fail(root, U.t("error_module", { module }));
      return;
    }

    const tracking = GSOG.tracking.create(window.GSOG_FORMAT, { content, module, params });
    const player = new GSOG.Player({ root, content, tracking, module });
    GSOG.player = player;

    // pagehide is the reliable "leaving" signal (also on mobile and for
    // frames being removed); beforeunload is the fallback for browsers or
    // LMS frames where pagehide does not arrive. Player.leave() runs once.
    // The page is going: end the session, then push out what waits with keepalive requests.
    const leave = () => {
      player.leave();
      tracking.flushNow();
    };
    window.addEventListener("pagehide", leave);
    window.addEventListener("beforeunload", leave);
    // Hidden comes before pagehide and is the last moment a page reliably
    // runs (mobile browsers may discard a hidden page without pagehide;
    // LMS APIs that commit with synchronous XHR fail during dismissal).
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") player.hidden();
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted && player.left) player.showNotice(U.t("session_ended"), "warning");
    });

    player.start().catch((err) => {
      const ended = GSOG.adapters.cmi5 && err instanceof GSOG.adapters.cmi5.SessionEndedError;
      if (!ended) window.console.error("[gsog] start failed:", err);
      fail(root, ended ? U.t("session_ended") : U.t("error_start"));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window);
