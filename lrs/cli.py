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
    lrs client list
    lrs client remove 3f9c...

The database is ``--database URL``, else ``GSOG_LRS_DATABASE_URL``, else
``sqlite:///lrs.sqlite3``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from lrs.auth import DEFAULT_SCOPES, KNOWN_SCOPES, add_client
from lrs.config import LrsConfig
from lrs.store.interface import Store

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
@database_option
@click.pass_context
def client_add(
    ctx: click.Context,
    name: str,
    scopes: tuple[str, ...],
    authority_email: str | None,
    key: str | None,
    secret: str | None,
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
        new_key, new_secret = add_client(store, name, scopes, authority, key=key, secret=secret)
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
            {"key": c.key, "name": c.name, "scopes": list(c.scopes), "created": c.created.isoformat()} for c in clients
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not clients:
        click.echo("no clients; add one with: lrs client add NAME --scope all")
        return
    for c in clients:
        click.echo(f"{c.key}  {c.name}  [{' '.join(c.scopes)}]  created {c.created:%Y-%m-%d %H:%M} UTC")


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


if __name__ == "__main__":  # pragma: no cover
    main()
