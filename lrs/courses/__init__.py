"""Imported cmi5 courses: the course side of the learner portal (issue 12: import and catalogue).

* :mod:`lrs.courses.store` - ``import_package`` (validate with the builder's
  rules, store all or nothing), ``list_courses``, ``remove_course``, and the
  stored files, read chunk by chunk;
* :mod:`lrs.courses.metadata` - what is read from a package (cmi5.xml, and
  our builder's course.js and LOM when present);
* :mod:`lrs.courses.catalogue` - the catalogue grouping a course's variants;
* :mod:`lrs.courses.api` - ``GET /courses/catalogue``;
* :mod:`lrs.courses.tables` - the tables (migration ``0008_courses``).

Nothing is imported here: :mod:`lrs.store.tables` imports
:mod:`lrs.courses.tables` so the schema is whole wherever the store is, and
that must not pull in the validator and the web layer.
"""
