/* Factsheet (short or in-depth): headed sections, printable. Reference material: done when opened. */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;

  GSOG.units.register("factsheet", {
    completeOnVisit() {
      return true;
    },
    render(unit) {
      const print = el("button", { type: "button", class: "gsog-print", text: t("print") });
      print.addEventListener("click", () => window.print());
      const sections = unit.sections.map((s) => {
        const id = U.uid("section");
        return el("section", { class: "gsog-factsheet-section", "aria-labelledby": id }, [
          el("h2", { id, text: s.heading }),
          U.setHtml(el("div", { class: "gsog-richtext" }), s.body, 3),
        ]);
      });
      return el("div", { class: "gsog-factsheet gsog-factsheet-" + unit.version }, [
        el("div", { class: "gsog-actions gsog-no-print" }, [print]),
      ].concat(sections));
    },
  });
})(window);
