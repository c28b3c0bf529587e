/*
 * Shared helpers of the GSOG player.
 *
 * The builder concatenates every player file into one player/player.js; each
 * file is an IIFE that adds what it offers to the one window.GSOG namespace,
 * so no module loader or build step is needed inside an LMS.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const document = window.document;

  let strings = {};
  let idCounter = 0;

  /** Interface text for `key`, with `{name}` placeholders filled from `vars`. */
  function t(key, vars) {
    const text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    if (!vars) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole
    );
  }

  /**
   * Create an element. Text always goes in through textContent: every plain
   * string of the content document is untrusted, only the compiled HTML
   * fields may become markup (see setHtml).
   *
   * attrs: {class, text, on: {event: handler}, hidden: true, ...attributes}
   */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    const a = attrs || {};
    Object.keys(a).forEach((name) => {
      const value = a[name];
      if (value === undefined || value === null || value === false) return;
      if (name === "text") node.textContent = String(value);
      else if (name === "class") node.className = value;
      else if (name === "on") Object.keys(value).forEach((ev) => node.addEventListener(ev, value[ev]));
      else if (name === "value" || name === "checked" || name === "disabled" || name === "selected") node[name] = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /**
   * Insert one of the content document's HTML fields (story, prompt, body,
   * intro, stem, transcript). These are the builder's Markdown output with
   * raw HTML escaped, so they are the only strings allowed to become markup.
   * Headings are shifted below the level the surrounding page uses, so the
   * document outline stays correct (the unit title is the only h1).
   */
  function setHtml(node, html, minHeading) {
    node.innerHTML = html || "";
    const floor = minHeading || 3;
    const headings = node.querySelectorAll("h1, h2, h3, h4, h5, h6");
    let top = 6;
    headings.forEach((h) => { top = Math.min(top, Number(h.tagName[1])); });
    const shift = Math.max(0, floor - top);
    if (shift) {
      headings.forEach((h) => {
        const level = Math.min(6, Number(h.tagName[1]) + shift);
        const replacement = document.createElement("h" + level);
        while (h.firstChild) replacement.appendChild(h.firstChild);
        h.replaceWith(replacement);
      });
    }
    // Links in authored text leave the course: open them beside it.
    node.querySelectorAll("a[href]").forEach((a) => {
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
    });
    return node;
  }

  /** Plain text of an HTML field (for interaction descriptions and titles). */
  function plainText(html) {
    const holder = document.createElement("template");
    holder.innerHTML = html || "";
    return (holder.content.textContent || "").replace(/\s+/g, " ").trim();
  }

  function uid(prefix) {
    idCounter += 1;
    return (prefix || "gsog") + "-" + idCounter;
  }

  /** Query parameters of the launch URL as a plain object (first value wins). */
  function params(search) {
    const out = {};
    new URLSearchParams(search === undefined ? window.location.search : search).forEach((value, key) => {
      if (!(key in out)) out[key] = value;
    });
    return out;
  }

  /** FNV-1a 32-bit hash in base 36: a short fingerprint, not a security measure. */
  function hash(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i += 1) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(36);
  }

  /** A small seeded generator (mulberry32): the same seed draws the same test again on resume. */
  function seededRandom(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let r = Math.imul(a ^ (a >>> 15), 1 | a);
      r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
      return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
    };
  }

  function newSeed() {
    const buf = new Uint32Array(1);
    window.crypto.getRandomValues(buf);
    return buf[0] % 2147483647 || 1;
  }

  /** Fisher-Yates on a copy. */
  function shuffle(list, random) {
    const out = list.slice();
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  function uuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    const b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /** ISO 8601 duration (SCORM 2004 timeinterval, xAPI result.duration), centisecond precision. */
  function isoDuration(ms) {
    const cs = Math.max(0, Math.round(ms / 10));
    const h = Math.floor(cs / 360000);
    const m = Math.floor((cs % 360000) / 6000);
    const s = (cs % 6000) / 100;
    return "PT" + (h ? h + "H" : "") + (m ? m + "M" : "") + s.toFixed(2).replace(/\.?0+$/, "") + "S";
  }

  /** SCORM 1.2 CMITimespan HHHH:MM:SS.SS. */
  function scorm12Timespan(ms) {
    const cs = Math.max(0, Math.round(ms / 10));
    const h = Math.min(9999, Math.floor(cs / 360000));
    const m = Math.floor((cs % 360000) / 6000);
    const s = (cs % 6000) / 100;
    return String(h).padStart(4, "0") + ":" + String(m).padStart(2, "0") + ":" + s.toFixed(2).padStart(5, "0");
  }

  // Sets of flags (visited, completed units) are kept as bit strings, six
  // flags per character: a course of 40 units costs 7 characters of the
  // 4096 that SCORM 1.2 allows for suspend data.
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  function encodeBits(flags) {
    let out = "";
    for (let i = 0; i < flags.length; i += 6) {
      let v = 0;
      for (let j = 0; j < 6; j += 1) if (flags[i + j]) v |= 1 << j;
      out += B64[v];
    }
    return out.replace(/A+$/, "");
  }

  function decodeBits(text, length) {
    const flags = new Array(length).fill(false);
    for (let i = 0; i < text.length; i += 1) {
      const v = B64.indexOf(text[i]);
      if (v < 0) return null;
      for (let j = 0; j < 6; j += 1) if (i * 6 + j < length && v & (1 << j)) flags[i * 6 + j] = true;
    }
    return flags;
  }

  function debounce(fn, ms) {
    let timer = null;
    const wrapped = function () {
      const args = arguments;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => { timer = null; fn.apply(null, args); }, ms);
    };
    wrapped.flush = function () {
      if (timer !== null) { window.clearTimeout(timer); timer = null; fn(); }
    };
    wrapped.cancel = function () {
      window.clearTimeout(timer);
      timer = null;
    };
    return wrapped;
  }

  /** Run `fn`, log and swallow its error: an LMS problem must never break the course. */
  function guarded(label, fn, fallback) {
    try {
      return fn();
    } catch (err) {
      if (window.console) window.console.error("[gsog] " + label + ":", err);
      return fallback;
    }
  }

  GSOG.util = {
    t, el, setHtml, plainText, uid, params, hash, seededRandom, newSeed, shuffle, uuid,
    isoDuration, scorm12Timespan, encodeBits, decodeBits, debounce, guarded,
    setStrings(map) { strings = map || {}; },
  };
})(window);
