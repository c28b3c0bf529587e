/*
 * The tracking interface everything in the player talks to, whatever the
 * package format:
 *
 *   start()                      -> Promise<{resumeState, entry, masteryScore, mode}>
 *   setProgress({completed, progressMeasure})
 *   setScore({raw, min, max, scaled, passed})
 *   setObjectives([{id, completed, progressMeasure, scaled, passed}])   (learning goals)
 *   recordInteraction({id, iri, type, description, objectives, response, correct, result, ...})
 *   saveState(state)             -> Promise<{stored}>  (a GSOG.State; serialised within the format's limit)
 *   unitVisited(unit)            (optional for adapters: xAPI "experienced")
 *   recordVideo(event)           (optional for adapters: xAPI Video Profile, see core/video.js)
 *   sync(ms)                     -> Promise<boolean>: everything so far reached the LMS/LRS
 *   onStatus(fn)                 fn({pending, error, local, rejected}) on every change
 *   terminate({suspend})
 *
 * One adapter per format (adapters/*.js) implements the same methods against
 * its LMS API; only that adapter is in a package's player.js. This wrapper
 * adds what every format needs: calls after terminate are ignored, terminate
 * happens once, repeated identical progress/score reports are not re-sent,
 * and an LMS error is logged instead of breaking the course. When no LMS is
 * found (a package opened outside an LMS, a preview), tracking falls back to
 * this browser's localStorage and the player says so.
 *
 * Honesty: an adapter's saveState answers whether the LMS stored the state
 * (SCORM: SetValue and Commit returned "true"; xAPI/cmi5: the outbox has
 * it on this device and sends it until the LRS acknowledges). When the LMS
 * did not store it, the state is kept in this browser as a backup, the
 * learner is told, and the whole report (status, score, objectives, state)
 * is written again with backoff until the LMS takes it. On the next launch
 * the newer of the LMS's and the backup's state is resumed.
 *
 * Interaction values are passed in one neutral shape and each adapter writes
 * its own format:
 *   choice       response/correct: [optionId, ...]          choices: [{id, text}]
 *   true-false   response/correct: true | false
 *   matching     response/correct: [[sourceId, targetId], ...]  source/target: [{id, text}]
 *   sequencing   response/correct: [stepId, ...]             steps: [{id, text}]
 *   likert       response: scale point id ("1".."7")         scale: [{id, text}]
 *   long-fill-in response: text
 *   result: "correct" | "incorrect" | "neutral"
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;

  /** Adapters register a factory here: GSOG.adapters.scorm12 = (context) => adapter. */
  GSOG.adapters = GSOG.adapters || {};

  /** Thrown by an adapter's start() when its LMS/LRS is not there. */
  class NoLmsError extends Error {}

  /** SCORM 2004 and xAPI share the response pattern syntax ("[,]" and "[.]" delimiters). */
  function pattern(type, value) {
    switch (type) {
      case "true-false":
        return value ? "true" : "false";
      case "choice":
      case "sequencing":
        return value.join("[,]");
      case "matching":
        return value.map((pair) => pair[0] + "[.]" + pair[1]).join("[,]");
      default:
        return String(value);
    }
  }

  const SEARCH_DEPTH = 10;

  /**
   * SCORM API discovery: the API object named `name` ("API" for 1.2,
   * "API_1484_11" for 2004) in this window or a parent, then in the opener's
   * chain (LMSs that open the course in a pop-up). Cross-origin frames throw
   * on access; they are skipped.
   */
  function findApi(name, start) {
    const quiet = (fn) => {
      try {
        return fn();
      } catch (err) {
        return null;
      }
    };
    const search = (win) => {
      let current = win;
      for (let depth = 0; current && depth <= SEARCH_DEPTH; depth += 1) {
        const here = current;
        const api = quiet(() => here[name]);
        if (api) return api;
        if (!here.parent || here.parent === here) break;
        current = here.parent;
      }
      return null;
    };
    const opener = (win) => quiet(() => win.opener);
    const top = quiet(() => start.top);
    return search(start) || (opener(start) ? search(opener(start)) : null) ||
      (top && top !== start && opener(top) ? search(opener(top)) : null);
  }

  /** Offline fallback: state in this browser only, nothing reported. */
  function localAdapter(context) {
    const key = "gsog:" + [context.content.course.id, context.content.course.version, context.content.course.lang,
      context.content.course.sector, context.module || "all"].join(":");
    const storage = U.guarded("localStorage", () => window.localStorage, null);
    return {
      name: "local",
      stateLimit: 64000,
      start() {
        const saved = storage ? U.guarded("read local state", () => storage.getItem(key), null) : null;
        return { resumeState: saved || "", entry: saved ? "resume" : "ab-initio" };
      },
      setProgress() {},
      setScore() {},
      setObjectives() {},
      recordInteraction() {},
      saveState(text) {
        return storage ? U.guarded("save local state", () => { storage.setItem(key, text); return true; }, false) : false;
      },
      terminate() {},
    };
  }

  const RETRY_MIN = 2000;
  const RETRY_MAX = 60000;

  class Tracking {
    constructor(adapter, context) {
      this.adapter = adapter;
      this.context = context;
      this.offline = false;
      this.started = false;
      this.terminated = false;
      this.sessionStart = Date.now();
      this._sent = {};
      this._listeners = [];
      this._retryDelay = 0;
      this._retryTimer = null;
      /** Called before a retry so the player can write its whole report again. */
      this.onRetry = null;
      this.status = { pending: false, error: null, local: false, rejected: 0 };
      this._storage = U.guarded("localStorage", () => window.localStorage, null);
    }

    get stateLimit() {
      return this.adapter.stateLimit || 64000;
    }

    /** Where this learner's backup of the state lives in this browser (null: the adapter keeps its own). */
    _backupKey() {
      const c = this.context.content.course;
      const who = this.adapter.learnerKey ? this.adapter.learnerKey() : null;
      if (!who) return null;
      return "gsog:backup:" + [this.adapter.name, c.id, c.version, c.lang, c.sector, this.context.module || "all", U.hash(who)].join(":");
    }

    _readBackup() {
      const key = this._backupKey();
      return key && this._storage ? U.guarded("read backup", () => this._storage.getItem(key), null) : null;
    }

    _writeBackup(text) {
      const key = this._backupKey();
      if (key && this._storage) U.guarded("keep backup", () => this._storage.setItem(key, text));
    }

    /** Connect to the LMS; resolves with what it knows of earlier sessions. */
    start() {
      const begin = () => Promise.resolve().then(() => this.adapter.start({ sessionStart: this.sessionStart }));
      return begin()
        .catch((err) => {
          if (!(err instanceof NoLmsError)) throw err;
          window.console.warn("[gsog] " + err.message + "; progress is kept in this browser only");
          this.adapter = localAdapter(this.context);
          this.offline = true;
          return begin();
        })
        .then((result) => {
          this.started = true;
          const session = Object.assign({ resumeState: "", entry: "", masteryScore: null, mode: "normal" }, result || {});
          // The LMS may have missed the last saves (it failed, or the page closed first): resume the newer copy.
          const backup = this._readBackup();
          if (backup) session.resumeState = GSOG.State.newer(this.context.content, session.resumeState, backup);
          if (typeof this.adapter.onStatus === "function") this.adapter.onStatus((s) => this._setStatus(s));
          this._setStatus({ local: this.offline });
          return session;
        });
    }

    /** Listen to the saving status: fn({pending, error, local, rejected}). */
    onStatus(fn) {
      this._listeners.push(fn);
      fn(this.status);
    }

    _setStatus(change) {
      this.status = Object.assign({}, this.status, change);
      this._listeners.forEach((fn) => U.guarded("status listener", () => fn(this.status)));
    }

    _call(method, args, dedupeKey) {
      if (!this.started || this.terminated) return undefined;
      if (dedupeKey !== undefined) {
        const key = JSON.stringify(args);
        if (this._sent[dedupeKey] === key) return undefined;
        this._sent[dedupeKey] = key;
      }
      const result = U.guarded(this.adapter.name + "." + method, () => this.adapter[method].apply(this.adapter, args));
      if (result && typeof result.catch === "function") {
        result.catch((err) => window.console.error("[gsog] " + this.adapter.name + "." + method + ":", err));
      }
      return result;
    }

    setProgress(progress) {
      return this._call("setProgress", [progress], "progress");
    }

    setScore(score) {
      return this._call("setScore", [score], "score");
    }

    setObjectives(objectives) {
      return this._call("setObjectives", [objectives], "objectives");
    }

    recordInteraction(interaction) {
      return this._call("recordInteraction", [Object.assign({ timestamp: new Date() }, interaction)]);
    }

    /** A video event (core/video.js); only formats that send xAPI act on it. */
    recordVideo(event) {
      if (typeof this.adapter.recordVideo !== "function") return undefined;
      return this._call("recordVideo", [event]);
    }

    /** The learner opened a unit (only formats that report each unit, xAPI, act on it). */
    unitVisited(unit) {
      if (typeof this.adapter.unitVisited !== "function") return undefined;
      return this._call("unitVisited", [{ id: unit.id, title: unit.title, kind: unit.kind }]);
    }

    /**
     * Persist the state (and the current unit as location) now. Resolves
     * {stored}: true when the LMS has it (SCORM committed it; xAPI/cmi5: the
     * outbox has it on this device, see sync() for "sent").
     */
    saveState(state) {
      if (!this.started || this.terminated) return Promise.resolve({ stored: false });
      const text = state.serialise(this.stateLimit);
      const answer = this._call("saveState", [text, { location: state.current || "" }]);
      return Promise.resolve(answer).then((ok) => {
        const stored = ok !== false;
        if (stored) {
          if (this._retryDelay) this._retryDelay = 0;
          // an adapter with an outbox reports its own status; for the others, a stored save is the news
          if (typeof this.adapter.onStatus !== "function") this._setStatus({ pending: false, error: null });
        } else {
          // keep it here, tell the learner, write everything again later
          this._writeBackup(text);
          this._sent = {};
          this._setStatus({ pending: true, error: "lms" });
          this._scheduleRetry();
        }
        if (stored && this._backupKey()) this._writeBackup(text);
        return { stored };
      });
    }

    _scheduleRetry() {
      if (this._retryTimer !== null || this.terminated) return;
      this._retryDelay = Math.min(RETRY_MAX, this._retryDelay ? this._retryDelay * 2 : RETRY_MIN);
      this._retryTimer = window.setTimeout(() => {
        this._retryTimer = null;
        if (this.terminated) return;
        if (this.onRetry) U.guarded("retry", () => this.onRetry());
      }, this._retryDelay);
    }

    /** Resolves true when everything reported so far reached the LMS/LRS (false after `ms`). */
    sync(ms) {
      if (this.offline) return Promise.resolve(false);
      if (typeof this.adapter.sync === "function") return this.adapter.sync(ms);
      return Promise.resolve(!this.status.pending);
    }

    /** The page is being hidden or left: push out what waits, now. */
    flushNow() {
      if (typeof this.adapter.flushNow === "function") U.guarded("flush", () => this.adapter.flushNow());
    }

    /** End the session, once: suspend when the learner will come back to finish. */
    terminate(options) {
      if (!this.started || this.terminated) return undefined;
      const result = this._call("terminate", [{
        suspend: !!(options && options.suspend),
        sessionMs: Date.now() - this.sessionStart,
      }]);
      this.terminated = true;
      window.clearTimeout(this._retryTimer);
      return result;
    }
  }

  GSOG.tracking = {
    Tracking,
    NoLmsError,
    pattern,
    findApi,
    localAdapter,
    /** The Tracking for this package's format (`GSOG_FORMAT`), falling back to local storage. */
    create(format, context) {
      const factory = GSOG.adapters[format];
      const adapter = factory ? factory(context) : localAdapter(context);
      return new Tracking(adapter, context);
    },
  };
})(window);
