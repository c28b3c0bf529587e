/*
 * The player's core: page shell (landmarks, menu, previous/next), showing
 * units, completion and progress rules, and the session from start to leave.
 *
 * Units are components registered by units/*.js in GSOG.units (see
 * core/units.js for the contract): the core never names a unit kind.
 *
 * ctx gives a component what it may touch: t (strings), content, state and
 * slice() (the unit's own part of it), masteryScore() (the LMS may override
 * the authored one), complete() to mark the unit done, save() to report and
 * persist (resolves {stored, sent}), saveStatus() to tell the learner the
 * truth about a save, tracking.recordInteraction, announce() for screen
 * readers, onLeave() to flush work in progress (a reflection being typed)
 * before the learner moves on or the session ends, and reviewing (Browse or
 * Review launch: nothing is recorded).
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;
  const document = window.document;

  /** How long a save may take before the learner is told it is not sent yet. */
  const SEND_WAIT_MS = 4000;

  /** The SCORM 2004 manifest's primary objective (builder/writers/scorm2004.py). */
  const PRIMARY_OBJECTIVE = "course-mastery";

  /** Rounded to 4 decimals, as SCORM 2004 real(10,7) and humans both like it. */
  const round4 = (x) => Math.round(x * 10000) / 10000;

  class Player {
    /**
     * root: the element to fill; content: window.GSOG_CONTENT;
     * tracking: GSOG.tracking.Tracking; module: id from ?module= or null.
     */
    constructor(options) {
      this.root = options.root;
      this.content = options.content;
      this.tracking = options.tracking;
      const all = this.content.modules;
      this.modules = options.module ? all.filter((m) => m.id === options.module) : all;
      this.order = [];
      this.moduleOf = {};
      this.modules.forEach((m) => m.units.forEach((id) => {
        if (this.content.units[id] && this.order.indexOf(id) < 0) {
          this.order.push(id);
          this.moduleOf[id] = m;
        }
      }));
      const required = this.order.filter((id) => this.content.units[id].required);
      // A module without required units (the pre-test, the reference shelf)
      // is complete when everything in it was done.
      this.required = required.length ? required : this.order.slice();
      // the unit whose result is this launch's score (the post-test), if its kind says so
      this.scoring = this.order.find((id) => {
        const unit = this.content.units[id];
        const component = GSOG.units.get(unit.kind);
        return !!(component && component.scores && component.scores(unit));
      }) || null;
      this.state = new GSOG.State(this.content);
      this.masteryOverride = null;
      this.leaveHandlers = [];
      this.left = false;
      this.currentId = null;
    }

    // ----- shell ---------------------------------------------------------

    buildShell() {
      const course = this.content.course;
      this.liveRegion = el("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "true" });
      this.progress = el("progress", { id: "gsog-progress", max: "100", value: "0" });
      this.progressText = el("span", { class: "gsog-progress-text", "aria-hidden": "true", text: "0%" });
      this.menuToggle = el("button", {
        type: "button", class: "gsog-menu-toggle", "aria-expanded": "false", "aria-controls": "gsog-menu",
        text: t("menu"), on: { click: () => this.toggleMenu() },
      });
      // the truth about saving, for everyone: shown only when something is not (yet) stored
      this.saveIndicator = el("p", { class: "gsog-save-indicator", role: "status", hidden: true });
      this.exitButton = el("button", {
        type: "button", class: "gsog-exit", text: t("exit"), on: { click: () => this.exit() },
      });
      const header = el("header", { class: "gsog-header" }, [
        el("p", { class: "gsog-course-title", text: course.title }),
        el("div", { class: "gsog-progress" }, [
          el("label", { for: "gsog-progress", text: t("progress") }), this.progress, this.progressText,
        ]),
        el("div", { class: "gsog-header-actions" }, [this.menuToggle, this.exitButton]),
        this.saveIndicator,
      ]);
      this.menu = el("nav", { id: "gsog-menu", class: "gsog-menu", "aria-label": t("course_menu") });
      this.menuLinks = {};
      this.modules.forEach((module) => {
        const headingId = U.uid("module");
        const list = el("ol", { class: "gsog-menu-units", "aria-labelledby": headingId });
        module.units.forEach((id) => {
          const unit = this.content.units[id];
          if (!unit) return;
          const status = el("span", { class: "gsog-status", "aria-hidden": "true" });
          const statusText = el("span", { class: "sr-only" });
          const link = el("a", {
            href: "#" + encodeURIComponent(id), "data-unit": id,
            on: { click: (event) => { event.preventDefault(); this.goTo(id); this.closeMenuIfNarrow(); } },
          }, [status, el("span", { class: "gsog-menu-title", text: unit.title }),
            unit.required ? null : el("span", { class: "gsog-tag", text: t("optional") }), statusText]);
          this.menuLinks[id] = { link, status, statusText };
          list.appendChild(el("li", {}, [link]));
        });
        this.menu.appendChild(el("h2", { id: headingId, class: "gsog-menu-module", text: module.title }));
        this.menu.appendChild(list);
      });
      this.menu.addEventListener("keydown", (event) => {
        if (event.key === "Escape" && this.root.classList.contains("gsog-menu-open")) {
          this.toggleMenu(false);
          this.menuToggle.focus();
        }
      });
      this.notice = el("div", { class: "gsog-notice", role: "status" });
      this.unitHost = el("div", { class: "gsog-unit-host" });
      this.prevButton = el("button", { type: "button", class: "gsog-prev", on: { click: () => this.step(-1) } });
      this.nextButton = el("button", { type: "button", class: "gsog-next", on: { click: () => this.step(1) } });
      this.main = el("main", { id: "gsog-main", class: "gsog-main", tabindex: "-1" }, [
        this.notice,
        this.unitHost,
        el("nav", { class: "gsog-pager", "aria-label": t("pager") }, [this.prevButton, this.nextButton]),
      ]);
      this.root.textContent = "";
      this.root.appendChild(el("a", { class: "gsog-skip", href: "#gsog-main", text: t("skip_to_content"),
        on: { click: (event) => { event.preventDefault(); this.focusHeading(); } } }));
      this.root.appendChild(header);
      this.root.appendChild(el("div", { class: "gsog-layout" }, [this.menu, this.main]));
      this.root.appendChild(this.liveRegion);
    }

    toggleMenu(open) {
      const show = open === undefined ? !this.root.classList.contains("gsog-menu-open") : open;
      this.root.classList.toggle("gsog-menu-open", show);
      this.menuToggle.setAttribute("aria-expanded", show ? "true" : "false");
      if (show) {
        const current = this.menuLinks[this.currentId];
        (current ? current.link : this.menu.querySelector("a")).focus();
      }
    }

    closeMenuIfNarrow() {
      if (this.root.classList.contains("gsog-menu-open")) this.toggleMenu(false);
    }

    announce(message) {
      // Cleared first so the same message twice is still read out.
      this.liveRegion.textContent = "";
      window.setTimeout(() => { this.liveRegion.textContent = message; }, 50);
    }

    showNotice(message, kind) {
      this.notice.textContent = "";
      this.notice.className = "gsog-notice" + (message ? " gsog-notice-" + (kind || "info") : "");
      if (message) this.notice.appendChild(el("p", { text: message }));
    }

    focusHeading() {
      const heading = this.unitHost.querySelector("h1");
      if (heading) heading.focus();
    }

    // ----- session -------------------------------------------------------

    /** Connect tracking, restore the learner's state, show the unit to start at. */
    start() {
      this.buildShell();
      return this.tracking.start().then((session) => {
        if (typeof session.masteryScore === "number" && session.masteryScore >= 0 && session.masteryScore <= 1) {
          this.masteryOverride = session.masteryScore;
        }
        const restored = GSOG.State.restore(this.content, session.resumeState);
        if (restored) this.state = restored;
        this.session = session;
        this.reviewing = session.mode === "review" || session.mode === "browse";
        this.tracking.onRetry = () => { this.report(); this.save(); };
        this.tracking.onStatus((status) => this.showSaveStatus(status));
        let first = this.order[0];
        const resumeAt = restored && restored.current;
        if (resumeAt && this.order.indexOf(resumeAt) >= 0) first = resumeAt;
        else if (session.location && this.order.indexOf(session.location) >= 0) first = session.location;
        this.goTo(first, { focus: false });
        if (this.reviewing) this.showNotice(t("review_mode"), "info");
        if (restored && first !== this.order[0]) {
          this.notice.appendChild(el("p", { text: t("resumed", { title: this.content.units[first].title }) }));
          this.notice.classList.add("gsog-notice-info");
        }
        this.report();
        this.save();
        return this;
      });
    }

    /** The header's saving status: silent while all is well, explicit when the LMS/LRS does not have the learner's work. */
    showSaveStatus(status) {
      if (!this.saveIndicator) return;
      let text = "";
      if (status.rejected) text = t("not_recorded");
      else if (status.pending) text = t("saved_not_sent");
      this.saveIndicator.textContent = text;
      this.saveIndicator.hidden = !text;
      this.saveIndicator.className = "gsog-save-indicator" + (text ? " is-warning" : "");
    }

    /** The page is being hidden (maybe for good): report, save and push out what waits, without ending the session. */
    hidden() {
      if (!this.session || this.left) return;
      this.leaveHandlers.forEach((fn) => U.guarded("leave handler", fn));
      this.report();
      this.save();
      this.tracking.flushNow();
    }

    /** Leave the course (pagehide, beforeunload, exit button): save and terminate exactly once. */
    leave() {
      if (this.left) return;
      this.leaveHandlers.forEach((fn) => U.guarded("leave handler", fn));
      this.report();
      this.tracking.saveState(this.state);
      this.left = true;
      this.tracking.terminate({ suspend: !this.isFinished() });
    }

    exit() {
      const finished = this.isFinished();
      const pending = this.tracking.status.pending;
      this.leave();
      const url = this.tracking.adapter.exitUrl;
      if (url) {
        // the LMS's return page: once what waits was sent (in order, state before terminated), or after 5 s
        this.tracking.sync(5000).then(() => {
          this.tracking.flushNow();
          window.location.href = url;
        });
        return;
      }
      this.unitHost.textContent = "";
      this.unitHost.appendChild(el("h1", { tabindex: "-1", text: t("exit_title") }));
      // a module launched on its own is one part of the course: say which was finished
      const partial = this.modules.length < this.content.modules.length;
      let message = t("exit_later");
      if (finished) message = partial ? t("exit_module_done", { module: this.modules[0].title }) : t("exit_done");
      this.unitHost.appendChild(el("p", { text: message }));
      if (pending || this.tracking.offline) {
        this.unitHost.appendChild(el("p", { class: "gsog-warning", text: this.tracking.offline ? t("offline_notice") : t("exit_not_sent") }));
      }
      const result = this.result();
      if (result && result.final && !result.passed) this.unitHost.appendChild(el("p", { text: t("test_no_attempts_left") }));
      this.prevButton.hidden = true;
      this.nextButton.hidden = true;
      this.exitButton.disabled = true;
      this.focusHeading();
    }

    // ----- navigation ----------------------------------------------------

    goTo(id, options) {
      const opts = options || {};
      if (!id || this.order.indexOf(id) < 0) return;
      this.leaveHandlers.forEach((fn) => U.guarded("leave handler", fn));
      this.leaveHandlers = [];
      const unit = this.content.units[id];
      this.currentId = id;
      this.state.current = id;
      this.state.visited.add(id);
      const component = GSOG.units.get(unit.kind);
      const module = this.moduleOf[id];
      const position = this.order.indexOf(id);
      const titleId = U.uid("unit-title");
      const article = el("article", { class: "gsog-unit gsog-unit-" + unit.kind, "aria-labelledby": titleId }, [
        el("p", { class: "gsog-eyebrow" }, [
          el("span", { text: module.title }),
          el("span", { class: "gsog-position", text: t("unit_position", { n: position + 1, total: this.order.length }) }),
        ]),
        el("h1", { id: titleId, tabindex: "-1", text: unit.title }),
      ]);
      if (!unit.required) article.appendChild(el("p", { class: "gsog-tag", text: t("optional") }));
      if (component) {
        article.appendChild(component.render(unit, this.contextFor(unit)));
      } else {
        article.appendChild(el("p", { text: t("unknown_unit") }));
      }
      this.unitHost.textContent = "";
      this.unitHost.appendChild(article);
      this.showNotice("");
      // After the session ended (the page came back from the back-forward
      // cache, or leaving was cancelled) nothing reaches the LMS any more.
      if (this.left) this.showNotice(t("session_ended"), "warning");
      else if (this.tracking.offline) this.showNotice(t("offline_notice"), "warning");
      else if (this.reviewing) this.showNotice(t("review_mode"), "info");
      if (component && component.completeOnVisit && component.completeOnVisit(unit)) {
        this.complete(id, { quiet: true, save: false }); // saved below with the visit
      }
      document.title = unit.title + " – " + this.content.course.title;
      if (this.session) this.tracking.unitVisited(unit);
      this.updatePager();
      this.updateMenu();
      if (opts.focus !== false) {
        window.scrollTo(0, 0);
        this.focusHeading();
        this.report();
        this.save();
      }
    }

    step(delta) {
      const index = this.order.indexOf(this.currentId) + delta;
      if (index >= 0 && index < this.order.length) this.goTo(this.order[index]);
    }

    updatePager() {
      const index = this.order.indexOf(this.currentId);
      const fill = (button, label, id) => {
        button.textContent = "";
        button.hidden = !id;
        if (!id) return;
        button.appendChild(el("span", { class: "gsog-pager-label", text: label }));
        button.appendChild(el("span", { class: "sr-only", text: ": " }));
        button.appendChild(el("span", { class: "gsog-pager-title", text: this.content.units[id].title }));
      };
      fill(this.prevButton, t("previous"), this.order[index - 1]);
      fill(this.nextButton, t("next"), this.order[index + 1]);
    }

    updateMenu() {
      Object.keys(this.menuLinks).forEach((id) => {
        const entry = this.menuLinks[id];
        const done = this.state.completed.has(id);
        const seen = this.state.visited.has(id);
        entry.link.classList.toggle("is-completed", done);
        entry.link.classList.toggle("is-visited", seen && !done);
        entry.status.textContent = done ? "✓" : seen ? "•" : "";
        entry.statusText.textContent = done ? " (" + t("status_completed") + ")" : seen ? " (" + t("status_visited") + ")" : "";
        if (id === this.currentId) entry.link.setAttribute("aria-current", "page");
        else entry.link.removeAttribute("aria-current");
      });
      const measure = this.progressMeasure();
      const percent = Math.round(measure * 100);
      this.progress.value = percent;
      this.progressText.textContent = percent + "%";
    }

    // ----- completion, progress, score --------------------------------

    /** What a unit component may use (see the top of this file). */
    contextFor(unit) {
      return {
        t,
        content: this.content,
        state: this.state,
        slice: () => this.state.slice(unit.id),
        tracking: this.tracking,
        reviewing: this.reviewing,
        masteryScore: () => this.masteryFor(unit),
        complete: (opts) => this.complete(unit.id, opts),
        save: () => { this.report(); return this.save(); },
        saveStatus: (node, messages) => { this.report(); return this.saveStatus(node, messages); },
        announce: (message) => this.announce(message),
        onLeave: (fn) => this.leaveHandlers.push(fn),
      };
    }

    masteryFor(unit) {
      if (unit.id === this.scoring && this.masteryOverride !== null) return this.masteryOverride;
      return unit.mastery_score;
    }

    complete(id, options) {
      if (this.state.completed.has(id)) return;
      this.state.completed.add(id);
      this.updateMenu();
      if (!(options && options.quiet)) this.announce(t("unit_completed", { title: this.content.units[id].title }));
      if (this.session && !(options && options.save === false)) {
        this.report();
        this.save();
      }
    }

    progressMeasure() {
      const done = this.required.filter((id) => this.state.completed.has(id)).length;
      return this.required.length ? round4(done / this.required.length) : 1;
    }

    isCompleted() {
      return this.required.every((id) => this.state.completed.has(id));
    }

    /**
     * Nothing left to do: the required units are done and there is no failed
     * post-test the learner may still retake. Until then leaving suspends the
     * attempt, so the LMS keeps the state for the next session (SCORM 2004
     * starts a new, empty attempt after exit "normal").
     */
    isFinished() {
      if (!this.isCompleted()) return false;
      const result = this.result();
      return !result || result.passed || result.final;
    }

    /** The scoring unit's latest submitted attempt (what the LMS gets as score), or null. */
    result() {
      if (!this.scoring) return null;
      const unit = this.content.units[this.scoring];
      const component = GSOG.units.get(unit.kind);
      const found = component.result(unit, this.state.slice(this.scoring), { masteryScore: () => this.masteryFor(unit), content: this.content });
      return found ? Object.assign({ unit }, found) : null;
    }

    /** Report progress, score and learning-goal objectives to the LMS (the wrapper drops repeats). */
    report() {
      if (!this.session || this.reviewing) return;
      this.tracking.setProgress({ completed: this.isCompleted(), progressMeasure: this.progressMeasure() });
      const result = this.result();
      if (result) {
        this.tracking.setScore({
          raw: result.percent, min: 0, max: 100, scaled: round4(result.percent / 100), passed: result.passed,
          attempt: result.attempt, final: !!result.final,
          activity: { id: result.activity, name: result.unit.title, role: result.unit.role },
        });
      }
      this.tracking.setObjectives(this.objectives(result));
    }

    /**
     * One objective per learning goal, by one rule: completion from the
     * required units that teach it; success and score from the latest
     * submitted post-test attempt only. A goal that attempt did not test is
     * `tested: false` (unknown), never the result of an older attempt. Plus
     * the primary objective (`primary`, the course's mastery) once there is
     * a result.
     */
    objectives(result) {
      const mastery = result ? this.masteryFor(result.unit) : null;
      const list = this.content.goals.map((goal) => {
        const units = this.required.filter((id) => (this.content.units[id].goals || []).indexOf(goal.id) >= 0);
        const objective = { id: goal.id };
        if (units.length) {
          const done = units.filter((id) => this.state.completed.has(id)).length;
          objective.progressMeasure = round4(done / units.length);
          objective.completed = done === units.length;
        }
        const tally = result ? result.goals[goal.id] : null;
        if (tally && tally[1]) {
          objective.scaled = round4(tally[0] / tally[1]);
          objective.passed = objective.scaled >= mastery - 1e-9;
        } else if (result && result.testable.indexOf(goal.id) >= 0) {
          objective.tested = false;
        }
        return objective;
      }).filter((o) => Object.keys(o).length > 1);
      if (result) {
        list.push({
          id: PRIMARY_OBJECTIVE, primary: true, scaled: round4(result.percent / 100), passed: result.passed,
          completed: this.isCompleted(), progressMeasure: this.progressMeasure(),
        });
      }
      return list;
    }

    /**
     * Persist the state. Resolves {stored, sent}: stored when the LMS (or,
     * for xAPI, this device's outbox) has it; sent when the LMS/LRS
     * confirmed everything so far within a few seconds.
     */
    save() {
      if (!this.session || this.left) return Promise.resolve({ stored: false, sent: false });
      return this.tracking.saveState(this.state).then((answer) => {
        if (!answer.stored) return { stored: false, sent: false };
        return this.tracking.sync(SEND_WAIT_MS).then((sent) => ({ stored: true, sent }));
      });
    }

    /**
     * Show the truth about a save in `node`: `messages.sent` once the LMS/LRS
     * has it, else "kept on this device, not sent yet" until it is (the
     * message updates itself), or "not saved" when even that failed.
     */
    saveStatus(node, messages) {
      const show = (answer) => {
        if (this.tracking.offline) node.textContent = messages.local || t("saved_on_device_only");
        else if (answer.sent) node.textContent = messages.sent;
        else if (answer.stored || this.tracking.status.pending) node.textContent = messages.pending || t("saved_not_sent");
        else node.textContent = t("not_saved");
        return answer;
      };
      return this.save().then((answer) => {
        show(answer);
        if (!answer.sent && !this.tracking.offline) {
          this.tracking.sync(0).then((sent) => { if (sent && node.isConnected) show({ stored: true, sent: true }); });
        }
        return answer;
      });
    }
  }

  GSOG.Player = Player;
})(window);
