"""PDF and DOCX files made the way portals publish notices: reportlab's STSong-Light (a CJK CID
font that is not embedded), text wrapped at the column edge, running headers, footers and page
numbers, one or two columns; and Word files with headings and a table."""

from __future__ import annotations

from io import BytesIO

PDF_FONT = "STSong-Light"


def wrap(text: str, width: int) -> list[str]:
    """Cut a paragraph into lines of `width` characters, as a typesetter fills a column."""
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def make_pdf(paragraphs: list[str], *, title: str | None = None, heading: str | None = None,
             header: str | None = None, footer: str | None = None, columns: int = 1,
             lines_per_page: int = 30, encrypt: str | None = None) -> bytes:
    """A PDF of the paragraphs (indented first lines, wrapped), with a running header and page numbers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt, invariant=1)
    if title:
        pdf.setTitle(title)
    width, height = A4
    size, leading = 11, 16
    column_width = (width - 144 - 24 * (columns - 1)) / columns
    chars = int(column_width // size)
    lines: list[tuple[str, int]] = []  # (text, font size)
    if heading:
        lines += [(heading, 16), ("", size)]
    for paragraph in paragraphs:
        lines += [(line, size) for line in wrap("\u3000\u3000" + paragraph, chars)]
    page, position = 1, 0
    per_page = lines_per_page * columns

    def furniture() -> None:
        pdf.setFont(PDF_FONT, 9)
        if header:
            pdf.drawString(72, height - 50, header)
            pdf.line(72, height - 54, width - 72, height - 54)
        if footer:
            pdf.drawString(72, 40, footer)
        pdf.drawCentredString(width / 2, 28, f"— {page} —")

    furniture()
    for text, font_size in lines:
        if position == per_page:
            pdf.showPage()
            page, position = page + 1, 0
            furniture()
        column, row = divmod(position, lines_per_page)
        pdf.setFont(PDF_FONT, font_size)
        x = 72 + column * (column_width + 24)
        if font_size > size:
            pdf.drawCentredString(width / 2, height - 90 - row * leading, text)
        else:
            pdf.drawString(x, height - 90 - row * leading, text)
        position += 1
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_scanned_pdf() -> bytes:
    """A page with only a drawn picture and no text layer, like a scanned notice."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for i in range(40):
        pdf.rect(72 + i * 5, 600 - i * 8, 300, 4, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(title: str, paragraphs: list[str], *, heading: str | None = None,
              table: list[list[str]] | None = None, after_table: str | None = None,
              core_title: str | None = None) -> bytes:
    """A Word file: a title paragraph styled Title, an optional Heading 1, paragraphs and a table."""
    from docx import Document

    document = Document()
    if core_title:
        document.core_properties.title = core_title
    document.add_paragraph(title, style="Title")
    for i, paragraph in enumerate(paragraphs):
        if heading and i == 1:
            document.add_heading(heading, level=1)
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table):
            for cell, text in zip(row.cells, cells):
                cell.text = text
    if after_table:
        document.add_paragraph(after_table)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
