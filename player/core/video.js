/*
 * Video watching as the xAPI Video Profile (https://w3id.org/xapi/video)
 * describes it, for the cmi5 and xAPI packages: how much of each clip and
 * case video a learner watched, and where they stopped.
 *
 *   const detach = GSOG.video.attach(videoElement, {
 *     unit: {id, title}, lang, activityId, captions: boolean, report(event),
 *   });
 *
 * report() gets one neutral event per profile statement:
 *
 *   {verb, sessionId, statement: {verb, object, result?, context}}
 *
 * verb is initialized, played, paused, seeked, completed or terminated. The
 * statement is complete except for what the format's adapter owns (id,
 * actor, timestamp, registration, language, its own context activities):
 * its context holds only the profile's parts (the profile as category, the
 * session id, length, completion threshold, captions). sessionId is the
 * session-id extension again: the profile wants it to be the id of the
 * session's initialized statement, so an adapter gives that statement this id.
 *
 * A video session starts with `initialized` as soon as the length is known
 * (the profile requires the length in it) and ends with `terminated` when
 * the page is hidden or left, or detach() is called (the player does that
 * when the learner moves on). A paused is sent first when the last of played
 * and paused was a played: the profile wants one before every terminated.
 * Playing or seeking again on the same element opens a new session, with a
 * new session id.
 *
 * What was played is kept per activity for as long as the page lives, as
 * the profile counts progress and played segments over the registration,
 * not one session; a new launch starts from nothing, as the saved state
 * does not carry it. Completed is sent once, when the part played reaches
 * COMPLETION_THRESHOLD of the length; that is the same fraction that makes
 * the unit done in units/media.js.
 *
 * Without report() (SCORM) nothing is tracked. Nothing here may break the
 * page: every listener runs guarded.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const document = window.document;

  const PROFILE = "https://w3id.org/xapi/video";
  const ACTIVITY_TYPE = PROFILE + "/activity-type/video";
  /** The activity type xAPI 2.0 gives a profile named as category. */
  const PROFILE_TYPE = "http://adlnet.gov/expapi/activities/profile";
  const VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    played: PROFILE + "/verbs/played",
    paused: PROFILE + "/verbs/paused",
    seeked: PROFILE + "/verbs/seeked",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated",
  };
  const X = PROFILE + "/extensions/";
  const EXTENSIONS = {
    time: X + "time",
    timeFrom: X + "time-from",
    timeTo: X + "time-to",
    progress: X + "progress",
    playedSegments: X + "played-segments",
    sessionId: X + "session-id",
    length: X + "length",
    completionThreshold: X + "completion-threshold",
    ccEnabled: X + "cc-subtitle-enabled",
    ccLang: X + "cc-subtitle-lang",
    speed: X + "speed",
    volume: X + "volume",
  };

  /** Watched "to the end": the last seconds are often credits or silence. */
  const COMPLETION_THRESHOLD = 0.9;
  /** Dragging along the timeline seeks many times; seeks this close together are reported as one. */
  const SEEK_SETTLE_MS = 400;

  /** Seconds and fractions as the profile writes them: at most 3 decimals. */
  const round3 = (x) => Math.round(x * 1000) / 1000;

  // ----- played segments (pure, see tests/player/test_video_profile.py) -----

  /** Overlapping or touching [start, end] pairs joined, in time order. */
  function merge(list) {
    const sorted = list
      .filter((s) => isFinite(s[0]) && isFinite(s[1]))
      .map((s) => [Math.min(s[0], s[1]), Math.max(s[0], s[1])])
      .sort((a, b) => a[0] - b[0]);
    const out = [];
    sorted.forEach((s) => {
      const last = out[out.length - 1];
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else out.push(s);
    });
    return out;
  }

  /** Seconds played at least once. */
  function covered(list) {
    return merge(list).reduce((sum, s) => sum + (s[1] - s[0]), 0);
  }

  /**
   * The part of the length played at least once, 0..1 with 3 decimals.
   * Computed on the values as reported (rounded), so whoever recomputes it
   * from the statement's played-segments and length gets the same number.
   */
  function progress(list, length) {
    const total = round3(length);
    if (!(total > 0) || !isFinite(total)) return 0;
    const clipped = list.map((s) => [Math.max(0, Math.min(total, round3(s[0]))), Math.max(0, Math.min(total, round3(s[1])))]);
    return round3(Math.min(1, covered(clipped) / total));
  }

  /** The played-segments extension: "start[.]end" in the order they were played, joined by "[,]". */
  function format(list) {
    return list.map((s) => round3(s[0]) + "[.]" + round3(s[1])).join("[,]");
  }

  function parse(text) {
    if (!text) return [];
    return String(text).split("[,]").map((part) => part.split("[.]").map(Number));
  }

  const segments = { merge, covered, progress, format, parse };

  // ----- tracking one element -------------------------------------------

  /** What was played of each video in this page (activity id -> record). */
  const watched = {};

  function recordFor(activityId) {
    if (!watched[activityId]) watched[activityId] = { segments: [], completed: false, playMs: 0 };
    return watched[activityId];
  }

  /** The profile's speed format: "1x", "1.5x". */
  const speedText = (rate) => round3(isFinite(rate) ? rate : 1) + "x";

  function track(media, options) {
    const report = options.report;
    const lang = options.lang || "und";
    const unit = options.unit || {};
    const record = recordFor(options.activityId);
    let session = null; //      the open video session's id
    let autoStart = true; //    open the first session as soon as the length is known
    let open = null; //         start (s) of the segment being played, null while not playing
    let last = 0; //            last position seen (s): where a seek started from
    let lastSent = null; //     "played" or "paused": which of the two this session sent last
    let playingSince = null; // wall clock (ms) since playback runs, for result.duration
    let seek = null; //         {from, result, timer}: a seek (or one drag of them) not reported yet
    let frame = null; //        the animation frame that samples the position while playing
    let playAfterSeek = false; // play came during a seek (replaying from the end seeks to the start first)
    let cleanup = null;
    const listeners = [];

    const length = () => {
      const d = media.duration;
      return d > 0 && isFinite(d) ? d : null;
    };
    const now = () => (isFinite(media.currentTime) ? media.currentTime : 0);
    /** Where playback is; during a seek the element already shows the target, so the last position seen. */
    const position = () => (media.seeking ? last : now());
    const clamp = (t) => round3(Math.max(0, Math.min(length() || t, t)));

    function closeSegment(at) {
      if (open !== null && round3(at) > round3(open)) record.segments.push([open, at]);
      open = null;
    }

    /** Everything played so far, the segment still being played included unless `closedOnly`. */
    function playedSoFar(closedOnly) {
      const end = position();
      return !closedOnly && open !== null && round3(end) > round3(open)
        ? record.segments.concat([[open, end]])
        : record.segments.slice();
    }

    /**
     * A seek is announced when the element already stands at its target, and
     * timeupdate comes only every quarter second or so: while the video plays
     * the position is read every frame, so a seek starts where playback was.
     */
    function sample() {
      frame = null;
      if (media.paused || media.seeking || media.ended) return;
      last = now();
      frame = window.requestAnimationFrame(() => U.guarded("video frame", sample));
    }

    function startSampling() {
      if (frame === null && window.requestAnimationFrame) frame = window.requestAnimationFrame(() => U.guarded("video frame", sample));
    }

    function startClock() {
      if (playingSince === null) playingSince = Date.now();
    }

    function stopClock() {
      if (playingSince !== null) record.playMs += Date.now() - playingSince;
      playingSince = null;
    }

    function captions() {
      const tracks = Array.prototype.filter.call(media.textTracks || [], (t) => t.kind === "captions" || t.kind === "subtitles");
      const showing = tracks.find((t) => t.mode === "showing");
      return { on: !!showing, lang: (showing && showing.language) || lang };
    }

    function context(initial) {
      const ext = {};
      ext[EXTENSIONS.sessionId] = session;
      ext[EXTENSIONS.length] = round3(length());
      // not 1, so the profile wants it in every statement that carries progress
      ext[EXTENSIONS.completionThreshold] = COMPLETION_THRESHOLD;
      if (options.captions) {
        const cc = captions();
        ext[EXTENSIONS.ccEnabled] = cc.on;
        if (cc.on) ext[EXTENSIONS.ccLang] = cc.lang;
      }
      if (initial) {
        ext[EXTENSIONS.speed] = speedText(media.playbackRate);
        ext[EXTENSIONS.volume] = media.muted ? 0 : round3(media.volume);
      }
      return {
        contextActivities: { category: [{ objectType: "Activity", id: PROFILE, definition: { type: PROFILE_TYPE } }] },
        extensions: ext,
      };
    }

    /** result.extensions: where the learner is, and what they played so far. */
    function where(extensions, closedOnly) {
      const list = playedSoFar(closedOnly);
      extensions[EXTENSIONS.progress] = progress(list, length());
      extensions[EXTENSIONS.playedSegments] = format(list);
      return { extensions };
    }

    function at(time, closedOnly) {
      const ext = {};
      ext[EXTENSIONS.time] = clamp(time);
      return where(ext, closedOnly);
    }

    function emit(verb, result) {
      if (!session) return;
      const name = {};
      name[lang] = unit.title || unit.id || options.activityId;
      const statement = {
        verb: { id: VERBS[verb], display: { "en-US": verb } },
        object: { objectType: "Activity", id: options.activityId, definition: { type: ACTIVITY_TYPE, name } },
        context: context(verb === "initialized"),
      };
      if (result) statement.result = result;
      U.guarded("video report", () => report({ verb, sessionId: session, statement }));
    }

    /** Played: what was played before this segment began (by the time it is sent, a few frames of it have). */
    function played(time) {
      if (!session) return;
      emit("played", at(time, true));
      lastSent = "played";
    }

    /** Open a session: needs the length, which initialized must carry. */
    function begin() {
      if (session) return true;
      if (!length()) return false;
      session = U.uuid();
      lastSent = null;
      autoStart = false;
      emit("initialized", null);
      return true;
    }

    function flushSeek() {
      if (!seek || !seek.result) return; // still seeking: reported once it landed
      window.clearTimeout(seek.timer);
      const done = seek;
      seek = null;
      const ext = done.result.extensions;
      if (ext[EXTENSIONS.timeFrom] !== ext[EXTENSIONS.timeTo]) emit("seeked", done.result);
    }

    function checkCompletion(time) {
      if (record.completed || !session) return;
      const list = playedSoFar();
      if (progress(list, length()) < COMPLETION_THRESHOLD) return;
      record.completed = true;
      const result = at(time);
      result.completion = true;
      // the time spent watching, over every session of this page
      result.duration = U.isoDuration(record.playMs + (playingSince !== null ? Date.now() - playingSince : 0));
      emit("completed", result);
    }

    /** End the session (paused first if need be, then terminated); playing or seeking again opens a new one. */
    function end() {
      autoStart = false;
      if (!session) return;
      if (seek && !seek.result) seek = null;
      flushSeek();
      const time = position();
      closeSegment(time);
      // a hidden page may play on (listening in another tab): what it plays still counts
      if (!media.paused && !media.ended && document.visibilityState === "hidden") open = time;
      checkCompletion(time);
      if (lastSent === "played") emit("paused", at(time));
      emit("terminated", at(time));
      session = null;
    }

    const on = {
      play() {
        if (!begin()) autoStart = true; // the length is not known yet: initialized and played follow when it is
        startClock();
        if (media.seeking || (seek && !seek.result)) {
          playAfterSeek = true; // replaying from the end: the seek back to the start comes first
          return;
        }
        flushSeek();
        // By the time `play` arrives the position may have moved on a little; playback
        // started where the element stood (a seek's target, a pause), unless it jumped.
        const t = Math.abs(now() - last) <= 0.5 * Math.max(1, media.playbackRate) ? last : now();
        closeSegment(last);
        open = t;
        last = t;
        startSampling();
        played(t);
      },
      pause() {
        const t = now();
        if (!media.seeking) {
          closeSegment(t);
          last = t;
        }
        stopClock();
        playAfterSeek = false;
        if (!session) return;
        flushSeek();
        checkCompletion(t);
        // the pause that reaching the end fires is not the learner's: ended takes over
        if (media.ended) return;
        emit("paused", at(t));
        lastSent = "paused";
      },
      seeking() {
        // the element already stands at the target: that is where the seek goes to
        const target = now();
        // a seek less than SEEK_SETTLE_MS after the last one belongs to the same drag:
        // the few frames played between them are not watching
        if (seek && seek.result) open = null;
        else closeSegment(last);
        if (!seek) seek = { from: last, to: target, result: null, timer: null };
        seek.to = target;
        seek.result = null;
        window.clearTimeout(seek.timer);
        begin(); // seeking a video whose session ended opens a new one
      },
      seeked() {
        const t = seek ? seek.to : now();
        const thenPlay = playAfterSeek && !media.paused;
        playAfterSeek = false;
        last = now();
        if (!media.paused && !media.ended) {
          open = t;
          startSampling();
        }
        if (seek && !session) seek = null;
        if (seek) {
          const ext = {};
          ext[EXTENSIONS.timeFrom] = clamp(seek.from);
          ext[EXTENSIONS.timeTo] = clamp(t);
          seek.result = where(ext, true);
          window.clearTimeout(seek.timer);
          if (thenPlay) flushSeek();
          else seek.timer = window.setTimeout(() => U.guarded("video seek", flushSeek), SEEK_SETTLE_MS);
        }
        if (thenPlay) played(t);
      },
      timeupdate() {
        if (media.seeking) return;
        const t = now();
        if (media.paused) {
          last = t;
          return;
        }
        if (open === null) open = t;
        else if (t < last) {
          closeSegment(last); // went back without a seek (looping)
          open = t;
        }
        last = t;
        checkCompletion(t);
      },
      ended() {
        const t = now();
        closeSegment(t);
        last = t;
        stopClock();
        if (!session) return;
        flushSeek();
        checkCompletion(t);
      },
      metadata() {
        if (session || !autoStart || !begin()) return;
        if (!media.paused && open !== null) played(open);
      },
      visibility() {
        if (document.visibilityState === "hidden") {
          end();
        } else if (!session && media.isConnected && !media.paused && !media.ended && begin()) {
          // it played on while the page was hidden: a new session from here
          const t = now();
          closeSegment(t);
          open = t;
          last = t;
          played(t);
        }
      },
    };

    function listen(target, type, handler) {
      const guarded = () => U.guarded("video " + type, handler);
      target.addEventListener(type, guarded);
      listeners.push([target, type, guarded]);
    }

    ["play", "pause", "seeking", "seeked", "timeupdate", "ended"].forEach((type) => listen(media, type, on[type]));
    listen(media, "loadedmetadata", on.metadata);
    listen(media, "durationchange", on.metadata);
    listen(document, "visibilitychange", on.visibility);
    listen(window, "pagehide", end);
    if (media.readyState >= 1) on.metadata();

    /**
     * End the session. The player also runs its leave handlers when the page
     * is only hidden, the video still on screen: the element stays tracked
     * until it has left the document.
     */
    return function detach() {
      U.guarded("video detach", end);
      if (cleanup !== null) return;
      cleanup = window.setTimeout(() => {
        cleanup = null;
        if (media.isConnected) return;
        if (seek) window.clearTimeout(seek.timer);
        if (frame !== null) window.cancelAnimationFrame(frame);
        listeners.forEach((l) => l[0].removeEventListener(l[1], l[2]));
        listeners.length = 0;
      }, 0);
    };
  }

  const noop = () => {};

  /** Track a <video> element; returns detach(). Without options.report nothing is tracked. */
  function attach(media, options) {
    const o = options || {};
    if (!media || typeof o.report !== "function" || !o.activityId) return noop;
    return U.guarded("video attach", () => track(media, o), noop);
  }

  GSOG.video = {
    attach,
    segments,
    round3,
    COMPLETION_THRESHOLD,
    PROFILE,
    ACTIVITY_TYPE,
    VERBS,
    EXTENSIONS,
  };
})(window);
