"""PDF and Word attachments as articles: their text in reading order, lines rejoined into
paragraphs, running headers, footers and page numbers dropped.

pypdf reads PDFs: on the CJK test documents (reportlab's STSong-Light, a CID font that is not
embedded) it got every character and kept two columns in order, at about a tenth of
pdfminer.six's time. python-docx reads .docx. Both are imported only when such a file is built.
"""

from __future__ import annotations

import re
from collections import Counter
from io import BytesIO
from zipfile import BadZipFile

from bot.knowledge.page_text import DATE, parse_date

_PAGE_NUMBER = re.compile(
    r"^[-—–~·\s]*(?:第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|[Pp]age\s*\d+(?:\s*of\s*\d+)?|\d{1,4})[-—–~·\s]*$")
_PARAGRAPH_START = re.compile(r"^(?:[\u3000 ]{2,}|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|第[一二三四五六七八九十百\d]+[条章节])")
_DOCUMENT_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［(（]\s*(?:19|20)\d{2}\s*[〕\]］)）]\s*\d+\s*号$")
_NOTICE_TITLE = re.compile(r"^(?:关于.{2,60}的)?.{0,40}(?:通知|公告|通告|意见|办法|规定|决定|通报|批复|方案|规划|细则|函|报告|条例|纲要)(?:[（(].{1,12}[）)])?$")
_SENTENCE_END = "。！？!?；;：:…”」』"
_GENERIC_TITLE = re.compile(r"^(?:untitled|无标题|microsoft word\b.*|.*\.(?:docx?|wps|pdf))$", re.I)


class DocumentError(ValueError):
    """A document that has no text to read; the message says why, in Chinese, in one line."""


def read_document(suffix: str, raw: bytes) -> tuple[str | None, list[tuple[str, bool]], str | None]:
    """Title (from metadata), body lines (text, is_heading) and date (from metadata) of a PDF or DOCX file."""
    if suffix == ".pdf":
        return read_pdf(raw)
    return read_docx(raw)


def read_pdf(raw: bytes) -> tuple[str | None, list[tuple[str, bool]], str | None]:
    """The text of a PDF, page furniture removed and lines rejoined; raises DocumentError without a text layer."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(raw))
        if reader.is_encrypted:
            # Many portal PDFs are encrypted only against editing, with an empty password to open them.
            try:
                opened = reader.decrypt("")
            except Exception:  # pypdf raises assorted errors for ciphers it cannot handle
                opened = 0
            if not opened:
                raise DocumentError("PDF 已加密，需要密码才能打开，无法读取文字")
        pages = [(page.extract_text() or "") for page in reader.pages]
        info = reader.metadata or {}
        title = _clean_title(str(info.get("/Title") or ""))
        date = _pdf_date(str(info.get("/CreationDate") or ""))
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        raise DocumentError("PDF 文件已损坏，无法读取") from None
    page_lines = [[line.rstrip() for line in page.splitlines() if line.strip()] for page in pages]  # indents kept
    if sum(len(line) for lines in page_lines for line in lines) < 20:
        raise DocumentError("PDF 没有文字层（可能是扫描件），需要先做文字识别")
    lines = _drop_page_furniture(page_lines)
    return title, [(paragraph, False) for paragraph in rejoin_lines(lines)], date


def read_docx(raw: bytes) -> tuple[str | None, list[tuple[str, bool]], str | None]:
    """Paragraphs, headings and table rows (cells joined by ' | ') of a Word file, in order."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(BytesIO(raw))
    except (PackageNotFoundError, BadZipFile, ValueError, KeyError):
        raise DocumentError("不是有效的 Word（.docx）文件（旧的 .doc 格式请另存为 .docx）") from None
    except Exception:  # a damaged zip or XML raises errors from several libraries
        raise DocumentError("Word 文件已损坏，无法读取") from None
    title = _clean_title(document.core_properties.title or "")
    lines: list[tuple[str, bool]] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = _normalise(item.text)
            style = (item.style.name if item.style is not None else "") or ""
            if not text:
                continue
            if style == "Title" and title is None and not lines:
                title = text
                continue
            lines.append((text, style.startswith("Heading") or style == "Title"))
        elif isinstance(item, Table):
            for row in item.rows:
                cells = _row_cells(row)
                if cells:
                    lines.append((" | ".join(cells), False))
    if not lines:
        raise DocumentError("Word 文件里没有文字")
    # core_properties.created is the template's date as often as the document's: not used.
    return title, lines, None


def rejoin_lines(lines: list[str]) -> list[str]:
    """Lines wrapped at a column's edge joined back into paragraphs.

    A line ends its paragraph when it stops short of the column's width, when the next line is
    indented, or when it ends a sentence and the next line starts like a paragraph (一、, （一）,
    第一条); otherwise the next line continues it.
    """
    if not lines:
        return []
    full = sorted(len(line) for line in lines)[int(len(lines) * 0.9)]  # the width of a full line
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        text = line.strip(" \u3000")
        current = _join(current, text) if current else text
        following = lines[i + 1] if i + 1 < len(lines) else None
        if (following is None or len(line) < full * 0.8 or following.startswith(("\u3000", "  "))
                or (text[-1:] in _SENTENCE_END and _PARAGRAPH_START.match(following))):
            paragraphs.append(current)
            current = ""
    return [p for p in paragraphs if p]


def _drop_page_furniture(page_lines: list[list[str]]) -> list[str]:
    """All pages' lines without page numbers, and without the headers and footers: lines that
    stand at the same place from the top or the bottom on at least half of the pages."""
    def places(lines: list[str]):
        for i, line in enumerate(lines[:3]):
            yield i, _shape(line)
        for i, line in enumerate(reversed(lines[-3:])):
            yield -1 - i, _shape(line)

    repeated: set[tuple[int, str]] = set()
    if len(page_lines) >= 2:
        counts = Counter(place for lines in page_lines for place in set(places(lines)))
        repeated = {place for place, n in counts.items() if n >= max(2, (len(page_lines) + 1) // 2)}
    kept = []
    for lines in page_lines:
        for i, line in enumerate(lines):
            shape = _shape(line)
            if _PAGE_NUMBER.match(line) or (i, shape) in repeated or (i - len(lines), shape) in repeated:
                continue
            kept.append(line)
    return kept


def _shape(line: str) -> str:
    """A short line with its numbers blanked (第3页, a date), a long one as it is."""
    line = line.replace(" ", "")
    return re.sub(r"\d+", "#", line) if len(line) <= 30 else line


def split_title(title: str | None, lines: list[tuple[str, bool]]) -> tuple[str | None, list[tuple[str, bool]], str | None]:
    """The title (metadata, else the first heading-like line), the body without it, and a date line's date."""
    body = list(lines)
    # A notice's title names its kind (关于…的通知, …办法); what stands above it is the issuer's
    # letterhead (某某省人民政府办公厅文件) and the document number (某政办发〔2020〕12号).
    top = next((i for i, (text, _) in enumerate(body[:6]) if _NOTICE_TITLE.match(text.replace(" ", ""))), None)
    if top:
        del body[:top]
    while body and _DOCUMENT_NUMBER.match(body[0][0].replace(" ", "")):
        body.pop(0)
    if body and (body[0][1] or _looks_like_title(body[0][0])):
        first = body[0][0]
        if title is None or first.replace(" ", "") == title.replace(" ", ""):
            title = first
            body.pop(0)
    date = None
    for text, _ in reversed(body):
        # A notice ends with its issuing body and a date line on its own: the date of the notice.
        if len(text) <= 16 and DATE.fullmatch(text.replace(" ", "")):
            date = parse_date(text)[0]
            break
    return title, body, date


def _pdf_date(value: str) -> str | None:
    """D:20201009093000+08'00' gives 2020-10-09."""
    match = re.match(r"^(?:D:)?((?:19|20)\d{2})(\d{2})(\d{2})", value)
    return parse_date(f"{match[1]}-{match[2]}-{match[3]}")[0] if match else None


def _looks_like_title(line: str) -> bool:
    return 4 <= len(line) <= 60 and line[-1] not in "。！？!?；;，,："


def _clean_title(title: str) -> str | None:
    title = _normalise(title)
    return None if not title or _GENERIC_TITLE.match(title) else title


def _normalise(text: str) -> str:
    return re.sub(r"[ \t\u00a0]+", " ", text).strip(" \u3000\t\r\n")


def _row_cells(row) -> list[str]:
    cells: list[str] = []
    for cell in row.cells:
        text = _normalise(" ".join(cell.text.split()))
        if text and (not cells or cells[-1] != text):  # merged cells repeat their text
            cells.append(text)
    return cells


def _join(left: str, right: str) -> str:
    """Join two pieces of a wrapped line: no space between CJK characters, one between Latin words."""
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return left + " " + right
    return left + right
