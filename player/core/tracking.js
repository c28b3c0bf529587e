/*
 * The tracking interface everything in the player talks to, whatever the
 * package format:
 *
 *   start()                      -> Promise<{resumeState, entry, masteryScore, mode}>
 *   setProgress({completed, progressMeasure})
 *   setScore({raw, min, max, scaled, passed})
 *   setObjectives([{id, completed, progressMeasure, scaled, passed}])   (learning goals)
 *   recordInteraction({id, iri, type, description, objectives, response, correct, result, ...})
 *   saveState(state)             (a GSOG.State; serialised within the format's limit)
 *   unitVisited(unit)            (optional for adapters: xAPI "experienced")
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
        if (storage) U.guarded("save local state", () => storage.setItem(key, text));
      },
      terminate() {},
    };
  }

  class Tracking {
    constructor(adapter, context) {
      this.adapter = adapter;
      this.context = context;
      this.offline = false;
      this.started = false;
      this.terminated = false;
      this.sessionStart = Date.now();
      this._sent = {};
    }

    get stateLimit() {
      return this.adapter.stateLimit || 64000;
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
          return Object.assign({ resumeState: "", entry: "", masteryScore: null, mode: "normal" }, result || {});
        });
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

    /** The learner opened a unit (only formats that report each unit, xAPI, act on it). */
    unitVisited(unit) {
      if (typeof this.adapter.unitVisited !== "function") return undefined;
      return this._call("unitVisited", [{ id: unit.id, title: unit.title, kind: unit.kind }]);
    }

    /** Persist the state (and the current unit as location) now. */
    saveState(state) {
      const text = state.serialise(this.stateLimit);
      return this._call("saveState", [text, { location: state.current || "" }]);
    }

    /** End the session, once: suspend when the learner will come back to finish. */
    terminate(options) {
      if (!this.started || this.terminated) return undefined;
      const result = this._call("terminate", [{
        suspend: !!(options && options.suspend),
        sessionMs: Date.now() - this.sessionStart,
      }]);
      this.terminated = true;
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
