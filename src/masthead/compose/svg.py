"""SVG images made safe to ship: only drawing is kept (an allow-list of SVG elements and
attributes); scripts, event handlers, foreign objects (HTML, iframes), animations that can rewrite
links, `javascript:` links and references to anything outside the file are removed.

Parsed by lxml with no DTD loaded, no network and libxml2's limit on entity expansion: an
entity bomb or an external entity is an error, never work done or a file read.
"""

from __future__ import annotations

import re

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Elements that draw, group, describe or style; everything else goes with its content.
ALLOWED_ELEMENTS = frozenset(
    {
        "a",
        "circle",
        "clipPath",
        "defs",
        "desc",
        "ellipse",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feImage",
        "feMerge",
        "feMergeNode",
        "feMorphology",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
        "filter",
        "g",
        "image",
        "line",
        "linearGradient",
        "marker",
        "mask",
        "metadata",
        "path",
        "pattern",
        "polygon",
        "polyline",
        "radialGradient",
        "rect",
        "stop",
        "style",
        "svg",
        "switch",
        "symbol",
        "text",
        "textPath",
        "title",
        "tspan",
        "use",
        "view",
    }
)
# Attributes in a namespace that are kept (plain attributes are kept unless they are unsafe).
ALLOWED_NAMESPACED = frozenset(
    {f"{{{XLINK_NS}}}href", f"{{{XLINK_NS}}}title", f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang"}
)
# Elements that only show what they refer to: without a reference they go too.
REFERRING = frozenset({"image", "feImage", "use"})
LINK_SCHEMES = ("http:", "https:", "mailto:")  # Where an <a> may lead (a link loads nothing).
EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)[^)]*\)", re.IGNORECASE)
_IMPORT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_UNSAFE_VALUE = re.compile(r"javascript:|vbscript:|expression\s*\(", re.IGNORECASE)


class SvgError(ValueError):
    """The file is not an SVG document that can be read."""


def sanitise_svg(data: bytes) -> tuple[bytes | None, list[str]]:
    """The SVG without anything unsafe: (new bytes, or None when nothing had to go; what went)."""
    # Internal entities are expanded within libxml2's amplification limit (an entity bomb is an
    # error); external ones are never loaded (an error too).
    parser = etree.XMLParser(
        resolve_entities="internal", no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SvgError(f"is not well-formed XML ({exc.msg})") from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgError("is not an SVG document (its root is not <svg>)")
    removed: list[str] = []
    # Processing instructions (an `xml-stylesheet` loads a file) go; those before the root
    # element go because only the root element is written.
    for node in [*root.itersiblings(preceding=True), *root.iter(etree.ProcessingInstruction)]:
        if node.tag is etree.ProcessingInstruction:
            removed.append(f"<?{node.target}?>")
            _remove(node)
    _clean_attributes(root, "svg", removed)
    _clean_children(root, removed)
    if not removed:
        return None, []
    cleaned = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return cleaned, list(dict.fromkeys(removed))


def _clean_children(parent: etree._Element, removed: list[str]) -> None:
    for element in list(parent):
        if not isinstance(element.tag, str):
            continue  # A comment.
        name = etree.QName(element)
        if name.namespace != SVG_NS or name.localname not in ALLOWED_ELEMENTS:
            removed.append(f"<{name.localname}>")
            _remove(element)
            continue
        _clean_attributes(element, name.localname, removed)
        if name.localname in REFERRING and not _href(element):
            _remove(element)  # Its reference is gone: it would show nothing (or fail to load).
            continue
        if name.localname == "style" and element.text:
            text = _IMPORT.sub("", _EXTERNAL_URL.sub("none", element.text))
            if text != element.text:
                removed.append("external references in <style>")
                element.text = text
        _clean_children(element, removed)


def _href(element: etree._Element) -> str:
    return str(element.get("href") or element.get(f"{{{XLINK_NS}}}href") or "").strip()


def _clean_attributes(element: etree._Element, tag: str, removed: list[str]) -> None:
    for attribute, value in list(element.attrib.items()):
        name = etree.QName(attribute)
        local = name.localname
        if name.namespace is not None and attribute not in ALLOWED_NAMESPACED:
            del element.attrib[attribute]  # Editors' bookkeeping (inkscape:, sodipodi:): inert.
            continue
        if local.lower().startswith("on"):
            removed.append(f"{local} handler")
        elif local == "href":
            reason = _bad_reference(tag, value.strip())
            if reason is None:
                continue
            removed.append(reason)
        elif _UNSAFE_VALUE.search(value):
            removed.append(f"script in {local}")
        elif _EXTERNAL_URL.search(value):
            removed.append(f"external reference in {local}")
        else:
            continue
        del element.attrib[attribute]


def _bad_reference(tag: str, href: str) -> str | None:
    """Why a link or reference must go (None: it may stay)."""
    if href.startswith("#") or href == "":
        return None
    if tag in {"image", "feImage", "pattern"} and EMBEDDED_IMAGE.match(href):
        return None
    if tag == "a" and href.lower().startswith(LINK_SCHEMES):
        return None
    if _UNSAFE_VALUE.match(href):
        return "javascript: link"
    return f"external reference {href[:60]}"


def _remove(node: etree._Element) -> None:
    """Remove a node, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)
