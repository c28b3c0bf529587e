/*
 * Referral list (sociale kaart / carte sociale): organisations for the
 * package's sector first, then the others. Phone numbers are tel: links;
 * web addresses become links only when they are http(s), whatever the data says.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;

  function formatDate(iso, lang) {
    const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!parts) return iso || "";
    const date = new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])));
    return U.guarded("date format", () => new Intl.DateTimeFormat(lang + "-BE", { dateStyle: "long", timeZone: "UTC" }).format(date), iso);
  }

  /** Longest web address shown in full; longer ones end in an ellipsis (the link goes to the whole address). */
  const MAX_SHOWN = 40;

  /**
   * A web address as people read it: no scheme, no "www.", no query or fragment, no trailing slash;
   * a long one is cut at a "/", "-" or "." and ends in an ellipsis (the page's CSS still wraps what is shown).
   */
  function shownAddress(url) {
    const text = url.replace(/^https?:\/\//i, "").replace(/^www\./i, "").replace(/[?#].*$/, "").replace(/\/+$/, "");
    if (text.length <= MAX_SHOWN) return text;
    const head = text.slice(0, MAX_SHOWN - 1);
    // cut after a "/", before a "-" or "." (a dangling "-" reads as a typo)
    const cut = Math.max(head.lastIndexOf("/") + 1, head.lastIndexOf("-"), head.lastIndexOf("."));
    return (cut > MAX_SHOWN / 2 ? head.slice(0, cut) : head) + "\u2026";
  }

  function entry(e, lang) {
    const headingId = U.uid("referral");
    const facts = el("dl", { class: "gsog-referral-facts" });
    const fact = (label, value) => {
      if (!value) return;
      facts.appendChild(el("div", {}, [el("dt", { text: label }), el("dd", {}, [value])]));
    };
    fact(t("referral_regions"), e.regions.map((r) => t("region_" + r)).join(", "));
    fact(t("referral_languages"), e.languages.map((l) => l.toUpperCase()).join(", "));
    if (e.phone) fact(t("referral_phone"), el("a", { href: "tel:" + e.phone.replace(/\s+/g, ""), text: e.phone }));
    if (e.web && /^https?:\/\//i.test(e.web)) {
      fact(t("referral_web"), el("a", { href: e.web, target: "_blank", rel: "noopener noreferrer", text: shownAddress(e.web) }));
    }
    fact(t("referral_verified"), formatDate(e.verified_on, lang));
    return el("li", { class: "gsog-referral" + (e.for_sector ? " is-for-sector" : "") }, [
      el("article", { "aria-labelledby": headingId }, [
        el("h3", { id: headingId, text: e.name }),
        el("p", { text: e.description }),
        facts,
      ]),
    ]);
  }

  GSOG.units.register("referrals", {
    completeOnVisit() {
      return true;
    },
    render(unit, ctx) {
      const lang = ctx.content.course.lang;
      const sector = ctx.content.course.sector;
      // Authored order within each group: the list starts with emergency numbers.
      const own = unit.entries.filter((e) => e.for_sector);
      const others = unit.entries.filter((e) => !e.for_sector);
      const group = (title, list) => {
        if (!list.length) return null;
        const id = U.uid("referral-group");
        return el("section", { class: "gsog-referral-group", "aria-labelledby": id }, [
          el("h2", { id, text: title }),
          el("ul", { class: "gsog-referral-list" }, list.map((e) => entry(e, lang))),
        ]);
      };
      return el("div", { class: "gsog-referrals" }, [
        group(t("referrals_for_sector", { sector: t("sector_" + sector) }), own),
        group(t("referrals_other"), others),
      ]);
    },
  });
})(window);
