/*
 * The learner's state: where they are, what they visited and completed, and
 * one slice per unit that keeps learner data (test attempts, reflection
 * answers, evaluation answers). Each unit kind owns its slice and its
 * compact form (see core/units.js); this file only knows how to put the
 * slices together within the format's limit.
 *
 * It is saved as suspend data, which SCORM 1.2 limits to 4096 characters
 * (SCORM 2004: 64000), so the saved form is compact JSON: units are
 * numbered by their position in the content document instead of named,
 * sets of units are bit strings. The text is ASCII only (every other
 * character is a \u escape), so its length in characters is also its length
 * in bytes: an LMS that counts UTF-8 bytes gets no more than the limit. A
 * fingerprint of the content guards those positions: state saved by another
 * version of the package is ignored rather than misread. `q` counts saves,
 * so of two copies (the LMS's and this browser's backup) the newer wins.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const FORMAT_VERSION = 2;

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
      const codec = unit ? GSOG.units.codec(unit.kind) : null;
      if (codec && codec.fingerprint) parts.push(codec.fingerprint(unit));
    });
    return U.hash(parts.join("|"));
  }

  /** JSON with every non-ASCII character escaped: characters == UTF-8 bytes. */
  function asciiJson(value) {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }

  const isInt = (v) => typeof v === "number" && Number.isInteger(v) && v >= 0;
  const isStr = (v) => typeof v === "string";

  class State {
    constructor(content) {
      this.content = content;
      this.unitIds = courseUnitIds(content);
      this.fingerprint = fingerprint(content, this.unitIds);
      this.current = null;
      this.visited = new Set();
      this.completed = new Set();
      /** unit id -> the slice its kind keeps (see core/units.js) */
      this.slices = {};
      /** Small flags an adapter keeps between sessions (xAPI: which results the LRS acknowledged). */
      this.extra = {};
      /** Save counter: the higher of two copies of the state is the newer one. */
      this.seq = 0;
      /** True when the last serialise() had to shorten free texts to fit the format's limit. */
      this.truncated = false;
      /** The last serialised content without its counter. */
      this._lastCore = null;
      /** Size of the last serialise() result. */
      this.size = { chars: 0, bytes: 0 };
    }

    /** The slice of unit `id`, created empty on first use. */
    slice(id) {
      if (!this.slices[id]) {
        const unit = this.content.units[id];
        const codec = unit ? GSOG.units.codec(unit.kind) : null;
        this.slices[id] = codec ? codec.create(unit) : {};
      }
      return this.slices[id];
    }

    _index(id) {
      return this.unitIds.indexOf(id);
    }

    _codec(id) {
      const unit = this.content.units[id];
      return unit ? GSOG.units.codec(unit.kind) : null;
    }

    /** Every free text of every slice, as [[globalKey, value]]. */
    _texts() {
      const all = [];
      Object.keys(this.slices).forEach((id) => {
        const codec = this._codec(id);
        if (codec && codec.texts) codec.texts(this.slices[id]).forEach(([key, value]) => all.push([id + "\u0000" + key, value]));
      });
      return all;
    }

    /** The compact object; `cut` maps text keys to their shortened length; `drop` lists slices left out. */
    _compact(cut, drop) {
      const flags = (set) => U.encodeBits(this.unitIds.map((id) => set.has(id)));
      const out = { v: FORMAT_VERSION, h: this.fingerprint, q: this.seq, c: Math.max(0, this._index(this.current)) };
      out.s = flags(this.visited);
      out.d = flags(this.completed);
      const slices = {};
      Object.keys(this.slices).forEach((id) => {
        const codec = this._codec(id);
        if (!codec || drop.indexOf(id) >= 0) return;
        const texts = { get: (key, value) => { const k = id + "\u0000" + key; return k in cut ? value.slice(0, cut[k]) : value; } };
        const compact = codec.encode(this.slices[id], texts, this.content.units[id]);
        if (compact !== null && compact !== undefined) slices[this._index(id)] = compact;
      });
      if (Object.keys(slices).length) out.u = slices;
      if (Object.keys(this.extra).length) out.x = this.extra;
      return out;
    }

    /**
     * The state as an ASCII string of at most `limit` characters (= bytes).
     * When the learner's own texts do not fit (four long reflections exceed
     * SCORM 1.2's 4096), the longest texts are shortened first, so every
     * answer keeps as much as the LMS can hold; `truncated` tells the
     * interface to warn the learner.
     */
    serialise(limit) {
      const max = limit || Infinity;
      // the save counter moves only when something changed: an unchanged state is not saved again
      // (at pagehide a new state PUT would race the session's terminated statement)
      const core = JSON.stringify(Object.assign(this._compact({}, []), { q: 0 }));
      if (core !== this._lastCore) {
        this.seq += 1;
        this._lastCore = core;
      }
      const cut = {};
      const drop = [];
      let text = asciiJson(this._compact(cut, drop));
      this.truncated = false;
      const all = this._texts();
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
        text = asciiJson(this._compact(cut, drop));
      }
      // Should not happen with the course's limits; keep navigation state at any cost.
      const ids = Object.keys(this.slices);
      while (text.length > max && drop.length < ids.length) {
        drop.push(ids[drop.length]);
        this.truncated = true;
        text = asciiJson(this._compact(cut, drop));
      }
      this.size = { chars: text.length, bytes: new window.TextEncoder().encode(text).length };
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
      if (isInt(data.q)) state.seq = data.q;
      if (isInt(data.c) && data.c < ids.length) state.current = ids[data.c];
      [["s", state.visited], ["d", state.completed]].forEach(([key, set]) => {
        const flags = isStr(data[key]) ? U.decodeBits(data[key], ids.length) : null;
        if (flags) flags.forEach((on, i) => { if (on) set.add(ids[i]); });
      });
      Object.keys(data.u || {}).forEach((key) => {
        const i = Number(key);
        const id = Number.isInteger(i) && i >= 0 && i < ids.length ? ids[i] : null;
        const codec = id ? state._codec(id) : null;
        if (!codec) return;
        const slice = U.guarded("restore " + id, () => codec.decode(data.u[key], content.units[id]), null);
        if (slice) state.slices[id] = slice;
      });
      if (data.x && typeof data.x === "object" && !Array.isArray(data.x)) state.extra = data.x;
      return state;
    }

    /** The newer of two saved texts (by save counter), either may be empty. */
    static newer(content, a, b) {
      const sa = State.restore(content, a);
      const sb = State.restore(content, b);
      if (!sa) return sb ? b : a;
      if (!sb) return a;
      return sb.seq > sa.seq ? b : a;
    }
  }

  GSOG.State = State;
  GSOG.courseUnitIds = courseUnitIds;
  GSOG.asciiJson = asciiJson;
})(window);
