"""The reports: what each one counts, its columns, its plain-language explanation; the one registry.

Every report aggregates per-learner projection rows (:mod:`lrs.reports.tables`)
in a few SQL statements; none reads statements. Suppression follows
:mod:`lrs.reports.privacy`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lrs.reports import privacy
from lrs.reports.filters import dimensions, period, reached, where
from lrs.reports.model import SUPPRESSED, UNKNOWN, Cell, Column, Kind, ReportFilter
from lrs.reports.stats import correlation, mean_ci
from lrs.reports.tables import (
    report_evaluation,
    report_goals,
    report_items,
    report_modules,
    report_video,
)
from lrs.store.codec import loads_object
from lrs.store.tables import activities

#: A learner masters a goal when at least this share of its items on the latest post-test attempt is right.
MASTERY = 0.8
#: Item-analysis thresholds (classical test theory rules of thumb).
TOO_EASY = 0.95
TOO_HARD = 0.2
POOR_DISCRIMINATION = 0.1
#: Watched "to the end" (the player's completion threshold, core/video.js).
WATCHED = 0.9
#: Likert points shown as distribution columns (evaluation scales have at most 7 points).
SCALE_POINTS = 7
#: The dimensions the indicators report breaks down by.
BREAKDOWN = ("sector", "organisation", "region", "language", "level")

Rows = list[list[Cell]]
Summary = dict[str, Cell]
Compute = Callable[[Connection, ReportFilter, int], tuple[Rows, Summary]]


def _l(nl: str, fr: str, en: str) -> dict[str, str]:
    return {"nl": nl, "fr": fr, "en": en}


def _c(key: str, kind: Kind, nl: str, fr: str, en: str) -> Column:
    return Column(key, _l(nl, fr, en), kind)


@dataclass(frozen=True)
class ReportDefinition:
    """A report: name, titles (nl, fr, en), explanation (nl, fr), columns, and how to compute its rows."""

    name: str
    titles: Mapping[str, str]
    explanation: Mapping[str, str]
    columns: tuple[Column, ...]
    compute: Compute
    summary_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _int(value: Any) -> int:
    return int(value or 0)


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.case((condition, 1), else_=0)


# --- indicators -------------------------------------------------------------------------------


def _indicators(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    m = report_modules.c
    scope = [m.module == flt.module] if flt.module is not None else []
    required = sa.not_(m.optional)
    # The required modules of each course variant (a variant's modules are its own activities), as seen
    # in the data. GROUP BY plain columns (NULL is a group of its own) so the covering indexes give the order.
    totals = {
        (course, language, sector): int(n)
        for course, language, sector, n in conn.execute(
            sa.select(m.course, m.language, m.sector, sa.func.count(sa.distinct(m.module)))
            .where(required, *scope)
            .group_by(m.course, m.language, m.sector)
        ).all()
    }
    learners = conn.execute(
        sa.select(
            m.agent_key,
            m.course,
            *(sa.func.max(m[d]) for d in BREAKDOWN),
            sa.func.sum(_flag(sa.and_(required, reached(m.completed_day)))),
            sa.func.sum(_flag(m.judged)),
            sa.func.sum(_flag(sa.and_(m.judged, reached(m.passed_day)))),
        )
        .where(*dimensions(report_modules, flt))
        .group_by(m.agent_key, m.course)
        .having(*period(sa.func.min(m.day), flt))
    ).all()
    groups: dict[tuple[str, str], list[set[str]]] = defaultdict(lambda: [set(), set(), set()])
    organisations: set[str] = set()
    for agent, course_id, *values, done, judged, passed in learners:
        context = dict(zip(BREAKDOWN, values, strict=True))
        modules = totals.get((course_id, context["language"], context["sector"]), 0)
        keys = [("all", "all")] + [(d, v if v is not None else UNKNOWN) for d, v in context.items()]
        for key in keys:
            started_, completed_, passed_ = groups[key]
            started_.add(agent)
            if _int(done) >= modules > 0:
                completed_.add(agent)
            if _int(judged) > 0 and _int(passed) >= _int(judged):
                passed_.add(agent)
        if context["organisation"] is not None:
            organisations.add(context["organisation"])
    sessions = conn.execute(
        sa.select(sa.func.count(sa.distinct(m.registration))).where(m.trainer_led, *where(report_modules, flt))
    ).scalar_one()
    rows: Rows = []
    total = [len(s) for s in groups.get(("all", "all"), [set(), set(), set()])]
    rows.append(["all", "all", *(privacy.count(n, k) for n in total)])
    for dim in BREAKDOWN:
        keys = sorted((key for key in groups if key[0] == dim), key=lambda key: (key[1] == UNKNOWN, key[1]))
        block = [[dim, key[1], *(privacy.count(len(s), k) for s in groups[key])] for key in keys]
        for col in (2, 3, 4):
            cells = [row[col] for row in block]
            shown = privacy.protect_sum(cells, [len(groups[key][col - 2]) for key in keys], rows[0][col])
            for row, cell in zip(block, cells, strict=True):
                row[col] = cell
            rows[0][col] = shown
        rows.extend(block)
    return rows, {"organisations": len(organisations), "trainer_led_sessions": int(sessions)}


INDICATORS = ReportDefinition(
    "indicators",
    _l("Indicatoren: wie volgde de opleiding", "Indicateurs : qui a suivi la formation", "Indicators: who was trained"),
    {
        "nl": "Het aantal cursisten dat de opleiding begon, volledig afrondde (alle verplichte modules van de "
        "cursus voltooid) en slaagde (voor elke toets die ze aflegden geslaagd), in totaal en per sector, "
        "organisatie, regio, taal en niveau. Een cursist telt mee in de periode waarin hij of zij begon; wat die "
        "groep daarna bereikte telt mee, ook als dat na de periode was. 'unknown' betekent dat de gegevens dat "
        "kenmerk niet vermeldden. Daaronder: het aantal deelnemende organisaties en het aantal sessies met een "
        "opleider.",
        "fr": "Le nombre d'apprenants qui ont commencé la formation, l'ont terminée (tous les modules obligatoires "
        "du cours achevés) et l'ont réussie (chaque test passé réussi), au total et par secteur, organisation, "
        "région, langue et niveau. Un apprenant compte dans la période où il a commencé ; ce que ce groupe a "
        "atteint ensuite compte, même après la période. 'unknown' signifie que les données n'indiquaient pas "
        "cette caractéristique. En dessous : le nombre d'organisations participantes et de sessions avec un "
        "formateur.",
    },
    (
        _c("dimension", "key", "kenmerk", "caractéristique", "dimension"),
        _c("group", "key", "groep", "groupe", "group"),
        _c("started", "count", "begonnen", "commencé", "started"),
        _c("completed", "count", "afgerond", "terminé", "completed"),
        _c("passed", "count", "geslaagd", "réussi", "passed"),
    ),
    _indicators,
    {
        "organisations": _l("deelnemende organisaties", "organisations participantes", "participating organisations"),
        "trainer_led_sessions": _l("sessies met opleider", "sessions avec formateur", "trainer-led sessions"),
    },
)


# --- funnel -----------------------------------------------------------------------------------


def _drop(before: int, after: int, k: int) -> Cell:
    """The share of ``before`` that did not reach ``after`` (suppressed when either count is)."""
    if privacy.count(after, k) is SUPPRESSED:
        return SUPPRESSED
    return privacy.share(before - after, before, k) if before else None


def _funnel(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    m = report_modules.c
    completed = reached(m.completed_day)
    passed = sa.and_(completed, m.judged, reached(m.passed_day))
    before_evaluation = sa.or_(passed, sa.and_(completed, sa.not_(m.judged)))
    result = conn.execute(
        sa.select(
            m.module,
            sa.func.count(),
            sa.func.sum(_flag(completed)),
            sa.func.sum(_flag(m.judged)),
            sa.func.sum(_flag(passed)),
            sa.func.sum(_flag(sa.and_(before_evaluation, reached(m.evaluation_day)))),
        )
        .where(*where(report_modules, flt))
        .group_by(m.module)
        .order_by(m.module)
    ).all()
    rows: Rows = []
    for module, launched, done, judged, ok, evaluated in result:
        launched, done, ok, evaluated = int(launched), _int(done), _int(ok), _int(evaluated)
        has_test = _int(judged) > 0
        last = ok if has_test else done
        rows.append(
            [
                module,
                privacy.count(launched, k),
                privacy.count(done, k),
                privacy.count(ok, k) if has_test else None,
                privacy.count(evaluated, k),
                _drop(launched, done, k),
                _drop(done, ok, k) if has_test else None,
                _drop(last, evaluated, k),
            ]
        )
    return rows, {}


FUNNEL = ReportDefinition(
    "funnel",
    _l("Trechter per module", "Entonnoir par module", "Funnel per module"),
    {
        "nl": "Per module: hoeveel cursisten de module startten in de periode, hoeveel van hen ze (ook later) "
        "voltooiden, voor de toets slaagden (alleen modules met een toets) en daarna het evaluatieformulier "
        "instuurden. De uitval is het deel van de vorige stap dat de volgende niet haalde.",
        "fr": "Par module : combien d'apprenants ont lancé le module pendant la période, combien d'entre eux "
        "l'ont terminé (même plus tard), ont réussi le test (modules avec test seulement) puis ont envoyé le "
        "formulaire d'évaluation. L'abandon est la part de l'étape précédente qui n'a pas atteint la suivante.",
    },
    (
        _c("module", "key", "module", "module", "module"),
        _c("launched", "count", "gestart", "lancé", "launched"),
        _c("completed", "count", "voltooid", "terminé", "completed"),
        _c("passed", "count", "geslaagd", "réussi", "passed"),
        _c("evaluation_sent", "count", "evaluatie ingestuurd", "évaluation envoyée", "evaluation sent"),
        _c("dropoff_completed", "share", "uitval vóór voltooien", "abandon avant fin", "drop-off before completing"),
        _c("dropoff_passed", "share", "uitval vóór slagen", "abandon avant réussite", "drop-off before passing"),
        _c(
            "dropoff_evaluation",
            "share",
            "uitval vóór evaluatie",
            "abandon avant évaluation",
            "drop-off before evaluation",
        ),
    ),
    _funnel,
)


# --- learning goals ---------------------------------------------------------------------------


def goal_mastered(correct: sa.ColumnElement[int], total: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """Whether ``correct`` of ``total`` items masters a goal (:data:`MASTERY`); the one rule, also the portal's.

    Integer arithmetic: correct / total >= 0.8  <=>  5 * correct >= 4 * total.
    """
    return correct * 5 >= total * 4


def _goal_mastery(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    g = report_goals.c
    mastered = _flag(goal_mastered(g.post_correct, g.post_total))
    result = conn.execute(
        sa.select(g.goal, sa.func.count(), sa.func.sum(mastered))
        .where(g.post_total > 0, *where(report_goals, flt))
        .group_by(g.goal)
        .order_by(g.goal)
    ).all()
    rows: Rows = [
        [goal, privacy.count(int(n), k), privacy.count(_int(yes), k), privacy.share(_int(yes), int(n), k)]
        for goal, n, yes in result
    ]
    return rows, {}


GOAL_MASTERY = ReportDefinition(
    "goal-mastery",
    _l("Beheersing van de leerdoelen", "Maîtrise des objectifs d'apprentissage", "Learning-goal mastery"),
    {
        "nl": "Per leerdoel: het aandeel cursisten dat het beheerst, d.w.z. minstens 80% van de vragen over dat "
        "leerdoel juist beantwoordde bij hun laatste poging van de eindtoets.",
        "fr": "Par objectif d'apprentissage : la part des apprenants qui le maîtrisent, c'est-à-dire qui ont "
        "répondu correctement à au moins 80 % des questions sur cet objectif lors de leur dernière tentative du "
        "test final.",
    },
    (
        _c("goal", "key", "leerdoel", "objectif", "learning goal"),
        _c("learners", "count", "cursisten", "apprenants", "learners"),
        _c("mastered", "count", "beheerst", "maîtrisé", "mastered"),
        _c("share_mastered", "share", "aandeel beheerst", "part maîtrisée", "share mastered"),
    ),
    _goal_mastery,
)


def _knowledge_gain(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    g = report_goals.c
    pre = sa.cast(g.pre_correct, sa.Float) / g.pre_total
    post = sa.cast(g.post_correct, sa.Float) / g.post_total
    gain = post - pre
    result = conn.execute(
        sa.select(
            g.goal, sa.func.count(), sa.func.sum(pre), sa.func.sum(post), sa.func.sum(gain), sa.func.sum(gain * gain)
        )
        .where(g.pre_total > 0, g.post_total > 0, *where(report_goals, flt))
        .group_by(g.goal)
        .order_by(g.goal)
    ).all()
    rows: Rows = []
    for goal, n, s_pre, s_post, s_gain, s_gain2 in result:
        n = int(n)
        ci = mean_ci(n, float(s_gain), float(s_gain2))
        rows.append(
            [
                goal,
                privacy.count(n, k),
                privacy.over(n, float(s_pre) / n, k),
                privacy.over(n, float(s_post) / n, k),
                privacy.over(n, ci.mean, k),
                privacy.over(n, ci.low, k),
                privacy.over(n, ci.high, k),
            ]
        )
    return rows, {}


KNOWLEDGE_GAIN = ReportDefinition(
    "knowledge-gain",
    _l("Kennisgroei per leerdoel", "Progression des connaissances par objectif", "Knowledge gain per goal"),
    {
        "nl": "Per leerdoel, voor cursisten die zowel de voortoets als de eindtoets maakten: het gemiddelde "
        "aandeel juiste antwoorden vóór en na, de gemiddelde groei (na min vóór, per cursist gekoppeld) en het "
        "95%-betrouwbaarheidsinterval van die groei. Ligt het hele interval boven 0, dan is de groei "
        "waarschijnlijk echt en geen toeval.",
        "fr": "Par objectif, pour les apprenants ayant passé le pré-test et le test final : la part moyenne de "
        "bonnes réponses avant et après, la progression moyenne (après moins avant, appariée par apprenant) et "
        "son intervalle de confiance à 95 %. Si tout l'intervalle est au-dessus de 0, la progression est "
        "probablement réelle et non due au hasard.",
    },
    (
        _c("goal", "key", "leerdoel", "objectif", "learning goal"),
        _c("learners", "count", "cursisten (gekoppeld)", "apprenants (appariés)", "learners (paired)"),
        _c("mean_pre", "share", "gemiddeld vóór", "moyenne avant", "mean before"),
        _c("mean_post", "share", "gemiddeld na", "moyenne après", "mean after"),
        _c("mean_gain", "share", "gemiddelde groei", "progression moyenne", "mean gain"),
        _c("ci_low", "share", "95%-BI onder", "IC 95 % bas", "95% CI low"),
        _c("ci_high", "share", "95%-BI boven", "IC 95 % haut", "95% CI high"),
    ),
    _knowledge_gain,
)


# --- competence and evaluation form -------------------------------------------------------------


def _distribution_row(question: str, answer: str, counts: Mapping[int, int], k: int) -> list[Cell]:
    n = sum(counts.values())
    total = sum(v * c for v, c in counts.items())
    total_sq = sum(v * v * c for v, c in counts.items())
    ci = mean_ci(n, float(total), float(total_sq))
    values = [counts.get(point, 0) for point in range(1, SCALE_POINTS + 1)]
    cells: list[Cell] = [privacy.count(v, k) for v in values]
    learners = privacy.protect_sum(cells, values, privacy.count(n, k))
    return [
        question,
        answer,
        learners,
        privacy.over(n, ci.mean, k),
        privacy.over(n, ci.low, k),
        privacy.over(n, ci.high, k),
        *cells,
    ]


def _competence(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    e = report_evaluation.c
    likert: dict[str, dict[int, int]] = defaultdict(dict)
    pairs: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    points = range(1, SCALE_POINTS + 1)
    # one pass in index order; likert rows have a value, competence rows before and after
    for question, kind, value, before, after, n in conn.execute(
        sa.select(e.question, e.kind, e.value, e.before, e.after, sa.func.count())
        .where(*where(report_evaluation, flt))
        .group_by(e.question, e.kind, e.value, e.before, e.after)
    ).all():
        if kind == "likert" and value in points:
            likert[question][int(value)] = int(n)
        elif kind == "competence" and before in points and after in points:
            pairs[question].append((int(before), int(after), int(n)))
    rows: Rows = []
    for question in sorted(set(likert) | set(pairs)):
        if question in pairs:
            rated_before: dict[int, int] = defaultdict(int)
            rated_after: dict[int, int] = defaultdict(int)
            for b, a, n in pairs[question]:
                rated_before[b] += n
                rated_after[a] += n
            rows.append(_distribution_row(question, "before", rated_before, k))
            rows.append(_distribution_row(question, "after", rated_after, k))
            n = sum(c for _, _, c in pairs[question])
            ci = mean_ci(
                n,
                float(sum((a - b) * c for b, a, c in pairs[question])),
                float(sum((a - b) ** 2 * c for b, a, c in pairs[question])),
            )
            rows.append(
                [
                    question,
                    "change",
                    privacy.count(n, k),
                    privacy.over(n, ci.mean, k),
                    privacy.over(n, ci.low, k),
                    privacy.over(n, ci.high, k),
                    *([None] * SCALE_POINTS),
                ]
            )
        if question in likert:
            rows.append(_distribution_row(question, "likert", likert[question], k))
    return rows, {}


COMPETENCE = ReportDefinition(
    "competence",
    _l(
        "Ervaren competentie en evaluatieformulier",
        "Compétence ressentie et formulaire d'évaluation",
        "Self-rated competence and evaluation form",
    ),
    {
        "nl": "Ervaren competentie: per vraag geven cursisten een score voor hun competentie vóór de opleiding "
        "('before') en nu ('after'); alleen cursisten die beide invulden tellen mee. 'change' is de gemiddelde "
        "verandering per cursist met het 95%-betrouwbaarheidsinterval. Voor de stellingen van het "
        "evaluatieformulier ('likert'): hoeveel cursisten elk antwoord (1 = laagste) kozen, en het gemiddelde. "
        "Open antwoorden worden nooit getoond.",
        "fr": "Compétence ressentie : pour chaque question, les apprenants notent leur compétence avant la "
        "formation ('before') et maintenant ('after') ; seuls ceux qui ont répondu aux deux comptent. 'change' "
        "est le changement moyen par apprenant avec son intervalle de confiance à 95 %. Pour les affirmations "
        "du formulaire d'évaluation ('likert') : combien d'apprenants ont choisi chaque réponse (1 = la plus "
        "basse), et la moyenne. Les réponses ouvertes ne sont jamais montrées.",
    },
    (
        _c("question", "key", "vraag", "question", "question"),
        _c("answer", "key", "antwoord", "réponse", "answer"),
        _c("learners", "count", "cursisten", "apprenants", "learners"),
        _c("mean", "number", "gemiddelde", "moyenne", "mean"),
        _c("ci_low", "number", "95%-BI onder", "IC 95 % bas", "95% CI low"),
        _c("ci_high", "number", "95%-BI boven", "IC 95 % haut", "95% CI high"),
        *(_c(f"n{p}", "count", f"antwoord {p}", f"réponse {p}", f"answer {p}") for p in range(1, SCALE_POINTS + 1)),
    ),
    _competence,
)


# --- item analysis ----------------------------------------------------------------------------


def _choices(conn: Connection, items: list[str]) -> dict[str, tuple[list[str], set[str]]]:
    """Per choice item: its option ids and the correct ones (from the canonical Activity definitions)."""
    found: dict[str, tuple[list[str], set[str]]] = {}
    for start in range(0, len(items), 500):
        for activity_id, body in conn.execute(
            sa.select(activities.c.activity_id, activities.c.body).where(
                activities.c.activity_id.in_(items[start : start + 500])
            )
        ).all():
            definition = loads_object(body).get("definition") or {}
            if definition.get("interactionType") != "choice" or not isinstance(definition.get("choices"), list):
                continue
            options = [c["id"] for c in definition["choices"] if isinstance(c, dict) and isinstance(c.get("id"), str)]
            patterns = definition.get("correctResponsesPattern") or []
            correct = {part for p in patterns if isinstance(p, str) for part in p.split("[,]")}
            found[activity_id] = (options, correct)
    return found


def _item_analysis(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    i = report_items.c
    x = _flag(i.success.is_(True))
    scored = _flag(i.success.is_not(None))
    # One pass, per item and response: the sums for p and the item-rest correlation only over scored answers.
    # A response counts once per learner; the per-item figures add the responses up.
    result = conn.execute(
        sa.select(
            i.test,
            i.role,
            i.item,
            i.response,
            sa.func.count(),
            sa.func.sum(scored),
            sa.func.sum(x),
            sa.func.sum(scored * i.total),
            sa.func.sum(x * i.total),
            sa.func.sum(scored * i.total * i.total),
        )
        .where(*where(report_items, flt))
        .group_by(i.test, i.role, i.item, i.response)
    ).all()
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    picks: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for test, role, item, response, answers, *figures in result:
        key = (test, role, item)
        for index, value in enumerate(figures):
            sums[key][index] += _int(value)
        if response is not None:
            for part in str(response).split("[,]"):
                picks[key][part] += int(answers)
    stats = [(key, figures) for key, figures in sorted(sums.items()) if figures[0] > 0]
    choices = _choices(conn, sorted({row[0][2] for row in stats}))
    rows: Rows = []
    for (test, role, item), (n, sx, st, sxt, stt) in stats:
        # rest score y = total - x; x is 0/1 so x*x = x
        r = correlation(n, sx, st - sx, sxt - sx, sx, stt - 2 * sxt + sx)
        p = sx / n if n else None
        options, correct = choices.get(item, ([], set()))
        counts = picks[(test, role, item)]
        distractors = [o for o in options if o not in correct]
        flags: list[str] = []
        if n >= k and p is not None:
            if p > TOO_EASY:
                flags.append("too-easy")
            if p < TOO_HARD:
                flags.append("too-hard")
            if r is not None and r < POOR_DISCRIMINATION:
                flags.append("poor-discrimination")
            flags.extend(f"unused-distractor:{o}" for o in distractors if counts.get(o, 0) == 0)
        # right answers and each distractor's count add up to the learners: protect them as one sum
        values = [sx] + [counts.get(o, 0) for o in distractors]
        cells: list[Cell] = [privacy.count(v, k) for v in values]
        privacy.protect_sum(cells, values)
        p_cell = SUPPRESSED if cells[0] is SUPPRESSED else privacy.share(sx, n, k)
        use = ", ".join(f"{o}: {_shown(c, k)}" for o, c in zip(distractors, cells[1:], strict=True))
        rows.append(
            [
                test,
                role,
                item,
                privacy.count(n, k),
                p_cell,
                privacy.over(n, r, k),
                use if n >= k else privacy.over(n, None, k),
                "; ".join(flags),
            ]
        )
    return rows, {}


def _shown(cell: Cell, k: int) -> str:
    return f"<{k}" if cell is SUPPRESSED else str(cell)


ITEM_ANALYSIS = ReportDefinition(
    "item-analysis",
    _l("Itemanalyse van de toetsen", "Analyse des items des tests", "Item analysis"),
    {
        "nl": "Per toetsvraag (laatste poging van elke cursist): p-waarde = aandeel juiste antwoorden "
        "(moeilijkheid), r = samenhang tussen deze vraag en de score op de andere vragen (onderscheidend "
        "vermogen), hoe vaak elk fout antwoord gekozen werd, en signalen om de vraag te herzien: too-easy "
        "(p > 0,95), too-hard (p < 0,20), poor-discrimination (r < 0,10), unused-distractor:X (fout antwoord X "
        "werd door niemand gekozen).",
        "fr": "Par question (dernière tentative de chaque apprenant) : valeur p = part de bonnes réponses "
        "(difficulté), r = lien entre cette question et le score aux autres questions (discrimination), combien "
        "de fois chaque mauvaise réponse a été choisie, et des signaux pour revoir la question : too-easy "
        "(p > 0,95), too-hard (p < 0,20), poor-discrimination (r < 0,10), unused-distractor:X (la mauvaise "
        "réponse X n'a été choisie par personne).",
    },
    (
        _c("test", "key", "toets", "test", "test"),
        _c("role", "key", "rol", "rôle", "role"),
        _c("item", "key", "vraag", "question", "item"),
        _c("learners", "count", "cursisten", "apprenants", "learners"),
        _c("p_value", "share", "p-waarde (moeilijkheid)", "valeur p (difficulté)", "p-value (difficulty)"),
        _c("item_rest_r", "number", "item-rest r", "r item-reste", "item-rest r"),
        _c("distractors", "text", "gekozen foute antwoorden", "mauvaises réponses choisies", "distractor use"),
        _c("flags", "text", "signalen", "signaux", "flags"),
    ),
    _item_analysis,
)


# --- video ------------------------------------------------------------------------------------


def _video(conn: Connection, flt: ReportFilter, k: int) -> tuple[Rows, Summary]:
    v = report_video.c
    tenth_columns = [sa.func.sum(_flag(v.tenths.op("&")(1 << i) != 0)) for i in range(10)]
    result = conn.execute(
        sa.select(
            v.clip, sa.func.count(), sa.func.sum(v.progress), sa.func.sum(_flag(v.progress >= WATCHED)), *tenth_columns
        )
        .where(*where(report_video, flt))
        .group_by(v.clip)
        .order_by(v.clip)
    ).all()
    rows: Rows = []
    for clip, n, progress, to_end, *tenths in result:
        n = int(n)
        counts = [_int(c) for c in tenths]
        falls = [counts[i - 1] - counts[i] for i in range(1, 10)]
        worst = max(range(9), key=lambda i: (falls[i], -i)) if n else None
        dropoff = f"{(worst + 1) * 10}%" if worst is not None and falls[worst] > 0 and n >= k else None
        rows.append(
            [
                clip,
                privacy.count(n, k),
                privacy.over(n, float(progress or 0) / n, k),
                privacy.share(_int(to_end), n, k),
                *(privacy.share(c, n, k) for c in counts),
                dropoff,
            ]
        )
    return rows, {}


VIDEO = ReportDefinition(
    "video",
    _l("Betrokkenheid bij de video's", "Engagement vidéo", "Video engagement"),
    {
        "nl": "Per videoclip: hoeveel cursisten hem startten, welk deel ze gemiddeld bekeken, het aandeel dat tot "
        "het einde (90%) keek, en per tiende van de clip het aandeel cursisten dat dat stuk zag. Het uitvalpunt "
        "is waar de grootste groep afhaakt (bv. 40% = na 40% van de clip).",
        "fr": "Par clip vidéo : combien d'apprenants l'ont lancé, la part regardée en moyenne, la part qui l'a "
        "regardé jusqu'à la fin (90 %), et pour chaque dixième du clip la part des apprenants qui l'ont vu. Le "
        "point d'abandon est l'endroit où le plus grand groupe décroche (p. ex. 40 % = après 40 % du clip).",
    },
    (
        _c("clip", "key", "clip", "clip", "clip"),
        _c("learners", "count", "cursisten", "apprenants", "learners"),
        _c("mean_watched", "share", "gemiddeld bekeken", "part regardée en moyenne", "mean share watched"),
        _c("watched_to_end", "share", "tot het einde bekeken", "regardé jusqu'à la fin", "watched to the end"),
        *(
            _c(
                f"t{i + 1}",
                "share",
                f"{i * 10}–{(i + 1) * 10}% gezien",
                f"{i * 10}–{(i + 1) * 10} % vu",
                f"{i * 10}–{(i + 1) * 10}% seen",
            )
            for i in range(10)
        ),
        _c("dropoff_at", "text", "uitvalpunt", "point d'abandon", "drop-off point"),
    ),
    _video,
)

#: The one registry of reports, by name (the CLI, the dashboard and the tests list it).
REPORTS: dict[str, ReportDefinition] = {
    r.name: r for r in (INDICATORS, FUNNEL, GOAL_MASTERY, KNOWLEDGE_GAIN, COMPETENCE, ITEM_ANALYSIS, VIDEO)
}
