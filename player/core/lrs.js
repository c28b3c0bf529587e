/*
 * A small xAPI 1.0.3 client for the cmi5 and xAPI adapters: statements and
 * the State API through the persistent outbox (core/outbox.js), reads of
 * state and agent profiles, and the activity definitions of interactions.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const XAPI_VERSION = "1.0.3";

  class LrsClient {
    /** outboxKey: where this launch's unsent statements and documents wait (see core/outbox.js). */
    constructor(endpoint, auth, outboxKey) {
      this.endpoint = endpoint.replace(/\/?$/, "/");
      this.auth = auth;
      this.outbox = new GSOG.Outbox(outboxKey, (method, resource, query, body, options) =>
        this.request(method, resource, query, body, options));
      /** document name -> the body queued last (an unchanged state is not queued again) */
      this.lastPut = {};
    }

    request(method, resource, query, body, options) {
      const url = new URL(resource, this.endpoint);
      Object.keys(query || {}).forEach((key) => {
        if (query[key] !== undefined && query[key] !== null && query[key] !== "") url.searchParams.set(key, query[key]);
      });
      const headers = { "X-Experience-API-Version": XAPI_VERSION };
      if (this.auth) headers.Authorization = this.auth;
      const init = { method, headers, credentials: "omit", keepalive: !!(options && options.keepalive) };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        headers["Content-Type"] = "application/json";
      }
      return window.fetch(url.toString(), init);
    }

    /** Queue statements ([{statement, kind}] or statements); they are kept on this device until the LRS has them. */
    send(entries, session) {
      this.outbox.add(entries.map((e) => (e.statement ? e : { statement: e, kind: "" })), session);
    }

    getState(query) {
      return this.request("GET", "activities/state", query).then((response) => {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error("LRS state " + query.stateId + ": HTTP " + response.status);
        return response.text().then((text) => (text ? JSON.parse(text) : null));
      });
    }

    /** An agent profile document (cmi5LearnerPreferences), or null when there is none. */
    getAgentProfile(agent, profileId) {
      return this.request("GET", "agents/profile", { agent: JSON.stringify(agent), profileId }).then((response) => {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error("LRS agent profile " + profileId + ": HTTP " + response.status);
        return response.text().then((text) => (text ? JSON.parse(text) : null));
      });
    }

    /**
     * The suspend document ({state, flags}) to resume from: the one still
     * waiting in the outbox (newer, not sent yet), else the LRS's, else null.
     */
    loadState(query) {
      const waiting = this.outbox.pendingDocument("state:" + query.stateId);
      const parsed = waiting ? U.guarded("waiting state", () => JSON.parse(waiting), null) : null;
      if (parsed) return Promise.resolve(parsed);
      return this.getState(query).catch(() => null);
    }

    /** Queue the newest state document unless it is the one queued last; it goes out after the statements queued before it. */
    putState(query, document) {
      const name = "state:" + query.stateId;
      if (this.lastPut[name] === document) return;
      this.lastPut[name] = document;
      this.outbox.putDocument(name, "activities/state", query, document);
    }
  }

  /**
   * What an adapter whose client has an outbox offers the tracking wrapper
   * (status, sync, flush); `client()` gives the client once start() made it.
   */
  function outboxMethods(adapter, client) {
    adapter.onStatus = (fn) => client().outbox.onChange((s) =>
      fn({ pending: s.pending > 0 && s.retrying, error: s.error, rejected: s.rejected }));
    adapter.sync = (ms) => client().outbox.idle(ms);
    adapter.flushNow = () => client().outbox.flushNow();
  }

  /**
   * A video statement from core/video.js's body, completed with id, actor,
   * timestamp and the adapter's context (`contextOf(ownContext)`). The
   * profile wants a video session's id to be the id of its initialized statement.
   */
  function videoStatement(event, actor, contextOf) {
    const body = JSON.parse(JSON.stringify(event.statement));
    const id = event.verb === "initialized" && event.sessionId ? event.sessionId : U.uuid();
    return Object.assign(body, { id, actor, timestamp: new Date().toISOString(), context: contextOf(body.context || {}) });
  }

  /** Agents from TinCan launch links may carry arrays (legacy 0.9 form); xAPI wants single values. */
  function normaliseActor(actor) {
    if (!actor || typeof actor !== "object") return null;
    const first = (v) => (Array.isArray(v) ? v[0] : v);
    const out = { objectType: "Agent" };
    if (actor.name) out.name = first(actor.name);
    if (actor.mbox) out.mbox = first(actor.mbox);
    else if (actor.mbox_sha1sum) out.mbox_sha1sum = first(actor.mbox_sha1sum);
    else if (actor.openid) out.openid = first(actor.openid);
    else if (actor.account) {
      const a = first(actor.account);
      out.account = { homePage: a.homePage || a.accountServiceHomePage, name: a.name || a.accountName };
    }
    return out.mbox || out.mbox_sha1sum || out.openid || out.account ? out : null;
  }

  const VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    attempted: "http://adlnet.gov/expapi/verbs/attempted",
    resumed: "http://adlnet.gov/expapi/verbs/resumed",
    experienced: "http://adlnet.gov/expapi/verbs/experienced",
    answered: "http://adlnet.gov/expapi/verbs/answered",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    suspended: "http://adlnet.gov/expapi/verbs/suspended",
    terminated: "http://adlnet.gov/expapi/verbs/terminated",
  };

  function verb(name) {
    return { id: VERBS[name], display: { "en-US": name } };
  }

  /** A language map for one text. */
  const langMap = (lang, text) => {
    const map = {};
    map[lang] = text;
    return map;
  };

  /**
   * Interaction components each xAPI interactionType allows (xAPI 1.0.3
   * Data 2.4.4.1.4 / 2.0.0 9.4.4.1.4): sequencing orders `choices`,
   * `steps` belong to performance only.
   */
  const COMPONENTS = {
    choice: ["choices"],
    sequencing: ["choices"],
    likert: ["scale"],
    matching: ["source", "target"],
    performance: ["steps"],
  };

  /**
   * Our xAPI profile's vocabulary, as the build wrote it into content/course.js
   * (window.GSOG_PROFILE, from lrs/xapi/profile.py, where each IRI is defined
   * once): {extensions: {name: IRI}, build: {name: value}, launch: {name: JSON
   * Schema of the value}, maxLaunchValue}.
   */
  function profile() {
    const found = window.GSOG_PROFILE;
    if (!found || !found.extensions) throw new Error("content/course.js has no GSOG_PROFILE: rebuild the package");
    return found;
  }

  /** The IRI of our extension `name` (sector, organisation, attempt, ...). */
  function extensionIri(name) {
    const iri = profile().extensions[name];
    if (!iri) throw new Error("no extension " + name + " in the package's profile");
    return iri;
  }

  /** Whether a launch value fits its field's schema (a code of bounded length, or one of an enum). */
  function launchValueOk(schema, value, max) {
    if (typeof value !== "string" || !value || value.length > max) return false;
    if (schema.enum) return schema.enum.indexOf(value) >= 0;
    return new RegExp(schema.pattern).test(value);
  }

  /**
   * The learner context extensions (IRI -> value) for every statement: what the
   * build knows (sector, language, course, versions, format) and, from `given`
   * (the launch's parameters, or null), organisation, region, role and level.
   * Absent or invalid launch values are left out, never guessed: reports count
   * them as unknown.
   */
  function learnerContext(given) {
    const p = profile();
    const out = {};
    Object.keys(p.build || {}).forEach((name) => { out[p.extensions[name]] = p.build[name]; });
    Object.keys(p.launch || {}).forEach((name) => {
      const value = given ? given[name] : undefined;
      if (value === undefined || value === null || value === "") return;
      if (launchValueOk(p.launch[name], value, p.maxLaunchValue)) out[p.extensions[name]] = value;
      else window.console.warn("[gsog] launch parameter " + name + " ignored: not a valid code");
    });
    return out;
  }

  /** The cmi.interaction activity of an interaction, and the statement result of the learner's answer. */
  function interactionActivity(i, lang) {
    const definition = {
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      name: langMap(lang, i.description.slice(0, 250)),
      description: langMap(lang, i.description),
      interactionType: i.type,
    };
    if (i.correct !== undefined && i.correct !== null) definition.correctResponsesPattern = [GSOG.tracking.pattern(i.type, i.correct)];
    const components = (list) => list.map((c) => ({ id: c.id, description: langMap(lang, c.text) }));
    // the neutral shape names the list of a sequencing item `steps`; xAPI calls it `choices`
    const lists = { choices: i.choices || (i.type === "sequencing" ? i.steps : null), scale: i.scale, source: i.source, target: i.target, steps: i.steps };
    (COMPONENTS[i.type] || []).forEach((name) => { if (lists[name]) definition[name] = components(lists[name]); });
    const result = { response: GSOG.tracking.pattern(i.type, i.response) };
    if (i.result === "correct" || i.result === "incorrect") result.success = i.result === "correct";
    const extensions = {};
    // which attempt of a test the answer belongs to (1, 2, ...)
    if (i.attempt) extensions[extensionIri("attempt")] = i.attempt;
    // a test item's answer: whether it was asked in the pre-test or the post-test (knowledge gain
    // pairs the two) and the learning goals it tests (goal mastery, knowledge gain per goal)
    if (i.role) {
      extensions[extensionIri("test-role")] = i.role;
      if (i.objectives && i.objectives.length) extensions[extensionIri("learning-goals")] = i.objectives.slice();
    }
    return { object: { objectType: "Activity", id: i.iri, definition }, result, extensions };
  }

  /** The extensions of a per-attempt test result: which attempt, and whether it is the pre- or post-test. */
  function scoreExtensions(score) {
    const extensions = {};
    if (score.attempt) extensions[extensionIri("attempt")] = score.attempt;
    if (score.activity && score.activity.role) extensions[extensionIri("test-role")] = score.activity.role;
    return extensions;
  }

  function statement(actor, verbName, object, extra) {
    return Object.assign({
      id: U.uuid(),
      actor,
      verb: verb(verbName),
      object,
      timestamp: new Date().toISOString(),
    }, extra || {});
  }

  GSOG.lrs = {
    LrsClient, normaliseActor, verb, statement, interactionActivity, langMap, VERBS, extensionIri, learnerContext,
    scoreExtensions,
    outboxMethods, videoStatement,
  };
})(window);
