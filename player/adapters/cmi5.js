/*
 * cmi5 adapter (one AU per module, launched as index.html?module=...).
 *
 * Launch: the LMS adds endpoint, fetch, actor, registration and activityId
 * to the URL. The AU POSTs the fetch URL once for its auth token (kept in
 * sessionStorage, as a reload may not fetch it again), reads the
 * LMS.LaunchData state document (context template, launch mode, mastery
 * score, return URL), and sends the cmi5-defined statements:
 *   initialized                   on start
 *   completed                     once per registration, when required units are done
 *   passed / failed               once per registration each (no failed after passed), with score
 *   terminated                    when the learner leaves
 * all with the context template, the registration and the cmi5 category
 * (plus moveOn for completed/passed/failed). Answers to test items are
 * "answered" statements (cmi5 allowed statements, without the cmi5 category).
 * Completed/passed/failed/answered are sent in Normal launch mode only.
 * The suspended state lives in the xAPI State API with the flags of what
 * was already sent.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const L = GSOG.lrs;
  const CMI5_CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" };
  const MOVEON_CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/moveon" };
  const MASTERY_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore";
  const STATE_ID = "gsog.suspend";
  /** The State API has no limit, but the state and the last statements must fit the 64 KiB keepalive budget together. */
  const STATE_LIMIT = 32000;

  GSOG.adapters.cmi5 = function (context) {
    const p = context.params || {};
    const lang = context.content.course.lang;
    let client = null;
    let actor = null;
    let launchData = {};
    let normal = true;
    let sent = {};
    let sessionStart = Date.now();
    let lastState = null;
    const adapter = { name: "cmi5", stateLimit: STATE_LIMIT, exitUrl: null };

    const stateQuery = (stateId) => ({
      activityId: p.activityId, agent: JSON.stringify(actor), registration: p.registration, stateId,
    });

    function contextFor(categories, extensions) {
      const ctx = JSON.parse(JSON.stringify(launchData.contextTemplate || {}));
      ctx.registration = p.registration;
      ctx.language = lang;
      if (categories.length) {
        ctx.contextActivities = ctx.contextActivities || {};
        ctx.contextActivities.category = (ctx.contextActivities.category || []).concat(categories);
      }
      if (extensions) ctx.extensions = Object.assign(ctx.extensions || {}, extensions);
      return ctx;
    }

    function cmi5Statement(verbName, result, moveOn, extensions) {
      const s = L.statement(actor, verbName, { objectType: "Activity", id: p.activityId }, {
        context: contextFor(moveOn ? [CMI5_CATEGORY, MOVEON_CATEGORY] : [CMI5_CATEGORY], extensions),
      });
      if (result) s.result = result;
      return s;
    }

    const duration = () => U.isoDuration(Date.now() - sessionStart);

    function fetchToken() {
      const key = "gsog:cmi5-token:" + p.fetch;
      const store = U.guarded("sessionStorage", () => window.sessionStorage, null);
      const cached = store ? U.guarded("read token", () => store.getItem(key), null) : null;
      if (cached) return Promise.resolve(cached);
      return window.fetch(p.fetch, { method: "POST", credentials: "omit" })
        .then((response) => response.json())
        .then((data) => {
          if (!data || !data["auth-token"]) throw new Error("cmi5 fetch URL gave no auth-token: " + (data && data["error-text"]));
          if (store) U.guarded("keep token", () => store.setItem(key, data["auth-token"]));
          return data["auth-token"];
        });
    }

    adapter.start = function (options) {
      sessionStart = options.sessionStart;
      if (!p.endpoint || !p.fetch || !p.actor || !p.registration || !p.activityId) {
        throw new GSOG.tracking.NoLmsError("no cmi5 launch parameters (endpoint, fetch, actor, registration, activityId)");
      }
      actor = L.normaliseActor(U.guarded("actor", () => JSON.parse(p.actor), null));
      if (!actor) throw new GSOG.tracking.NoLmsError("cmi5 actor parameter is not an agent");
      return fetchToken()
        .then((token) => {
          client = new L.LrsClient(p.endpoint, "Basic " + token);
          return client.getState(stateQuery("LMS.LaunchData"));
        })
        .then((data) => {
          if (!data) throw new Error("cmi5 LMS.LaunchData state document is missing");
          launchData = data;
          normal = (launchData.launchMode || "Normal") === "Normal";
          adapter.exitUrl = launchData.returnURL || null;
          return client.getState(stateQuery(STATE_ID)).catch(() => null);
        })
        .then((saved) => {
          sent = (saved && saved.sent) || {};
          client.send([cmi5Statement("initialized")]);
          const mastery = Number(launchData.masteryScore);
          return {
            resumeState: (saved && saved.state) || "",
            entry: saved && saved.state ? "resume" : "ab-initio",
            masteryScore: launchData.masteryScore !== undefined && isFinite(mastery) ? mastery : null,
            mode: (launchData.launchMode || "Normal").toLowerCase(),
          };
        });
    };

    adapter.setProgress = function (progress) {
      if (!normal || !progress.completed || sent.completed) return;
      sent.completed = true;
      client.send([cmi5Statement("completed", { completion: true, duration: duration() }, true)]);
    };

    adapter.setScore = function (score) {
      if (!normal || sent.passed || (!score.passed && sent.failed)) return;
      const verbName = score.passed ? "passed" : "failed";
      sent[verbName] = true;
      const extensions = {};
      if (launchData.masteryScore !== undefined) extensions[MASTERY_EXTENSION] = Number(launchData.masteryScore);
      client.send([cmi5Statement(verbName, {
        success: !!score.passed,
        score: { scaled: score.scaled, raw: score.raw, min: score.min, max: score.max },
        duration: duration(),
      }, true, Object.keys(extensions).length ? extensions : null)]);
    };

    adapter.setObjectives = function () {
      // cmi5 declares objectives in the course structure; statements do not carry them.
    };

    adapter.recordInteraction = function (i) {
      if (!normal) return;
      const a = L.interactionActivity(i, lang);
      const ctx = contextFor([]);
      ctx.contextActivities = ctx.contextActivities || {};
      ctx.contextActivities.parent = [{ objectType: "Activity", id: p.activityId }];
      if (i.parent) ctx.contextActivities.grouping = (ctx.contextActivities.grouping || []).concat([{ objectType: "Activity", id: i.parent.id }]);
      client.send([L.statement(actor, "answered", a.object, { result: a.result, context: ctx, timestamp: i.timestamp.toISOString() })]);
    };

    adapter.saveState = function (text) {
      const doc = JSON.stringify({ state: text, sent });
      if (doc === lastState) return undefined;
      lastState = doc;
      return client.putState(stateQuery(STATE_ID), doc);
    };

    adapter.terminate = function () {
      return client.sendNow([cmi5Statement("terminated", { duration: duration() })]);
    };

    return adapter;
  };
})(window);
