"""Course builder for "Gendersensitief omgaan met geweld".

Data flows one way: ``course_src`` (YAML) -> ``builder.model`` (pydantic)
-> variant (language x sector) -> package writer -> zip.
"""

__version__ = "0.1.0"
