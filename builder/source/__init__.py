"""Reading ``course_src/``: YAML with positions, problems, checks."""
