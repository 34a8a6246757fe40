"""Plain sentences read off a report's numbers, for people deciding where the budget goes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmgraph.domain.attribution.report import GroupAttribution, Summary

# A funnel needs this many leads before its conversion rate is worth a sentence.
MIN_LEADS = 5


def insights_of(groups: Sequence[GroupAttribution], summary: Summary) -> tuple[str, ...]:
    """`groups` largest revenue first. Each rule adds at most one sentence, in this order."""
    out: list[str] = []
    earning = [g for g in groups if g.total_attributed > 0]
    for opener in (False, True):
        found = next((text for g in groups if (text := _lopsided(g, opener=opener))), None)
        if found:
            out.append(found)
    with_roi = sorted(
        (g for g in earning if g.roi is not None), key=lambda g: (-(g.roi or 0), g.key)
    )
    if with_roi:
        best = with_roi[0]
        out.append(f"Increase budget for '{best.label}' (highest ROI: {best.roi:.1f}x its budget).")
    rated = [
        g for g in groups if g.funnel.leads >= MIN_LEADS and g.funnel.conversion_rate is not None
    ]
    if len(rated) >= 2:
        worst = min(rated, key=lambda g: (g.funnel.conversion_rate or 0.0, g.key))
        rate = worst.funnel.conversion_rate or 0.0
        mean = sum(g.funnel.conversion_rate or 0.0 for g in rated) / len(rated)
        if rate < mean:
            out.append(f"Investigate the low conversion rate of '{worst.label}': {rate:.1f}% of "
                       f"its leads were won, against {mean:.1f}% on average.")  # fmt: skip
    if summary.unattributed_revenue > 0 and summary.total_revenue > 0:
        share = summary.unattributed_revenue * 100 / summary.total_revenue
        out.append(f"{share:.1f}% of revenue ({summary.unattributed_revenue}) is unattributed: "
                   "direct referrals without tracking, offline interactions, or touches left "
                   "out as indirect.")  # fmt: skip
    return tuple(out)


def _lopsided(g: GroupAttribution, *, opener: bool) -> str | None:
    """A group whose revenue share is at least twice its first-touch share, or the reverse."""
    revenue, first = g.attribution_percentage, g.first_touch_percentage
    big, small = (first, revenue) if opener else (revenue, first)
    if big < (20 if opener else 10) or small * 2 > big:
        return None
    if opener:
        return (f"{g.label} is the first touch of {first:.1f}% of converting journeys but "
                f"gets only {revenue:.1f}% of attributed revenue: it opens more than it "
                "closes.")  # fmt: skip
    return (f"{g.label} drives {revenue:.1f}% of attributed revenue but is the first touch of "
            f"only {first:.1f}% of converting journeys: it closes more than it opens.")  # fmt: skip
