"""Inline SVG charts: no JavaScript, no library, nothing from outside the page.

Each chart is an <svg role="img"> with a <title> and a <desc> that reads out every value, so a
screen reader gets the figures too. Labels and values are escaped.
"""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_COLOUR = "#b3261e"
TEXT_COLOUR = "#1f2328"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _number(value) -> str:
    value = float(value)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _desc(items) -> str:
    return "; ".join(f"{label}: {_number(value)}" for label, value in items)


def bar_chart(items: list[tuple[str, float]], *, title: str, label_width: int = 110) -> SafeString:
    """Horizontal bars, one row per (label, value)."""
    row, bar_area, value_area = 24, 200, 48
    width = label_width + bar_area + value_area
    height = max(row * len(items), row)
    top = max((float(value) for _, value in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="linli-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">',
        f"<title>{escape(title)}</title><desc>{escape(_desc(items))}</desc>",
    ]
    for index, (label, value) in enumerate(items):
        y = index * row
        bar = round(bar_area * float(value) / top, 1)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" fill="{TEXT_COLOUR}" '
            f"{FONT}>{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 5}" width="{bar}" height="14" rx="2" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{label_width + bar + 4}" y="{y + 16}" fill="{TEXT_COLOUR}" {FONT}>'
            f"{_number(value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every label and the title are escaped above


def column_chart(items: list[tuple[str, float]], *, title: str) -> SafeString:
    """Vertical columns, one per (label, value), e.g. months."""
    column, plot, label_row, value_row = 34, 120, 18, 16
    width = column * max(len(items), 1)
    height = value_row + plot + label_row
    top = max((float(value) for _, value in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="linli-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width * 2}px">',
        f"<title>{escape(title)}</title><desc>{escape(_desc(items))}</desc>",
    ]
    for index, (label, value) in enumerate(items):
        x = index * column
        bar = round(plot * float(value) / top, 1)
        y = value_row + plot - bar
        middle = x + column / 2
        parts.append(
            f'<rect x="{x + 5}" y="{y}" width="{column - 10}" height="{bar}" rx="2" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{middle}" y="{y - 3}" text-anchor="middle" fill="{TEXT_COLOUR}" '
            f"{FONT}>{_number(value) if value else ''}</text>"
            f'<text x="{middle}" y="{height - 4}" text-anchor="middle" fill="{TEXT_COLOUR}" '
            f"{FONT}>{escape(label)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every label and the title are escaped above
