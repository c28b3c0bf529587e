/*
 * Reflection: the prompt, the learner's own answer and an optional
 * self-rating. The answers belong to the learner: they are kept in the
 * saved state so the learner finds them again, and are never reported as
 * interactions or statements.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;
  /** How long typing must pause before the answer is saved to the LMS. */
  const TYPING_PAUSE_MS = 1500;

  /** slice: {text, rating (number|null), saved}; compact: [text, rating or -1, saved]. The text may be shortened to fit. */
  const codec = {
    create() {
      return { text: "", rating: null, saved: false };
    },
    encode(s, texts) {
      if (!s.text && s.rating === null && !s.saved) return null;
      return [texts.get("text", s.text), s.rating === null ? -1 : s.rating, s.saved ? 1 : 0];
    },
    decode(v) {
      if (!Array.isArray(v) || typeof v[0] !== "string") return null;
      return { text: v[0], rating: Number.isInteger(v[1]) && v[1] >= 0 ? v[1] : null, saved: v[2] === 1 };
    },
    texts(s) {
      return [["text", s.text]];
    },
  };

  GSOG.units.register("reflection", {
    state: codec,
    render(unit, ctx) {
      const saved = ctx.slice();
      const limits = unit.answer || { min: 0, max: 2000 };
      const answerId = U.uid("answer");
      const counterId = U.uid("counter");
      const hintId = U.uid("hint");
      const status = el("p", { class: "gsog-save-status", role: "status" });

      const textarea = el("textarea", {
        id: answerId, rows: "8", maxlength: String(limits.max),
        "aria-describedby": (limits.min > 0 ? hintId + " " : "") + counterId,
        value: saved.text,
      });
      const counter = el("p", { id: counterId, class: "gsog-counter" });
      const updateCounter = () => {
        counter.textContent = t("characters_used", { n: textarea.value.length, max: limits.max });
      };
      updateCounter();

      // Typing reaches the state at once and the LMS after a pause in typing
      // (and on navigation and leaving): a commit while the page is being
      // dismissed may fail (LMS APIs using synchronous XHR), so nothing typed
      // may depend on it.
      const persist = U.debounce(() => ctx.save(), TYPING_PAUSE_MS);
      const keep = () => { saved.text = textarea.value; };
      textarea.addEventListener("input", () => { updateCounter(); keep(); persist(); });
      ctx.onLeave(() => { keep(); persist.cancel(); });

      const parts = [
        U.setHtml(el("div", { class: "gsog-richtext gsog-prompt" }), unit.prompt, 2),
        el("p", { class: "gsog-private", text: t("reflection_private") }),
        el("label", { for: answerId, class: "gsog-label", text: t("your_answer") }),
        limits.min > 0 ? el("p", { id: hintId, class: "gsog-hint", text: t("min_characters", { n: limits.min }) }) : null,
        textarea,
        counter,
      ];

      if (unit.self_rating) {
        const r = unit.self_rating;
        const name = U.uid("rating");
        const legendId = U.uid("rating-legend");
        const options = [];
        for (let value = r.min; value <= r.max; value += 1) {
          let label = String(value);
          if (value === r.min) label += " – " + r.min_label;
          if (value === r.max) label += " – " + r.max_label;
          const input = el("input", { type: "radio", name, value: String(value), checked: saved.rating === value });
          input.addEventListener("change", () => { saved.rating = value; });
          options.push(el("label", { class: "gsog-scale-option" }, [input, el("span", { text: label })]));
        }
        parts.push(el("fieldset", { class: "gsog-rating", "aria-labelledby": legendId }, [
          el("legend", { id: legendId, text: r.statement }),
          el("div", { class: "gsog-scale" }, options),
        ]));
      }

      const save = el("button", { type: "button", class: "gsog-primary", text: t("save_answer") });
      save.addEventListener("click", () => {
        keep();
        persist.cancel();
        if (saved.text.length < limits.min) {
          status.textContent = t("min_characters", { n: limits.min });
          textarea.focus();
          return;
        }
        saved.saved = true;
        ctx.complete({ quiet: true, save: false });
        // Say "saved" only when the LMS has it; the state was serialised within
        // the format's limit, so say so too if the LMS could not take the whole text.
        status.textContent = t("saving");
        ctx.saveStatus(status, { sent: t("answer_saved"), pending: t("answer_saved_not_sent") }).then(() => {
          if (ctx.state.truncated) status.textContent += " " + t("answer_saved_truncated");
        });
      });
      parts.push(el("div", { class: "gsog-actions" }, [save]), status);
      return el("form", { class: "gsog-reflection", on: { submit: (e) => e.preventDefault() } }, parts);
    },
  });
})(window);
