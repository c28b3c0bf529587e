r"""The ``lrs`` command: run the LRS, manage its API clients, migrate its database.

Development server::

    lrs serve --port 8080 --database sqlite:///lrs.sqlite3

Production: run the same app under gunicorn (a sync worker process per core,
one store each; SQLite in WAL mode or PostgreSQL), behind a TLS-terminating
reverse proxy that passes ``Host`` and ``X-Forwarded-Proto``::

    lrs db upgrade --database postgresql+psycopg://lrs@db/lrs
    GSOG_LRS_DATABASE_URL=postgresql+psycopg://lrs@db/lrs \
        gunicorn --workers 2 --bind 127.0.0.1:8080 --forwarded-allow-ips=127.0.0.1 'lrs.cli:wsgi()'

``wsgi()`` builds the app from ``GSOG_LRS_*`` variables and sends the
one-JSON-line-per-request log to stderr; that line names the route pattern,
never the path or query. Leave gunicorn's access log off (it is, unless
``--access-logfile`` or ``accesslog`` is set): it would write request paths,
which carry one-time cmi5 fetch ids, and query strings, which carry
learners' identifiers. ``lrs serve`` writes no request lines either. Clients::

    lrs client add "course preview" --scope all
    lrs client add moodle --scope statements/write --scope state --authority-email lms@example.org
    lrs client add "xAPI package" --scope statements/write --scope define --scope state
    lrs client add "academy-x SCORM" --scope statements/write --organisation academy-x
    lrs client list
    lrs client remove 3f9c...

Dashboard accounts (evaluators sign in at ``/dashboard/``)::

    lrs user add eva --role evaluator      # asks the password (12+ characters)
    lrs user list
    lrs user remove eva

Learner portal invitations (an organisation's sign-up link presets its code)::

    lrs portal invite --organisation pz-gent --sector police --region be-vlg --days 30 --uses 40
    lrs portal invitations
    lrs portal revoke 3
    lrs portal learners
    lrs portal waive --learner a@example.org --course 3 --au https://example.org/au/m1 --reason Administrative

cmi5 courses for the learner portal (validated, stored all or nothing)::

    lrs course import exports/gsog-fr-police-cmi5.zip
    lrs course list --json
    lrs course remove 3

The database is ``--database URL``, else ``GSOG_LRS_DATABASE_URL``, else
``sqlite:///lrs.sqlite3``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from lrs.auth import DEFAULT_SCOPES, KNOWN_SCOPES, add_client
from lrs.config import LrsConfig
from lrs.dashboard.accounts import ROLES
from lrs.store.interface import Store
from lrs.xapi.spec import WAIVE_REASONS

F = TypeVar("F", bound=Callable[..., Any])


def configure_logging(level: int = logging.INFO) -> None:
    """Our records (``lrs.*``) as bare messages on stderr; others only from WARNING up.

    The request log lines are JSON already. Werkzeug's own access log is
    silenced: it prints query strings, and xAPI query strings carry agents
    (personal data). For the same reason do not turn on gunicorn's
    ``--access-logfile``.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("lrs").setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def wsgi() -> Any:
    """The WSGI app for gunicorn (``'lrs.cli:wsgi()'``), configured from the environment."""
    from lrs.app import create_app

    configure_logging()
    return create_app(LrsConfig.from_env())


def _config(database: str | None) -> LrsConfig:
    return LrsConfig.from_env(database_url=database) if database else LrsConfig.from_env()


def _open_store(ctx: click.Context, database: str | None) -> Store:
    """The store to work on: one given by the caller (tests), else ``SqlStore`` on the URL."""
    given = (ctx.obj or {}).get("store")
    if given is not None:
        store: Store = given
        return store
    from lrs.store.sql import SqlStore

    return SqlStore(_config(database).database_url)


def database_option(func: F) -> F:
    """The ``--database URL`` option every command shares."""
    return click.option(
        "--database",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL (default: $GSOG_LRS_DATABASE_URL or sqlite:///lrs.sqlite3).",
    )(func)


@click.group()
def main() -> None:
    """The xAPI Learning Record Store (1.0.3 and 2.0.0) with cmi5 launches."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="TCP port.")
@database_option
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, database: str | None) -> None:
    """Run the development server.

    In production run gunicorn instead, e.g.
    ``gunicorn --workers 2 --bind 127.0.0.1:8080 'lrs.cli:wsgi()'`` (a worker per core).
    """
    from lrs.app import create_app

    configure_logging()
    given = (ctx.obj or {}).get("store")
    app = create_app(_config(database), store=given)
    click.echo(f"LRS on http://{host}:{port}{app.config['LRS'].xapi_prefix}/ (development server; Ctrl+C stops)")
    click.echo(f"dashboard: http://{host}:{port}/dashboard/ (evaluator accounts: lrs user add NAME)")
    click.echo(f"learner portal: http://{host}:{port}/portal/ (lrs course import PKG.zip; mails go to this log)")
    if app.config["LRS"].preview_dir:
        click.echo(f"package preview: http://{host}:{port}/preview/ (cmi5 packages in {app.config['LRS'].preview_dir})")
    app.run(host=host, port=port, threaded=True, use_reloader=False, request_handler=_RequestHandler())


def _RequestHandler() -> Any:  # noqa: N802 - returns a class
    """Werkzeug's request handler, with a ``Server`` header that names no versions and no request log.

    The default (``Werkzeug/3.x Python/3.y``) tells an attacker which known
    bugs to try. (gunicorn already sends a bare ``gunicorn``.) Werkzeug's
    request line holds the path and query: one-time cmi5 fetch ids and
    learners' identifiers. Our JSON line (:mod:`lrs.api.ops`) logs the
    route pattern instead, so the handler writes none, whatever the level of
    the ``werkzeug`` logger.
    """
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def version_string(self) -> str:
            return "lrs"

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Write nothing: see above."""

    return Handler


@main.group()
def client() -> None:
    """Manage API clients (HTTP Basic credentials with xAPI scopes)."""


@client.command("add")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(KNOWN_SCOPES),
    help=f"Scope to grant (repeatable; default: {' '.join(DEFAULT_SCOPES)}).",
)
@click.option("--authority-email", default=None, help="Statements' authority: an Agent with this mbox.")
@click.option("--key", default=None, help="Use this key instead of a random one (scripted set-ups).")
@click.option("--secret", default=None, help="Use this secret instead of a random one (scripted set-ups).")
@click.option(
    "--organisation",
    default=None,
    help="Bind the client to this organisation id: the key of its dual-tracking SCORM packages "
    "(course build --lrs ... --organisation ID). It may only send that organisation's pseudonymous "
    "statements and read nothing; scope statements/write only.",
)
@database_option
@click.pass_context
def client_add(
    ctx: click.Context,
    name: str,
    scopes: tuple[str, ...],
    authority_email: str | None,
    key: str | None,
    secret: str | None,
    organisation: str | None,
    database: str | None,
) -> None:
    """Add client NAME and print its key and secret (the secret is shown this once only)."""
    authority = None
    if authority_email is not None:
        if "@" not in authority_email or ":" in authority_email:
            raise click.BadParameter(
                "give a plain e-mail address, e.g. lms@example.org", param_hint="--authority-email"
            )
        authority = {"objectType": "Agent", "name": name, "mbox": f"mailto:{authority_email}"}
    store = _open_store(ctx, database)
    try:
        new_key, new_secret = add_client(
            store, name, scopes, authority, key=key, secret=secret, organisation=organisation
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"key:    {new_key}")
    click.echo(f"secret: {new_secret}")
    click.echo("Keep the secret now: the LRS stores only its hash.", err=True)


@client.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@database_option
@click.pass_context
def client_list(ctx: click.Context, as_json: bool, database: str | None) -> None:
    """List clients: key, name, scopes, created (never secrets)."""
    clients = _open_store(ctx, database).list_clients()
    if as_json:
        rows = [
            {
                "key": c.key,
                "name": c.name,
                "scopes": list(c.scopes),
                "organisation": c.organisation,
                "created": c.created.isoformat(),
            }
            for c in clients
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not clients:
        click.echo("no clients; add one with: lrs client add NAME --scope all")
        return
    for c in clients:
        bound = f"  organisation {c.organisation}" if c.organisation else ""
        click.echo(f"{c.key}  {c.name}  [{' '.join(c.scopes)}]{bound}  created {c.created:%Y-%m-%d %H:%M} UTC")


@client.command("remove")
@click.argument("key")
@database_option
@click.pass_context
def client_remove(ctx: click.Context, key: str, database: str | None) -> None:
    """Remove the client with KEY (its credentials stop working at once)."""
    if not _open_store(ctx, database).remove_client(key):
        raise click.ClickException(f"no client with key {key!r}")
    click.echo(f"removed {key}")


@main.group()
def user() -> None:
    """Manage dashboard accounts (evaluators sign in at /dashboard/ with a password)."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice(ROLES), default="evaluator", show_default=True, help="admin: also imports courses"
)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
@database_option
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool, database: str | None) -> None:
    """Add account NAME; the password (12 characters or more) is asked for, or read from stdin."""
    from lrs.dashboard.accounts import AccountError, add_user, check_password_strength
    from lrs.store.sql import engine_of

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        check_password_strength(password)
        add_user(engine_of(_open_store(ctx, database)), name, password, role)
    except AccountError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"added {role} {name}")


@user.command("list")
@database_option
@click.pass_context
def user_list(ctx: click.Context, database: str | None) -> None:
    """List accounts: name, role, created (never password hashes)."""
    from lrs.dashboard.accounts import list_users
    from lrs.store.sql import engine_of

    found = list_users(engine_of(_open_store(ctx, database)))
    if not found:
        click.echo("no accounts; add one with: lrs user add NAME --role evaluator")
    for u in found:
        click.echo(f"{u.username}  {u.role}  created {u.created:%Y-%m-%d %H:%M} UTC")


@user.command("remove")
@click.argument("name")
@database_option
@click.pass_context
def user_remove(ctx: click.Context, name: str, database: str | None) -> None:
    """Remove account NAME (its open sessions stop working at their next request)."""
    from lrs.dashboard.accounts import remove_user
    from lrs.store.sql import engine_of

    if not remove_user(engine_of(_open_store(ctx, database)), name):
        raise click.ClickException(f"no account named {name!r}")
    click.echo(f"removed {name}")


@main.group()
def portal() -> None:
    """The learner portal: organisations' invitation links, learner counts."""


@portal.command("invite")
@click.option("--organisation", required=True, help="Organisation code whoever signs up with the link gets.")
@click.option("--sector", default=None, help="Sector code to preset too.")
@click.option("--region", default=None, help="Region code to preset too.")
@click.option("--label", default="", help="A note for the list (e.g. whom the link was sent to).")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Valid this many days (default: until revoked).")
@click.option("--uses", type=click.IntRange(min=1), default=None, help="At most this many sign-ups (default: any).")
@click.option("--base-url", default=None, help="Public URL of the LRS (default: $GSOG_LRS_PUBLIC_URL).")
@database_option
@click.pass_context
def portal_invite(  # noqa: PLR0913 - one option per preset, as the portal asks
    ctx: click.Context,
    organisation: str,
    sector: str | None,
    region: str | None,
    label: str,
    days: int | None,
    uses: int | None,
    base_url: str | None,
    database: str | None,
) -> None:
    """Make an invitation and print its sign-up link (shown this once: only its hash is kept)."""
    from lrs.config import check_public_url
    from lrs.portal.accounts import AccountError, create_invitation, invitation_link
    from lrs.store.sql import engine_of

    try:
        base = check_public_url(base_url) if base_url else _config(database).public_url
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-url") from None
    if not base:
        raise click.UsageError("give --base-url https://lrs.example.org or set GSOG_LRS_PUBLIC_URL")
    try:
        invitation, token = create_invitation(
            engine_of(_open_store(ctx, database)), organisation, sector, region, label, days, uses
        )
    except AccountError as error:
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from None
    click.echo(f"invitation {invitation.id} for {invitation.organisation}:")
    click.echo(invitation_link(base, token))
    click.echo("Keep the link now: the LRS stores only its hash.", err=True)


@portal.command("invitations")
@database_option
@click.pass_context
def portal_invitations(ctx: click.Context, database: str | None) -> None:
    """List invitations: id, state, organisation, sector, region, uses, expiry, label."""
    from lrs.portal.accounts import list_invitations
    from lrs.store.sql import engine_of

    found = list_invitations(engine_of(_open_store(ctx, database)))
    if not found:
        click.echo("no invitations; make one with: lrs portal invite --organisation CODE")
    now = dt.datetime.now(dt.UTC)
    for i in found:
        uses = f"{i.uses}/{i.max_uses}" if i.max_uses is not None else f"{i.uses}"
        expires = f"until {i.expires:%Y-%m-%d %H:%M} UTC" if i.expires else "no expiry"
        click.echo(
            f"{i.id:>4}  {i.state(now):<8} {i.organisation}  {i.sector or '-'}  {i.region or '-'}  "
            f"{uses} uses  {expires}  {i.label}"
        )


@portal.command("revoke")
@click.argument("ident", metavar="ID", type=int)
@database_option
@click.pass_context
def portal_revoke(ctx: click.Context, ident: int, database: str | None) -> None:
    """End invitation ID now (accounts made with it stay)."""
    from lrs.portal.accounts import revoke_invitation
    from lrs.store.sql import engine_of

    if not revoke_invitation(engine_of(_open_store(ctx, database)), ident):
        raise click.ClickException(f"no invitation {ident}")
    click.echo(f"revoked invitation {ident}")


@portal.command("learners")
@database_option
@click.pass_context
def portal_learners(ctx: click.Context, database: str | None) -> None:
    """How many learners have an account, and how many confirmed their e-mail address (never who)."""
    from lrs.portal.accounts import count_learners
    from lrs.store.sql import engine_of

    total, verified = count_learners(engine_of(_open_store(ctx, database)))
    click.echo(f"{total} learners, {verified} with a confirmed e-mail address")


@portal.command("waive")
@click.option("--learner", "email", required=True, help="The learner's e-mail address (never printed).")
@click.option("--course", "course_ref", required=True, help="Package id (lrs course list) or the course IRI.")
@click.option("--au", "au_id", required=True, help="The AU's id in cmi5.xml (lrs course list --json).")
@click.option("--reason", type=click.Choice(WAIVE_REASONS), default="Administrative", show_default=True)
@click.option("--base-url", default=None, help="Public URL of the LRS (default: $GSOG_LRS_PUBLIC_URL).")
@database_option
@click.pass_context
def portal_waive(  # noqa: PLR0913 - one option per fact of a waiver
    ctx: click.Context, email: str, course_ref: str, au_id: str, reason: str, base_url: str | None, database: str | None
) -> None:
    """Waive an AU for a learner (cmi5 "waived"): the AU counts as done, the course may become satisfied."""
    import sqlalchemy as sa

    from lrs.config import check_public_url
    from lrs.courses.store import list_courses
    from lrs.portal.accounts import AccountError, learner_actor, normalise_email
    from lrs.portal.lms import waive
    from lrs.portal.tables import portal_learners
    from lrs.store.sql import engine_of

    try:
        base = check_public_url(base_url) if base_url else _config(database).public_url
        address = normalise_email(email)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--base-url") from None
    except AccountError as error:
        raise click.BadParameter(error.message, param_hint="--learner") from None
    if not base:
        raise click.UsageError("give --base-url https://lrs.example.org or set GSOG_LRS_PUBLIC_URL")
    store = _open_store(ctx, database)
    engine = engine_of(store)
    with engine.connect() as conn:
        learners = portal_learners.c
        actor_name = conn.execute(sa.select(learners.actor_name).where(learners.email == address)).scalar()
    if actor_name is None:
        raise click.BadParameter("no learner with this e-mail address", param_hint="--learner")
    packages = [
        p
        for p in list_courses(engine)
        if (course_ref.isdigit() and p.id == int(course_ref)) or (p.course_iri == course_ref and p.current)
    ]
    if not packages:
        raise click.BadParameter(f"no imported course {course_ref!r} (see: lrs course list)", param_hint="--course")
    try:
        done = waive(store, learner_actor(str(actor_name), base), packages[0], au_id, reason)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--au") from None
    click.echo(f"waived {au_id} ({reason})" if done else f"{au_id} was satisfied already: nothing written")


@main.group()
def course() -> None:
    """Manage imported cmi5 courses (the learner portal's catalogue)."""


@course.command("import")
@click.argument("packages", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@database_option
@click.pass_context
def course_import(ctx: click.Context, packages: tuple[Path, ...], database: str | None) -> None:
    """Validate and import cmi5 package zips, each all or nothing; exit 1 if any is refused."""
    from lrs.courses.store import CourseImportError, import_package

    store = _open_store(ctx, database)
    refused = 0
    for package in packages:
        try:
            done = import_package(store, package)
        except CourseImportError as error:
            refused += 1
            click.echo(f"{package}: refused, nothing stored", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            continue
        how = "replaced" if done.replaced else "imported"
        click.echo(
            f"{how} {done.course_iri} {done.version or '(no version)'} as {done.id}: "
            f"{len(done.aus)} AUs, {done.files} files, {done.size:,} bytes"
        )
    if refused:
        raise click.exceptions.Exit(1)


@course.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@database_option
@click.pass_context
def course_list(ctx: click.Context, as_json: bool, database: str | None) -> None:
    """List imported package versions: id, course, version, languages, sector, AUs; * marks the current."""
    from lrs.courses.store import list_courses

    found = list_courses(_open_store(ctx, database))
    if as_json:
        click.echo(json.dumps([c.as_dict() for c in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no courses; import one with: lrs course import PKG.zip")
    for c in found:
        mark = "*" if c.current else " "
        title = next(iter(c.title.values()), "")
        click.echo(
            f"{c.id:>4} {mark} {c.course_iri}  {c.version or '-'}  {','.join(c.languages)}  "
            f"{c.sector or '-'}  {len(c.aus)} AUs  {title}"
        )


@course.command("remove")
@click.argument("ident", metavar="ID")
@click.option("--version", default=None, help="Only this version of the course.")
@database_option
@click.pass_context
def course_remove(ctx: click.Context, ident: str, version: str | None, database: str | None) -> None:
    """Remove a package version by its id, or every version of a course by its cmi5 course IRI."""
    from lrs.courses.store import remove_course

    removed = remove_course(_open_store(ctx, database), ident, version)
    if not removed:
        raise click.ClickException(f"no imported course {ident!r}" + (f" version {version!r}" if version else ""))
    click.echo(f"removed {removed} package version{'s' if removed != 1 else ''}")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str | None) -> None:
    """Apply the Alembic migrations (the app does this on start too)."""
    from lrs.store.dialect import create_engine
    from lrs.store.migrate import current_revision, head_revision, upgrade

    engine = create_engine(_config(database).database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        click.echo(f"database at revision {head_revision()} (was {before or 'empty'})")
    finally:
        engine.dispose()


@main.command()
@click.option(
    "--actor",
    "actor_json",
    required=True,
    metavar="JSON",
    help='The learner as an xAPI Agent, e.g. \'{"mbox": "mailto:a@example.org"}\' or '
    '\'{"account": {"homePage": "https://lms.example.org", "name": "42"}}\'.',
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@database_option
@click.pass_context
def erase(ctx: click.Context, actor_json: str, yes: bool, database: str | None) -> None:
    """Erase one learner: statements, documents, cmi5 records and derived report data.

    An ``mbox`` also erases the statements filed under its ``mbox_sha1sum``
    (the same person). The log records that an erasure happened and how
    much it removed, never whom.
    """
    from lrs.xapi.agents import AgentKeyError, agent_key, mbox_sha1, normalise_mbox
    from lrs.xapi.jsontext import ClientJsonError, parse_client_json

    try:
        actor = parse_client_json(actor_json, "--actor")
    except ClientJsonError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="--actor") from None
    if not isinstance(actor, dict):
        raise click.BadParameter("give an xAPI Agent (a JSON object)", param_hint="--actor")
    try:
        keys = [agent_key(actor)]
    except AgentKeyError as error:
        raise click.BadParameter(str(error), param_hint="--actor") from None
    if isinstance(actor.get("mbox"), str):
        keys.append("mbox_sha1sum:" + mbox_sha1(normalise_mbox(actor["mbox"])))
    if not yes:
        click.confirm("Erase every record of this learner? This cannot be undone", abort=True)
    store = _open_store(ctx, database)
    removed = sum(store.erase_agent(key) for key in keys)
    logging.getLogger("lrs.privacy").info(json.dumps({"event": "erasure", "statements": removed}))
    click.echo(f"erased: {removed} statements, with the learner's documents and cmi5 records")


@main.command()
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep this many days (default: $GSOG_LRS_RETENTION_DAYS).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@database_option
@click.pass_context
def retention(ctx: click.Context, days: int | None, dry_run: bool, database: str | None) -> None:
    """Remove what was stored longer ago than the retention period (run it daily, e.g. from cron)."""
    keep = days if days is not None else _config(database).retention_days
    if not keep:
        raise click.UsageError("no retention period: give --days or set GSOG_LRS_RETENTION_DAYS")
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=keep)
    store = _open_store(ctx, database)
    if dry_run:
        click.echo(
            f"would remove {store.count_stored_before(cutoff)} statements stored before {cutoff:%Y-%m-%d %H:%M} UTC"
        )
        return
    result = store.purge_before(cutoff)
    logging.getLogger("lrs.privacy").info(
        json.dumps({"event": "retention", "days": keep, "statements": result.statements, "documents": result.documents})
    )
    click.echo(
        f"removed {result.statements} statements and {result.documents} documents "
        f"stored before {cutoff:%Y-%m-%d %H:%M} UTC"
    )


@main.group()
def export() -> None:
    """Exports for researchers (pseudonymised)."""


@export.command("statements")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Stored on or after this day.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Stored on or before this day.")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Pseudonym key (32+ bytes) to reuse, so two exports link; default: a new random key, not kept.",
)
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="JSON lines file (default: stdout).")
@database_option
@click.pass_context
def export_statements(
    ctx: click.Context,
    start: dt.datetime | None,
    end: dt.datetime | None,
    key_file: Path | None,
    out: TextIO,
    database: str | None,
) -> None:
    """Write the statements of a period as pseudonymised JSON lines (see lrs.xapi.pseudonym)."""
    import secrets

    from lrs.store.interface import StatementQuery
    from lrs.xapi.jsontext import dumps_json
    from lrs.xapi.pseudonym import Pseudonymiser
    from lrs.xapi.validate import VOIDED_VERB

    key = key_file.read_bytes() if key_file is not None else secrets.token_bytes(32)
    try:
        pseudonymiser = Pseudonymiser(key)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--key-file") from None
    # xAPI's since is exclusive: one microsecond before the day starts includes the whole day
    since = start.replace(tzinfo=dt.UTC) - dt.timedelta(microseconds=1) if start else None
    until = (end.replace(tzinfo=dt.UTC) + dt.timedelta(days=1)) if end else None
    store = _open_store(ctx, database)
    after: tuple[dt.datetime, str] | None = None
    written = 0
    while True:
        page = store.query_statements(StatementQuery(since=since, until=until, ascending=True, limit=1000, after=after))
        for stored in page.statements:
            if stored.statement.get("verb", {}).get("id") == VOIDED_VERB:
                continue
            out.write(dumps_json(pseudonymiser.statement(stored.statement)) + "\n")
            written += 1
        if page.next_after is None:
            break
        after = page.next_after
    click.echo(f"exported {written} statements", err=True)


_REPORT_FORMATS = ("table", "csv", "xlsx", "json")


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@main.command()
@click.argument("name", required=False)
@click.option("--list", "list_reports", is_flag=True, help="List the reports and exit.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day of the period.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day of the period.")
@click.option("--sector", default=None, help="Only this sector ('unknown': statements without one).")
@click.option("--organisation", default=None, help="Only this organisation code.")
@click.option("--region", default=None, help="Only this region code.")
@click.option("--language", default=None, help="Only this language.")
@click.option("--level", default=None, help="Only this training level.")
@click.option("--module", default=None, help="Only this module (activity IRI).")
@click.option("--package-version", default=None, help="Only this package version.")
@click.option("--compare-from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Second period's first day.")
@click.option("--compare-to", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Second period's last day.")
@click.option("--format", "fmt", type=click.Choice(_REPORT_FORMATS), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["nl", "fr", "en"]), default="en", show_default=True, help="Headers.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default: stdout).")
@click.option(
    "--k",
    "k",
    type=click.IntRange(min=1),
    default=None,
    help="Smallest group a cell shows (default: $GSOG_LRS_REPORT_MIN_GROUP or 5).",
)
@database_option
@click.pass_context
def report(  # noqa: PLR0913 - one option per filter, as the issue asks
    ctx: click.Context,
    name: str | None,
    list_reports: bool,
    start: dt.datetime | None,
    end: dt.datetime | None,
    sector: str | None,
    organisation: str | None,
    region: str | None,
    language: str | None,
    level: str | None,
    module: str | None,
    package_version: str | None,
    compare_from: dt.datetime | None,
    compare_to: dt.datetime | None,
    fmt: str,
    lang: str,
    out: Path | None,
    k: int | None,
    database: str | None,
) -> None:
    """Print report NAME for a period and filter; with --compare-from/--compare-to, two periods side by side."""
    from lrs.reports import REPORTS, ReportFilter, compare, run_report
    from lrs.reports.formats import to_csv, to_json, to_text, to_xlsx

    if list_reports:
        for report_name, definition in REPORTS.items():
            click.echo(f"{report_name}\t{definition.titles[lang]}")
        return
    if name is None:
        raise click.UsageError("give a report NAME (lrs report --list shows them)")
    if name not in REPORTS:
        raise click.BadParameter(f"unknown report {name!r}; known: {', '.join(REPORTS)}", param_hint="NAME")
    dims = {
        "sector": sector,
        "organisation": organisation,
        "region": region,
        "language": language,
        "level": level,
        "module": module,
        "package_version": package_version,
    }
    try:
        flt = ReportFilter(start=_day(start), end=_day(end), **dims)
        second = (
            ReportFilter(start=_day(compare_from), end=_day(compare_to), **dims)
            if compare_from is not None or compare_to is not None
            else None
        )
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--from/--to") from None
    smallest = k if k is not None else _config(database).report_min_group
    store = _open_store(ctx, database)
    engine = getattr(store, "engine", None)
    if engine is None:
        raise click.UsageError("reports need an SQL store")
    table = (
        run_report(engine, name, flt, k=smallest) if second is None else compare(engine, name, flt, second, k=smallest)
    )
    if fmt == "csv":
        data = to_csv(table, lang)
    elif fmt == "xlsx":
        data = to_xlsx(table, lang)
    elif fmt == "json":
        data = to_json(table)
    else:
        data = to_text(table, lang).encode("utf-8")
    if out is not None:
        out.write_bytes(data)
    elif fmt == "xlsx" and sys.stdout.isatty():
        raise click.UsageError("XLSX is binary: give --out FILE")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.group()
def reports() -> None:
    """The report projection (per-learner rows the reports read)."""


@reports.command("rebuild")
@database_option
@click.pass_context
def reports_rebuild(ctx: click.Context, database: str | None) -> None:
    """Recompute the report projection from the stored statements (after an upgrade, or to check it)."""
    from lrs.reports import rebuild

    store = _open_store(ctx, database)
    engine = getattr(store, "engine", None)
    if engine is None:
        raise click.UsageError("reports need an SQL store")
    learners = rebuild(engine)
    click.echo(f"rebuilt the report projection of {learners} learners")


if __name__ == "__main__":  # pragma: no cover
    main()
