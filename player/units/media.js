/*
 * Video with captions and a transcript, shared by knowledge clips and the
 * main case. A unit with a video counts as done when the video was watched
 * (almost) to the end or its transcript was opened: reading the transcript
 * is the equivalent for learners who cannot or do not want to watch.
 * Formats that send xAPI also get the Video Profile statements of the
 * video (core/video.js), until the learner moves on.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;

  /** Watched "to the end": the same fraction the Video Profile statements call completed. */
  const WATCHED_FRACTION = GSOG.video.COMPLETION_THRESHOLD;

  /**
   * The xAPI activity id of a unit's video in the package's language: one
   * activity per language, as each language is a different recording.
   */
  function videoActivityId(course, unit) {
    return course.iri.replace(/\/+$/, "") + "/videos/" + unit.id + "/" + course.lang;
  }

  function video(unit, ctx, onDone) {
    const lang = ctx.content.course.lang;
    let reported = false;
    const done = () => {
      if (!reported) {
        reported = true;
        onDone();
      }
    };
    const player = el("video", {
      controls: true, preload: "metadata", playsinline: true, crossorigin: null, poster: unit.poster || null,
      "aria-label": t("video_of", { title: unit.title }),
    }, [
      el("source", { src: unit.video, type: unit.video_type || "video/mp4" }),
      unit.captions ? el("track", { kind: "captions", src: unit.captions, srclang: lang, label: t("captions_label"), default: true }) : null,
      el("p", {}, [t("video_unsupported") + " ", el("a", { href: unit.video, text: t("download_video") })]),
    ]);
    player.addEventListener("ended", done);
    player.addEventListener("timeupdate", () => {
      if (player.duration && isFinite(player.duration) && player.currentTime / player.duration >= WATCHED_FRACTION) done();
    });
    const tracking = ctx.tracking;
    const detach = GSOG.video.attach(player, {
      unit: { id: unit.id, title: unit.title },
      lang,
      activityId: videoActivityId(ctx.content.course, unit),
      captions: !!unit.captions,
      report: tracking && tracking.recordVideo ? (event) => tracking.recordVideo(event) : null,
    });
    // the video session ends when the learner moves to another unit or leaves
    ctx.onLeave(detach);

    const controls = el("div", { class: "gsog-media-controls" });
    if (unit.captions) {
      // Browsers show their own captions menu, but not all; this button works everywhere.
      const captionsButton = el("button", { type: "button", class: "gsog-captions-toggle", "aria-pressed": "true", text: t("captions") });
      captionsButton.addEventListener("click", () => {
        const track = player.textTracks && player.textTracks[0];
        const on = captionsButton.getAttribute("aria-pressed") !== "true";
        if (track) track.mode = on ? "showing" : "hidden";
        captionsButton.setAttribute("aria-pressed", on ? "true" : "false");
      });
      controls.appendChild(captionsButton);
    }

    const transcriptId = U.uid("transcript");
    const transcriptHeadingId = U.uid("transcript-title");
    const transcript = el("section", { id: transcriptId, class: "gsog-transcript", hidden: true, "aria-labelledby": transcriptHeadingId }, [
      el("h2", { id: transcriptHeadingId, text: t("transcript") }),
    ]);
    transcript.appendChild(U.setHtml(el("div", { class: "gsog-richtext" }), unit.transcript, 3));
    const toggle = el("button", {
      type: "button", class: "gsog-transcript-toggle", "aria-expanded": "false", "aria-controls": transcriptId,
      text: t("show_transcript"),
    });
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? t("hide_transcript") : t("show_transcript");
      transcript.hidden = !open;
      if (open) done();
    });
    controls.appendChild(toggle);

    return el("div", { class: "gsog-media" }, [el("div", { class: "gsog-video-frame" }, [player]), controls, transcript]);
  }

  /** The learning goals a unit serves, as a short list (plain text). */
  function goals(unit, ctx) {
    const texts = (unit.goals || [])
      .map((id) => ctx.content.goals.find((g) => g.id === id))
      .filter(Boolean);
    if (!texts.length) return null;
    const headingId = U.uid("goals");
    return el("section", { class: "gsog-goals", "aria-labelledby": headingId }, [
      el("h2", { id: headingId, text: t("learning_goals") }),
      el("ul", {}, texts.map((g) => el("li", { text: g.text }))),
    ]);
  }

  GSOG.media = { video, goals, videoActivityId };
})(window);
