"""E-mails (package docstring, effect 7): Poisson per rep-day, to a lead the rep already called;
opens, clicks and replies with fixed rates; events after the data's end are missing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .leads import LeadLinks, LeadOrder
from .params import EMAIL, geometric_back
from .roster import RepDays
from .timebase import Calendar, to_timestamps

__all__ = ["Emails", "draw_emails", "emails_frame"]

#: e-mails pick a lead ~geometric(mean 15) leads back among those the rep had called before
EMAIL_MEAN_BACK = 15


@dataclass(frozen=True)
class Emails:
    """Every e-mail, sorted by time then rep (parallel arrays; times in local seconds).

    Attributes
    ----------
    rep : numpy.ndarray
        Sender (rep index).
    sec : numpy.ndarray
        Sent.
    lead : numpy.ndarray
        Lead index (-1 = none: the rep had called no lead yet).
    opened, clicked, replied : numpy.ndarray
        Whether each event happens (before cutting at the data's end).
    o_sec, c_sec, r_sec : numpy.ndarray
        When it would happen.
    """

    rep: np.ndarray
    sec: np.ndarray
    lead: np.ndarray
    opened: np.ndarray
    clicked: np.ndarray
    replied: np.ndarray
    o_sec: np.ndarray
    c_sec: np.ndarray
    r_sec: np.ndarray


def _email_leads(rng, e_rep, esec, n_reps: int, links: LeadLinks) -> np.ndarray:
    """Per rep, each e-mail goes to a lead first touched strictly before it, recency-weighted."""
    e_lead = np.full(len(e_rep), -1, np.int64)
    for r in range(n_reps):
        m = np.flatnonzero(e_rep == r)
        times, off = links.times_by_rep[r]
        if len(m) == 0 or len(times) == 0:
            continue
        j = np.searchsorted(times, esec[m], side="left") - 1  # first touched strictly before
        pick = j - geometric_back(rng, len(m), EMAIL_MEAN_BACK)
        e_lead[m] = np.where(j >= 0, off + np.clip(pick, 0, None), -1)
    return e_lead


def draw_emails(rng, rd: RepDays, cal: Calendar, n_reps: int, links: LeadLinks) -> Emails:
    """Draw every e-mail: a random minute of 8-19 h on its rep-day, its lead, and its events."""
    er = np.repeat(np.arange(len(rd.rep)), rd.ne)
    e_rep = rd.rep[er]
    ne_ = len(er)
    eh = rng.integers(8, 20, ne_)
    esec = cal.day_sec0[rd.day[er]] + eh * 3600 + rng.integers(0, 3600, ne_)
    eo = np.lexsort((e_rep, esec))
    e_rep, esec = e_rep[eo], esec[eo]
    e_lead = _email_leads(rng, e_rep, esec, n_reps, links)
    opened = rng.random(ne_) < EMAIL["open"]
    clicked = opened & (rng.random(ne_) < EMAIL["click_given_open"])
    replied = opened & (rng.random(ne_) < EMAIL["reply_given_open"])
    o_sec = esec + np.rint(np.exp(rng.normal(np.log(2 * 3600), 1.0, ne_)))
    c_sec = o_sec + rng.integers(5, 600, ne_)
    r_sec = o_sec + np.rint(np.exp(rng.normal(np.log(3 * 3600), 1.0, ne_)))
    return Emails(e_rep, esec, e_lead, opened, clicked, replied, o_sec, c_sec, r_sec)


def emails_frame(emails: Emails, rep_ids, order: LeadOrder, end_sec: int) -> pd.DataFrame:
    """The ``emails`` table; opens, clicks and replies after ``end_sec`` are NaT."""

    def _ev(mask, s):
        return np.where(mask & (s <= end_sec), s, np.nan)

    e_lead_id = np.where(emails.lead >= 0, order.id_of(np.maximum(emails.lead, 0)), None)
    return pd.DataFrame(
        {
            "email_id": pd.array([f"E{i + 1:08d}" for i in range(len(emails.sec))], dtype="str"),
            "rep_id": pd.array(rep_ids[emails.rep], dtype="str"),
            "lead_id": pd.array(e_lead_id, dtype="str"),
            "sent_at": to_timestamps(emails.sec),
            "opened_at": to_timestamps(_ev(emails.opened, emails.o_sec)),
            "clicked_at": to_timestamps(_ev(emails.clicked, emails.c_sec)),
            "replied_at": to_timestamps(_ev(emails.replied, emails.r_sec)),
        }
    )
