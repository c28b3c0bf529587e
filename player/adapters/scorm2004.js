/*
 * SCORM 2004 4th edition adapter: the LMS's `API_1484_11` object.
 *
 * Completion and success are separate here: cmi.completion_status follows
 * the required units (with cmi.progress_measure, which the manifest's
 * completionThreshold reads), cmi.success_status and cmi.score follow the
 * post-test. Each learning goal is a cmi.objectives entry with the id the
 * manifest declares (the goal id), so LMS reports can show goals, and the
 * post-test result also goes to the primary objective the manifest names
 * (course-mastery). Neither status is ever lowered from what the LMS
 * already holds. saveState answers whether the LMS stored it (every
 * SetValue and Commit returned "true"); what it refused is written again.
 *
 * Dual tracking (a package built with --lrs): every event also goes to
 * core/mirror.js, which sends the xAPI package's statements to our LRS under
 * a pseudonym; the calls to the LMS are the same with and without it.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;

  /** Description texts are localized strings: no leading "{" (it would read as a language tag), 250 characters. */
  const langString = (text) => String(text || "").replace(/^\{+/, "").replace(/\s+/g, " ").slice(0, 250);

  /**
   * time(second,10,0): YYYY-MM-DDThh:mm:ss.sTZD. A time zone designator is
   * only allowed after the fraction, and the fraction has at most two digits.
   */
  const timestamp = (date) => date.toISOString().replace(/\.(\d{2})\d?Z$/, ".$1Z");

  GSOG.adapters.scorm2004 = function (context) {
    let api = null;
    let reviewing = false;
    let completion = "unknown";
    let success = "unknown";
    const objectiveIndex = {};
    let objectiveCount = 0;
    let lastState = null;
    /** Dual tracking (core/mirror.js): the same events as xAPI statements to our LRS; null without it. */
    let mirror = null;
    let learner = null;
    let lastLocation = null;
    /** Every SetValue since the last save succeeded. */
    let allSet = true;
    /** The last save failed: write the statuses again even if they did not change. */
    let rewrite = false;

    const get = (name) => {
      const value = api.GetValue(name);
      return value == null ? "" : String(value);
    };
    const set = (name, value) => {
      const ok = String(api.SetValue(name, String(value))) === "true";
      if (!ok) {
        allSet = false;
        const code = api.GetLastError();
        window.console.warn("[gsog] SetValue(" + name + ") failed: " + code + " " + api.GetErrorString(code));
      }
      return ok;
    };
    const commit = () => String(api.Commit("")) === "true";

    return {
      name: "scorm2004",
      stateLimit: 64000,
      start(options) {
        api = GSOG.tracking.findApi("API_1484_11", window);
        if (!api) throw new GSOG.tracking.NoLmsError("no SCORM 2004 API (window.API_1484_11) in the parent or opener windows");
        // 103 = already initialized (a reload within the same LMS session): carry on.
        if (String(api.Initialize("")) !== "true" && String(api.GetLastError()) !== "103") {
          throw new GSOG.tracking.NoLmsError("Initialize failed: " + api.GetLastError());
        }
        const mode = get("cmi.mode") || "normal";
        reviewing = mode !== "normal";
        completion = get("cmi.completion_status") || "unknown";
        success = get("cmi.success_status") || "unknown";
        if (!reviewing && completion !== "completed") {
          if (set("cmi.completion_status", "incomplete")) completion = "incomplete";
          commit();
        }
        allSet = true;
        const learnerId = get("cmi.learner_id");
        learner = learnerId || "anonymous";
        objectiveCount = Number(get("cmi.objectives._count")) || 0;
        for (let i = 0; i < objectiveCount; i += 1) objectiveIndex[get("cmi.objectives." + i + ".id")] = i;
        const passing = parseFloat(get("cmi.scaled_passing_score"));
        const session = {
          // suspend_data and location are empty (error 403) on a first launch; that is expected
          resumeState: get("cmi.suspend_data"),
          entry: get("cmi.entry"),
          location: get("cmi.location"),
          masteryScore: isFinite(passing) && passing >= 0 ? passing : null,
          mode,
        };
        // from what was read anyway: dual tracking adds no call to the LMS
        if (!reviewing) {
          mirror = U.guarded("dual tracking", () => GSOG.mirror.create(context, {
            learnerId, resumed: session.entry === "resume", completed: completion === "completed", sessionStart: options.sessionStart,
          }), null);
        }
        return session;
      },
      setProgress(progress) {
        if (reviewing) return;
        if (mirror) mirror.setProgress(progress);
        set("cmi.progress_measure", progress.progressMeasure);
        const next = progress.completed ? "completed" : "incomplete";
        if ((next !== completion || rewrite) && (completion !== "completed" || next === "completed") &&
          set("cmi.completion_status", next)) completion = next;
      },
      setScore(score) {
        if (reviewing) return;
        if (mirror) mirror.setScore(score);
        set("cmi.score.scaled", score.scaled);
        set("cmi.score.min", score.min);
        set("cmi.score.max", score.max);
        set("cmi.score.raw", Math.round(score.raw * 100) / 100);
        const next = score.passed ? "passed" : "failed";
        if ((next !== success || rewrite) && (success !== "passed" || next === "passed") &&
          set("cmi.success_status", next)) success = next;
      },
      setObjectives(list) {
        if (reviewing) return;
        list.forEach((o) => {
          let i = objectiveIndex[o.id];
          if (i === undefined) {
            i = objectiveCount;
            if (!set("cmi.objectives." + i + ".id", o.id)) return;
            objectiveIndex[o.id] = i;
            objectiveCount += 1;
          }
          const prefix = "cmi.objectives." + i;
          if (o.progressMeasure !== undefined) set(prefix + ".progress_measure", o.progressMeasure);
          if (o.completed !== undefined) set(prefix + ".completion_status", o.completed ? "completed" : "incomplete");
          if (o.scaled !== undefined) {
            set(prefix + ".score.scaled", o.scaled);
            set(prefix + ".success_status", o.passed ? "passed" : "failed");
          } else if (o.tested === false) {
            set(prefix + ".success_status", "unknown"); // not in the latest attempt: no stale result
          }
        });
      },
      recordInteraction(i) {
        if (reviewing) return;
        if (mirror) mirror.recordInteraction(i);
        const n = Number(get("cmi.interactions._count")) || 0;
        const prefix = "cmi.interactions." + n;
        if (!set(prefix + ".id", i.id)) return;
        set(prefix + ".type", i.type);
        (i.objectives || []).forEach((id, k) => set(prefix + ".objectives." + k + ".id", id));
        set(prefix + ".timestamp", timestamp(i.timestamp));
        if (i.correct !== undefined && i.correct !== null) {
          set(prefix + ".correct_responses.0.pattern", GSOG.tracking.pattern(i.type, i.correct));
        }
        if (i.weighting !== undefined) set(prefix + ".weighting", i.weighting);
        const response = GSOG.tracking.pattern(i.type, i.response);
        if (response !== "") set(prefix + ".learner_response", i.type === "long-fill-in" ? response.slice(0, 4000) : response);
        set(prefix + ".result", i.result);
        if (i.latencyMs !== undefined) set(prefix + ".latency", U.isoDuration(i.latencyMs));
        if (i.description) set(prefix + ".description", langString(i.description));
      },
      /** Whose backup this is (read at start: nothing may reach the LMS after the session ended). */
      learnerKey() {
        return learner;
      },
      saveState(text, meta) {
        if (text !== lastState && set("cmi.suspend_data", text)) lastState = text;
        const location = (meta.location || "").slice(0, 1000);
        if (location !== lastLocation && set("cmi.location", location)) lastLocation = location;
        const ok = allSet && text === lastState && commit();
        allSet = true;
        if (!ok) {
          lastState = null;
          lastLocation = null;
        }
        rewrite = !ok;
        return ok;
      },
      unitVisited(unit) {
        if (mirror) mirror.unitVisited(unit);
      },
      recordVideo(event) {
        if (mirror) mirror.recordVideo(event);
      },
      flushNow() {
        if (mirror) mirror.flushNow();
      },
      terminate(options) {
        if (mirror) mirror.terminate(options);
        set("cmi.session_time", U.isoDuration(options.sessionMs));
        set("cmi.exit", options.suspend ? "suspend" : "normal");
        commit();
        api.Terminate("");
      },
    };
  };
})(window);
