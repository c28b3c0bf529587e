/*
 * xAPI adapter for TinCan-style launches: the LMS/LRS launcher adds
 * endpoint, auth (the whole Authorization header value), actor (JSON),
 * registration and activity_id to the URL, and may add the learner's
 * organisation, region, role and level (codes; see lrs/xapi/profile.py),
 * which go into every statement's context with what the build knows.
 *
 * Statements: attempted (first launch) or resumed (return), experienced
 * per unit opened, answered per test item / evaluation answer (with the
 * attempt number), completed (once), passed or failed per post-test
 * attempt, xAPI Video Profile statements per video session, and on leaving
 * suspended (when not finished) followed by terminated. The suspended state
 * is kept in the State API. Everything goes through the persistent outbox
 * (core/outbox.js): kept on this device until the LRS acknowledges it.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const L = GSOG.lrs;
  const STATE_ID = "gsog.suspend";
  /** The State API has no limit, but the state and the last statements must fit the 64 KiB keepalive budget together. */
  const STATE_LIMIT = 32000;
  const COURSE_TYPE = "http://adlnet.gov/expapi/activities/course";
  const MODULE_TYPE = "http://adlnet.gov/expapi/activities/module";

  GSOG.adapters.xapi = function (context) {
    const p = context.params || {};
    const course = context.content.course;
    const lang = course.lang;
    const base = course.iri.replace(/\/+$/, "");
    // The same activity ids the package's tincan.xml declares.
    const courseIri = base + "/" + course.lang + "-" + course.sector;
    const moduleTitle = context.module
      ? (context.content.modules.find((m) => m.id === context.module) || {}).title
      : null;
    let activityId = null;
    let client = null;
    let actor = null;
    let flags = {};
    let sessionStart = Date.now();
    // organisation, region, role and level come as launch-link parameters of those names
    const learner = L.learnerContext(p);
    const adapter = { name: "xapi", stateLimit: STATE_LIMIT };

    const stateQuery = () => ({ activityId, agent: JSON.stringify(actor), registration: p.registration, stateId: STATE_ID });
    const duration = () => U.isoDuration(Date.now() - sessionStart);

    function activity() {
      const name = moduleTitle || course.title;
      return {
        objectType: "Activity",
        id: activityId,
        definition: { type: context.module ? MODULE_TYPE : COURSE_TYPE, name: L.langMap(lang, name) },
      };
    }

    /** Every statement's context: language, registration, parents, and the learner context (build and launch). */
    function ctx(parent) {
      const c = { language: lang, contextActivities: {}, extensions: Object.assign({}, learner) };
      if (p.registration) c.registration = p.registration;
      if (parent) c.contextActivities.parent = [parent];
      if (activityId !== courseIri) c.contextActivities.grouping = [{ objectType: "Activity", id: courseIri }];
      if (!Object.keys(c.contextActivities).length) delete c.contextActivities;
      return c;
    }

    const about = (verbName, result) => {
      const s = L.statement(actor, verbName, activity(), { context: ctx(null) });
      if (result) s.result = result;
      return s;
    };

    adapter.start = function (options) {
      sessionStart = options.sessionStart;
      actor = L.normaliseActor(U.guarded("actor", () => JSON.parse(p.actor || "null"), null));
      if (!p.endpoint || !actor) throw new GSOG.tracking.NoLmsError("no xAPI launch parameters (endpoint, auth, actor)");
      activityId = p.activity_id || (context.module ? courseIri + "/" + context.module : courseIri);
      client = new L.LrsClient(p.endpoint, p.auth || "", "gsog:outbox:" + U.hash([p.endpoint, p.actor, p.registration, activityId].join("|")));
      // a SCORM package's mirror (core/mirror.js) keeps no state in the LRS (its client may not read):
      // the LMS said whether this is a return and whether the course was completed before
      const loaded = context.mirror ? Promise.resolve(context.mirror) : client.loadState(stateQuery());
      return loaded.then((latest) => {
        const resumeState = (latest && latest.state) || "";
        flags = (latest && latest.flags) || {};
        client.send([about(resumeState ? "resumed" : "attempted")]);
        return { resumeState, entry: resumeState ? "resume" : "ab-initio", mode: "normal" };
      });
    };

    adapter.learnerKey = () => (actor ? JSON.stringify(actor) + "|" + (p.registration || "") + "|" + activityId : null);
    L.outboxMethods(adapter, () => client);

    adapter.unitVisited = function (unit) {
      const object = {
        objectType: "Activity",
        id: base + "/units/" + unit.id,
        definition: { type: "http://adlnet.gov/expapi/activities/lesson", name: L.langMap(lang, unit.title) },
      };
      client.send([L.statement(actor, "experienced", object, { context: ctx({ objectType: "Activity", id: activityId }) })]);
    };

    adapter.setProgress = function (progress) {
      if (!progress.completed || flags.completed) return;
      flags.completed = true;
      client.send([{ kind: "completed", statement: about("completed", { completion: true, duration: duration() }) }]);
    };

    /** Every post-test attempt: passed or failed on the launched activity, with score and attempt number. */
    adapter.setScore = function (score) {
      const s = about(score.passed ? "passed" : "failed", {
        success: !!score.passed,
        score: { scaled: score.scaled, raw: score.raw, min: score.min, max: score.max },
        duration: duration(),
      });
      Object.assign(s.context.extensions, L.scoreExtensions(score));
      client.send([{ kind: score.passed ? "passed" : "failed", statement: s }]);
    };

    adapter.setObjectives = function () {
      // Learning goals are reported through each answer's activity and the course result.
    };

    adapter.recordInteraction = function (i) {
      const a = L.interactionActivity(i, lang);
      const c = ctx(i.parent ? { objectType: "Activity", id: i.parent.id } : { objectType: "Activity", id: activityId });
      c.contextActivities.grouping = (c.contextActivities.grouping || []).concat([{ objectType: "Activity", id: activityId }])
        .filter((x, k, all) => all.findIndex((y) => y.id === x.id) === k);
      Object.assign(c.extensions, a.extensions);
      client.send([{ kind: "answered", statement: L.statement(actor, "answered", a.object, { result: a.result, context: c, timestamp: i.timestamp.toISOString() }) }]);
    };

    /** A video statement (core/video.js builds its body; registration, language and parents are added here). */
    adapter.recordVideo = function (event) {
      client.send([{ kind: "video", statement: L.videoStatement(event, actor, (own) => {
        const c = ctx({ objectType: "Activity", id: activityId });
        c.contextActivities = Object.assign(c.contextActivities || {}, own.contextActivities || {});
        Object.assign(c.extensions, own.extensions || {});
        return c;
      }) }]);
    };

    adapter.saveState = function (text) {
      client.putState(stateQuery(), JSON.stringify({ state: text, flags }));
      return client.outbox.persisted;
    };

    adapter.terminate = function (options) {
      const result = { duration: duration() };
      const statements = options.suspend ? [about("suspended", result)] : [];
      statements.push(about("terminated", result));
      client.send(statements.map((statement) => ({ statement, kind: statement.verb.display["en-US"] })));
    };

    return adapter;
  };
})(window);
