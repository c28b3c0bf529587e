/*
 * The statement outbox of the cmi5 and xAPI adapters: nothing the learner
 * did is lost when the LRS is down, slow or the page is closed.
 *
 * Every statement is written to this browser's localStorage BEFORE it is
 * sent, with its final id, and leaves the outbox only when the LRS answered
 * 2xx for it. Sending is in order, in batches, retried with exponential
 * backoff (1 s doubling to 60 s) on network errors, 5xx, 401, 408 and 429,
 * also after a reload or a relaunch (the next session finds the outbox and
 * sends it first). Resending is safe: the ids are fixed and an LRS accepts
 * the same statement with the same id again (xAPI: only a different
 * statement under a known id is a conflict).
 *
 * A statement the LRS refuses (another 4xx) would be refused forever: a
 * refused batch is split and sent one by one, so one bad statement cannot
 * hold back the others, and the refused one is dropped with an error in the
 * console and in `rejected` (the learner is told). State documents (the
 * suspend data) ride along in the same order: the newest body per document,
 * PUT where it was queued, so the state saved before `terminated` reaches
 * the LRS before it (a cmi5 LMS refuses every request of a session after its
 * terminated). A statement of kind "initialized" goes alone in its POST, and
 * nothing follows before the LRS answered it (cmi5 LMSs such as CATAPULT
 * open the session only when that request is done).
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const BACKOFF_MIN = 1000;
  const BACKOFF_MAX = 60000;
  /** Statements per POST: small enough for an LMS proxy's body limit, large enough to catch up fast. */
  const BATCH = 50;
  /** Browsers allow 64 KiB in flight for all keepalive requests of a page together. */
  const KEEPALIVE_BUDGET = 60000;
  const RETRY_STATUS = [401, 408, 425, 429];

  const retryable = (status) => status >= 500 || RETRY_STATUS.indexOf(status) >= 0;

  class Outbox {
    /**
     * key: the localStorage key (one outbox per endpoint, learner, registration and activity);
     * transport(method, resource, query, body, {keepalive}) -> Promise<Response>.
     */
    constructor(key, transport) {
      this.key = key;
      this.transport = transport;
      this.storage = U.guarded("localStorage", () => window.localStorage, null);
      const saved = this.storage ? U.guarded("read outbox", () => JSON.parse(this.storage.getItem(key) || "null"), null) : null;
      /** In sending order: statements {id, kind, session, statement} and documents {doc, resource, query, body}. */
      this.items = saved && Array.isArray(saved.items) ? saved.items : [];
      this.rejected = [];
      this.delay = 0;
      this.timer = null;
      this.running = false;
      this.lastError = null;
      this.inflight = 0;
      this.listeners = [];
      this.waiters = [];
      this.persisted = !!this.storage;
    }

    _persist() {
      if (!this.storage) return;
      const ok = U.guarded("keep outbox", () => {
        if (!this.items.length) this.storage.removeItem(this.key);
        else this.storage.setItem(this.key, JSON.stringify({ items: this.items }));
        return true;
      }, false);
      this.persisted = !!ok;
    }

    get pending() {
      return this.items.length;
    }

    /** Listen to changes: fn({pending, retrying, error, persisted, rejected}). */
    onChange(fn) {
      this.listeners.push(fn);
    }

    _changed() {
      const status = {
        pending: this.pending, retrying: this.delay > 0, error: this.lastError,
        persisted: this.persisted, rejected: this.rejected.length,
      };
      this.listeners.forEach((fn) => U.guarded("outbox listener", () => fn(status)));
      if (!this.pending) {
        const waiters = this.waiters.splice(0, this.waiters.length);
        waiters.forEach((fn) => fn(true));
      }
    }

    /** Queue statements ([{statement, kind}]); they are on disk when this returns. */
    add(entries, session) {
      entries.forEach((e) => this.items.push({ id: e.statement.id, kind: e.kind || "", session: session || "", statement: e.statement }));
      this._persist();
      this._changed();
      this.pump();
    }

    /** Queue the newest body of a document (PUT resource?query); an older body still waiting is replaced. */
    putDocument(name, resource, query, body) {
      this.items = this.items.filter((i) => i.doc !== name || i.sending);
      this.items.push({ doc: name, resource, query, body });
      this._persist();
      this._changed();
      this.pump();
    }

    /** The body of document `name` still waiting to be sent, or null. */
    pendingDocument(name) {
      const found = this.items.filter((i) => i.doc === name);
      return found.length ? found[found.length - 1].body : null;
    }

    /** Statements ({id, kind, session, statement}) waiting, documents left out. */
    statements() {
      return this.items.filter((i) => !i.doc);
    }

    /** Resolves true once everything queued so far was acknowledged (or false after `ms`). */
    idle(ms) {
      if (!this.pending) return Promise.resolve(true);
      return new Promise((resolve) => {
        this.waiters.push(resolve);
        if (ms) window.setTimeout(() => resolve(false), ms);
      });
    }

    _schedule() {
      window.clearTimeout(this.timer);
      this.delay = Math.min(BACKOFF_MAX, this.delay ? this.delay * 2 : BACKOFF_MIN);
      this.timer = window.setTimeout(() => { this.timer = null; this.pump(); }, this.delay);
      this._changed();
    }

    _drop(entries) {
      this.items = this.items.filter((i) => entries.indexOf(i) < 0);
    }

    /** Send one batch; resolves "ok", "retry" or "refused" (with the LRS's message). */
    _post(batch, keepalive) {
      return this.transport("POST", "statements", null, batch.map((i) => i.statement), { keepalive })
        .then((response) => {
          if (response.ok || response.status === 409) {
            // 409: a statement with that id is stored already (a copy sent before the page was left)
            if (response.status === 409) window.console.warn("[gsog] LRS already has statement(s) " + batch.map((i) => i.id).join(", "));
            this._drop(batch);
            this._persist();
            return { outcome: "ok" };
          }
          return response.text().then((text) => ({
            outcome: retryable(response.status) ? "retry" : "refused",
            message: "HTTP " + response.status + " " + String(text || "").slice(0, 500),
          }));
        }, (err) => ({ outcome: "retry", message: String(err && err.message ? err.message : err) }));
    }

    _putDoc(entry, keepalive) {
      entry.sending = true;
      return this.transport("PUT", entry.resource, entry.query, entry.body, { keepalive }).then((response) => {
        entry.sending = false;
        if (response.ok || !retryable(response.status)) {
          if (!response.ok) {
            this.rejected.push({ document: entry.doc, status: response.status });
            window.console.error("[gsog] LRS refused document " + entry.doc + ": HTTP " + response.status);
          }
          this._drop([entry]);
          this._persist();
          return { outcome: "ok" };
        }
        return { outcome: "retry", message: "HTTP " + response.status };
      }, (err) => {
        entry.sending = false;
        return { outcome: "retry", message: String(err && err.message ? err.message : err) };
      });
    }

    /** The statements at the front that go in one POST: up to BATCH, up to the next document; initialized alone. */
    _nextBatch(single) {
      const batch = [];
      for (const entry of this.items) {
        if (entry.doc || batch.length >= (single ? 1 : BATCH)) break;
        if (entry.kind === "initialized" && batch.length) break;
        batch.push(entry);
        if (entry.kind === "initialized") break;
      }
      return batch;
    }

    /** Send what is queued, in order, until empty or the LRS fails (then back off). */
    pump() {
      if (this.running || this.timer !== null) return;
      if (!this.pending) return;
      this.running = true;
      let single = false;
      const step = () => {
        if (!this.items.length) return Promise.resolve({ outcome: "ok" });
        if (this.items[0].doc) return this._putDoc(this.items[0], false).then((answer) => (answer.outcome === "ok" ? step() : answer));
        const batch = this._nextBatch(single);
        return this._post(batch, false).then((answer) => {
          if (answer.outcome === "refused") {
            if (batch.length > 1) {
              single = true; // find the one the LRS refuses
              return step();
            }
            this._drop(batch);
            this._persist();
            this.rejected.push({ id: batch[0].id, kind: batch[0].kind, message: answer.message });
            window.console.error("[gsog] LRS refused statement " + batch[0].id + " (" + batch[0].statement.verb.id + "): " + answer.message);
            return step();
          }
          return answer.outcome === "ok" ? step() : answer;
        });
      };
      step().then((answer) => {
        this.running = false;
        if (answer.outcome === "retry") {
          this.lastError = answer.message;
          this._schedule();
        } else {
          this.delay = 0;
          this.lastError = null;
          this._changed();
          if (this.pending) this.pump(); // queued while the last request was out
        }
      }, (err) => {
        this.running = false;
        this.lastError = String(err);
        this._schedule();
      });
    }

    /**
     * The page is going away: send everything now with keepalive, beside
     * any request in flight (a duplicate is harmless, see above). What does
     * not arrive stays on disk for the next launch.
     */
    flushNow() {
      let budget = KEEPALIVE_BUDGET;
      const fits = (body) => {
        const size = new window.TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)).length;
        if (size > budget) return false;
        budget -= size;
        return true;
      };
      const done = (entries) => (response) => {
        if (response.ok) { this._drop(entries); this._persist(); this._changed(); }
      };
      // documents first: when they are issued before the statements (terminated among them), they
      // usually arrive first; what arrives late or not at all stays on disk for the next launch
      this.items.filter((i) => i.doc).forEach((entry) => {
        if (fits(entry.body)) {
          this.transport("PUT", entry.resource, entry.query, entry.body, { keepalive: true }).then(done([entry]), () => undefined);
        }
      });
      const statements = this.statements();
      if (statements.length && fits(statements.map((i) => i.statement))) {
        this.transport("POST", "statements", null, statements.map((i) => i.statement), { keepalive: true })
          .then(done(statements), () => undefined);
      }
    }
  }

  GSOG.Outbox = Outbox;
})(window);
