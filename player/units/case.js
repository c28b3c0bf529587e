/*
 * Case: the written story, the case video (main case of the package's sector
 * only), questions and discussion prompts. Cases of the other sectors are
 * optional extras: shown without video and done when opened.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;

  function section(title, className, children) {
    const id = U.uid("case-section");
    return el("section", { class: className, "aria-labelledby": id }, [el("h2", { id, text: title })].concat(children));
  }

  GSOG.units.register("case", {
    completeOnVisit(unit) {
      return !unit.main;
    },
    render(unit, ctx) {
      const parts = [];
      if (!unit.main) {
        parts.push(el("p", { class: "gsog-extra-case" }, [
          el("strong", { text: t("optional_extra_case") }),
          " " + t("extra_case_from", { sector: t("sector_" + unit.sector) }),
        ]));
      }
      parts.push(el("p", { class: "gsog-summary", text: unit.summary }));
      parts.push(section(t("case_story"), "gsog-story", [U.setHtml(el("div", { class: "gsog-richtext" }), unit.story, 3)]));
      if (unit.main && unit.video) {
        parts.push(section(t("case_video"), "gsog-case-video", [GSOG.media.video(unit, ctx, () => ctx.complete())]));
      }
      parts.push(section(t("case_questions"), "gsog-questions", [
        el("ol", {}, unit.questions.map((q) => el("li", { text: q }))),
      ]));
      parts.push(section(t("case_prompts"), "gsog-prompts", [
        el("ul", {}, unit.prompts.map((p) => el("li", { text: p }))),
      ]));
      parts.push(GSOG.media.goals(unit, ctx));
      return el("div", { class: "gsog-case" }, parts);
    },
  });
})(window);
