"""The front page's chart, drawn on the server as SVG: unmatched amounts by age bucket, one
bar per bucket stacked by system, for one currency; no JavaScript, readable without colour
(every segment has a label and a title)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from api.services.unmatched import AGE_BUCKETS, UnmatchedTotal
from api.ui.formatting import money

SYSTEM_COLOURS = {
    "kashflow": "#2f6fb0",
    "sage100": "#2e8b57",
    "ecommerce": "#b26a00",
    "gateway": "#7a4eb0",
}
OTHER_COLOUR = "#777777"
WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 16, 56


@dataclass(frozen=True)
class Segment:
    bucket: str
    system: str
    amount: Decimal
    items: int


def segments(totals: list[UnmatchedTotal], currency: str) -> list[Segment]:
    return [
        Segment(t.age_bucket or "", t.system or "", t.amount_open, t.items)
        for t in totals
        if t.currency == currency and t.age_bucket and t.system
    ]


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above `value`, for the axis."""
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1
    base = Decimal(10) ** exponent
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= base * step:
            return base * step
    return base * 10


def age_chart(totals: list[UnmatchedTotal], currency: str) -> Markup:
    """An SVG bar chart of `currency`'s unmatched amounts: age buckets across, systems stacked."""
    parts = segments(totals, currency)
    systems = sorted({p.system for p in parts})
    by_bucket = {b: [p for p in parts if p.bucket == b] for b in AGE_BUCKETS}
    peak = max((sum((p.amount for p in ps), Decimal(0)) for ps in by_bucket.values()),
               default=Decimal(0))  # fmt: skip
    ceiling = _nice_ceiling(peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(AGE_BUCKETS)
    bar_w = slot * 0.56
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="Unmatched {escape(currency)} by age and system"'
        ' xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(5):
        value = ceiling * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
                   ' class="grid"/>')  # fmt: skip
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                   f"{int(value):,}</text>")  # fmt: skip
    for index, (bucket, bucket_parts) in enumerate(by_bucket.items()):
        x = LEFT + slot * index + (slot - bar_w) / 2
        base: float = TOP + plot_h
        total = Decimal(0)
        for part in sorted(bucket_parts, key=lambda p: systems.index(p.system)):
            h = float(part.amount / ceiling) * plot_h if ceiling else 0.0
            base -= h
            total += part.amount
            colour = SYSTEM_COLOURS.get(part.system, OTHER_COLOUR)
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}"'
                f' fill="{colour}"><title>{escape(part.system)}, {escape(bucket)} days:'
                f" {escape(money(part.amount, currency))} in {part.items} items</title></rect>"
            )
        label_y = TOP + plot_h + 18
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{label_y}" class="axis"'
                   f' text-anchor="middle">{escape(bucket)} days</text>')  # fmt: skip
        if total:
            label = escape(money(total, currency))
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - 5:.1f}" class="value"'
                       f' text-anchor="middle">{label}</text>')  # fmt: skip
    legend_x = LEFT
    for system in systems:
        colour = SYSTEM_COLOURS.get(system, OTHER_COLOUR)
        out.append(f'<rect x="{legend_x}" y="{HEIGHT - 18}" width="12" height="12"'
                   f' fill="{colour}"/>')  # fmt: skip
        out.append(f'<text x="{legend_x + 17}" y="{HEIGHT - 8}" class="axis">'
                   f"{escape(system)}</text>")  # fmt: skip
        legend_x += 110
    out.append("</svg>")
    return Markup("".join(out))
