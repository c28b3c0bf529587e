/*
 * SCORM 1.2 adapter: the LMS's `API` object, found in a parent or opener window.
 *
 * cmi.core.lesson_status carries completion and success in one value:
 * "incomplete" while required units remain, then "passed"/"failed" when the
 * package has a post-test, otherwise "completed". A status the LMS already
 * holds is never lowered: on start it becomes "incomplete" unless the LMS
 * has completed/passed/failed (a finished attempt), and a returning learner
 * who passed stays passed.
 * The score is written together with the passed/failed status it implies,
 * never before: an LMS applying the manifest's mastery score to a bare
 * cmi.core.score.raw would otherwise turn "incomplete" into "failed" (or
 * "passed") while required units are still open.
 * Interactions are journaled (one new entry per answer, SCORM 1.2 cannot
 * read them back); their responses use 1.2's single-character codes.
 *
 * saveState answers whether the LMS stored it: every LMSSetValue of the
 * save and LMSCommit returned "true". A refused suspend_data is written
 * again on the next save (the wrapper retries with backoff).
 *
 * Dual tracking (a package built with --lrs): every event also goes to
 * core/mirror.js, which sends the xAPI package's statements to our LRS under
 * a pseudonym; the calls to the LMS are the same with and without it.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const STATUS_RANK = { "": 0, "not attempted": 0, browsed: 0, incomplete: 1, completed: 2, failed: 2, passed: 3 };
  const LETTERS = "abcdefghijklmnopqrstuvwxyz";

  /** Position-based single-character codes, as SCORM 1.2 wants for choice, matching and sequencing. */
  function code12(interaction, value) {
    const index = (list, id) => list.findIndex((x) => x.id === id);
    switch (interaction.type) {
      case "true-false":
        return value ? "t" : "f";
      case "choice":
        return value.map((id) => LETTERS[index(interaction.choices, id)]).join(",");
      case "sequencing":
        return value.map((id) => LETTERS[index(interaction.steps, id)]).join(",");
      case "matching":
        return value.map((p) => (index(interaction.source, p[0]) + 1) + "." + LETTERS[index(interaction.target, p[1])]).join(",");
      case "likert":
        return String(value);
      default:
        return String(value).replace(/\s+/g, " ").slice(0, 255);
    }
  }

  function clock(date) {
    return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
  }

  GSOG.adapters.scorm12 = function (context) {
    let api = null;
    let status = "";
    let reviewing = false;
    let completed = false;
    let passed = null;
    /** The post-test score waiting for the status it implies. */
    let score = null;
    let writtenScore = null;
    /** Every SetValue since the last save succeeded. */
    let allSet = true;
    /** The last save failed: write the status again even if it did not change. */
    let rewrite = false;
    let interactionCount = 0;
    const objectiveIndex = {};
    let lastState = null;
    /** Dual tracking (core/mirror.js): the same events as xAPI statements to our LRS; null without it. */
    let mirror = null;
    let learner = null;
    let lastLocation = null;

    const get = (name) => {
      const value = api.LMSGetValue(name);
      return value == null ? "" : String(value);
    };
    const set = (name, value) => {
      const ok = String(api.LMSSetValue(name, String(value))) === "true";
      if (!ok) {
        allSet = false;
        const code = api.LMSGetLastError();
        window.console.warn("[gsog] LMSSetValue(" + name + ") failed: " + code + " " + api.LMSGetErrorString(code));
      }
      return ok;
    };
    const commit = () => String(api.LMSCommit("")) === "true";

    function writeStatus() {
      if (reviewing) return;
      let next = "incomplete";
      if (completed) next = passed === null ? "completed" : passed ? "passed" : "failed";
      // the score goes in with the status it implies (completed, with a post-test result)
      if (completed && score && (status !== "passed" || score.passed)) {
        const key = JSON.stringify(score);
        if (key !== writtenScore) {
          const ok = set("cmi.core.score.min", score.min) & set("cmi.core.score.max", score.max) &
            set("cmi.core.score.raw", Math.round(score.raw * 100) / 100);
          if (ok) writtenScore = key;
        }
      }
      // only upwards: incomplete -> completed/failed -> passed; "completed" turns
      // into "failed" too once a post-test has a score
      const raise = STATUS_RANK[next] > (STATUS_RANK[status] || 0) || (status === "completed" && next === "failed");
      const again = next === status && rewrite;
      if (((raise && next !== status) || again) && set("cmi.core.lesson_status", next)) {
        status = next;
        rewrite = false;
      }
    }

    return {
      name: "scorm12",
      stateLimit: 4096,
      start(options) {
        api = GSOG.tracking.findApi("API", window);
        if (!api) throw new GSOG.tracking.NoLmsError("no SCORM 1.2 API (window.API) in the parent or opener windows");
        // 101 is what many 1.2 LMSs answer when the SCO was initialized already (a reload): carry on.
        if (String(api.LMSInitialize("")) !== "true" && String(api.LMSGetLastError()) !== "101") {
          throw new GSOG.tracking.NoLmsError("LMSInitialize failed: " + api.LMSGetLastError());
        }
        status = get("cmi.core.lesson_status");
        const mode = get("cmi.core.lesson_mode") || "normal";
        reviewing = mode === "review" || mode === "browse";
        // A learner who already finished keeps that status; everyone else is now "incomplete".
        if (!reviewing && !(STATUS_RANK[status] >= 2)) {
          if (set("cmi.core.lesson_status", "incomplete")) status = "incomplete";
          commit();
        }
        allSet = true;
        const learnerId = get("cmi.core.student_id");
        learner = learnerId || "anonymous";
        interactionCount = Number(get("cmi.interactions._count")) || 0;
        const objectives = Number(get("cmi.objectives._count")) || 0;
        for (let i = 0; i < objectives; i += 1) objectiveIndex[get("cmi.objectives." + i + ".id")] = i;
        const mastery = parseFloat(get("cmi.student_data.mastery_score"));
        const session = {
          resumeState: get("cmi.suspend_data"),
          entry: get("cmi.core.entry"),
          location: get("cmi.core.lesson_location"),
          masteryScore: isFinite(mastery) ? mastery / 100 : null,
          mode,
        };
        // from what was read anyway: dual tracking adds no call to the LMS
        if (!reviewing) {
          mirror = U.guarded("dual tracking", () => GSOG.mirror.create(context, {
            learnerId, resumed: session.entry === "resume", completed: STATUS_RANK[status] >= 2, sessionStart: options.sessionStart,
          }), null);
        }
        return session;
      },
      setProgress(progress) {
        if (mirror) mirror.setProgress(progress);
        completed = !!progress.completed;
        writeStatus();
      },
      setScore(result) {
        if (reviewing) return;
        if (mirror) mirror.setScore(result);
        score = { raw: result.raw, min: result.min, max: result.max, passed: !!result.passed };
        passed = !!result.passed;
        writeStatus();
      },
      /** Per learning goal: passed/failed from the latest attempt, else completed/incomplete; no score when not tested. */
      setObjectives(list) {
        if (reviewing) return;
        list.filter((o) => !o.primary).forEach((o) => {
          let i = objectiveIndex[o.id];
          if (i === undefined) {
            i = Object.keys(objectiveIndex).length;
            if (!set("cmi.objectives." + i + ".id", o.id)) return;
            objectiveIndex[o.id] = i;
          }
          const prefix = "cmi.objectives." + i;
          if (o.scaled !== undefined) {
            set(prefix + ".score.min", 0);
            set(prefix + ".score.max", 100);
            set(prefix + ".score.raw", Math.round(o.scaled * 100));
          } else if (o.tested === false) {
            set(prefix + ".score.raw", ""); // not in the latest attempt: no stale score
          }
          if (o.passed !== undefined && o.completed !== false) set(prefix + ".status", o.passed ? "passed" : "failed");
          else if (o.completed !== undefined) set(prefix + ".status", o.completed ? "completed" : "incomplete");
          else set(prefix + ".status", "not attempted");
        });
      },
      recordInteraction(i) {
        if (reviewing) return;
        if (mirror) mirror.recordInteraction(i);
        const prefix = "cmi.interactions." + interactionCount;
        interactionCount += 1;
        set(prefix + ".id", i.id);
        (i.objectives || []).forEach((id, k) => set(prefix + ".objectives." + k + ".id", id));
        set(prefix + ".time", clock(i.timestamp));
        set(prefix + ".type", i.type === "long-fill-in" ? "fill-in" : i.type);
        if (i.correct !== undefined && i.correct !== null) set(prefix + ".correct_responses.0.pattern", code12(i, i.correct));
        if (i.weighting !== undefined) set(prefix + ".weighting", i.weighting);
        set(prefix + ".student_response", code12(i, i.response));
        set(prefix + ".result", i.result === "incorrect" ? "wrong" : i.result);
        if (i.latencyMs !== undefined) set(prefix + ".latency", U.scorm12Timespan(i.latencyMs));
      },
      /** Whose backup this is (read at start: nothing may reach the LMS after the session ended). */
      learnerKey() {
        return learner;
      },
      saveState(text, meta) {
        if (text !== lastState && set("cmi.suspend_data", text)) lastState = text;
        const location = (meta.location || "").slice(0, 255);
        if (location !== lastLocation && set("cmi.core.lesson_location", location)) lastLocation = location;
        const ok = allSet && text === lastState && commit();
        allSet = true;
        if (!ok) {
          // write it all again next time: the LMS may have dropped what it had accepted
          lastState = null;
          lastLocation = null;
          writtenScore = null;
          rewrite = true;
        }
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
        set("cmi.core.session_time", U.scorm12Timespan(options.sessionMs));
        set("cmi.core.exit", options.suspend ? "suspend" : "");
        commit();
        api.LMSFinish("");
      },
    };
  };
})(window);
