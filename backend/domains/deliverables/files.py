"""Which files a deliverable may carry, told by what they contain, not by what they are called.

A name's extension says what the file claims to be; its first bytes (and, for Office files,
the parts inside the ZIP container) must agree, or it is refused. Only kinds a client opens
without risk are taken: no executables, no Office files with macros, ActiveX, embedded objects or
links to outside addresses, no HTML or SVG, and no archives (a ZIP may hold anything: bundles
are handed over as several files, or as a link)."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath, PureWindowsPath
from xml.etree import ElementTree

from backend.kernel.errors import Invalid, TooLarge, UnsupportedType


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda content: content.startswith(magic)


# Parts of an Office file that run or fetch something: macros, ActiveX controls, embedded OLE
# objects; matched against part names, relationship types and content types alike.
_ACTIVE = re.compile(r"vba|macro|activex|oleobject|/embeddings/|attachedtemplate|frame|ddeLink", re.IGNORECASE)
# The relationship and content-type parts are small XML: at most this many, this large together
# (a bomb of compressed parts is refused unread).
_XML_PARTS = 300
_XML_BYTES = 4 * 1024 * 1024


def _office(*parts: str) -> Callable[[bytes], bool]:
    """An Office file: its document part is there, and nothing in it runs or fetches anything —
    no active part by name, no relationship of an active type or to an outside address (a remote
    template), no active content type. The relationship and content-type parts are parsed as
    XML (quoting, casing, character references and encodings as Office reads them); nothing
    else is unpacked."""

    def check(content: bytes) -> bool:
        if not content.startswith(b"PK\x03\x04"):
            return False
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if not all(part in names for part in parts) or any(_ACTIVE.search(n) for n in names):
                return False
            described = [
                i for i in infos if i.filename.lower().endswith(".rels") or i.filename.lower() == "[content_types].xml"
            ]
            if len(described) > _XML_PARTS or sum(i.file_size for i in described) > _XML_BYTES:
                return False
            for info in described:
                for element in ElementTree.fromstring(archive.read(info)).iter():
                    attributes = {key.lower(): value for key, value in element.attrib.items()}
                    if attributes.get("targetmode", "").strip().lower() == "external":
                        return False
                    said = " ".join((attributes.get("type", ""), attributes.get("contenttype", "")))
                    if _ACTIVE.search(said):
                        return False
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError, ElementTree.ParseError):
            return False
        return True

    return check


def _text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


OOXML = "application/vnd.openxmlformats-officedocument."
# extension → (the content type it is served as, the check of its content)
KINDS: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", _starts(b"%PDF-")),
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "docx": (OOXML + "wordprocessingml.document", _office("[Content_Types].xml", "word/document.xml")),
    "xlsx": (OOXML + "spreadsheetml.sheet", _office("[Content_Types].xml", "xl/workbook.xml")),
    "pptx": (OOXML + "presentationml.presentation", _office("[Content_Types].xml", "ppt/presentation.xml")),
    "txt": ("text/plain", _text),
    "csv": ("text/csv", _text),
    "md": ("text/markdown", _text),
    "json": ("application/json", _text),
}


def clean_name(raw: str | None) -> str:
    """The file's own name, without any folder a browser sent along, control characters or
    bidi overrides; at most 200 characters."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    if not name or name.startswith("."):
        raise Invalid.field("body.file", "the file has no name")
    if len(name) > 200:
        stem, _, ext = name.rpartition(".")
        name = f"{stem[: 199 - len(ext)]}.{ext}" if stem else name[:200]
    return name


def checked_type(name: str, content: bytes, limit: int) -> str:
    """The content type a file is kept and served as; 422 empty, 413 too big, 415 a kind not
    taken or content that is not what the name says."""
    if not content:
        raise Invalid.field("body.file", "the file is empty")
    if len(content) > limit:
        mib = limit // (1024 * 1024)
        raise TooLarge(f"the file is larger than {mib} MiB", key="artefact_too_large", mib=mib)
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    kind = KINDS.get(ext)
    if kind is None:
        raise UnsupportedType(
            f"{name}: files of this kind are not taken; allowed: {', '.join(sorted(set(KINDS)))}",
            key="artefact_type",
            allowed=", ".join(sorted(set(KINDS))),
        )
    content_type, looks_right = kind
    if not looks_right(content):
        raise UnsupportedType(f"{name}: the content is not a {ext.upper()} file", key="artefact_content", ext=ext)
    return content_type
