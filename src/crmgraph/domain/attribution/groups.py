"""What a touch counts for when results are grouped: campaign, source, medium or channel."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from crmgraph.domain.attribution.journeys import Touchpoint

NO_CAMPAIGN = "(no campaign)"
DIRECT = "(direct)"
NO_MEDIUM = "(none)"


class GroupBy(StrEnum):
    CAMPAIGN = "campaign"
    SOURCE = "source"
    MEDIUM = "medium"
    CHANNEL = "channel"


_PAID = {"cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search"}
_SOCIAL_MEDIUM = {"social", "social-media", "social_media", "sm"}
_DISPLAY = {"display", "banner", "cpm"}
_EMAIL = {"email", "e-mail", "e_mail", "newsletter"}
_SEARCH_ENGINES = ("google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia")
_SOCIAL_SITES = ("facebook", "instagram", "linkedin", "twitter", "t.co", "x.com", "youtube",
                 "tiktok", "reddit", "pinterest")  # fmt: skip


def key_of(touch: Touchpoint, group_by: GroupBy) -> str:
    if group_by is GroupBy.CAMPAIGN:
        return touch.campaign_id or NO_CAMPAIGN
    if group_by is GroupBy.SOURCE:
        return _clean(touch.utm_source) or _host(touch.referrer) or DIRECT
    if group_by is GroupBy.MEDIUM:
        return _clean(touch.utm_medium) or ("referral" if touch.referrer else NO_MEDIUM)
    return channel_of(touch)


def channel_of(touch: Touchpoint) -> str:
    """The reader's channel, else one derived from utm medium/source and the referrer:
    paid_search, paid_social, display, email, organic_social, organic_search, referral,
    affiliates, direct (nothing at all), other."""
    if touch.channel:
        return touch.channel.strip().lower()
    medium = _clean(touch.utm_medium)
    source = _clean(touch.utm_source) or _host(touch.referrer) or ""
    social = any(site in source for site in _SOCIAL_SITES)
    if medium in _PAID:
        return "paid_social" if social else "paid_search"
    if medium in _DISPLAY:
        return "display"
    if medium in _EMAIL:
        return "email"
    if medium == "affiliate":
        return "affiliates"
    if medium in _SOCIAL_MEDIUM or (medium in (None, "referral") and social):
        return "organic_social"
    if medium == "organic" or (medium is None and any(e in source for e in _SEARCH_ENGINES)):
        return "organic_search"
    if medium == "referral" or (medium is None and source):
        return "referral"
    return "direct" if medium is None else "other"


def _clean(value: str | None) -> str | None:
    return value.strip().lower() or None if value else None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return host.removeprefix("www.") if host else None
