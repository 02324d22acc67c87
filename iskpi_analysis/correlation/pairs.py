"""Which KPIs 03 pairs, and which pairs are tied by arithmetic rather than behaviour.

A rate against its own numerator (or a count below it in the funnel), against a count that
feeds its denominator through a derived count, or two sides sharing a count: see
:func:`mechanical_kind`. :data:`ARITHMETIC_KINDS` are never claimed.
"""

from __future__ import annotations

from .. import kpis

__all__ = [
    "ACTIVITY_KPIS",
    "EFFICIENCY_KPIS",
    "KGI_KPIS",
    "MECHANICAL_KINDS",
    "ARITHMETIC_KINDS",
    "mechanical_kind",
    "is_mechanical",
]

#: Activity (behavioural) KPIs: counts per rep-period.
ACTIVITY_KPIS = ("calls", "connects", "valid_conversations", "emails_sent", "appointments")
#: Efficiency (tactical) KPIs: rates, each a ratio of sums of two count columns.
EFFICIENCY_KPIS = ("connect_rate", "conversation_rate", "appointment_rate", "deal_conversion", "email_reply_rate")
#: The KGI: what the KPIs are supposed to move.
KGI_KPIS = ("deals_created", "deal_amount_jpy")

#: Columns that are computed from other counts: a deal amount is a sum over the deals created;
#: leads handled are the distinct leads a rep called or e-mailed, so calls and e-mails drive the
#: denominator of deal conversion.
_DERIVED_FROM = {"deal_amount_jpy": ("deals_created",), "leads_handled": ("calls", "emails_sent")}
#: Funnel subsets: each count is a subset of its parent (a connect is a call that reached the
#: person, a valid conversation a connect of 2 minutes or more, a deal an appointment handed to
#: field sales, …), so it scales with every count above it.
_FUNNEL_PARENT = {
    "connects": "calls",
    "valid_conversations": "connects",
    "appointments": "valid_conversations",
    "deals_created": "appointments",
    "decision_maker_connects": "connects",
    "emails_opened": "emails_sent",
    "emails_clicked": "emails_sent",
    "emails_replied": "emails_sent",
}
MECHANICAL_KINDS = ("numerator", "denominator", "proxy", "shared", "")
#: Kinds whose relation is arithmetic by construction (not a question about behaviour): never a
#: headline, a findings sentence about behaviour, or target advice (tables show them, marked).
ARITHMETIC_KINDS = ("numerator", "proxy", "shared")


def _kpi(kpi_id: str):
    return kpis.all_kpis().get(kpi_id)


def _expand(count: str) -> set[str]:
    """A count and the counts it is computed from (not its funnel parents)."""
    out = {count}
    for d in _DERIVED_FROM.get(count, ()):
        out |= _expand(d)
    return out


def _ancestry(count: str) -> set[str]:
    """A count, what it is computed from, and every funnel count above them."""
    out = set()
    for c in _expand(count):
        while c is not None:
            out |= _expand(c)
            c = _FUNNEL_PARENT.get(c)
    return out


def _count_vs_rate(count: str, rate, funnel: bool) -> str:
    num, den = rate.numerator, rate.denominator
    if count in _expand(num) or num in _expand(count):
        return "numerator"
    if count in _expand(den):
        return "denominator" if count == den else "proxy"
    if not funnel:
        return ""
    anc_count, anc_num = _ancestry(count), _ancestry(num)
    if num in anc_count:  # the count lies below the numerator: it grows with it
        return "numerator"
    if count in anc_num:  # the numerator lies below the count: it grows with the count …
        # … unless the denominator sits between them and takes the count's scale out again
        # (calls against conversation rate = valid conversations / connects).
        between = den in anc_num and count in _ancestry(den)
        return "" if between else "numerator"
    if den in anc_count:
        return "denominator"
    return ""


def mechanical_kind(x: str, y: str, *, funnel: bool = True) -> str:
    """How a pair is tied by arithmetic rather than behaviour.

    'numerator'
        One side is a rate and the other grows with its numerator by construction: connects
        against connect rate, valid conversations (a subset of connects) against connect rate,
        appointments against deal conversion (deals come out of appointments). Positive by
        construction; says nothing about behaviour.
    'denominator'
        One side is a rate and the other is its denominator: calls against connect rate, the
        volume–efficiency question itself. The numerator counts outcomes of the denominator's
        own trials in the same period (connects are calls that connected), so without a real
        effect the rate does not move with the count; reported and claimable, with a caution.
    'proxy'
        One side is a rate and the other feeds its denominator through a derived count: calls
        and e-mails against deal conversion (deals / distinct leads handled, and leads handled
        ≈ leads called). How many distinct leads a day's calls reach, and when the deals of those
        leads appear, move the rate with the count by construction: arithmetic, never claimed.
    'shared'
        Two counts built from a common count (deal amount and deals created), or two rates
        with a common part.
    ''
        No shared count.

    ``funnel=False`` ignores funnel subsets and looks only at the counts a KPI is computed from;
    :func:`kpi_correlations` uses it for KPI × KGI pairs, where "do connects turn into deals?" is
    the question asked, not an artefact.

    Returns
    -------
    One of :data:`MECHANICAL_KINDS`.
    """
    kx, ky = _kpi(x), _kpi(y)
    rate_x, rate_y = bool(kx and kx.is_rate), bool(ky and ky.is_rate)
    if rate_x and rate_y:
        parts = lambda k: _expand(k.numerator) | _expand(k.denominator)  # noqa: E731
        return "shared" if parts(kx) & parts(ky) else ""
    if rate_x or rate_y:
        return _count_vs_rate(y if rate_x else x, kx if rate_x else ky, funnel)
    return "shared" if _expand(x) & _expand(y) else ""


def is_mechanical(x: str, y: str) -> bool:
    """True when the pair shares a count (a rate against its own numerator or denominator)."""
    return mechanical_kind(x, y) != ""


def _denominator(kpi_id: str) -> str | None:
    k = _kpi(kpi_id)
    return k.denominator if k is not None and k.is_rate else None
