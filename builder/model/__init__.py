"""The course model: what an author writes in ``course_src/``, as pydantic types.

Each module holds one family of types; :mod:`builder.model.files` maps each
authoring file kind to its root type.
"""
