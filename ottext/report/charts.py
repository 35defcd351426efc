"""Small inline SVG charts, so the report is one self-contained file that needs no script."""

from __future__ import annotations

from html import escape


def bar_chart(labels: list[str], values: list[float], title: str, width: int = 640, unit: str = "") -> str:
    """A horizontal bar chart."""
    row, left, right = 24, 190, 60
    height = row * len(labels) + 40
    top = max(values) if values and max(values) > 0 else 1
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 30 + i * row
        w = (width - left - right) * value / top
        bars.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" class="lbl">{escape(label)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="#4c72b0">'
            f"<title>{escape(label)}: {value:g}{unit}</title></rect>"
            f'<text x="{left + w + 5:.1f}" y="{y + 15}" class="val">{value:g}{unit}</text>')
    return (f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}"><text x="0" y="16" class="ttl">{escape(title)}</text>'
            + "".join(bars) + "</svg>")


def heatmap(rows: list[str], cols: list[str], matrix: list[list[float]], title: str, fmt: str = "{:g}") -> str:
    """A heatmap with the value in each cell (darker = higher)."""
    cell, left, top = 34, 190, 150
    width, height = left + cell * len(cols) + 90, top + cell * len(rows) + 10
    peak = max((v for r in matrix for v in r), default=0) or 1
    parts = [f'<text x="0" y="16" class="ttl">{escape(title)}</text>']
    for j, c in enumerate(cols):
        x = left + j * cell + cell / 2
        parts.append(f'<text x="{x}" y="{top - 6}" transform="rotate(-60 {x} {top - 6})" class="lbl">'
                     f"{escape(c)}</text>")
    for i, r in enumerate(rows):
        y = top + i * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4}" text-anchor="end" class="lbl">{escape(r)}</text>')
        for j, v in enumerate(matrix[i]):
            shade = 1 - 0.85 * (v / peak)
            colour = f"rgb({int(76 + 179 * shade)},{int(114 + 141 * shade)},{int(176 + 79 * shade)})"
            text_colour = "#fff" if v / peak > 0.55 else "#222"
            parts.append(f'<rect class="cell" x="{left + j * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                         f'fill="{colour}"><title>{escape(r)} x {escape(cols[j])}: {fmt.format(v)}</title></rect>'
                         f'<text x="{left + j * cell + cell / 2 - 1}" y="{y + cell / 2 + 3}" text-anchor="middle" '
                         f'class="num" fill="{text_colour}">{fmt.format(v)}</text>')
    return (f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">' + "".join(parts) + "</svg>")
