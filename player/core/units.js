/*
 * The one registry of unit kinds. Each units/*.js file registers the
 * component of its kind; the core (navigation, state) only talks to kinds
 * through this contract, so it never names assessments, reflections or the
 * evaluation:
 *
 *   GSOG.units.register(kind, {
 *     render(unit, ctx) -> Node,              the unit's body below its <h1>
 *     completeOnVisit(unit) -> boolean,       optional: opening it is enough
 *     state: {                                optional: the kind keeps learner data
 *       create() -> slice,                    a fresh slice (plain object)
 *       encode(slice, texts) -> compact|null  the compact saved form; null = nothing to keep;
 *                                             free texts go through texts.get(key, value)
 *                                             and are listed by texts(slice) below
 *       decode(compact) -> slice|null         the slice from its saved form (null = unreadable)
 *       texts(slice) -> [[key, value]]        optional: the learner's free texts, which
 *                                             serialise() may shorten to fit the format's limit
 *       fingerprint(unit) -> string           optional: what makes saved slices of this
 *                                             unit unreadable when it changes (item ids)
 *     },
 *     result(unit, slice, ctx) -> Result|null optional: the unit's scored result, for
 *                                             the unit that scores the launch (the post-test)
 *     scores(unit) -> boolean                 optional: this unit's result is the launch's score
 *   })
 *
 * Result: {percent, passed, attempt, final, activity, goals: {goalId: [correct, total]},
 * testable: [goalId]} from the latest submitted attempt; `final` when no
 * attempt is left; `testable` lists the goals the unit can test at all.
 */
(function (window) {
  "use strict";

  const GSOG = (window.GSOG = window.GSOG || {});
  const registry = {};

  GSOG.units = {
    register(kind, component) {
      registry[kind] = component;
    },
    get(kind) {
      return registry[kind] || null;
    },
    /** The state codec of a kind, or null when the kind keeps nothing. */
    codec(kind) {
      return (registry[kind] && registry[kind].state) || null;
    },
  };
})(window);
