/*
 * The learner's state: where they are, what they visited and completed, their
 * test attempts, reflection answers and evaluation answers.
 *
 * It is saved as suspend data, which SCORM 1.2 limits to 4096 characters
 * (SCORM 2004: 64000), so the saved form is compact JSON: units and items
 * are numbered by their position in the content document instead of named,
 * sets of units are bit strings, answers are short digit strings. A
 * fingerprint of the content guards those positions: state saved by another
 * version of the package is ignored rather than misread.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const FORMAT_VERSION = 1;

  /** Every unit id in course order (a unit is listed by one module). */
  function courseUnitIds(content) {
    const ids = [];
    content.modules.forEach((m) => m.units.forEach((id) => { if (ids.indexOf(id) < 0) ids.push(id); }));
    return ids;
  }

  function fingerprint(content, ids) {
    const parts = [content.course.id, content.course.version, content.course.lang, ids.join(",")];
    ids.forEach((id) => {
      const unit = content.units[id];
      if (unit && unit.kind === "assessment") parts.push(unit.items.map((i) => i.id).join(","));
      if (unit && unit.kind === "evaluation") {
        parts.push([unit.likert_items, unit.competence_items, unit.open_questions]
          .map((list) => list.map((q) => q.id).join(",")).join(";"));
      }
    });
    return U.hash(parts.join("|"));
  }

  const isInt = (v) => typeof v === "number" && Number.isInteger(v) && v >= 0;
  const isStr = (v) => typeof v === "string";

  class State {
    constructor(content) {
      this.unitIds = courseUnitIds(content);
      this.fingerprint = fingerprint(content, this.unitIds);
      this.current = null;
      this.visited = new Set();
      this.completed = new Set();
      /** unit id -> {attempts, seed, submitted, history: [percent], responses: {itemIndex: code}} */
      this.assessments = {};
      /** unit id -> {text, rating (number|null), saved} */
      this.reflections = {};
      /** unit id -> {submitted, likert, before, after, open: [text]} (answers as digit strings, "-" = none) */
      this.evaluations = {};
      /** Small flags an adapter keeps between sessions (cmi5: which statements were sent). */
      this.extra = {};
      /** True when the last serialise() had to shorten free texts to fit the format's limit. */
      this.truncated = false;
    }

    assessment(id) {
      if (!this.assessments[id]) {
        this.assessments[id] = { attempts: 0, seed: 0, submitted: false, history: [], responses: {} };
      }
      return this.assessments[id];
    }

    reflection(id) {
      if (!this.reflections[id]) this.reflections[id] = { text: "", rating: null, saved: false };
      return this.reflections[id];
    }

    evaluation(id) {
      if (!this.evaluations[id]) {
        this.evaluations[id] = { submitted: false, likert: "", before: "", after: "", open: [] };
      }
      return this.evaluations[id];
    }

    _index(id) {
      return this.unitIds.indexOf(id);
    }

    /** The compact object; `texts` maps each free text to its (possibly shortened) value. */
    _compact(texts) {
      const flags = (set) => U.encodeBits(this.unitIds.map((id) => set.has(id)));
      const out = { v: FORMAT_VERSION, h: this.fingerprint, c: Math.max(0, this._index(this.current)) };
      out.s = flags(this.visited);
      out.d = flags(this.completed);
      const a = {};
      Object.keys(this.assessments).forEach((id) => {
        const s = this.assessments[id];
        if (!s.attempts && !s.seed) return;
        a[this._index(id)] = [s.attempts, s.seed ? s.seed.toString(36) : "", s.submitted ? 1 : 0,
          s.history.join(","), texts.dropResponses ? {} : s.responses];
      });
      if (Object.keys(a).length) out.a = a;
      const r = {};
      Object.keys(this.reflections).forEach((id) => {
        const s = this.reflections[id];
        if (!s.text && s.rating === null && !s.saved) return;
        r[this._index(id)] = [texts.get("r:" + id, s.text), s.rating === null ? -1 : s.rating, s.saved ? 1 : 0];
      });
      if (Object.keys(r).length) out.r = r;
      const e = {};
      Object.keys(this.evaluations).forEach((id) => {
        const s = this.evaluations[id];
        if (!s.submitted && !/[0-9]/.test(s.likert + s.before + s.after) && !s.open.some(Boolean)) return;
        e[this._index(id)] = [s.submitted ? 1 : 0, s.likert, s.before, s.after,
          s.open.map((text, i) => texts.get("e:" + id + ":" + i, text))];
      });
      if (Object.keys(e).length) out.e = e;
      if (Object.keys(this.extra).length) out.x = this.extra;
      return out;
    }

    /**
     * The state as a string of at most `limit` characters. When the learner's
     * own texts do not fit (four long reflections exceed SCORM 1.2's 4096),
     * the longest texts are shortened first, so every answer keeps as much as
     * the LMS can hold; `truncated` tells the interface to warn the learner.
     */
    serialise(limit) {
      const max = limit || Infinity;
      const cut = {};
      const texts = { get: (key, value) => (key in cut ? value.slice(0, cut[key]) : value), dropResponses: false };
      let text = JSON.stringify(this._compact(texts));
      this.truncated = false;
      const all = [];
      Object.keys(this.reflections).forEach((id) => all.push(["r:" + id, this.reflections[id].text]));
      Object.keys(this.evaluations).forEach((id) =>
        this.evaluations[id].open.forEach((value, i) => all.push(["e:" + id + ":" + i, value])));
      let guard = 0;
      while (text.length > max && guard < 200) {
        guard += 1;
        // shorten the currently longest text to just below the next longest
        const lengths = all.map(([key, value]) => [key, key in cut ? Math.min(cut[key], value.length) : value.length])
          .filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]);
        if (!lengths.length) break;
        const over = text.length - max;
        const [key, longest] = lengths[0];
        const next = lengths.length > 1 ? lengths[1][1] : 0;
        const ties = lengths.filter(([, n]) => n === longest).length;
        let target = Math.max(next, longest - over);
        if (target >= longest) target = longest - Math.max(1, Math.ceil(over / ties));
        cut[key] = Math.max(0, target);
        this.truncated = true;
        text = JSON.stringify(this._compact(texts));
      }
      if (text.length > max) {
        // Should not happen with the course's limits; keep navigation state at any cost.
        texts.dropResponses = true;
        text = JSON.stringify(this._compact(texts));
        if (text.length > max) {
          const core = this._compact(texts);
          text = JSON.stringify({ v: core.v, h: core.h, c: core.c, s: core.s, d: core.d });
        }
      }
      return text;
    }

    /** A State from saved text, or null when the text is empty, malformed or from another package version. */
    static restore(content, text) {
      if (!text) return null;
      let data;
      try {
        data = JSON.parse(text);
      } catch (err) {
        return null;
      }
      const state = new State(content);
      if (!data || data.v !== FORMAT_VERSION || data.h !== state.fingerprint) return null;
      const ids = state.unitIds;
      const idAt = (key) => {
        const i = Number(key);
        return Number.isInteger(i) && i >= 0 && i < ids.length ? ids[i] : null;
      };
      if (isInt(data.c) && data.c < ids.length) state.current = ids[data.c];
      [["s", state.visited], ["d", state.completed]].forEach(([key, set]) => {
        const flags = isStr(data[key]) ? U.decodeBits(data[key], ids.length) : null;
        if (flags) flags.forEach((on, i) => { if (on) set.add(ids[i]); });
      });
      Object.keys(data.a || {}).forEach((key) => {
        const id = idAt(key);
        const v = data.a[key];
        if (!id || !Array.isArray(v) || v.length < 5 || !isInt(v[0]) || !isStr(v[1]) || !isStr(v[3])) return;
        const responses = {};
        if (v[4] && typeof v[4] === "object") {
          Object.keys(v[4]).forEach((k) => { if (isStr(v[4][k])) responses[k] = v[4][k]; });
        }
        state.assessments[id] = {
          attempts: v[0],
          seed: v[1] ? parseInt(v[1], 36) || 0 : 0,
          submitted: v[2] === 1,
          history: v[3] ? v[3].split(",").map(Number).filter((n) => n >= 0 && n <= 100) : [],
          responses,
        };
      });
      Object.keys(data.r || {}).forEach((key) => {
        const id = idAt(key);
        const v = data.r[key];
        if (!id || !Array.isArray(v) || !isStr(v[0])) return;
        state.reflections[id] = { text: v[0], rating: Number.isInteger(v[1]) && v[1] >= 0 ? v[1] : null, saved: v[2] === 1 };
      });
      Object.keys(data.e || {}).forEach((key) => {
        const id = idAt(key);
        const v = data.e[key];
        if (!id || !Array.isArray(v) || v.length < 5 || !Array.isArray(v[4])) return;
        state.evaluations[id] = {
          submitted: v[0] === 1,
          likert: isStr(v[1]) ? v[1] : "",
          before: isStr(v[2]) ? v[2] : "",
          after: isStr(v[3]) ? v[3] : "",
          open: v[4].map((x) => (isStr(x) ? x : "")),
        };
      });
      if (data.x && typeof data.x === "object" && !Array.isArray(data.x)) state.extra = data.x;
      return state;
    }
  }

  GSOG.State = State;
  GSOG.courseUnitIds = courseUnitIds;
})(window);
