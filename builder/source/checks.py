"""Checks that span fields or files: translations, references, media, sources.

pydantic checks each file's shape; these checks need the whole course (does
goal LG-K9 exist? is there a case for every sector?) or the disk (does the
captions file parse? does the source's file have line 900?).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from babel import Locale

from builder.i18n import TEMPLATE_NAME, catalogue_dir, check_catalogues
from builder.media.recorded import CAPTION_SUFFIX, VIDEO_SUFFIXES, recorded_captions, recorded_video
from builder.media.webvtt import check_webvtt
from builder.model.assessment import ItemBankFile, Matching, MultipleResponse, Ordering, SingleChoice
from builder.model.catalog import Course
from builder.model.course import GOAL_PREFIX, CourseFile, LearningGoalsFile
from builder.model.reference import EvaluationForm, Glossary, ReferralList
from builder.model.sources import SourcesFile, parse_note
from builder.model.units import Case, VideoUnit
from builder.model.vocabularies import PROVIDED, SHOWN, VocabularyName, term_id
from builder.source.loader import SourceFile
from builder.source.messages import field_path
from builder.source.problems import ProblemList
from builder.source.walk import localized_values, source_notes
from builder.source.yaml_tree import Loc


def language_name(lang: str) -> str:
    """The English name of a language tag for messages (``de`` -> ``German``)."""
    try:
        return str(Locale.parse(lang, sep="-").get_display_name("en"))
    except (ValueError, LookupError):  # a tag Babel has no data for: its code is name enough
        return lang


def check_translations(
    files: Iterable[SourceFile], languages: Iterable[str], problems: ProblemList, declared: Iterable[str] = ()
) -> None:
    """Every text must exist in each language being built.

    A text in a language the course does not declare is never shipped, so it
    is a warning: usually a leftover or a tag spelt differently (``de-DE``
    beside ``de``).
    """
    wanted = list(languages)
    shipped = set(declared) | set(wanted)
    for f in files:
        for loc, value in localized_values(f.model):
            for lang in wanted:
                if lang not in value:
                    problems.error(
                        f.path,
                        f.line_of(loc),
                        field_path(loc),
                        f"{language_name(lang)} text is missing; add '{lang}:' with the translation",
                    )
            for lang in value:
                if shipped and lang not in shipped:
                    here = (*loc, lang)
                    problems.warning(
                        f.path,
                        f.line_of(here),
                        field_path(here),
                        f"'{lang}' is not one of the course languages ({', '.join(sorted(shipped))}); "
                        "this text is not built",
                    )


def _duplicates(values: Iterable[tuple[str, Loc]]) -> Iterable[tuple[str, Loc]]:
    seen: set[str] = set()
    for value, loc in values:
        if value in seen:
            yield value, loc
        seen.add(value)


def check_ids(files: list[SourceFile], problems: ProblemList) -> None:
    """Ids must be unique where they are looked up: units, items, terms, entries."""
    unit_ids: dict[str, Path] = {}
    item_ids: dict[str, Path] = {}
    for f in files:
        model = f.model
        unit_id = getattr(model, "id", None)
        if isinstance(unit_id, str):
            if unit_id in unit_ids:
                problems.error(
                    f.path, f.line_of(("id",)), "id", f"'{unit_id}' is already used in {unit_ids[unit_id].name}"
                )
            unit_ids.setdefault(unit_id, f.path)
        if isinstance(model, ItemBankFile):
            for index, item in enumerate(model.items):
                if item.id in item_ids:
                    problems.error(
                        f.path,
                        f.line_of(("items", index, "id")),
                        f"items[{index}].id",
                        f"item id '{item.id}' is already used in {item_ids[item.id].name}",
                    )
                item_ids.setdefault(item.id, f.path)
        groups: list[tuple[str, list[str]]] = []
        if isinstance(model, CourseFile):
            groups.append(("modules", [m.id for m in model.modules]))
        if isinstance(model, LearningGoalsFile):
            groups.append(("goals", [g.id for g in model.goals]))
        if isinstance(model, Glossary):
            groups.append(("terms", [t.id for t in model.terms]))
        if isinstance(model, ReferralList):
            groups.append(("entries", [e.id for e in model.entries]))
        if isinstance(model, SourcesFile):
            groups.append(("sources", [s.id for s in model.sources]))
        if isinstance(model, EvaluationForm):
            for group in ("likert_items", "competence_items", "open_questions"):
                groups.append((group, [q.id for q in getattr(model, group)]))
        for field_name, ids in groups:
            for value, loc in _duplicates((v, (field_name, i, "id")) for i, v in enumerate(ids)):
                problems.error(f.path, f.line_of(loc), field_path(loc), f"id '{value}' is used twice")


def check_goals(files: list[SourceFile], meta: CourseFile, problems: ProblemList) -> None:
    """A goal's id letter must match its type (K knowledge, S skill, A attitude); its aims are the course's."""
    aims = meta.vocabulary("aims")
    for f in files:
        if not isinstance(f.model, LearningGoalsFile):
            continue
        for index, goal in enumerate(f.model.goals):
            letter = GOAL_PREFIX[goal.type]
            if goal.id[3] != letter:
                problems.error(
                    f.path,
                    f.line_of(("goals", index, "id")),
                    f"goals[{index}].id",
                    f"'{goal.id}' is a {goal.type} goal, so its id must start with LG-{letter}",
                )
            for a_index, aim in enumerate(goal.aims):
                if aim not in aims:
                    _not_in_vocabulary(f, ("goals", index, "aims", a_index), aim, "aims", aims, problems)
        covered = {aim for goal in f.model.goals for aim in goal.aims}
        for aim in aims:
            if aim not in covered:
                problems.warning(f.path, 1, "goals", f"no learning goal serves the aim '{aim}'")


def check_references(course: Course, files: list[SourceFile], problems: ProblemList) -> None:
    """Ids that point elsewhere must resolve: module units, goals, see-also terms."""
    goal_ids = {g.id for g in course.goals}
    units = course.units
    listed: set[str] = set()
    for f in files:
        model = f.model
        if isinstance(model, CourseFile):
            for m_index, module in enumerate(model.modules):
                for u_index, unit_id in enumerate(module.units):
                    listed.add(unit_id)
                    if unit_id not in units:
                        loc: Loc = ("modules", m_index, "units", u_index)
                        close = difflib.get_close_matches(unit_id, list(units), n=1)
                        hint = f"did you mean '{close[0]}'?" if close else "define it in a unit file or remove it"
                        problems.error(
                            f.path, f.line_of(loc), field_path(loc), f"unit '{unit_id}' does not exist; {hint}"
                        )
        for loc, goal_id in _goal_refs(f):
            if goal_id not in goal_ids:
                problems.error(
                    f.path,
                    f.line_of(loc),
                    field_path(loc),
                    f"learning goal '{goal_id}' is not defined in learning_goals.yaml",
                )
        if isinstance(model, Glossary):
            term_ids = {t.id for t in model.terms}
            for t_index, term in enumerate(model.terms):
                for s_index, other in enumerate(term.see_also):
                    if other not in term_ids:
                        loc = ("terms", t_index, "see_also", s_index)
                        problems.error(
                            f.path, f.line_of(loc), field_path(loc), f"term '{other}' is not in the glossary"
                        )
    for unit_id, path in course.files.items():
        if unit_id in units and unit_id not in listed:
            problems.warning(path, 1, "id", f"unit '{unit_id}' is not listed in any module of course.yaml")
    used = {goal_id for f in files for _, goal_id in _goal_refs(f)}
    tested = {goal_id for item in course.items for goal_id in item.goals}
    goals_file = next((f for f in files if isinstance(f.model, LearningGoalsFile)), None)
    goals_path = goals_file.path if goals_file is not None else course.root
    for index, goal in enumerate(course.goals):
        line = goals_file.line_of(("goals", index, "id")) if goals_file is not None else 1
        if goal.id not in used:
            problems.warning(goals_path, line, f"goals[{index}]", f"'{goal.id}' is not covered by any unit or item")
        elif goal.type != "attitude" and goal.id not in tested:
            problems.warning(goals_path, line, f"goals[{index}]", f"'{goal.id}' is not assessed by any item")


def _goal_refs(f: SourceFile) -> Iterable[tuple[Loc, str]]:
    model = f.model
    goals = getattr(model, "goals", None)
    if isinstance(goals, list) and not isinstance(model, LearningGoalsFile):
        for index, goal_id in enumerate(goals):
            yield ("goals", index), goal_id
    if isinstance(model, ItemBankFile):
        for i_index, item in enumerate(model.items):
            for g_index, goal_id in enumerate(item.goals):
                yield ("items", i_index, "goals", g_index), goal_id
    if isinstance(model, EvaluationForm):
        for q_index, question in enumerate(model.competence_items):
            yield ("competence_items", q_index, "goal"), question.goal


def _not_in_vocabulary(
    f: SourceFile, loc: Loc, value: str, name: VocabularyName, ids: list[str], problems: ProblemList
) -> None:
    close = difflib.get_close_matches(value, ids, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"add it to '{name}' in course.yaml"
    message = f"'{value}' is not one of the course's {name} ({', '.join(ids)}); {hint}"
    problems.error(f.path, f.line_of(loc), field_path(loc), message)


def check_vocabularies(files: list[SourceFile], meta: CourseFile, problems: ProblemList) -> None:
    """The course's vocabularies are well formed, and cases and referral entries use them.

    An id the course adds to a vocabulary learners see (a sector, a region)
    needs a name in every course language, since the interface catalogues
    only name the provided ones. Learning goals' aims are checked in
    :func:`check_goals`.
    """
    course_file = next((f for f in files if isinstance(f.model, CourseFile)), None)
    if course_file is not None:  # ``de`` and ``DE`` are one language once normalised
        for value, loc in _duplicates((lang, ("languages", i)) for i, lang in enumerate(meta.languages)):
            message = f"'{value}' is listed twice"
            problems.error(course_file.path, course_file.line_of(loc), field_path(loc), message)
    for name in PROVIDED:
        declared = getattr(meta, name)
        if course_file is None or declared is None:
            continue
        if not declared:
            problems.error(
                course_file.path,
                course_file.line_of((name,)),
                name,
                f"'{name}' is empty; leave it out "
                f"for the provided list ({', '.join(PROVIDED[name])}) or name at least one",
            )
        ids = [term_id(entry) for entry in declared]
        for value, loc in _duplicates((v, (name, i)) for i, v in enumerate(ids)):
            problems.error(course_file.path, course_file.line_of(loc), field_path(loc), f"'{value}' is listed twice")
        for index, entry in enumerate(declared):
            if name in SHOWN and isinstance(entry, str) and entry not in PROVIDED[name]:
                loc = (name, index)
                problems.error(
                    course_file.path,
                    course_file.line_of(loc),
                    field_path(loc),
                    f"'{entry}' is not one of the provided {name} ({', '.join(PROVIDED[name])}); "
                    f"give it a name in every course language: {{id: {entry}, name: {{...}}}}",
                )
    sectors, regions, referral_sectors = (meta.vocabulary(n) for n in ("sectors", "regions", "referral_sectors"))
    for f in files:
        model = f.model
        if isinstance(model, Case) and model.sector not in sectors:
            _not_in_vocabulary(f, ("sector",), model.sector, "sectors", sectors, problems)
        if isinstance(model, ReferralList):
            for e_index, entry in enumerate(model.entries):
                for r_index, region in enumerate(entry.regions):
                    if region not in regions:
                        _not_in_vocabulary(
                            f, ("entries", e_index, "regions", r_index), region, "regions", regions, problems
                        )
                for s_index, sector in enumerate(entry.sectors):
                    if sector not in referral_sectors:
                        _not_in_vocabulary(
                            f,
                            ("entries", e_index, "sectors", s_index),
                            sector,
                            "referral_sectors",
                            referral_sectors,
                            problems,
                        )


def check_cases(course: Course, files: list[SourceFile], problems: ProblemList) -> None:
    """Each of the course's sectors needs exactly one case: it is the main case of that package.

    A missing case is reported where the sector is declared (``sectors:`` of
    course.yaml), or at ``cases/`` when the course builds the provided five.
    """
    by_sector: Counter[str] = Counter(case.sector for case in course.cases)
    course_file = next((f for f in files if isinstance(f.model, CourseFile)), None)
    for index, sector in enumerate(course.meta.sector_ids):
        if by_sector[sector] == 0:
            where, line, field_name = course.root / "cases", 0, "sector"
            if course_file is not None and course.meta.sectors is not None:
                where, line, field_name = course_file.path, course_file.line_of(("sectors", index)), f"sectors[{index}]"
            problems.error(
                where,
                line,
                field_name,
                f"no case for sector '{sector}'; add cases/<name>.yaml with 'sector: {sector}', "
                "or take the sector out of 'sectors' in course.yaml",
            )
    for case in course.cases:
        if by_sector[case.sector] > 1:
            problems.error(
                course.files[case.id],
                1,
                "sector",
                f"{by_sector[case.sector]} cases have sector '{case.sector}'; keep one main case per sector",
            )


def check_items(files: list[SourceFile], problems: ProblemList) -> None:
    """Answer keys must make sense: one correct single choice, distinct option ids."""
    for f in files:
        if not isinstance(f.model, ItemBankFile):
            continue
        for index, item in enumerate(f.model.items):
            here: Loc = ("items", index)
            if isinstance(item, (SingleChoice, MultipleResponse)):
                correct = sum(option.correct for option in item.options)
                if isinstance(item, SingleChoice) and correct != 1:
                    problems.error(
                        f.path,
                        f.line_of(here + ("options",)),
                        field_path(here + ("options",)),
                        f"a single_choice item needs exactly one option with 'correct: true', found {correct}",
                    )
                if isinstance(item, MultipleResponse) and correct < 1:
                    problems.error(
                        f.path,
                        f.line_of(here + ("options",)),
                        field_path(here + ("options",)),
                        "a multiple_response item needs at least one option with 'correct: true'",
                    )
                parts: list[tuple[str, Loc]] = [(o.id, here + ("options", i, "id")) for i, o in enumerate(item.options)]
            elif isinstance(item, Matching):
                parts = [(p.id, here + ("pairs", i, "id")) for i, p in enumerate(item.pairs)]
            elif isinstance(item, Ordering):
                parts = [(s.id, here + ("steps", i, "id")) for i, s in enumerate(item.steps)]
            else:
                parts = []
            for value, loc in _duplicates(parts):
                problems.error(f.path, f.line_of(loc), field_path(loc), f"id '{value}' is used twice in this item")


def check_assessments(course: Course, problems: ProblemList) -> None:
    """Tests must be drawable from the bank, and there is one pre- and one post-test."""
    for test in course.assessments:
        path = course.files[test.id]
        if test.draw > len(course.items):
            problems.error(path, 1, "draw", f"draws {test.draw} items but the bank holds {len(course.items)}")
    roles = Counter(test.role for test in course.assessments)
    for role in ("pre", "post"):
        if roles[role] > 1:
            problems.error(course.root / "assessments", 0, "role", f"{roles[role]} tests have role '{role}'; keep one")
    if course.assessments and (roles["pre"] == 0 or roles["post"] == 0):
        problems.warning(course.root / "assessments", 0, "role", "knowledge gain needs both a pre-test and a post-test")


def check_media(course: Course, files: list[SourceFile], languages: Iterable[str], problems: ProblemList) -> None:
    """Recorded media must exist and captions must be valid WebVTT."""
    root = course.root
    for f in files:
        unit = f.model
        if not isinstance(unit, VideoUnit):
            continue
        path = f.path
        for field_name, named in (("video", unit.video), ("captions", unit.captions)):
            for lang_code, rel in named.items():
                target = root / rel
                suffixes = VIDEO_SUFFIXES if field_name == "video" else (CAPTION_SUFFIX,)
                line = f.line_of((field_name, lang_code))
                if target.suffix not in suffixes:
                    problems.error(
                        path, line, f"{field_name}.{lang_code}", f"'{rel}' must end in {' or '.join(suffixes)}"
                    )
                elif not target.is_file():
                    problems.error(
                        path,
                        line,
                        f"{field_name}.{lang_code}",
                        f"broken media reference: '{rel}' does not exist in {root.name}/",
                    )
        for lang in languages:
            video = recorded_video(root, unit, lang)
            captions = recorded_captions(root, unit, lang)
            if video is not None and video.is_file() and captions is None:
                problems.error(
                    path,
                    1,
                    f"captions.{lang}",
                    f"recorded video '{video.relative_to(root)}' has no captions; add media/{unit.id}.{lang}.vtt",
                )
            if captions is not None and captions.is_file():
                check_captions_file(captions, problems)


def check_captions_file(path: Path, problems: ProblemList) -> None:
    """Report each WebVTT problem of one file with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.error(path, 0, "", f"cannot read captions as UTF-8 text: {exc}")
        return
    for line, message in check_webvtt(text):
        problems.error(path, line, "", f"malformed WebVTT: {message}")


def stale_referrals(course: Course, files: list[SourceFile], today: dt.date, problems: ProblemList) -> list[str]:
    """Entries verified longer ago than ``referral_max_age_days`` are reported."""
    stale: list[str] = []
    max_age = dt.timedelta(days=course.meta.referral_max_age_days)
    for f in files:
        if not isinstance(f.model, ReferralList):
            continue
        for index, entry in enumerate(f.model.entries):
            loc: Loc = ("entries", index, "verified_on")
            if entry.verified_on > today:
                problems.error(f.path, f.line_of(loc), field_path(loc), f"{entry.verified_on} is in the future")
            elif today - entry.verified_on > max_age:
                stale.append(entry.id)
                age = (today - entry.verified_on).days
                problems.warning(
                    f.path,
                    f.line_of(loc),
                    field_path(loc),
                    f"stale referral entry '{entry.id}': verified {age} days ago "
                    f"(limit {max_age.days}); check phone and web, then update verified_on",
                )
            if entry.phone is None and entry.web is None:
                here: Loc = ("entries", index)
                problems.error(
                    f.path, f.line_of(here), field_path(here), f"entry '{entry.id}' needs a phone or a web address"
                )
    return stale


def check_sources(files: list[SourceFile], seeds: Path | None, problems: ProblemList) -> None:
    """Each source note must name a source of ``sources.yaml`` and lines its file has.

    Line ranges are verified where the source's ``file:`` can be read from the
    sources folder ``seeds``; where it cannot (a clone without ``../shared``),
    that is one warning per source, not an error: the notes may well be right.
    Without a valid ``sources.yaml`` its own errors stand alone, since every
    note would otherwise be reported as unknown.
    """
    registry = next((f for f in files if isinstance(f.model, SourcesFile)), None)
    if registry is None:
        return
    sources = cast(SourcesFile, registry.model).sources
    by_id = {source.id: source for source in sources}
    notes = [(f, loc, parse_note(note)) for f in files for loc, note in source_notes(f.model)]
    cited = Counter(note.source for _, _, note in notes if not note.pages)
    folder_missing = seeds is None or not seeds.is_dir()
    lengths: dict[str, int] = {}
    for index, source in enumerate(sources):
        if source.file is None or not cited[source.id]:
            continue
        line = registry.line_of(("sources", index, "file"))
        where = f"sources[{index}].file"
        target = seeds / source.file if seeds is not None else Path(source.file)
        if folder_missing:
            continue
        if not target.is_file():
            problems.warning(
                registry.path,
                line,
                where,
                f"'{source.file}' is not in {seeds}; "
                f"{cited[source.id]} line notes citing '{source.id}' were not verified",
            )
            continue
        with target.open("rb") as handle:
            lengths[source.id] = sum(1 for _ in handle)
    if folder_missing and cited:
        where = f" ({seeds})" if seeds else ""
        problems.warning(
            seeds or registry.path,
            0,
            "",
            f"seed folder not found{where}; line ranges of source notes were not verified "
            "(give the sources folder with --seeds or $GSOG_SEEDS)",
        )
    for f, loc, note in notes:
        line, field_name = f.line_of(loc), field_path(loc)
        cited_source = by_id.get(note.source)
        if cited_source is None:
            close = difflib.get_close_matches(note.source, list(by_id), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"add it to {registry.path.name}"
            problems.error(f.path, line, field_name, f"unknown source '{note.source}'; {hint}")
        elif note.first < 1 or note.first > note.last:
            what = "pages" if note.pages else "lines"
            problems.error(f.path, line, field_name, f"{what} {note.span} are reversed or start at 0")
        elif not note.pages and cited_source.file is None:
            problems.error(
                f.path,
                line,
                field_name,
                f"source '{cited_source.id}' has no 'file:' to count lines in; cite a page ('{cited_source.id}:p12') "
                f"or give it a 'file:' in {registry.path.name}",
            )
        elif not note.pages and note.source in lengths and note.last > lengths[note.source]:
            problems.error(
                f.path,
                line,
                field_name,
                f"lines {note.span} are past the end of '{cited_source.file}' of source '{cited_source.id}' "
                f"({lengths[note.source]} lines)",
            )


def check_interface(course_file: SourceFile, languages: list[str], problems: ProblemList) -> None:
    """Every course language needs the player's interface strings: a complete catalogue in ``player/i18n/``.

    A missing catalogue is reported at the language in course.yaml; a
    missing, empty or fuzzy string at its catalogue, by msgid.
    """
    declared = [str(lang) for lang in cast(CourseFile, course_file.model).languages]
    found, missing = check_catalogues(languages)
    for lang, path in found.items():
        if not path:
            index = declared.index(lang) if lang in declared else None
            loc: Loc = ("languages", index) if index is not None else ("languages",)
            problems.error(
                course_file.path,
                course_file.line_of(loc),
                field_path(loc),
                f"the player has no interface strings in {language_name(lang)}: add {catalogue_dir()}/{lang}.po "
                f"(a copy of {TEMPLATE_NAME} with every msgstr translated)",
            )
    for problem in missing:
        problems.error(problem.path, problem.line, problem.msgid, problem.message)
