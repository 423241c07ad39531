"""Where a stored file came from, written inside the file itself: its public address, fetch date, source, type
and tags. HTML gets ``<meta name="eclaireur:…">`` (read by ``read_html``), PDF its document information,
DOCX its custom properties; the readers give them back, so a search result links to the public page."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass

from ..documents import UnreadableDocument

FIELDS = ("url", "fetched", "source", "type", "tags")
PDF_KEYS = {field: f"/Eclaireur{field.capitalize()}" for field in FIELDS}
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_PART = "/docProps/custom.xml"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
HEAD = re.compile(r"<head\b[^>]*>", re.I)


@dataclass(frozen=True)
class Provenance:
    url: str
    fetched: str  # ISO 8601, UTC
    source: str
    type: str | None = None
    tags: tuple[str, ...] = ()

    def fields(self) -> dict[str, str]:
        values = {"url": self.url, "fetched": self.fetched, "source": self.source, "type": self.type or "",
                  "tags": ", ".join(self.tags)}
        return {field: values[field] for field in FIELDS}


def stamp(kind: str, data: bytes | str, provenance: Provenance) -> bytes:
    """The file to store: ``data`` (HTML as text, PDF or DOCX as bytes) with ``provenance`` inside."""
    return {"html": _stamp_html, "pdf": _stamp_pdf, "docx": _stamp_docx}[kind](data, provenance)


def _stamp_html(text: str, provenance: Provenance) -> bytes:
    """The page as served, minus any ``eclaireur:`` meta of its own (a page cannot choose its address), plus ours."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    for meta in tree.css("meta[name], meta[charset], meta[http-equiv]"):
        name, equiv = (meta.attributes.get("name") or "").lower(), (meta.attributes.get("http-equiv") or "").lower()
        if name.startswith("eclaireur:") or "charset" in meta.attributes or equiv == "content-type":
            meta.decompose()  # stored in UTF-8, whatever the page declared
    tags = "".join(f'<meta name="eclaireur:{field}" content="{html.escape(value, quote=True)}">'
                   for field, value in provenance.fields().items() if value)
    serialized = tree.html or ""
    head = HEAD.search(serialized)
    if head is None:
        return ('<!DOCTYPE html><html><head><meta charset="utf-8">' + tags + "</head>" + serialized).encode()
    return (serialized[:head.end()] + '<meta charset="utf-8">' + tags + serialized[head.end():]).encode()


def _stamp_pdf(data: bytes, provenance: Provenance) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    try:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.add_metadata({PDF_KEYS[field]: value for field, value in provenance.fields().items()})
        output = io.BytesIO()
        writer.write(output)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise UnreadableDocument(f"PDF illisible ({error.__class__.__name__}: {error})") from None
    return output.getvalue()


def pdf_provenance(info) -> dict[str, str]:
    """The fields stamped in a PDF's document information (``reader.metadata``), those present."""
    if not info:
        return {}
    return {field: str(info[key]) for field, key in PDF_KEYS.items() if info.get(key)}


def _stamp_docx(data: bytes, provenance: Provenance) -> bytes:
    import zipfile

    import docx
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    try:
        word = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableDocument(f"DOCX illisible ({error.__class__.__name__}: {error})") from None
    package = word.part.package
    existing = _custom_part(package)
    properties = {**(_custom_properties(existing.blob) if existing else {}),
                  **{f"Eclaireur{field.capitalize()}": value for field, value in provenance.fields().items()}}
    blob = _custom_xml(properties)
    if existing is not None:
        existing._blob = blob
    else:
        package.relate_to(Part(PackURI(CUSTOM_PART), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES, blob, package),
                          RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)
    output = io.BytesIO()
    word.save(output)
    return output.getvalue()


def docx_provenance(word) -> dict[str, str]:
    """The fields stamped in a DOCX's custom properties (``word`` is a python-docx Document), those present."""
    part = _custom_part(word.part.package)
    properties = _custom_properties(part.blob) if part is not None else {}
    return {field: properties[f"Eclaireur{field.capitalize()}"] for field in FIELDS
            if properties.get(f"Eclaireur{field.capitalize()}")}


def _custom_part(package):
    from docx.opc.constants import RELATIONSHIP_TYPE

    return next((rel.target_part for rel in package.rels.values()
                 if rel.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES and not rel.is_external), None)


def _custom_properties(blob: bytes) -> dict[str, str]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(blob)
    except (ElementTree.ParseError, DefusedXmlException):
        return {}
    return {element.get("name", ""): "".join(element.itertext()) for element in root
            if element.tag == f"{{{CUSTOM_NS}}}property"}


def _custom_xml(properties: dict[str, str]) -> bytes:
    rows = "".join(f'<property fmtid="{FMTID}" pid="{pid}" name="{html.escape(name, quote=True)}">'
                   f"<vt:lpwstr>{html.escape(value, quote=False)}</vt:lpwstr></property>"
                   for pid, (name, value) in enumerate(properties.items(), start=2))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{rows}</Properties>').encode()
