"""A small generated dataset for the scorecard tests (own numpy simulation, known rates).

One team (launched 2026-02-01 → growth phase in 2026-10), two SDRs and one BDR, Sep–Oct 2026.
Planted: connect 0.25, conversation 0.60, appointment 0.10 (below the growth reference 0.20,
so the appointment rate is the bottleneck); deal quality drives the win probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iskpi_analysis import dataset
from iskpi_analysis import workdays as jcal

TZ = "Asia/Tokyo"
RATES = {"connect": 0.25, "conversation": 0.60, "appointment": 0.10}


def make_frames(seed: int = 7, calls_per_day: int = 80, months=("2026-09", "2026-10"), with_costs: bool = True) -> dict:
    rng = np.random.default_rng(seed)
    teams = pd.DataFrame({"team_id": ["T1"], "team_name": ["東京IS"], "launched_on": ["2026-02-01"]})
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "rep_name": ["佐藤", "鈴木", "高橋"],
            "team_id": ["T1"] * 3,
            "role": ["SDR", "SDR", "BDR"],
            "joined_on": ["2026-02-01"] * 3,
            "left_on": [None] * 3,
        }
    )
    days = jcal.business_days(pd.Period(months[0], "M").start_time, pd.Period(months[-1], "M").end_time)
    last = days[-1] + pd.Timedelta(hours=18)
    calls, emails, leads, deals = [], [], [], []
    cid = eid = lid = did = 0
    sources = ["inbound_form", "webinar", "list"]
    for day in days:
        for rep in ("R1", "R2", "R3"):
            # leads owned by this rep, created at 10:00, first touch by a call 30–150 min later
            for _ in range(2):
                lid += 1
                created = day + pd.Timedelta(hours=10)
                src = sources[lid % 3]
                mql = created + pd.Timedelta(days=1) if lid % 2 == 0 else None
                sql = created + pd.Timedelta(days=3) if lid % 4 == 0 else None
                mql = mql if mql is not None and mql <= last else None
                sql = sql if sql is not None and sql <= last and mql is not None else None
                leads.append(
                    {
                        "lead_id": f"L{lid}",
                        "created_at": created.isoformat(),
                        "source": src,
                        "segment": "smb",
                        "owner_rep_id": rep,
                        "mql_at": None if mql is None else mql.isoformat(),
                        "sql_at": None if sql is None else sql.isoformat(),
                    }
                )
                delay = 30 if lid % 2 else 150
                cid += 1
                calls.append(
                    {
                        "call_id": f"C{cid}",
                        "rep_id": rep,
                        "lead_id": f"L{lid}",
                        "started_at": (created + pd.Timedelta(minutes=delay)).isoformat(),
                        "connected": False,
                        "talk_seconds": 0,
                        "appointment": False,
                        "decision_maker": None,
                        "script": "A",
                    }
                )
            n = calls_per_day
            conn = rng.random(n) < RATES["connect"]
            valid = conn & (rng.random(n) < RATES["conversation"])
            appt = valid & (rng.random(n) < RATES["appointment"])
            secs = np.where(valid, 200, np.where(conn, 60, 0))
            dm = conn & (rng.random(n) < 0.4)
            for i in range(n):
                cid += 1
                t = day + pd.Timedelta(hours=9, minutes=int(i * 5))
                calls.append(
                    {
                        "call_id": f"C{cid}",
                        "rep_id": rep,
                        "lead_id": f"X{rep}{i % 40}",
                        "started_at": t.isoformat(),
                        "connected": bool(conn[i]),
                        "talk_seconds": int(secs[i]),
                        "appointment": bool(appt[i]),
                        "decision_maker": bool(dm[i]) if rep == "R3" and conn[i] else None,
                        "script": "A",
                    }
                )
                if appt[i]:
                    did += 1
                    q = rng.integers(0, 3)
                    bant = [True] * (4 - q) + [False] * q
                    p_win = [0.6, 0.3, 0.1][q]
                    st = rng.choice(["won", "lost", "open"], p=[p_win * 0.8, (1 - p_win) * 0.8, 0.2])
                    close_t = t + pd.Timedelta(days=12)
                    if close_t > last:
                        st = "open"
                    closed = close_t.isoformat() if st != "open" else None
                    deals.append(
                        {
                            "deal_id": f"D{did}",
                            "lead_id": f"X{rep}{i % 40}",
                            "rep_id": rep,
                            "created_at": (t + pd.Timedelta(hours=1)).isoformat(),
                            "amount_jpy": 1_000_000.0,
                            "budget_confirmed": bant[0],
                            "authority_confirmed": bant[1],
                            "need_confirmed": bant[2],
                            "timeline_confirmed": bant[3],
                            "need_clarity": ["clear", "overview", "unclear"][q],
                            "decision_process": ["detailed", "overview", "unknown"][q],
                            "next_action": ["scheduled", "timing_only", "none"][q],
                            "status": st,
                            "closed_at": closed,
                        }
                    )
            for i in range(20):
                eid += 1
                t = day + pd.Timedelta(hours=13, minutes=i)
                op = rng.random() < 0.4
                emails.append(
                    {
                        "email_id": f"E{eid}",
                        "rep_id": rep,
                        "lead_id": None,
                        "sent_at": t.isoformat(),
                        "opened_at": (t + pd.Timedelta(hours=1)).isoformat() if op else None,
                        "clicked_at": None,
                        "replied_at": None,
                    }
                )
    # timestamps without offset are local (Asia/Tokyo)
    frames = {
        "teams": teams,
        "reps": reps,
        "calls": pd.DataFrame(calls),
        "emails": pd.DataFrame(emails),
        "leads": pd.DataFrame(leads),
        "deals": pd.DataFrame(deals),
    }
    if with_costs:
        frames["costs"] = pd.DataFrame(
            {"month": list(months), "team_id": ["T1"] * len(months), "cost_jpy": [3_000_000.0] * len(months)}
        )
    return frames


def make_data(**kw):
    return dataset.Dataset.from_frames(make_frames(**kw), today=pd.Timestamp("2026-11-30"))
