"""The certificate as a PDF (A4): the four groups of facts, the lines, the total, the remarks,
its status, and a QR code of its verification page with the address printed beside it.

Chinese renders with ReportLab's built-in CID font STSong-Light: the reader's PDF viewer
supplies the glyphs, so nothing is downloaded or shipped. Labels are translated in the active
language; a revoked certificate says so in large letters on every page.
"""

import io
from xml.sax.saxutils import escape

import qrcode
import qrcode.constants
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import selectors, services
from .idnumbers import IdType
from .models import Certificate

FONT = "STSong-Light"
QR_SIZE = 32 * mm


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles(font):
    return {
        "title": ParagraphStyle(
            "title", fontName=font, fontSize=22, leading=30, alignment=TA_CENTER, spaceAfter=4
        ),
        "number": ParagraphStyle(
            "number", fontName=font, fontSize=11, leading=16, alignment=TA_CENTER
        ),
        "revoked": ParagraphStyle(
            "revoked",
            fontName=font,
            fontSize=20,
            leading=28,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#b3261e"),
            borderColor=colors.HexColor("#b3261e"),
            borderWidth=2,
            borderPadding=6,
            spaceBefore=6,
            spaceAfter=10,
        ),
        "heading": ParagraphStyle(
            "heading", fontName=font, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=10.5, leading=14),
        "label": ParagraphStyle(
            "label", fontName=font, fontSize=9.5, leading=13, textColor=colors.HexColor("#555555")
        ),
        "small": ParagraphStyle("small", fontName=font, fontSize=9, leading=12),
        "seal": ParagraphStyle("seal", fontName=font, fontSize=11, leading=16, alignment=TA_RIGHT),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _date(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
        value = value.date()
    return formats.date_format(value, "DATE_FORMAT")


def _hours(value) -> str:
    return formats.number_format(value.normalize() if hasattr(value, "normalize") else value)


def _facts(rows, styles, *, wide=()) -> Table:
    """Label / value pairs, two pairs a row; the pairs in `wide` (long texts) take a whole
    row each, after the others."""
    cell, label_style = styles["cell"], styles["label"]
    pairs = [(label, value) for label, value in rows if label not in wide]
    data, spans = [], []
    for i in range(0, len(pairs), 2):
        row = []
        for label, value in pairs[i : i + 2]:
            row += [_p(label, label_style), _p(value, cell)]
        data.append(row + [""] * (4 - len(row)))
    for label, value in rows:
        if label in wide:
            spans.append(("SPAN", (1, len(data)), (3, len(data))))
            data.append([_p(label, label_style), _p(value, cell), "", ""])
    table = Table(data, colWidths=[26 * mm, 61 * mm, 26 * mm, None])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                *spans,
            ]
        )
    )
    return table


def qr_drawing(data: str, size: float = QR_SIZE) -> Drawing:
    """The QR code of `data` as vector squares (qrcode computes the matrix)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    cells = len(matrix)
    cell = size / cells
    drawing = Drawing(size, size)
    drawing.add(Rect(0, 0, size, size, fillColor=colors.white, strokeColor=None))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                drawing.add(
                    Rect(
                        x * cell,
                        size - (y + 1) * cell,
                        cell,
                        cell,
                        fillColor=colors.black,
                        strokeColor=None,
                    )
                )
    return drawing


def render(certificate: Certificate, *, lines, id_number: str, verify_url: str) -> bytes:
    """The PDF of an issued (or revoked) certificate. `id_number` is the full document number
    (services.certificate_id_number, which audits staff reads); `verify_url` is absolute."""
    font = _font()
    styles = _styles(font)
    status = certificate.current_status
    revoked = status == Certificate.Status.REVOKED
    title = _("Volunteer service record certificate")
    revoked_mark = _("REVOKED")
    buffer = io.BytesIO()

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(
            doc.leftMargin,
            10 * mm,
            _("%(number)s · page %(page)d") % {"number": certificate.number, "page": doc.page},
        )
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, verify_url)
        if revoked:
            canvas.setFont(font, 72)
            canvas.setFillColor(colors.HexColor("#b3261e"), alpha=0.18)
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, revoked_mark)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        subject=certificate.number or "",
        author=certificate.issuer_name,
    )
    story = [
        _p(title, styles["title"]),
        _p(_("No. %(number)s") % {"number": certificate.number}, styles["number"]),
    ]
    if revoked:
        story.append(
            _p(
                _("%(mark)s on %(date)s: %(reason)s")
                % {
                    "mark": revoked_mark,
                    "date": _date(certificate.revoked_at),
                    "reason": certificate.revoke_reason,
                },
                styles["revoked"],
            )
        )

    verify = Table(
        [
            [
                qr_drawing(verify_url),
                [
                    _p(_("Check this certificate"), styles["cell"]),
                    _p(
                        _(
                            "Scan the code or open the address below to see whether this "
                            "certificate is valid."
                        ),
                        styles["small"],
                    ),
                    _p(verify_url, styles["small"]),
                ],
            ]
        ],
        colWidths=[QR_SIZE + 4 * mm, None],
    )
    verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [verify, Spacer(1, 2 * mm)]

    id_type = IdType(certificate.holder_id_type).label if certificate.holder_id_type else ""
    story += [
        _p(_("The volunteer"), styles["heading"]),
        _facts(
            [
                (_("Name"), certificate.holder_name),
                (_("Identity document"), id_type),
                (_("Document number"), id_number),
                (_("National volunteer number"), certificate.holder_volunteer_number or "—"),
            ],
            styles,
        ),
        _p(_("The service"), styles["heading"]),
        _facts(
            [
                (
                    _("Period"),
                    _("%(start)s to %(end)s")
                    % {
                        "start": _date(certificate.period_start),
                        "end": _date(certificate.period_end),
                    },
                ),
                (_("Total hours"), _hours(certificate.total_hours)),
            ],
            styles,
        ),
        Spacer(1, 3 * mm),
    ]
    header = [
        _p(_("Date"), styles["cell"]),
        _p(_("Task or activity"), styles["cell"]),
        _p(_("Team"), styles["cell"]),
        _p(_("Hours"), styles["cell"]),
    ]
    rows = [header]
    for line in lines:
        rows.append(
            [
                _p(_date(line.date), styles["cell"]),
                _p(line.title, styles["cell"]),
                _p(line.team_name or "—", styles["cell"]),
                _p(_hours(line.hours), styles["cell"]),
            ]
        )
    rows.append(
        [
            _p("", styles["cell"]),
            _p(_("Total"), styles["cell"]),
            _p("", styles["cell"]),
            _p(_hours(certificate.total_hours), styles["cell"]),
        ]
    )
    table = Table(rows, colWidths=[28 * mm, None, 50 * mm, 22 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f5f5f5")),
            ]
        )
    )
    story.append(table)
    story += [
        _p(_("The issuer"), styles["heading"]),
        _facts(
            [
                (_("Issued by"), certificate.issuer_name),
                (_("Person in charge"), certificate.person_in_charge or "—"),
                (_("Handled by"), certificate.handler_name or "—"),
                (_("Contact"), certificate.contact or "—"),
            ],
            styles,
        ),
        _p(_("The certificate"), styles["heading"]),
        _facts(
            [
                (_("Certificate number"), certificate.number),
                (_("Date of issue"), _date(certificate.issued_at)),
                (_("Status"), certificate.get_current_status_display()),
                (_("On public notice until"), _date(certificate.publicity_until)),
                (_("Remarks"), certificate.remarks or "—"),
            ],
            styles,
            wide=(_("Remarks"),),
        ),
        Spacer(1, 10 * mm),
        _p(
            _("Issuer (seal): %(issuer)s        Date: %(date)s")
            % {"issuer": certificate.issuer_name, "date": _date(certificate.issued_at)},
            styles["seal"],
        ),
    ]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def download(request, certificate: Certificate) -> HttpResponse:
    """The PDF of an issued certificate as a reply to `request` (page and API alike); a staff
    member's download is audited (services.certificate_id_number)."""
    id_number = services.certificate_id_number(actor=request.user, certificate=certificate)
    content = render(
        certificate,
        lines=list(selectors.lines(certificate=certificate)),
        id_number=id_number,
        verify_url=request.build_absolute_uri(certificate.verify_path()),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
