/*
 * Dual tracking of SCORM packages (issue #9): the SCORM adapters report to
 * the LMS exactly as without it, and hand the same events to this mirror,
 * which sends the statements the xAPI package sends to our LRS. The xAPI
 * adapter (adapters/xapi.js, bundled into SCORM packages for this) builds
 * them: there is one copy of the statement shapes.
 *
 * Only a package built with `course build --lrs URL --lrs-key KEY
 * --organisation ID` has window.GSOG_LRS (content/course.js): {endpoint,
 * auth, organisation, homePage, pseudonymKey}. Without it nothing is sent.
 *
 * - The actor is a pseudonym: the account {homePage: the organisation's
 *   pseudonym home, name: hex HMAC-SHA-256 keyed with pseudonymKey of
 *   "<organisation>\n<LMS learner id>"} (lrs/xapi/dual_tracking.py computes
 *   the same). The learner's name is never read. No learner id from the
 *   LMS: nothing is mirrored (a shared "anonymous" pseudonym would mix
 *   learners).
 * - Open answers (fill-in, long-fill-in: the evaluation's comments) are not
 *   mirrored; reflections are never tracked at all (they stay in the state).
 * - The LMS cannot notice: the mirror never touches the LMS API, every call
 *   into it is guarded, the learner is not told about the LRS (the LMS is
 *   their record), and its statements wait in the persistent outbox
 *   (core/outbox.js) until the LRS takes them, retried with backoff and on
 *   the next launch.
 * - The pseudonym is computed with WebCrypto (asynchronous): events until
 *   then are queued in order. Without WebCrypto (a page served over plain
 *   http from another host than localhost) nothing is mirrored, with a
 *   console warning.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  /** Interaction types whose response is the learner's own words. */
  const OPEN_TYPES = ["fill-in", "long-fill-in"];

  const hex = (buffer) => Array.from(new Uint8Array(buffer)).map((b) => b.toString(16).padStart(2, "0")).join("");

  /** The pseudonym (64 hex digits) of an LMS learner id in the organisation of `config`. */
  function pseudonym(config, learnerId) {
    const subtle = window.isSecureContext && window.crypto ? window.crypto.subtle : null;
    if (!subtle) return Promise.reject(new Error("no WebCrypto here (the page is not a secure context)"));
    const encode = (text) => new window.TextEncoder().encode(text);
    return subtle.importKey("raw", encode(config.pseudonymKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then((key) => subtle.sign("HMAC", key, encode(config.organisation + "\n" + learnerId)))
      .then(hex);
  }

  /**
   * The mirror of one SCORM session, or null when the package has no LRS.
   * `lms`: what the LMS said at start: {learnerId, resumed, completed, sessionStart}.
   */
  function create(context, lms) {
    const config = window.GSOG_LRS;
    if (!config || !config.endpoint) return null;
    if (!lms.learnerId) {
      window.console.warn("[gsog] dual tracking off: the LMS gives no learner id");
      return null;
    }
    let target = null;
    let off = false;
    /** Calls made before the xAPI adapter started, in order. */
    let waiting = [];
    const sentScores = {};

    const call = (method, args) => {
      if (off) return;
      if (!target) {
        waiting.push([method, args]);
        return;
      }
      if (typeof target[method] === "function") U.guarded("dual tracking " + method, () => target[method].apply(target, args));
    };

    pseudonym(config, lms.learnerId).then((name) => {
      const actor = { objectType: "Agent", account: { homePage: config.homePage, name } };
      const params = { endpoint: config.endpoint, auth: config.auth, actor: JSON.stringify(actor), organisation: config.organisation };
      const adapter = GSOG.adapters.xapi(Object.assign({}, context, {
        params,
        mirror: { state: lms.resumed ? "lms" : "", flags: { completed: !!lms.completed } },
      }));
      return Promise.resolve(adapter.start({ sessionStart: lms.sessionStart })).then(() => {
        target = adapter;
        waiting.splice(0).forEach((entry) => call(entry[0], entry[1]));
      });
    }).catch((err) => {
      off = true;
      waiting = [];
      window.console.warn("[gsog] dual tracking off: " + (err && err.message ? err.message : err));
    });

    const methods = {
      unitVisited: (unit) => call("unitVisited", [unit]),
      setProgress: (progress) => call("setProgress", [progress]),
      /** Each attempt once: the tracking wrapper repeats the score when the LMS failed a save. */
      setScore(score) {
        const key = JSON.stringify(score);
        if (sentScores[key]) return;
        sentScores[key] = true;
        call("setScore", [score]);
      },
      recordInteraction(i) {
        if (OPEN_TYPES.indexOf(i.type) < 0) call("recordInteraction", [i]);
      },
      recordVideo: (event) => call("recordVideo", [event]),
      terminate: (options) => call("terminate", [options]),
      flushNow() {
        if (target) target.flushNow();
      },
    };
    // nothing the mirror does may keep the SCORM adapter from its LMS call
    const mirror = {};
    Object.keys(methods).forEach((name) => {
      mirror[name] = (arg) => U.guarded("dual tracking " + name, () => methods[name](arg));
    });
    return mirror;
  }

  GSOG.mirror = { create, pseudonym };
})(window);
