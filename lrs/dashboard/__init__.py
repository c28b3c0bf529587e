"""The evaluators' dashboard at ``/dashboard/``: reports as pages, charts, tables, downloads and a PDF.

Wired in :func:`lrs.app.create_app`: :func:`lrs.sessions.configure_sessions` (the session
secret, cookie flags and CSRF, app-wide settings) and the blueprint
:data:`bp` under ``/dashboard``. Pages: :mod:`lrs.dashboard.views`;
accounts (``lrs user add``): :mod:`lrs.dashboard.accounts`.
"""

from __future__ import annotations

from lrs.dashboard.views import bp
from lrs.sessions import DASHBOARD_PREFIX as URL_PREFIX

__all__ = ["URL_PREFIX", "bp"]
