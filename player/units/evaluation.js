/*
 * Participant evaluation form: statements on a Likert scale, each competence
 * rated for "before the course" and "now", and open questions. Every answer
 * is optional. On submit the answers are reported as likert and
 * long-fill-in interactions (the evaluation is for the organiser, unlike
 * the reflections, which stay with the learner).
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;
  const OPEN_MAX = 2000;

  /** Answers of one scale group as a digit string: position i holds the chosen scale index or "-". */
  function setDigit(text, length, index, value) {
    const chars = (text || "").padEnd(length, "-").split("");
    chars[index] = value === null ? "-" : String(value);
    return chars.join("");
  }

  function digitAt(text, index) {
    const c = (text || "")[index];
    return c && c !== "-" ? Number(c) : null;
  }

  function scaleGroup(legend, scale, value, onChange, disabled) {
    const name = U.uid("scale");
    const legendId = U.uid("legend");
    return el("fieldset", { class: "gsog-likert", "aria-labelledby": legendId, disabled }, [
      el("legend", { id: legendId, text: legend }),
      el("div", { class: "gsog-scale" }, scale.map((label, i) => {
        const input = el("input", { type: "radio", name, value: String(i), checked: value === i });
        input.addEventListener("change", () => onChange(i));
        return el("label", { class: "gsog-scale-option" }, [input, el("span", { text: label })]);
      })),
    ]);
  }

  function section(title, children) {
    const id = U.uid("eval-section");
    return el("section", { class: "gsog-eval-section", "aria-labelledby": id }, [el("h2", { id, text: title })].concat(children));
  }

  function interactions(unit, saved, ctx) {
    const base = ctx.content.course.iri.replace(/\/+$/, "") + "/evaluation/";
    const parent = { id: base.replace(/\/$/, ""), name: unit.title };
    const scaleOf = (labels) => labels.map((label, i) => ({ id: String(i + 1), text: label }));
    const out = [];
    unit.likert_items.forEach((q, i) => {
      const v = digitAt(saved.likert, i);
      if (v === null) return;
      out.push({ id: unit.id + "-" + q.id, iri: base + q.id, parent, type: "likert", description: q.text,
        scale: scaleOf(unit.likert_scale), response: String(v + 1), result: "neutral", objectives: [] });
    });
    unit.competence_items.forEach((q, i) => {
      [["before", saved.before], ["after", saved.after]].forEach(([when, text]) => {
        const v = digitAt(text, i);
        if (v === null) return;
        out.push({ id: unit.id + "-" + q.id + "-" + when, iri: base + q.id + "/" + when, parent, type: "likert",
          description: q.text + " (" + t("competence_" + when) + ")", scale: scaleOf(unit.competence_scale),
          response: String(v + 1), result: "neutral", objectives: [q.goal] });
      });
    });
    unit.open_questions.forEach((q, i) => {
      const text = (saved.open[i] || "").trim();
      if (!text) return;
      out.push({ id: unit.id + "-" + q.id, iri: base + q.id, parent, type: "long-fill-in", description: q.text,
        response: text, result: "neutral", objectives: [] });
    });
    return out;
  }

  /**
   * slice: {submitted, likert, before, after, open: [text]} (answers as digit strings, "-" = none);
   * compact: [submitted, likert, before, after, [open texts]]. Open texts may be shortened to fit.
   */
  const codec = {
    create() {
      return { submitted: false, likert: "", before: "", after: "", open: [] };
    },
    encode(s, texts) {
      if (!s.submitted && !/[0-9]/.test(s.likert + s.before + s.after) && !s.open.some(Boolean)) return null;
      return [s.submitted ? 1 : 0, s.likert, s.before, s.after, s.open.map((text, i) => texts.get("open" + i, text))];
    },
    decode(v) {
      if (!Array.isArray(v) || v.length < 5 || !Array.isArray(v[4])) return null;
      const str = (x) => (typeof x === "string" ? x : "");
      return { submitted: v[0] === 1, likert: str(v[1]), before: str(v[2]), after: str(v[3]), open: v[4].map(str) };
    },
    texts(s) {
      return s.open.map((text, i) => ["open" + i, text]);
    },
    fingerprint(unit) {
      return [unit.likert_items, unit.competence_items, unit.open_questions].map((list) => list.map((q) => q.id).join(",")).join(";");
    },
  };

  GSOG.units.register("evaluation", {
    state: codec,
    render(unit, ctx) {
      const saved = ctx.slice();
      // answers reach the LMS after a pause in typing, not only on submit (see reflection.js)
      const persist = U.debounce(() => ctx.save(), 1500);
      ctx.onLeave(() => persist.cancel());
      const done = saved.submitted;
      const status = el("div", { class: "gsog-save-status", role: "status", tabindex: "-1" });
      const nL = unit.likert_items.length;
      const nC = unit.competence_items.length;

      const likert = unit.likert_items.map((q, i) => scaleGroup(q.text, unit.likert_scale, digitAt(saved.likert, i),
        (v) => { saved.likert = setDigit(saved.likert, nL, i, v); }, done));

      const competences = unit.competence_items.map((q, i) => {
        const legendId = U.uid("competence");
        return el("fieldset", { class: "gsog-competence", "aria-labelledby": legendId, disabled: done }, [
          el("legend", { id: legendId, text: q.text }),
          scaleGroup(t("competence_before"), unit.competence_scale, digitAt(saved.before, i),
            (v) => { saved.before = setDigit(saved.before, nC, i, v); }, done),
          scaleGroup(t("competence_after"), unit.competence_scale, digitAt(saved.after, i),
            (v) => { saved.after = setDigit(saved.after, nC, i, v); }, done),
        ]);
      });

      const open = unit.open_questions.map((q, i) => {
        const id = U.uid("open");
        const area = el("textarea", { id, rows: "4", maxlength: String(OPEN_MAX), value: saved.open[i] || "", disabled: done });
        area.addEventListener("input", () => { saved.open[i] = area.value; persist(); });
        return el("div", { class: "gsog-open" }, [el("label", { for: id, class: "gsog-label", text: q.text }), area]);
      });

      const submit = el("button", { type: "submit", class: "gsog-primary", text: t("submit"), disabled: done });
      const form = el("form", { class: "gsog-evaluation", novalidate: true }, [
        U.setHtml(el("div", { class: "gsog-richtext" }), unit.intro, 2),
        section(t("evaluation_statements"), likert),
        section(t("evaluation_competences"), [el("p", { class: "gsog-hint", text: t("evaluation_competences_hint") })].concat(competences)),
        section(t("evaluation_open"), open),
        el("div", { class: "gsog-actions" }, [submit]),
        status,
      ]);
      if (done) status.textContent = ctx.tracking.status.pending ? t("evaluation_not_sent") : t("evaluation_thanks");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (saved.submitted) return;
        saved.submitted = true;
        interactions(unit, saved, ctx).forEach((i) => ctx.tracking.recordInteraction(i));
        form.querySelectorAll("fieldset, textarea, button").forEach((node) => { node.disabled = true; });
        ctx.complete({ quiet: true, save: false });
        // "sent" only once the LMS/LRS confirmed it; until then the truth, updated when it arrives
        status.textContent = t("sending");
        status.focus();
        ctx.saveStatus(status, { sent: t("evaluation_thanks"), pending: t("evaluation_not_sent") });
      });
      return form;
    },
  });
})(window);
