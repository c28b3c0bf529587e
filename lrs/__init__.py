"""The xAPI Learning Record Store: statements in, evaluation data out.

Layers (one way): ``api`` (one Flask blueprint per xAPI resource, thin) ->
``xapi`` (validation and rules shared by every backend) -> ``store`` (one
interface, SQLAlchemy Core for SQLite and PostgreSQL). ``auth`` holds client
credentials, scopes and cmi5 launch tokens.
"""
