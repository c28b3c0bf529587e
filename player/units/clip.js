/* Knowledge clip: summary, video with captions, transcript, the goals it serves. */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const el = GSOG.util.el;

  GSOG.units.register("clip", {
    render(unit, ctx) {
      return el("div", { class: "gsog-clip" }, [
        el("p", { class: "gsog-summary", text: unit.summary }),
        GSOG.media.video(unit, ctx, () => ctx.complete()),
        GSOG.media.goals(unit, ctx),
      ]);
    },
  });
})(window);
