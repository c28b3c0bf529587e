/*
 * Assessment (pre-test and post-test): draws `draw` items at random from
 * the bank per attempt, renders the five item types, scores, gives feedback
 * and records one interaction per item, tied to the item's learning goals.
 *
 * An attempt is fully described by its random seed and the responses, so
 * that is all the saved state holds: on resume the same items come back in
 * the same order. Responses are short codes of positions in the item:
 *   single_choice     "2"      (option index)
 *   multiple_response "03"     (option indexes, ascending)
 *   true_false        "t"/"f"
 *   matching          "20-1"   (per prompt, the index of the chosen match; "-" = none)
 *   ordering          "3102"   (step indexes in the learner's order)
 * Every item is scored all or nothing; the test score is the share of items
 * right, and the test is passed at score >= mastery_score.
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

  /** The items of one attempt: which bank items, how matches and steps are shuffled. */
  function draw(unit, seed) {
    const random = U.seededRandom(seed);
    const count = Math.min(unit.draw, unit.items.length);
    const picks = U.shuffle(range(unit.items.length), random).slice(0, count);
    return picks.map((index) => {
      const item = unit.items[index];
      const drawn = { index, item };
      if (item.type === "matching") drawn.matchOrder = U.shuffle(range(item.pairs.length), random);
      if (item.type === "ordering") {
        let order = U.shuffle(range(item.steps.length), random);
        // never start in the right order: that would give the answer away
        if (order.join("") === identity(order.length)) order = order.slice(1).concat(order.slice(0, 1));
        drawn.startOrder = order.join("");
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

  /** The item as a tracking interaction (neutral shape; adapters format it). */
  function interaction(unit, drawn, ctx) {
    const item = drawn.item;
    const code = drawn.code;
    const base = ctx.content.course.iri.replace(/\/+$/, "");
    const out = {
      id: unit.id + "-" + item.id,
      iri: base + "/items/" + item.id,
      parent: { id: base + "/assessments/" + unit.id, name: unit.title },
      type: INTERACTION_TYPE[item.type],
      description: U.plainText(item.stem),
      objectives: item.goals.slice(),
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

  // ----- rendering the questions ----------------------------------------

  function choiceItem(drawn, saved, name) {
    const item = drawn.item;
    const multiple = item.type === "multiple_response";
    const code = () => saved.responses[drawn.index] || "";
    const inputs = item.options.map((option, i) => {
      const input = el("input", {
        type: multiple ? "checkbox" : "radio", name, value: String(i),
        checked: code().indexOf(String(i)) >= 0,
      });
      input.addEventListener("change", () => {
        if (multiple) {
          saved.responses[drawn.index] = inputs.filter((x) => x.checked).map((x) => x.value).join("");
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
    ].concat(item.options.map((option, i) => el("label", { class: "gsog-option" }, [inputs[i], el("span", { text: option.text })]))));
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

  function render(unit, ctx) {
    const saved = ctx.state.assessment(unit.id);
    const root = el("div", { class: "gsog-assessment" });
    const mastery = () => ctx.masteryScore();
    const maxAttempts = unit.max_attempts;
    const passedLast = () => saved.history.length > 0 && saved.history[saved.history.length - 1] / 100 >= mastery() - 1e-9;
    // The pre-test is a baseline: one go, no retry to "improve" it.
    const mayRetry = () => unit.role === "post" && !passedLast() && (maxAttempts === null || saved.attempts < maxAttempts);

    const focusFirst = (node) => {
      const target = node.querySelector("[data-focus]");
      if (target) target.focus();
    };

    function show(view, focus) {
      root.textContent = "";
      root.appendChild(view);
      if (focus) focusFirst(root);
    }

    function intro() {
      const facts = [
        t("test_items", { n: Math.min(unit.draw, unit.items.length) }),
        t("test_mastery", { n: Math.round(mastery() * 100) }),
      ];
      if (maxAttempts !== null) facts.push(t("test_attempts", { n: saved.attempts, max: maxAttempts }));
      const parts = [
        U.setHtml(el("div", { class: "gsog-richtext" }), unit.intro, 2),
        el("ul", { class: "gsog-facts" }, facts.map((f) => el("li", { text: f }))),
      ];
      const inProgress = saved.seed && !saved.submitted;
      if (inProgress || saved.attempts === 0) {
        const start = el("button", { type: "button", class: "gsog-primary", text: inProgress ? t("test_continue") : t("test_start") });
        start.addEventListener("click", () => {
          if (!inProgress) {
            saved.seed = U.newSeed();
            saved.responses = {};
            saved.submitted = false;
          }
          ctx.save();
          show(questions(), true);
        });
        parts.push(el("div", { class: "gsog-actions" }, [start]));
      }
      return el("div", {}, parts);
    }

    function questions() {
      const drawn = draw(unit, saved.seed);
      const form = el("form", { class: "gsog-test", novalidate: true });
      const errors = el("div", { class: "gsog-error-summary", tabindex: "-1", hidden: true });
      form.appendChild(el("p", { class: "gsog-hint", "data-focus": "", tabindex: "-1", text: t("test_instructions", { n: drawn.length }) }));
      form.appendChild(errors);
      const fieldsets = drawn.map((d, n) => {
        const legendId = U.uid("q");
        const stemId = U.uid("stem");
        const name = U.uid("answer");
        let body;
        if (d.item.type === "single_choice" || d.item.type === "multiple_response") body = choiceItem(d, saved, name);
        else if (d.item.type === "true_false") body = trueFalseItem(d, saved, name);
        else if (d.item.type === "matching") body = matchingItem(d, saved);
        else body = orderingItem(d, saved, ctx);
        const fieldset = el("fieldset", { class: "gsog-item", id: U.uid("item"), "aria-labelledby": legendId + " " + stemId,
          "data-item": d.item.id, "data-type": d.item.type }, [
          el("legend", { id: legendId, text: t("question_of", { n: n + 1, total: drawn.length }) }),
          U.setHtml(el("div", { class: "gsog-stem gsog-richtext", id: stemId }), d.item.stem, 3),
          d.item.type === "ordering" ? el("p", { class: "gsog-hint", text: t("ordering_hint") }) : null,
          body,
        ]);
        form.appendChild(fieldset);
        return fieldset;
      });
      const submit = el("button", { type: "submit", class: "gsog-primary", text: t("submit_answers") });
      form.appendChild(el("div", { class: "gsog-actions" }, [submit]));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const missing = drawn.map((d, n) => [d, n]).filter(([d]) => !answered(d.item, saved.responses[d.index]));
        if (missing.length) {
          // An error summary with links to the open questions (GOV.UK pattern).
          errors.textContent = "";
          errors.hidden = false;
          errors.appendChild(el("h2", { text: t("test_unanswered", { n: missing.length }) }));
          errors.appendChild(el("ul", {}, missing.map(([, n]) => el("li", {}, [el("a", {
            href: "#" + fieldsets[n].id, text: t("question_of", { n: n + 1, total: drawn.length }),
            on: { click: (e) => {
              e.preventDefault();
              const first = fieldsets[n].querySelector("input, select, button");
              fieldsets[n].scrollIntoView();
              if (first) first.focus();
            } },
          })]))));
          errors.focus();
          return;
        }
        submitAttempt();
      });
      return form;
    }

    function submitAttempt() {
      const result = grade(unit, saved);
      saved.submitted = true;
      saved.attempts += 1;
      saved.history.push(result.percent);
      result.items.forEach((d) => ctx.tracking.recordInteraction(interaction(unit, d, ctx)));
      ctx.complete({ quiet: true, save: false });
      ctx.save();
      show(review(result), true);
      ctx.announce(t("test_result", { correct: result.correct, total: result.total, percent: result.percent }));
    }

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

    function review(result) {
      const passed = result.percent / 100 >= mastery() - 1e-9;
      const listTag = (item) => (item.type === "ordering" ? "ol" : "ul");
      const parts = [
        el("h2", { "data-focus": "", tabindex: "-1", text: t("test_result_title") }),
        el("p", { class: "gsog-score", text: t("test_result", { correct: result.correct, total: result.total, percent: result.percent }) }),
        unit.role === "pre"
          ? el("p", { class: "gsog-baseline", text: t("pretest_done") })
          : el("p", { class: passed ? "gsog-passed" : "gsog-failed",
            text: passed ? t("test_passed") : t("test_failed", { n: Math.round(mastery() * 100) }) }),
      ];
      const actions = el("div", { class: "gsog-actions" });
      if (mayRetry()) {
        const retry = el("button", { type: "button", class: "gsog-primary", text: t("test_retry") });
        retry.addEventListener("click", () => {
          saved.seed = U.newSeed();
          saved.responses = {};
          saved.submitted = false;
          ctx.save();
          show(questions(), true);
        });
        actions.appendChild(retry);
      }
      parts.push(actions);
      parts.push(el("h2", { text: t("test_review") }));
      const list = el("ol", { class: "gsog-review" });
      result.items.forEach((d) => {
        const item = d.item;
        list.appendChild(el("li", { class: "gsog-review-item " + (d.correct ? "is-correct" : "is-incorrect") }, [
          el("p", { class: "gsog-verdict", text: d.correct ? t("answer_correct") : t("answer_incorrect") }),
          U.setHtml(el("div", { class: "gsog-stem gsog-richtext" }), item.stem, 3),
          el("p", { class: "gsog-label", text: t("your_answer") }),
          el(listTag(item), {}, answerText(item, d.code).map((x) => el("li", { text: x }))),
          d.correct ? null : el("p", { class: "gsog-label", text: t("correct_answer") }),
          d.correct ? null : el(listTag(item), {}, correctText(item).map((x) => el("li", { text: x }))),
          el("div", { class: "gsog-feedback" }, feedback(item, d.code, d.correct).map((f) => el("p", { text: f }))),
        ]));
      });
      parts.push(list);
      return el("div", { class: "gsog-test-review" }, parts);
    }

    if (saved.submitted && saved.seed) show(review(grade(unit, saved)), false);
    else show(intro(), false);
    return root;
  }

  GSOG.units.register("assessment", { render });
  GSOG.assessment = { draw, grade, isCorrect, answered, interaction };
})(window);
