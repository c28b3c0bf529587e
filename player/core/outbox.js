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
 * suspend data) ride along: the newest body per document, PUT after the
 * statements queued before it.
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
      /** [{id, kind, session, statement}] in sending order */
      this.items = saved && Array.isArray(saved.items) ? saved.items : [];
      /** name -> {query, body, seq} */
      this.docs = saved && saved.docs && typeof saved.docs === "object" ? saved.docs : {};
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
        if (!this.items.length && !Object.keys(this.docs).length) this.storage.removeItem(this.key);
        else this.storage.setItem(this.key, JSON.stringify({ items: this.items, docs: this.docs }));
        return true;
      }, false);
      this.persisted = !!ok;
    }

    get pending() {
      return this.items.length + Object.keys(this.docs).length;
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

    /** Queue the newest body of a document (PUT resource?query). */
    putDocument(name, resource, query, body) {
      this.docs[name] = { resource, query, body, seq: ((this.docs[name] && this.docs[name].seq) || 0) + 1 };
      this._persist();
      this._changed();
      this.pump();
    }

    /** Is a statement of this kind (e.g. "passed") still waiting? */
    hasPending(kind) {
      return this.items.some((i) => i.kind === kind);
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

    _drop(ids) {
      this.items = this.items.filter((i) => ids.indexOf(i.id) < 0);
    }

    /** Send one batch; resolves "ok", "retry" or "refused" (with the LRS's message). */
    _post(batch, keepalive) {
      return this.transport("POST", "statements", null, batch.map((i) => i.statement), { keepalive })
        .then((response) => {
          if (response.ok || response.status === 409) {
            // 409: a statement with that id is stored already (a copy sent before the page was left)
            if (response.status === 409) window.console.warn("[gsog] LRS already has statement(s) " + batch.map((i) => i.id).join(", "));
            this._drop(batch.map((i) => i.id));
            this._persist();
            return { outcome: "ok" };
          }
          return response.text().then((text) => ({
            outcome: retryable(response.status) ? "retry" : "refused",
            message: "HTTP " + response.status + " " + String(text || "").slice(0, 500),
          }));
        }, (err) => ({ outcome: "retry", message: String(err && err.message ? err.message : err) }));
    }

    _putDoc(name, keepalive) {
      const doc = this.docs[name];
      const seq = doc.seq;
      return this.transport("PUT", doc.resource, doc.query, doc.body, { keepalive }).then((response) => {
        if (response.ok || !retryable(response.status)) {
          if (!response.ok) {
            this.rejected.push({ document: name, status: response.status });
            window.console.error("[gsog] LRS refused document " + name + ": HTTP " + response.status);
          }
          if (this.docs[name] && this.docs[name].seq === seq) delete this.docs[name];
          this._persist();
          return { outcome: "ok" };
        }
        return { outcome: "retry", message: "HTTP " + response.status };
      }, (err) => ({ outcome: "retry", message: String(err && err.message ? err.message : err) }));
    }

    /** Send what is queued, in order, until empty or the LRS fails (then back off). */
    pump() {
      if (this.running || this.timer !== null) return;
      if (!this.pending) return;
      this.running = true;
      let single = false;
      const step = () => {
        if (this.items.length) {
          const batch = this.items.slice(0, single ? 1 : BATCH);
          return this._post(batch, false).then((answer) => {
            if (answer.outcome === "refused") {
              if (batch.length > 1) {
                single = true; // find the one the LRS refuses
                return step();
              }
              this._drop([batch[0].id]);
              this._persist();
              this.rejected.push({ id: batch[0].id, kind: batch[0].kind, message: answer.message });
              window.console.error("[gsog] LRS refused statement " + batch[0].id + " (" + batch[0].statement.verb.id + "): " + answer.message);
              return step();
            }
            return answer.outcome === "ok" ? step() : answer;
          });
        }
        const names = Object.keys(this.docs);
        if (names.length) return this._putDoc(names[0], false).then((answer) => (answer.outcome === "ok" ? step() : answer));
        return Promise.resolve({ outcome: "ok" });
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
      const budget = { left: KEEPALIVE_BUDGET };
      const fits = (body) => {
        const size = new window.TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)).length;
        if (size > budget.left) return false;
        budget.left -= size;
        return true;
      };
      const statements = this.items.map((i) => i.statement);
      if (statements.length && fits(statements)) {
        const ids = this.items.map((i) => i.id);
        this.transport("POST", "statements", null, statements, { keepalive: true }).then((response) => {
          if (response.ok) { this._drop(ids); this._persist(); this._changed(); }
        }, () => undefined);
      }
      Object.keys(this.docs).forEach((name) => {
        const doc = this.docs[name];
        if (fits(doc.body)) {
          this.transport("PUT", doc.resource, doc.query, doc.body, { keepalive: true }).then((response) => {
            if (response.ok && this.docs[name] && this.docs[name].seq === doc.seq) { delete this.docs[name]; this._persist(); this._changed(); }
          }, () => undefined);
        }
      });
    }
  }

  GSOG.Outbox = Outbox;
})(window);
