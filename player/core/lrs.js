/*
 * A small xAPI 1.0.3 client for the cmi5 and xAPI adapters: statements,
 * the State API, and the activity definitions of interactions.
 *
 * Every request uses fetch with keepalive, so statements and state sent
 * while the page is being left still reach the LRS. Statements are sent in
 * order: each POST waits for the previous one, and statements queued while
 * one is in flight go together in the next POST.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const XAPI_VERSION = "1.0.3";
  /** Browsers allow 64 KiB in flight for all keepalive requests of a page together. */
  const KEEPALIVE_BUDGET = 60000;

  class LrsClient {
    constructor(endpoint, auth) {
      this.endpoint = endpoint.replace(/\/?$/, "/");
      this.auth = auth;
      this.queue = [];
      this.chain = Promise.resolve();
      /** Bytes of keepalive requests not answered yet. */
      this.inflight = 0;
    }

    request(method, resource, query, body) {
      const url = new URL(resource, this.endpoint);
      Object.keys(query || {}).forEach((key) => {
        if (query[key] !== undefined && query[key] !== null && query[key] !== "") url.searchParams.set(key, query[key]);
      });
      const headers = { "X-Experience-API-Version": XAPI_VERSION };
      if (this.auth) headers.Authorization = this.auth;
      const init = { method, headers, credentials: "omit" };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        headers["Content-Type"] = "application/json";
      }
      // Over the browser's keepalive quota fetch fails at once; an ordinary
      // request is better than none. (No retry after a failure: the LRS may
      // have stored the statements already.)
      const size = init.body ? new TextEncoder().encode(init.body).length : 0;
      init.keepalive = this.inflight + size < KEEPALIVE_BUDGET;
      if (init.keepalive) this.inflight += size;
      const done = () => { if (init.keepalive) this.inflight -= size; };
      return window.fetch(url.toString(), init).then(
        (response) => { done(); return response; },
        (err) => { done(); throw err; }
      );
    }

    /** Queue statements; resolves when they were stored (rejects on an LRS error). */
    send(statements) {
      this.queue.push(...statements);
      this.chain = this.chain.catch(() => undefined).then(() => {
        if (!this.queue.length) return undefined;
        const batch = this.queue.splice(0, this.queue.length);
        return this.request("POST", "statements", null, batch).then((response) => {
          if (!response.ok) throw new Error("LRS refused " + batch.length + " statement(s): HTTP " + response.status);
          return response;
        });
      });
      return this.chain;
    }

    /**
     * Send now, beside the queue: used when the page is going away and a
     * chained request would never start. Whatever is still queued goes along.
     */
    sendNow(statements) {
      const batch = this.queue.splice(0, this.queue.length).concat(statements);
      return this.request("POST", "statements", null, batch);
    }

    getState(query) {
      return this.request("GET", "activities/state", query).then((response) => {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error("LRS state " + query.stateId + ": HTTP " + response.status);
        return response.text().then((text) => (text ? JSON.parse(text) : null));
      });
    }

    putState(query, document) {
      return this.request("PUT", "activities/state", query, document).then((response) => {
        if (!response.ok) throw new Error("LRS state " + query.stateId + ": HTTP " + response.status);
        return response;
      });
    }
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

  /** The cmi.interaction activity of an interaction, and the statement result of the learner's answer. */
  function interactionActivity(i, lang) {
    const definition = {
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      name: langMap(lang, i.description.slice(0, 250)),
      description: langMap(lang, i.description),
      interactionType: i.type === "long-fill-in" ? "long-fill-in" : i.type,
    };
    if (i.correct !== undefined && i.correct !== null) definition.correctResponsesPattern = [GSOG.tracking.pattern(i.type, i.correct)];
    const components = (list) => list.map((c) => ({ id: c.id, description: langMap(lang, c.text) }));
    if (i.choices) definition.choices = components(i.choices);
    if (i.source) definition.source = components(i.source);
    if (i.target) definition.target = components(i.target);
    if (i.steps) definition.steps = components(i.steps);
    if (i.scale) definition.scale = components(i.scale);
    const result = { response: GSOG.tracking.pattern(i.type, i.response) };
    if (i.result === "correct" || i.result === "incorrect") result.success = i.result === "correct";
    return { object: { objectType: "Activity", id: i.iri, definition }, result };
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

  GSOG.lrs = { LrsClient, normaliseActor, verb, statement, interactionActivity, langMap, VERBS };
})(window);
