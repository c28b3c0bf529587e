/*
 * cmi5 adapter (one AU per module, launched as index.html?module=...).
 *
 * Start-up, in the order cmi5 section 8 and 10-11 ask: POST the fetch URL
 * once for the auth token (kept in sessionStorage: a reload in the same
 * session cannot fetch again), GET the LMS.LaunchData state document
 * (context template with the session id, launch mode, moveOn, mastery
 * score, return URL), GET the cmi5LearnerPreferences agent profile (404 =
 * defaults), GET our suspend state, then send `initialized` as the
 * session's first statement. `terminated` is its last; both happen once per
 * session (a reload within the session does not send initialized again; a
 * page shown again after terminated ends with "session ended").
 *
 * cmi5-defined statements (category cmi5, object = the AU, the context
 * template, registration, moveon category on completed/passed/failed):
 *   completed   once per registration, when the module's required units are done
 *   passed      once per registration, when a post-test attempt reaches the mastery score
 *   failed      at most once per session and never after passed: a failing attempt
 *               is judged when the session ends (or at once when no attempt is left),
 *               so a learner who fails and then passes in the same session gets
 *               `passed` (cmi5 9.3: one of passed/failed per session)
 * Every post-test attempt is also recorded at once as a cmi5 "allowed"
 * statement (passed/failed on the test activity, no cmi5 category, with
 * score and attempt number), and every answer as "answered", so no attempt
 * is hidden from the evaluation. In Browse and Review launch modes only
 * initialized and terminated are sent (cmi5 10.2.2: nothing is recorded).
 *
 * Everything goes through the persistent outbox (core/outbox.js).
 * Statements a previous session left unsent are sent first after this
 * session's initialized, moved into this session (new id, this session's
 * id); that session's own initialized/terminated are dropped, as the LMS
 * has closed it (abandoned).
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const L = GSOG.lrs;
  const CMI5_CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/cmi5" };
  const MOVEON_CATEGORY = { id: "https://w3id.org/xapi/cmi5/context/categories/moveon" };
  const EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/";
  const MASTERY_EXTENSION = EXTENSION + "masteryscore";
  const SESSION_EXTENSION = EXTENSION + "sessionid";
  const STATE_ID = "gsog.suspend";
  const PREFERENCES = "cmi5LearnerPreferences";
  /** The State API has no limit, but the state and the last statements must fit the 64 KiB keepalive budget together. */
  const STATE_LIMIT = 32000;
  /** Kinds of statement that belong to one session only. */
  const SESSION_BOUND = ["initialized", "terminated"];

  class SessionEndedError extends Error {}

  GSOG.adapters.cmi5 = function (context) {
    const p = context.params || {};
    const lang = context.content.course.lang;
    let client = null;
    let actor = null;
    let launchData = {};
    let normal = true;
    let sessionId = "";
    /** What this registration was sent (queued, never lost): {completed, passed, failed} */
    let flags = {};
    /** This session: {judged, pendingFail: score|null} */
    const session = { judged: false, pendingFail: null };
    let sessionStart = Date.now();
    /** The state text saved last (saved again at terminate when the flags change). */
    let lastText = "";
    const memory = {};
    const store = U.guarded("sessionStorage", () => window.sessionStorage, null);
    const remember = (key, value) => {
      memory[key] = value;
      if (store) U.guarded("sessionStorage", () => store.setItem(key, value));
    };
    const recall = (key) => (store ? U.guarded("sessionStorage", () => store.getItem(key), null) : null) || memory[key] || null;
    const adapter = { name: "cmi5", stateLimit: STATE_LIMIT, exitUrl: null, mode: "normal" };

    const stateQuery = (stateId) => ({
      activityId: p.activityId, agent: JSON.stringify(actor), registration: p.registration, stateId,
    });

    /**
     * The context of every statement: the LMS's template, registration, language, and more.
     * Extensions: the learner context the build knows, then the template's (the LMS puts
     * organisation, region, role and level there; the template wins, cmi5 10.2.1.0-6), then the
     * statement's own.
     */
    function contextFor(categories, extensions, activities) {
      const ctx = JSON.parse(JSON.stringify(launchData.contextTemplate || {}));
      ctx.registration = p.registration;
      ctx.language = lang;
      const acts = ctx.contextActivities || {};
      Object.keys(activities || {}).forEach((key) => { acts[key] = (acts[key] || []).concat(activities[key]); });
      if (categories.length) acts.category = (acts.category || []).concat(categories);
      if (Object.keys(acts).length) ctx.contextActivities = acts;
      ctx.extensions = Object.assign(L.learnerContext(null), ctx.extensions || {}, extensions || {});
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
    const send = (kind, statement) => client.send([{ statement, kind }], sessionId);

    function fetchToken() {
      const key = "gsog:cmi5-token:" + p.fetch;
      const cached = recall(key);
      if (cached) return Promise.resolve(cached);
      return window.fetch(p.fetch, { method: "POST", credentials: "omit" })
        .then((response) => response.json())
        .then((data) => {
          if (!data || !data["auth-token"]) throw new Error("cmi5 fetch URL gave no auth-token: " + (data && data["error-text"]));
          remember(key, data["auth-token"]);
          return data["auth-token"];
        });
    }

    /** Move what an earlier session left unsent into this one. */
    function adoptLeftovers(old) {
      if (!old.length) return;
      const moved = old.filter((i) => SESSION_BOUND.indexOf(i.kind) < 0).map((i) => {
        const statement = JSON.parse(JSON.stringify(i.statement));
        statement.id = U.uuid();
        const ext = (statement.context && statement.context.extensions) || {};
        if (ext[SESSION_EXTENSION]) ext[SESSION_EXTENSION] = sessionId;
        if (i.kind === "failed" && (flags.passed || session.judged)) return null;
        if (i.kind === "passed" || i.kind === "failed") session.judged = true;
        return { statement, kind: i.kind };
      }).filter(Boolean);
      client.send(moved, sessionId);
    }

    adapter.learnerKey = () => (actor ? JSON.stringify(actor) + "|" + p.registration + "|" + p.activityId : null);

    adapter.start = function (options) {
      sessionStart = options.sessionStart;
      if (!p.endpoint || !p.fetch || !p.actor || !p.registration || !p.activityId) {
        throw new GSOG.tracking.NoLmsError("no cmi5 launch parameters (endpoint, fetch, actor, registration, activityId)");
      }
      actor = L.normaliseActor(U.guarded("actor", () => JSON.parse(p.actor), null));
      if (!actor) throw new GSOG.tracking.NoLmsError("cmi5 actor parameter is not an agent");
      if (recall("gsog:cmi5-ended:" + p.fetch)) {
        return Promise.reject(new SessionEndedError("this cmi5 session was terminated; relaunch from the LMS"));
      }
      let preferences = null;
      return fetchToken()
        .then((token) => {
          const outboxKey = "gsog:outbox:" + U.hash([p.endpoint, p.actor, p.registration, p.activityId].join("|"));
          client = new L.LrsClient(p.endpoint, "Basic " + token, outboxKey);
          return client.getState(stateQuery("LMS.LaunchData"));
        })
        .then((data) => {
          if (!data) throw new Error("cmi5 LMS.LaunchData state document is missing");
          launchData = data;
          const ext = (launchData.contextTemplate && launchData.contextTemplate.extensions) || {};
          sessionId = ext[SESSION_EXTENSION] || p.fetch;
          normal = (launchData.launchMode || "Normal") === "Normal";
          adapter.mode = (launchData.launchMode || "Normal").toLowerCase();
          adapter.exitUrl = launchData.returnURL || null;
          return client.getAgentProfile(actor, PREFERENCES).catch((err) => {
            window.console.warn("[gsog] cmi5 learner preferences not read: " + err.message);
            return null;
          });
        })
        .then((prefs) => {
          preferences = prefs;
          return client.loadState(stateQuery(STATE_ID));
        })
        .then((saved) => {
          flags = (saved && saved.flags) || {};
          const initKey = "gsog:cmi5-init:" + sessionId;
          if (!recall(initKey)) {
            // initialized must be this session's first statement: what earlier sessions left waits behind it
            const old = client.outbox.items.filter((i) => !i.doc && i.session !== sessionId);
            client.outbox.items = client.outbox.items.filter((i) => i.doc || i.session === sessionId);
            send("initialized", cmi5Statement("initialized"));
            remember(initKey, "1");
            adoptLeftovers(old);
          } else {
            client.outbox.pump();
          }
          const mastery = Number(launchData.masteryScore);
          const resume = (saved && saved.state) || "";
          return {
            resumeState: resume,
            entry: resume ? "resume" : "ab-initio",
            masteryScore: launchData.masteryScore !== undefined && isFinite(mastery) ? mastery : null,
            mode: adapter.mode,
            preferences: preferences || {},
          };
        });
    };

    L.outboxMethods(adapter, () => client);

    adapter.setProgress = function (progress) {
      if (!normal || !progress.completed || flags.completed) return;
      flags.completed = true;
      send("completed", cmi5Statement("completed", { completion: true, duration: duration() }, true));
    };

    function judgement(verbName, score) {
      const extensions = {};
      if (launchData.masteryScore !== undefined) extensions[MASTERY_EXTENSION] = Number(launchData.masteryScore);
      return cmi5Statement(verbName, {
        success: verbName === "passed",
        score: { scaled: score.scaled, raw: score.raw, min: score.min, max: score.max },
        duration: duration(),
      }, true, extensions);
    }

    /** One post-test attempt: an allowed statement now; the cmi5 judgement per the rules above. */
    adapter.setScore = function (score) {
      if (!normal) return;
      if (score.activity) {
        const attemptResult = {
          success: !!score.passed,
          score: { scaled: score.scaled, raw: score.raw, min: score.min, max: score.max },
        };
        const extensions = L.scoreExtensions(score);
        send("attempt", L.statement(actor, score.passed ? "passed" : "failed",
          { objectType: "Activity", id: score.activity.id, definition: { type: "http://adlnet.gov/expapi/activities/assessment", name: L.langMap(lang, score.activity.name) } },
          { result: attemptResult, context: contextFor([], extensions, { parent: [{ objectType: "Activity", id: p.activityId }] }) }));
      }
      if (flags.passed || session.judged) return;
      if (score.passed) {
        flags.passed = true;
        session.judged = true;
        session.pendingFail = null;
        send("passed", judgement("passed", score));
      } else if (score.final) {
        flags.failed = true;
        session.judged = true;
        session.pendingFail = null;
        send("failed", judgement("failed", score));
      } else {
        session.pendingFail = score;
      }
    };

    adapter.setObjectives = function () {
      // cmi5 declares objectives in the course structure; statements do not carry them.
    };

    adapter.recordInteraction = function (i) {
      if (!normal) return;
      const a = L.interactionActivity(i, lang);
      const activities = { parent: [{ objectType: "Activity", id: p.activityId }] };
      if (i.parent) activities.grouping = [{ objectType: "Activity", id: i.parent.id }];
      send("answered", L.statement(actor, "answered", a.object, {
        result: a.result, context: contextFor([], a.extensions, activities), timestamp: i.timestamp.toISOString(),
      }));
    };

    /** A video statement (core/video.js builds its body; the session's context is added here). */
    adapter.recordVideo = function (event) {
      if (!normal) return;
      send("video", L.videoStatement(event, actor, (own) => contextFor([], own.extensions,
        Object.assign({ parent: [{ objectType: "Activity", id: p.activityId }] }, own.contextActivities || {}))));
    };

    adapter.saveState = function (text) {
      lastText = text;
      client.putState(stateQuery(STATE_ID), JSON.stringify({ state: text, flags }));
      return client.outbox.persisted;
    };

    adapter.terminate = function () {
      if (normal && session.pendingFail && !session.judged && !flags.passed) {
        flags.failed = true;
        session.judged = true;
        send("failed", judgement("failed", session.pendingFail));
        adapter.saveState(lastText); // the flags changed
      }
      send("terminated", cmi5Statement("terminated", { duration: duration() }));
      remember("gsog:cmi5-ended:" + p.fetch, "1");
    };

    return adapter;
  };

  GSOG.adapters.cmi5.SessionEndedError = SessionEndedError;
})(window);
