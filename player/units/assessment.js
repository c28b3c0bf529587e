/*
 * Assessment (pre-test and post-test): draws `draw` items from the bank per
 * attempt, renders the five item types, scores, gives feedback and records
 * one interaction per item, tied to the item's learning goals.
 *
 * Integrity: every attempt draws a new random set, stratified so that each
 * learning goal of the bank is tested in every attempt (as far as `draw`
 * allows), which makes pre/post gain per goal measurable; answer options,
 * matches and steps are shuffled per attempt. Interaction ids carry the
 * attempt number. An attempt is fully described by its random seed and the
 * responses, so that is what the saved state holds: on resume the same
 * items come back in the same order. Responses are short codes of authored
 * positions (whatever order they were shown in):
 *   single_choice     "2"      (option index)
 *   multiple_response "03"     (option indexes, ascending)
 *   true_false        "t"/"f"
 *   matching          "20-1"   (per prompt, the index of the chosen match; "-" = none)
 *   ordering          "3102"   (step indexes in the learner's order)
 * Every item is scored all or nothing; the test score is the share of items
 * right, and the test is passed at score >= mastery_score. The post-test is
 * the launch's score (`scores`); its `result` is the latest submitted
 * attempt, with the tally per goal of that attempt only.
 */
(function (window) {
  "use strict";

  const GSOG = window.GSOG;
  const U = GSOG.util;
  const el = U.el;
  const t = U.t;

  const INTERACTION_TYPE = {
    single_choice: "choice",
    multiple_response: "choice",
    true_false: "true-false",
    matching: "matching",
    ordering: "sequencing",
  };

  const range = (n) => Array.from({ length: n }, (_, i) => i);
  const identity = (n) => range(n).join("");
  const base = (ctx) => ctx.content.course.iri.replace(/\/+$/, "");

  /** The learning goals a bank tests, in authored order. */
  function bankGoals(unit) {
    const goals = [];
    unit.items.forEach((item) => item.goals.forEach((g) => { if (goals.indexOf(g) < 0) goals.push(g); }));
    return goals;
  }

  /**
   * The items of one attempt. First one item for each goal (goals in random
   * order, the first unpicked item that tests it in a random item order),
   * then random items up to `draw`; then shown in random order, with
   * options, matches and steps shuffled.
   */
  function draw(unit, seed) {
    const random = U.seededRandom(seed);
    const count = Math.min(unit.draw, unit.items.length);
    const order = U.shuffle(range(unit.items.length), random);
    const picked = [];
    const covered = {};
    U.shuffle(bankGoals(unit), random).forEach((goal) => {
      if (covered[goal] || picked.length >= count) return;
      const index = order.find((i) => picked.indexOf(i) < 0 && unit.items[i].goals.indexOf(goal) >= 0);
      if (index === undefined) return;
      picked.push(index);
      unit.items[index].goals.forEach((g) => { covered[g] = true; });
    });
    order.forEach((i) => { if (picked.length < count && picked.indexOf(i) < 0) picked.push(i); });
    return U.shuffle(picked, random).map((index) => {
      const item = unit.items[index];
      const drawn = { index, item };
      if (item.options) drawn.optionOrder = U.shuffle(range(item.options.length), random);
      if (item.type === "matching") drawn.matchOrder = U.shuffle(range(item.pairs.length), random);
      if (item.type === "ordering") {
        let start = U.shuffle(range(item.steps.length), random);
        // never start in the right order: that would give the answer away
        if (start.join("") === identity(start.length)) start = start.slice(1).concat(start.slice(0, 1));
        drawn.startOrder = start.join("");
      }
      return drawn;
    });
  }

  function answered(item, code) {
    if (!code) return false;
    if (item.type === "matching") return code.length === item.pairs.length && code.indexOf("-") < 0;
    return true;
  }

  function isCorrect(item, code) {
    if (!answered(item, code)) return false;
    switch (item.type) {
      case "single_choice":
        return !!(item.options[Number(code)] && item.options[Number(code)].correct);
      case "multiple_response": {
        const chosen = code.split("").map(Number);
        return item.options.every((o, i) => o.correct === (chosen.indexOf(i) >= 0));
      }
      case "true_false":
        return (code === "t") === item.answer;
      case "matching":
      case "ordering":
        return code === identity(code.length) && code.length === (item.pairs || item.steps).length;
      default:
        return false;
    }
  }

  /** Score an attempt: per item, per learning goal, and in total. */
  function grade(unit, saved) {
    const items = draw(unit, saved.seed).map((d) => {
      const code = saved.responses[d.index] || "";
      return Object.assign({}, d, { code, correct: isCorrect(d.item, code) });
    });
    const correct = items.filter((i) => i.correct).length;
    const goals = {};
    items.forEach((i) => i.item.goals.forEach((g) => {
      goals[g] = goals[g] || [0, 0];
      goals[g][1] += 1;
      if (i.correct) goals[g][0] += 1;
    }));
    const percent = items.length ? Math.round((correct / items.length) * 100) : 0;
    return { items, correct, total: items.length, percent, goals };
  }

  /** The item as a tracking interaction (neutral shape; adapters format it); `attempt` counts from 1. */
  function interaction(unit, drawn, ctx, attempt) {
    const item = drawn.item;
    const code = drawn.code;
    const out = {
      id: unit.id + "-a" + attempt + "-" + item.id,
      iri: base(ctx) + "/items/" + item.id,
      attempt,
      parent: { id: base(ctx) + "/assessments/" + unit.id, name: unit.title },
      type: INTERACTION_TYPE[item.type],
      description: U.plainText(item.stem),
      objectives: item.goals.slice(),
      role: unit.role,
      weighting: 1,
      result: drawn.correct ? "correct" : "incorrect",
    };
    if (item.type === "single_choice" || item.type === "multiple_response") {
      out.choices = item.options.map((o) => ({ id: o.id, text: o.text }));
      out.response = code.split("").filter(Boolean).map((i) => item.options[Number(i)].id);
      out.correct = item.options.filter((o) => o.correct).map((o) => o.id);
    } else if (item.type === "true_false") {
      out.response = code === "t";
      out.correct = item.answer;
    } else if (item.type === "matching") {
      out.source = item.pairs.map((p) => ({ id: p.id, text: p.prompt }));
      out.target = item.pairs.map((p) => ({ id: p.id, text: p.match }));
      out.response = item.pairs.map((p, i) => [p.id, code[i]]).filter((pair) => pair[1] && pair[1] !== "-")
        .map((pair) => [pair[0], item.pairs[Number(pair[1])].id]);
      out.correct = item.pairs.map((p) => [p.id, p.id]);
    } else if (item.type === "ordering") {
      out.steps = item.steps.map((s) => ({ id: s.id, text: s.text }));
      out.response = code.split("").map((i) => item.steps[Number(i)].id);
      out.correct = item.steps.map((s) => s.id);
    }
    return out;
  }

  // ----- the saved slice -------------------------------------------------

  /**
   * slice: {attempts, seed, submitted, history: [percent], responses: {itemIndex: code},
   *         tally: {goal: [correct, total]} of the latest submitted attempt}
   * compact: [attempts, seed36, submitted, "70,85", responses, tally as 2 base-36 digits per bank goal]
   */
  const codec = {
    create() {
      return { attempts: 0, seed: 0, submitted: false, history: [], responses: {}, tally: {} };
    },
    encode(s, texts, unit) {
      if (!s.attempts && !s.seed) return null;
      const tally = bankGoals(unit).map((g) => {
        const v = s.tally[g] || [0, 0];
        return Math.min(35, v[0]).toString(36) + Math.min(35, v[1]).toString(36);
      }).join("");
      return [s.attempts, s.seed ? s.seed.toString(36) : "", s.submitted ? 1 : 0, s.history.join(","), s.responses, tally];
    },
    decode(v, unit) {
      const isInt = (x) => Number.isInteger(x) && x >= 0;
      if (!Array.isArray(v) || v.length < 6 || !isInt(v[0]) || typeof v[1] !== "string" || typeof v[3] !== "string") return null;
      const responses = {};
      if (v[4] && typeof v[4] === "object") {
        Object.keys(v[4]).forEach((k) => { if (typeof v[4][k] === "string") responses[k] = v[4][k]; });
      }
      const tally = {};
      const digits = typeof v[5] === "string" ? v[5] : "";
      bankGoals(unit).forEach((g, i) => {
        const pair = [parseInt(digits[2 * i], 36), parseInt(digits[2 * i + 1], 36)];
        if (pair[1] > 0 && pair[0] <= pair[1]) tally[g] = pair;
      });
      return {
        attempts: v[0],
        seed: v[1] ? parseInt(v[1], 36) || 0 : 0,
        submitted: v[2] === 1,
        history: v[3] ? v[3].split(",").map(Number).filter((n) => n >= 0 && n <= 100) : [],
        responses,
        tally,
      };
    },
    fingerprint(unit) {
      return unit.items.map((i) => i.id + ":" + (i.options ? i.options.length : "")).join(",");
    },
  };

  const passes = (percent, mastery) => percent / 100 >= mastery - 1e-9;

  /** The latest submitted attempt as the launch's result (see core/units.js). */
  function result(unit, saved, ctx) {
    if (!saved.history.length) return null;
    const percent = saved.history[saved.history.length - 1];
    const passed = passes(percent, ctx.masteryScore());
    return {
      percent,
      passed,
      attempt: saved.attempts,
      final: !passed && unit.max_attempts !== null && saved.attempts >= unit.max_attempts,
      goals: saved.tally,
      testable: bankGoals(unit),
      activity: ctx.content ? base(ctx) + "/assessments/" + unit.id : null,
    };
  }

  // ----- rendering the questions ----------------------------------------

  function choiceItem(drawn, saved, name) {
    const item = drawn.item;
    const multiple = item.type === "multiple_response";
    const code = () => saved.responses[drawn.index] || "";
    // shown in this attempt's order; the code keeps the authored option indexes
    const inputs = drawn.optionOrder.map((i) => {
      const input = el("input", {
        type: multiple ? "checkbox" : "radio", name, value: String(i),
        checked: code().indexOf(String(i)) >= 0,
      });
      input.addEventListener("change", () => {
        if (multiple) {
          saved.responses[drawn.index] = inputs.filter((x) => x.checked).map((x) => x.value).sort().join("");
        } else {
          saved.responses[drawn.index] = String(i);
        }
      });
      return input;
    });
    // Say that several answers may be right, unless the stem already does.
    const hint = multiple && U.plainText(item.stem).toLowerCase().indexOf(t("choose_all").toLowerCase().replace(/\.$/, "")) < 0;
    return el("div", { class: "gsog-options" }, [
      hint ? el("p", { class: "gsog-hint", text: t("choose_all") }) : null,
    ].concat(drawn.optionOrder.map((i, k) => el("label", { class: "gsog-option" }, [inputs[k], el("span", { text: item.options[i].text })]))));
  }

  function trueFalseItem(drawn, saved, name) {
    const current = saved.responses[drawn.index] || "";
    return el("div", { class: "gsog-options gsog-options-inline" }, [["t", t("true")], ["f", t("false")]].map(([value, label]) => {
      const input = el("input", { type: "radio", name, value, checked: current === value });
      input.addEventListener("change", () => { saved.responses[drawn.index] = value; });
      return el("label", { class: "gsog-option" }, [input, el("span", { text: label })]);
    }));
  }

  function matchingItem(drawn, saved) {
    const item = drawn.item;
    const current = () => (saved.responses[drawn.index] || "-".repeat(item.pairs.length)).split("");
    return el("div", { class: "gsog-matching" }, item.pairs.map((pair, i) => {
      const id = U.uid("match");
      const select = el("select", { id }, [el("option", { value: "", text: t("choose") })].concat(
        drawn.matchOrder.map((m) => el("option", { value: String(m), text: item.pairs[m].match, selected: current()[i] === String(m) }))
      ));
      select.addEventListener("change", () => {
        const code = current();
        code[i] = select.value === "" ? "-" : select.value;
        saved.responses[drawn.index] = code.join("");
      });
      return el("div", { class: "gsog-match-row" }, [el("label", { for: id, text: pair.prompt }), select]);
    }));
  }

  /** Ordering with up/down buttons: every move is a button press, so it works with keyboard and screen reader. */
  function orderingItem(drawn, saved, ctx) {
    const item = drawn.item;
    if (!saved.responses[drawn.index]) saved.responses[drawn.index] = drawn.startOrder;
    const list = el("ol", { class: "gsog-ordering" });
    const render = (focus) => {
      const order = saved.responses[drawn.index].split("").map(Number);
      list.textContent = "";
      order.forEach((step, position) => {
        const text = item.steps[step].text;
        const up = el("button", { type: "button", class: "gsog-move", "data-move": "up", disabled: position === 0,
          "aria-label": t("move_up", { text }), text: "↑" });
        const down = el("button", { type: "button", class: "gsog-move", "data-move": "down", disabled: position === order.length - 1,
          "aria-label": t("move_down", { text }), text: "↓" });
        const move = (delta) => {
          const next = order.slice();
          const target = position + delta;
          next[position] = order[target];
          next[target] = step;
          saved.responses[drawn.index] = next.join("");
          render({ step, direction: delta < 0 ? "up" : "down" });
          ctx.announce(t("moved_to", { text, n: target + 1, total: order.length }));
        };
        up.addEventListener("click", () => move(-1));
        down.addEventListener("click", () => move(1));
        list.appendChild(el("li", { class: "gsog-step" }, [
          el("span", { class: "gsog-step-text", text }), el("span", { class: "gsog-step-buttons" }, [up, down]),
        ]));
        if (focus && focus.step === step) {
          // keep focus on the moved step; at the top or bottom the other button takes it
          const preferred = focus.direction === "up" ? up : down;
          (preferred.disabled ? (preferred === up ? down : up) : preferred).focus();
        }
      });
    };
    render(null);
    return list;
  }

  // ----- the unit ---------------------------------------------------------

  function answerText(item, code) {
    if (!answered(item, code) && item.type !== "matching") return [t("no_answer")];
    switch (item.type) {
      case "single_choice":
      case "multiple_response":
        return code.split("").map((i) => item.options[Number(i)].text);
      case "true_false":
        return [code === "t" ? t("true") : t("false")];
      case "matching":
        return item.pairs.map((p, i) => p.prompt + " → " + (code[i] && code[i] !== "-" ? item.pairs[Number(code[i])].match : t("no_answer")));
      case "ordering":
        return code.split("").map((i) => item.steps[Number(i)].text);
      default:
        return [];
    }
  }
  function correctText(item) {
    switch (item.type) {
      case "single_choice":
      case "multiple_response":
        return item.options.filter((o) => o.correct).map((o) => o.text);
      case "true_false":
        return [item.answer ? t("true") : t("false")];
      case "matching":
        return item.pairs.map((p) => p.prompt + " → " + p.match);
      case "ordering":
        return item.steps.map((s) => s.text);
      default:
        return [];
    }
  }
  function feedback(item, code, correct) {
    if (item.type === "single_choice" || item.type === "multiple_response") {
      // the feedback of every option chosen, and of the right ones missed
      const chosen = (code || "").split("").filter(Boolean).map(Number);
      return item.options.map((o, i) => (chosen.indexOf(i) >= 0 || o.correct ? o.feedback : null)).filter(Boolean);
    }
    return [correct ? item.feedback.correct : item.feedback.incorrect];
  }

  /** One assessment on screen: intro, questions, review; each a method, all sharing the slice. */
  class AssessmentView {
    constructor(unit, ctx) {
      this.unit = unit;
      this.ctx = ctx;
      this.saved = ctx.slice();
      this.root = el("div", { class: "gsog-assessment" });
    }

    mastery() {
      return this.ctx.masteryScore();
    }

    passedLast() {
      const h = this.saved.history;
      return h.length > 0 && passes(h[h.length - 1], this.mastery());
    }

    attemptsLeft() {
      return this.unit.max_attempts === null ? Infinity : Math.max(0, this.unit.max_attempts - this.saved.attempts);
    }

    /** The pre-test is a baseline: one go, no retry to "improve" it. */
    mayRetry() {
      return this.unit.role === "post" && !this.passedLast() && this.attemptsLeft() > 0;
    }

    show(view, focus) {
      this.root.textContent = "";
      this.root.appendChild(view);
      if (focus) {
        const target = this.root.querySelector("[data-focus]");
        if (target) target.focus();
      }
    }

    newAttempt() {
      this.saved.seed = U.newSeed();
      this.saved.responses = {};
      this.saved.submitted = false;
      this.ctx.save();
      this.show(this.questions(), true);
    }

    intro() {
      const unit = this.unit;
      const facts = [
        t("test_items", { n: Math.min(unit.draw, unit.items.length) }),
        t("test_mastery", { n: Math.round(this.mastery() * 100) }),
      ];
      if (unit.max_attempts !== null) facts.push(t("test_attempts", { n: this.saved.attempts, max: unit.max_attempts }));
      const parts = [
        U.setHtml(el("div", { class: "gsog-richtext" }), unit.intro, 2),
        el("ul", { class: "gsog-facts" }, facts.map((f) => el("li", { text: f }))),
      ];
      const inProgress = this.saved.seed && !this.saved.submitted;
      if (inProgress || this.saved.attempts === 0) {
        const start = el("button", { type: "button", class: "gsog-primary", text: inProgress ? t("test_continue") : t("test_start") });
        start.addEventListener("click", () => {
          if (inProgress) this.show(this.questions(), true);
          else this.newAttempt();
        });
        parts.push(el("div", { class: "gsog-actions" }, [start]));
      }
      return el("div", {}, parts);
    }

    questions() {
      const drawn = draw(this.unit, this.saved.seed);
      const form = el("form", { class: "gsog-test", novalidate: true });
      const errors = el("div", { class: "gsog-error-summary", tabindex: "-1", hidden: true });
      form.appendChild(el("p", { class: "gsog-hint", "data-focus": "", tabindex: "-1", text: t("test_instructions", { n: drawn.length }) }));
      form.appendChild(errors);
      const fieldsets = drawn.map((d, n) => {
        const fieldset = this.question(d, n, drawn.length);
        form.appendChild(fieldset);
        return fieldset;
      });
      form.appendChild(el("div", { class: "gsog-actions" }, [el("button", { type: "submit", class: "gsog-primary", text: t("submit_answers") })]));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const missing = drawn.map((d, n) => [d, n]).filter(([d]) => !answered(d.item, this.saved.responses[d.index]));
        if (missing.length) this.showMissing(errors, missing.map(([, n]) => n), fieldsets);
        else this.submit();
      });
      return form;
    }

    question(d, n, total) {
      const legendId = U.uid("q");
      const stemId = U.uid("stem");
      const name = U.uid("answer");
      let body;
      if (d.item.type === "single_choice" || d.item.type === "multiple_response") body = choiceItem(d, this.saved, name);
      else if (d.item.type === "true_false") body = trueFalseItem(d, this.saved, name);
      else if (d.item.type === "matching") body = matchingItem(d, this.saved);
      else body = orderingItem(d, this.saved, this.ctx);
      return el("fieldset", { class: "gsog-item", id: U.uid("item"), "aria-labelledby": legendId + " " + stemId,
        "data-item": d.item.id, "data-type": d.item.type }, [
        el("legend", { id: legendId, text: t("question_of", { n: n + 1, total }) }),
        U.setHtml(el("div", { class: "gsog-stem gsog-richtext", id: stemId }), d.item.stem, 3),
        d.item.type === "ordering" ? el("p", { class: "gsog-hint", text: t("ordering_hint") }) : null,
        body,
      ]);
    }

    /** An error summary with links to the open questions (GOV.UK pattern). */
    showMissing(errors, numbers, fieldsets) {
      errors.textContent = "";
      errors.hidden = false;
      errors.appendChild(el("h2", { text: t("test_unanswered", { n: numbers.length }) }));
      errors.appendChild(el("ul", {}, numbers.map((n) => el("li", {}, [el("a", {
        href: "#" + fieldsets[n].id, text: t("question_of", { n: n + 1, total: fieldsets.length }),
        on: { click: (e) => {
          e.preventDefault();
          const first = fieldsets[n].querySelector("input, select, button");
          fieldsets[n].scrollIntoView();
          if (first) first.focus();
        } },
      })]))));
      errors.focus();
    }

    submit() {
      const saved = this.saved;
      const graded = grade(this.unit, saved);
      saved.submitted = true;
      saved.attempts += 1;
      saved.history.push(graded.percent);
      saved.tally = graded.goals;
      graded.items.forEach((d) => this.ctx.tracking.recordInteraction(interaction(this.unit, d, this.ctx, saved.attempts)));
      this.ctx.complete({ quiet: true, save: false });
      const status = el("p", { class: "gsog-save-status", role: "status" });
      this.show(this.review(graded, status), true);
      this.ctx.saveStatus(status, { sent: t("test_result_sent") });
      this.ctx.announce(t("test_result", { correct: graded.correct, total: graded.total, percent: graded.percent }));
    }

    verdict(graded) {
      if (this.unit.role === "pre") return el("p", { class: "gsog-baseline", text: t("pretest_done") });
      const passed = passes(graded.percent, this.mastery());
      if (passed) return el("p", { class: "gsog-passed", text: t("test_passed") });
      const n = Math.round(this.mastery() * 100);
      if (this.attemptsLeft() === 0) return el("p", { class: "gsog-failed", text: t("test_failed_final", { n }) });
      return el("p", { class: "gsog-failed", text: t("test_failed", { n }) });
    }

    review(graded, status) {
      const parts = [
        el("h2", { "data-focus": "", tabindex: "-1", text: t("test_result_title") }),
        el("p", { class: "gsog-score", text: t("test_result", { correct: graded.correct, total: graded.total, percent: graded.percent }) }),
        this.verdict(graded),
        status || null,
      ];
      const actions = el("div", { class: "gsog-actions" });
      if (this.mayRetry()) {
        const retry = el("button", { type: "button", class: "gsog-primary", text: t("test_retry") });
        retry.addEventListener("click", () => this.newAttempt());
        actions.appendChild(retry);
        if (this.unit.max_attempts !== null) actions.appendChild(el("p", { class: "gsog-hint", text: t("test_attempts_left", { n: this.attemptsLeft() }) }));
      }
      parts.push(actions);
      parts.push(el("h2", { text: t("test_review") }));
      const listTag = (item) => (item.type === "ordering" ? "ol" : "ul");
      parts.push(el("ol", { class: "gsog-review" }, graded.items.map((d) => {
        const item = d.item;
        return el("li", { class: "gsog-review-item " + (d.correct ? "is-correct" : "is-incorrect") }, [
          el("p", { class: "gsog-verdict", text: d.correct ? t("answer_correct") : t("answer_incorrect") }),
          U.setHtml(el("div", { class: "gsog-stem gsog-richtext" }), item.stem, 3),
          el("p", { class: "gsog-label", text: t("your_answer") }),
          el(listTag(item), {}, answerText(item, d.code).map((x) => el("li", { text: x }))),
          d.correct ? null : el("p", { class: "gsog-label", text: t("correct_answer") }),
          d.correct ? null : el(listTag(item), {}, correctText(item).map((x) => el("li", { text: x }))),
          el("div", { class: "gsog-feedback" }, feedback(item, d.code, d.correct).map((f) => el("p", { text: f }))),
        ]);
      })));
      return el("div", { class: "gsog-test-review" }, parts);
    }

    render() {
      if (this.saved.submitted && this.saved.seed) this.show(this.review(grade(this.unit, this.saved)), false);
      else this.show(this.intro(), false);
      return this.root;
    }
  }

  GSOG.units.register("assessment", {
    render: (unit, ctx) => new AssessmentView(unit, ctx).render(),
    state: codec,
    scores: (unit) => unit.role === "post",
    result: (unit, slice, ctx) => result(unit, slice, ctx),
  });
  GSOG.assessment = { draw, grade, isCorrect, answered, interaction, bankGoals };
})(window);
