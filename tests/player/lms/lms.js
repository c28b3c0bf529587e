/*
 * A minimal LMS for the player tests: it puts a scorm-again API object on
 * window (API for SCORM 1.2, API_1484_11 for SCORM 2004), records every
 * call the package makes in window.lmsLog (mirrored to localStorage, so a
 * test can still read it after this page was navigated away), and launches
 * the package in an iframe.
 *
 * Query parameters:
 *   pkg       package launch URL, e.g. /packages/scorm12/index.html?module=m1-understand
 *   previous  JSON object of the values the previous session set (element -> last value);
 *             the next session starts from them the way an LMS resumes an attempt.
 *   learner, learnerName  the learner's id and name as the LMS knows them (cmi.core.student_id
 *             and student_name; cmi.learner_id and learner_name for 2004).
 *
 * window.lmsFailures makes calls fail the way a broken LMS does (answer
 * "false", error 101/351): {"Commit": true} fails every commit (LMSCommit for
 * 1.2), {"SetValue:cmi.suspend_data": true} refuses that element.
 * dismissal=fail makes every Commit fail once the package's page is being dismissed.
 */
(function () {
  "use strict";

  const CALLS = {
    scorm12: ["LMSInitialize", "LMSFinish", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSGetLastError", "LMSGetErrorString", "LMSGetDiagnostic"],
    scorm2004: ["Initialize", "Terminate", "GetValue", "SetValue", "Commit", "GetLastError", "GetErrorString", "GetDiagnostic"],
  };

  /** What an LMS hands the next session of a suspended attempt. */
  function carryOver(format, values) {
    const data = {};
    if (format === "scorm12") {
      ["cmi.suspend_data", "cmi.core.lesson_location", "cmi.core.lesson_status"].forEach((k) => {
        if (values[k] !== undefined) data[k] = values[k];
      });
      data["cmi.core.entry"] = values["cmi.core.exit"] === "suspend" ? "resume" : "";
    } else {
      ["cmi.suspend_data", "cmi.location", "cmi.completion_status", "cmi.success_status", "cmi.progress_measure"].forEach((k) => {
        if (values[k] !== undefined) data[k] = values[k];
      });
      data["cmi.entry"] = values["cmi.exit"] === "suspend" ? "resume" : "";
    }
    return data;
  }

  function launch(format) {
    const params = new URLSearchParams(window.location.search);
    const settings = { autocommit: false, logLevel: 4 };
    const api = format === "scorm12" ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
    const previous = params.get("previous");
    if (previous) api.loadFromFlattenedJSON(carryOver(format, JSON.parse(previous)));
    // ?learner=ID&learnerName=NAME: who the LMS says the learner is (read-only CMI elements)
    const learner = params.get("learner");
    if (learner) {
      const name = params.get("learnerName") || "";
      api.loadFromFlattenedJSON(format === "scorm12"
        ? { "cmi.core.student_id": learner, "cmi.core.student_name": name }
        : { "cmi.learner_id": learner, "cmi.learner_name": name });
    }

    window.lmsLog = [];
    window.lmsFailures = {};
    window.localStorage.removeItem("lmsLog");
    const record = (entry) => {
      window.lmsLog.push(entry);
      try {
        window.localStorage.setItem("lmsLog", JSON.stringify(window.lmsLog));
      } catch (err) {
        /* storage full: the in-memory log still has it */
      }
    };
    // Every call is recorded with its result and the error code it left
    // (read through the unwrapped function, so reading it is not a call).
    const originals = {};
    CALLS[format].forEach((name) => { originals[name] = api[name].bind(api); });
    const lastError = originals[format === "scorm12" ? "LMSGetLastError" : "GetLastError"];
    CALLS[format].forEach((name) => {
      api[name] = function () {
        const args = Array.prototype.slice.call(arguments).map(String);
        const failures = window.lmsFailures || {};
        const plain = name.replace(/^LMS/, "");
        if (failures[plain] || (args.length && failures[plain + ":" + args[0]])) {
          record({ fn: name, args, result: "false", error: "failed by the test", t: Date.now() });
          return "false";
        }
        const result = originals[name].apply(null, arguments);
        record({ fn: name, args, result: String(result), error: String(lastError()), t: Date.now() });
        return result;
      };
    });
    window.lmsApi = api;
    if (format === "scorm12") window.API = api;
    else window.API_1484_11 = api;

    const frame = document.getElementById("sco");
    // ?dismissal=fail: like an LMS whose API commits with synchronous XHR, which browsers refuse
    // during page dismissal, every Commit fails from this page's beforeunload on (it comes before the
    // package's beforeunload and pagehide; only visibilitychange is safe, as on mobile browsers)
    if (params.get("dismissal") === "fail") {
      window.addEventListener("beforeunload", () => { window.lmsFailures.Commit = true; });
    }
    frame.src = params.get("pkg");
  }

  window.GsogTestLms = { launch };
})();
