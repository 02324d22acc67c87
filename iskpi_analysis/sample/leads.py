"""Leads: which lead each call is about, where leads come from, when they were created, and the
appointments and SQLs they produce.

Effects planted here (package docstring, 6): lead sources and segments by role, the SDR response
delay, the source and slow-response shifts of the appointment logit, MQL and SQL dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calls import Calls
from .params import (
    BASE_RATE,
    BDR_SEGMENTS,
    BDR_SOURCES,
    FIRST_TOUCH_SHARE,
    FOLLOWUP_MEAN_BACK,
    SDR_SEGMENTS,
    SDR_SOURCES,
    SEGMENTS,
    SLOW_RESPONSE_APPT_LOGIT,
    SOURCE_APPT_LOGIT,
    SQL,
    geometric_back,
    logit,
    sigmoid,
)
from .roster import Rep
from .timebase import to_timestamps

__all__ = [
    "LeadLinks",
    "Leads",
    "LeadOrder",
    "link_calls_to_leads",
    "draw_leads",
    "draw_appointments",
    "funnel_dates",
    "lead_order",
    "leads_frame",
]


@dataclass(frozen=True)
class LeadLinks:
    """Which lead each call is about (lead index ``0 … n_leads-1``, numbered rep by rep).

    Attributes
    ----------
    call_lead : numpy.ndarray
        Lead index of each call.
    rep : numpy.ndarray
        Owner (rep index) of each lead.
    first_call : numpy.ndarray
        The call that first touched each lead.
    times_by_rep : dict
        ``rep index → (first-touch seconds of the rep's leads, index of the rep's first lead)``,
        for e-mails to pick a lead already touched.
    """

    call_lead: np.ndarray
    rep: np.ndarray
    first_call: np.ndarray
    times_by_rep: dict


def link_calls_to_leads(rng, reps: list[Rep], calls: Calls) -> LeadLinks:
    """Per rep, a share of calls opens a new lead; the others follow up a recent lead of the rep."""
    nc = len(calls.secs)
    call_lead = np.full(nc, -1, np.int64)
    lead_rep, lead_first_call = [], []
    lead_counter = 0
    times_by_rep = {}
    for r, rp in enumerate(reps):
        idx = np.flatnonzero(calls.rep == r)
        if len(idx) == 0:
            times_by_rep[r] = (np.zeros(0), 0)
            continue
        ft = rng.random(len(idx)) < FIRST_TOUCH_SHARE[rp.role]
        ft[0] = True
        ft_pos = np.flatnonzero(ft)
        nl = len(ft_pos)
        ids = lead_counter + np.arange(nl)
        # follow-ups: a lead first touched before this call, recency-weighted
        j = np.searchsorted(ft_pos, np.arange(len(idx)), side="right") - 1  # latest lead so far
        back = geometric_back(rng, len(idx), FOLLOWUP_MEAN_BACK)
        pick = np.clip(j - back, 0, None)
        pick[ft_pos] = np.arange(nl)
        call_lead[idx] = ids[pick]
        lead_rep.append(np.full(nl, r))
        lead_first_call.append(idx[ft_pos])
        times_by_rep[r] = (calls.secs[idx[ft_pos]], lead_counter)
        lead_counter += nl
    return LeadLinks(call_lead, np.concatenate(lead_rep), np.concatenate(lead_first_call), times_by_rep)


@dataclass(frozen=True)
class Leads:
    """Attributes of each lead (lead index order, as :class:`LeadLinks`).

    Attributes
    ----------
    is_sdr : numpy.ndarray
        Owned by an SDR (inbound lead).
    source : numpy.ndarray
        Lead source (``inbound_form``, ``webinar``, ``event``, ``referral``, ``list``).
    seg : numpy.ndarray
        Segment index into :data:`~.params.SEGMENTS`.
    created : numpy.ndarray
        Local seconds of creation.
    slow : numpy.ndarray
        An SDR lead first touched more than an hour after creation.
    """

    is_sdr: np.ndarray
    source: np.ndarray
    seg: np.ndarray
    created: np.ndarray
    slow: np.ndarray


def _response_delay(rng, nl: int) -> np.ndarray:
    """Seconds from an inbound lead's creation to its first call: 70 % fast, 20 % hours, 10 % a day."""
    comp = rng.choice(3, nl, p=[0.70, 0.20, 0.10])
    delay = np.where(
        comp == 0,
        rng.exponential(20 * 60, nl),
        np.where(
            comp == 1, np.exp(rng.normal(np.log(2 * 3600), 0.8, nl)), np.exp(rng.normal(np.log(20 * 3600), 0.7, nl))
        ),
    )
    return np.maximum(np.rint(delay), 30)


def draw_leads(rng, reps: list[Rep], calls: Calls, links: LeadLinks) -> Leads:
    """Draw each lead's source, segment and creation time (inbound: before the first call by the delay)."""
    nl = len(links.rep)
    role_rep = np.array([rp.role for rp in reps])
    lead_is_sdr = role_rep[links.rep] == "SDR"
    src_sdr = rng.choice(list(SDR_SOURCES), nl, p=list(SDR_SOURCES.values()))
    src_bdr = rng.choice(list(BDR_SOURCES), nl, p=list(BDR_SOURCES.values()))
    lead_source = np.where(lead_is_sdr, src_sdr, src_bdr)
    seg = np.where(lead_is_sdr, rng.choice(3, nl, p=SDR_SEGMENTS), rng.choice(3, nl, p=BDR_SEGMENTS))
    ft_sec = calls.secs[links.first_call].astype(float)
    delay = _response_delay(rng, nl)
    bdr_created = (np.floor(ft_sec / 86400) - rng.integers(0, 15, nl)) * 86400 + 9 * 3600
    rep_start = np.array([max(rp.joined, rp.team.start).value // 1_000_000_000 + 9 * 3600 for rp in reps], dtype=float)
    bdr_created = np.minimum(np.maximum(bdr_created, rep_start[links.rep]), ft_sec - 60)
    # inbound leads are not created before the owner's first day (delay shortened if needed)
    lead_created = np.where(lead_is_sdr, np.maximum(ft_sec - delay, rep_start[links.rep] - 9 * 3600), bdr_created)
    slow = lead_is_sdr & (ft_sec - lead_created > 3600)
    return Leads(lead_is_sdr, lead_source, seg, lead_created, slow)


def draw_appointments(rng, calls: Calls, links: LeadLinks, leads: Leads) -> np.ndarray:
    """Appointment per call: a valid conversation, source and response-time effects, first per lead only."""
    cl = links.call_lead
    base_a = np.where(calls.is_sdr, logit(BASE_RATE["SDR"]["appointment"]), logit(BASE_RATE["BDR"]["appointment"]))
    src_l = np.array([SOURCE_APPT_LOGIT[s] for s in leads.source])
    p_app = sigmoid(base_a + calls.eff + calls.trend + src_l[cl] + SLOW_RESPONSE_APPT_LOGIT * leads.slow[cl])
    appt_raw = calls.valid & (rng.random(len(cl)) < p_app)
    ai = np.flatnonzero(appt_raw)
    _, first_ai = np.unique(cl[ai], return_index=True)  # calls are time-sorted
    appointment = np.zeros(len(cl), bool)
    appointment[ai[first_ai]] = True
    return appointment


def funnel_dates(rng, reps: list[Rep], calls: Calls, links: LeadLinks, leads: Leads, appointment: np.ndarray):
    """``(sql, mql)`` local seconds per lead (NaN = none): SQL at the appointment call when the
    appointment qualifies the lead (P = sigmoid(logit(0.42) + 0.5 × the team's deal quality + the
    call's skill offset + the team's conversion trend that day), ``params.SQL``); MQL for 80 % of inbound leads 1-10 min
    after creation, else at the SQL."""
    nl = len(leads.source)
    lead_sql = np.full(nl, np.nan)
    appt_calls = np.flatnonzero(appointment)
    team_q = np.array([rp.team.deal_quality for rp in reps])[links.rep[links.call_lead[appt_calls]]]
    # a skilled rep (the call's skill offset) and a learning team (conversion_trend) also book
    # better-qualified meetings: both act on this logit too, so they reach deals per lead
    logit_sql = logit(SQL["p_given_appointment"]) + SQL["deal_quality_logit"] * team_q
    p_sql = sigmoid(logit_sql + calls.trend[appt_calls] + calls.eff[appt_calls])
    appt_calls = appt_calls[rng.random(len(appt_calls)) < p_sql]
    lead_sql[links.call_lead[appt_calls]] = calls.secs[appt_calls]
    inbound = leads.source != "list"
    has_mql = inbound & (rng.random(nl) < 0.80)
    lead_mql = np.where(has_mql, leads.created + rng.integers(60, 601, nl), np.nan)
    lead_mql = np.where(np.isnan(lead_mql) & ~np.isnan(lead_sql), lead_sql, lead_mql)
    return lead_sql, lead_mql


@dataclass(frozen=True)
class LeadOrder:
    """Lead ids ``L0000001``… in creation order.

    Attributes
    ----------
    order : numpy.ndarray
        Lead indices sorted by creation time (stable).
    rank : numpy.ndarray
        Position of each lead index in that order.
    ids : numpy.ndarray
        The ids, by position.
    """

    order: np.ndarray
    rank: np.ndarray
    ids: np.ndarray

    def id_of(self, lead):
        """The id of each lead index in ``lead``."""
        return self.ids[self.rank[lead]]


def lead_order(created: np.ndarray) -> LeadOrder:
    """Number the leads in creation order."""
    nl = len(created)
    lorder = np.argsort(created, kind="stable")
    lrank = np.empty(nl, np.int64)
    lrank[lorder] = np.arange(nl)
    return LeadOrder(lorder, lrank, np.array([f"L{i + 1:07d}" for i in range(nl)], dtype=object))


def leads_frame(leads: Leads, links: LeadLinks, order: LeadOrder, rep_ids, sql, mql) -> pd.DataFrame:
    """The ``leads`` table, in creation order."""
    o = order.order
    return pd.DataFrame(
        {
            "lead_id": pd.array(order.ids, dtype="str"),
            "created_at": to_timestamps(leads.created[o]),
            "source": pd.array(leads.source[o], dtype="str"),
            "segment": pd.array(np.array(SEGMENTS)[leads.seg[o]], dtype="str"),
            "owner_rep_id": pd.array(rep_ids[links.rep[o]], dtype="str"),
            "mql_at": to_timestamps(mql[o]),
            "sql_at": to_timestamps(sql[o]),
        }
    )
