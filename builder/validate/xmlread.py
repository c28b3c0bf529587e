"""Parse an untrusted manifest: no network, no DTD loading, no entity expansion.

Manifests may carry a DOCTYPE. Expanding its entities invites XXE (reading
server files, fetching URLs) and "billion laughs" memory blow-ups, so entities
stay unexpanded and external resources are never loaded.
"""

from __future__ import annotations

from lxml import etree

from builder.validate.problems import Finding


def safe_parser() -> etree.XMLParser:
    """A parser that reads only the bytes it is given; made per call because lxml parsers are not thread-safe."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def parse_manifest(name: str, data: bytes) -> etree._Element | Finding:
    """The manifest's root element, or a finding naming the first syntax error and its line."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        return Finding(name, line, f"not well-formed XML: {exc.msg}")
    if root is None:
        return Finding(name, None, "not well-formed XML: empty document")
    return root


def line_of(element: etree._Element) -> int | None:
    """The source line of an element, for messages; ``None`` when lxml does not know it."""
    line = element.sourceline
    return line if isinstance(line, int) else None
