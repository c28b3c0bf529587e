/*
 * Glossary: every term with its definition, filtered as the learner types.
 * Matching ignores case and accents ("geweld" finds "Geweld", "victimisation"
 * finds "victimisation secondaire"); "see also" links jump to the related term.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;

  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

  GSOG.units.register("glossary", {
    completeOnVisit() {
      return true;
    },
    render(unit) {
      const searchId = U.uid("search");
      const search = el("input", { type: "search", id: searchId, autocomplete: "off", spellcheck: "false" });
      const count = el("p", { class: "gsog-count", role: "status" });
      const byId = {};
      unit.terms.forEach((term) => { byId[term.id] = term; });
      const entries = unit.terms.map((term) => {
        const dt = el("dt", { id: U.uid("term"), tabindex: "-1", text: term.term });
        const dd = el("dd", {}, [el("p", { text: term.definition })]);
        const related = term.see_also.filter((id) => byId[id]);
        if (related.length) {
          const links = [];
          related.forEach((id, i) => {
            if (i) links.push(", ");
            links.push(el("a", { href: "#", "data-term": id, text: byId[id].term }));
          });
          dd.appendChild(el("p", { class: "gsog-see-also" }, [t("see_also") + " "].concat(links)));
        }
        const entry = el("div", { class: "gsog-term", "data-term-id": term.id }, [dt, dd]);
        entry.searchText = fold(term.term + " " + term.definition);
        entry.heading = dt;
        return entry;
      });
      const list = el("dl", { class: "gsog-glossary" }, entries);

      const filter = () => {
        const words = fold(search.value).split(/\s+/).filter(Boolean);
        let shown = 0;
        entries.forEach((entry) => {
          const match = words.every((w) => entry.searchText.indexOf(w) >= 0);
          entry.hidden = !match;
          if (match) shown += 1;
        });
        count.textContent = words.length ? t("glossary_count", { n: shown, total: entries.length }) : t("glossary_total", { n: entries.length });
      };
      search.addEventListener("input", U.debounce(filter, 150));
      list.addEventListener("click", (event) => {
        const link = event.target.closest("a[data-term]");
        if (!link) return;
        event.preventDefault();
        const target = entries.find((e) => e.getAttribute("data-term-id") === link.getAttribute("data-term"));
        if (!target) return;
        if (target.hidden) {
          search.value = "";
          filter();
        }
        target.heading.focus();
        target.heading.scrollIntoView({ block: "start" });
      });
      filter();

      return el("div", { class: "gsog-glossary-unit" }, [
        el("div", { class: "gsog-search", role: "search" }, [
          el("label", { for: searchId, class: "gsog-label", text: t("glossary_search") }), search,
        ]),
        count,
        list,
      ]);
    },
  });
})(window);
