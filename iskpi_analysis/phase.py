"""Phase diagnosis and transition readiness (notebook 02; the seed's フェーズ診断).

The seed (phase-kpi-design) says a team's KPIs must follow its phase — launch (activity volume),
growth (efficiency and quality), mature (revenue) — and that *evidence*, not the calendar, decides
the phase: some teams move at 4 months, some at 8. This module judges the seed's 10-item
checklist and its five growth-transition signs from the data, applies the seed's rule, and says
whether each team is ready for the next phase, with the figures behind every statement.

The checklist (seed: 自社の現在フェーズを診断するチェックリスト)
-----------------------------------------------------------------
==  ========================  ======  ===========================================================
#   item_id                   phase   judged by
==  ========================  ======  ===========================================================
1   launch_age                launch  months since ``teams.launched_on`` < 6 (the launch template's
                                      upper bound, ``kpis.phase_months``)
2   activity_unstable         launch  the negation of item 5
3   no_success_pattern        launch  the negation of "success patterns visible": no calling hour
                                      reliably above the team average (``timing.recommended_windows``,
                                      rep- and weekday-adjusted, BH q < alpha) and no script difference
                                      (chi-square of conversation and appointment rate by script, BH);
                                      an analyst's ``winning_script = yes`` also counts as a pattern
4   skill_gap_large           launch  between-rep coefficient of variation of ``skill_kpi`` (default
                                      deal conversion), within role, sampling noise removed, pooled
                                      over the window ≥ ``skill_gap_threshold`` (0.30)
5   activity_stable           growth  the team's daily activity per working rep (``activity_kpi``,
                                      default calls) over the window: XmR chart stable (no run of
                                      ``run_length`` points on one side, at most ``max_out_share`` of
                                      the points beyond the limits) and centre line ≥ the target
6   volume_ok_quality_issue   growth  item 5 met and deal conversion below the growth target or not
                                      rising (quasi-binomial logistic trend over ``trend_months``)
7   data_3_months             growth  span of the team's activity data ≥ ``min_months`` (3)
8   fs_rules                  growth  analyst's answer only (``fs_rules_established``)
9   efficiency_stable         mature  every growth-template efficiency KPI (rates of importance ≥ 2:
                                      deal conversion, handoff win rate) at target in every month of
                                      the window (months with < ``min_trials`` trials: unknown)
10  revenue_visible           mature  deals carry amounts (≥ 95 %), closed deals a close date (≥ 95 %)
                                      and at least one won deal with an amount in the window; the
                                      analyst's ``revenue_reporting`` answer, when given, overrides
==  ========================  ======  ===========================================================

Targets come only from :func:`kpis.phase_targets`. The activity target is the one of the phase
the team is in by months since launch (``kpi_phase`` overrides it); a phase whose template has no
target for the activity KPI (mature) uses the nearest lower phase that has one (growth: 80).
The efficiency targets are the growth template's (reaching them stably is the mark of maturity).

Items that need a pattern in the data (2–6, 9) need at least ``min_months`` of data; with less
they are *unknown* ("3ヶ月以上のデータ … 傾向分析が可能", the seed's own condition).

The rule and its ties (:func:`classify`)
----------------------------------------
Seed: ≥ 3 launch items → launch; ≥ 3 growth items → growth; both mature items → mature.

- Launch rule with any other rule → **launch** (the seed's FAQ: a team straddling phases takes
  the lower phase; reps who are ahead are named and may get next-phase KPIs individually).
- Growth and mature rules together → **mature**: growth items 5, 7, 8 are capabilities a mature
  team keeps, so meeting them does not pull a team that meets both mature items back.
- No rule → the lowest phase with at least one item met (the FAQ's lower phase), basis
  ``fallback``; no item met at all → launch.
- Unknown items count neither way. Every way the unknown items could be answered is tried; when
  the answers could change the phase, or fewer than ``min_judged`` (5) items are judged, the
  verdict is **insufficient_data** — never a guess — and the unknown items that decide it are
  named.

Readiness (:func:`readiness`)
-----------------------------
The question is the move after the lower of the phase the team's KPIs follow by months since
launch and the diagnosed phase (a 4-month team that already shows growth traits is asked "ready
for growth?"; an 8-month team diagnosed launch is asked the same).

- to growth: the FAQ's three conditions — sign 1 (activity stable at target), sign 3 (success
  patterns visible) and sign 4 (≥ 3 months of data) — all met → ready; any not met → not_yet;
  otherwise insufficient_data. Signs 2 and 5 are shown as supporting evidence.
- to mature: both mature items met → ready; either not met → not_yet.
- already mature → final. An undetermined phase → insufficient_data.

Reps (:func:`rep_standing`): *ahead* = meets the next phase's condition individually (to growth:
most working days at the activity target with 95 % confidence and deal conversion not clearly
below the team's; to mature: deal conversion's Wilson lower bound ≥ the growth target);
*behind* = clearly below the team (Wilson upper bound of the share of days at target, or of deal
conversion, below the team's figure); reps with < ``min_rep_days`` working days: insufficient.

Migration plan (:func:`migration_plan`): preparation in the month after the report month, the
parallel run in the two months after that (migration months 1–2), the full switch from the
following month (migration month 3), each with the seed's actions. A team that is not ready gets
the earliest plan if it meets the conditions at the next report (every step a month later,
marked provisional).

Sentences (checklist evidence, the 2–3 reasons of the verdict, :func:`findings`) are generated
from the numbers in Japanese (``lang="ja"``) or English and say how sure they are (intervals,
p-values, which unknown items could change the verdict, close calls).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from . import config, control_chart, fmt, io, kpis, scorecard, timing
from . import stats as kst

STATUSES = ("met", "not_met", "unknown")
READINESS = ("ready", "not_yet", "insufficient_data", "final")
STANDINGS = ("ahead", "in_line", "behind", "insufficient")
ANSWER_KEYS = ("fs_rules_established", "revenue_reporting", "winning_script")

#: the seed's checklist: (item_id, phase, ja, en)
ITEMS = (
    ("launch_age", "launch", "組織立ち上げから6ヶ月未満である", "Less than 6 months since the team was launched"),
    (
        "activity_unstable",
        "launch",
        "行動KPI(架電数等)の目標達成が安定していない",
        "Activity KPIs (calls etc.) are not yet met stably",
    ),
    (
        "no_success_pattern",
        "launch",
        "成功パターン(勝ちスクリプト等)がまだ確立されていない",
        "No success pattern (winning script etc.) established yet",
    ),
    ("skill_gap_large", "launch", "メンバー間のスキル差が大きい", "Large skill gap between reps"),
    ("activity_stable", "growth", "行動KPIは安定して達成できるようになった", "Activity KPIs are now met stably"),
    (
        "volume_ok_quality_issue",
        "growth",
        "「量は足りているが、質が課題」という状況である",
        '"Volume is enough, quality is the issue"',
    ),
    (
        "data_3_months",
        "growth",
        "3ヶ月以上のデータが蓄積され、傾向分析が可能である",
        "3+ months of data: trends can be analysed",
    ),
    (
        "fs_rules",
        "growth",
        "フィールドセールスとの連携ルールが確立されつつある",
        "Rules with field sales are being established",
    ),
    ("efficiency_stable", "mature", "効率性KPIが安定的に目標達成できている", "Efficiency KPIs are met stably"),
    (
        "revenue_visible",
        "mature",
        "売上への貢献度を可視化・報告できる体制がある",
        "Revenue contribution can be made visible and reported",
    ),
)
ITEM_IDS = tuple(i[0] for i in ITEMS)
ITEM_PHASE = {i[0]: i[1] for i in ITEMS}
#: the seed's rule: items needed per phase
RULE = {"launch": 3, "growth": 3, "mature": 2}

#: the seed's five growth-transition signs: (sign_id, ja, en)
SIGNS = (
    (
        "sign_activity",
        "行動KPI(架電数等)が安定的に目標達成できるようになった",
        "Activity KPIs (calls etc.) are met stably",
    ),
    (
        "sign_skill",
        "メンバー間のスキル差が縮まり、一定の品質が担保されるようになった",
        "The skill gap between reps has narrowed; a baseline quality is ensured",
    ),
    (
        "sign_patterns",
        "成功パターン(効果的なトークスクリプト、最適な架電時間帯等)が見えてきた",
        "Success patterns (effective scripts, best calling hours etc.) are visible",
    ),
    ("sign_data", "3ヶ月以上のデータが蓄積され、傾向分析が可能になった", "3+ months of data: trends can be analysed"),
    (
        "sign_conversion",
        "「量は足りているが、商談化率が上がらない」という課題が顕在化した",
        '"Volume is enough but deal conversion does not rise" has become the issue',
    ),
)
SIGN_IDS = tuple(s[0] for s in SIGNS)
#: the seed FAQ's three conditions for moving to growth
GROWTH_CONDITIONS = ("sign_activity", "sign_patterns", "sign_data")
MATURE_CONDITIONS = ("efficiency_stable", "revenue_visible")

#: the seed's migration steps and their actions
PLAN_STEPS = (
    (
        "preparation",
        "移行準備",
        "Preparation",
        (
            "現在のKPI達成状況を総括する",
            "次フェーズで追加するKPIを「参考値」として計測開始",
            "チームメンバーに移行の方針を共有",
        ),
        (
            "Review how the current KPIs were met",
            "Start measuring the next phase's KPIs as references",
            "Share the migration plan with the team",
        ),
    ),
    (
        "parallel",
        "並行運用期間(移行後1〜2ヶ月)",
        "Parallel run (months 1–2)",
        (
            "新旧両方のKPIを設定し、モニタリング",
            "新KPIの目標値は現実的な水準から開始(達成可能な範囲)",
            "週次で進捗を確認し、必要に応じて目標値を調整",
        ),
        (
            "Set and monitor both the old and the new KPIs",
            "Start the new targets at a realistic, reachable level",
            "Review progress weekly and adjust the targets if needed",
        ),
    ),
    (
        "full",
        "本格移行(移行後3ヶ月〜)",
        "Full switch (from month 3)",
        (
            "新KPIを主要指標として確立",
            "旧KPIは補助指標またはモニタリング対象に格下げ",
            "評価制度・インセンティブ設計も新KPIに連動させる",
        ),
        (
            "Make the new KPIs the main indicators",
            "Downgrade the old KPIs to supporting / monitored",
            "Tie evaluation and incentives to the new KPIs",
        ),
    ),
)

_STATUS_LABELS = {
    "met": {"ja": "該当", "en": "Yes"},
    "not_met": {"ja": "非該当", "en": "No"},
    "unknown": {"ja": "不明", "en": "Unknown"},
}
_SIGN_STATUS_LABELS = {
    "met": {"ja": "確認", "en": "Seen"},
    "not_met": {"ja": "未確認", "en": "Not seen"},
    "unknown": {"ja": "不明", "en": "Unknown"},
}
_SOURCE_LABELS = {
    "data": {"ja": "データ", "en": "Data"},
    "analyst": {"ja": "分析者の回答", "en": "Analyst"},
    "none": {"ja": "未回答", "en": "Not answered"},
}
_READINESS_LABELS = {
    "ready": {"ja": "移行可", "en": "Ready"},
    "not_yet": {"ja": "まだ早い", "en": "Not yet"},
    "insufficient_data": {"ja": "判定保留(情報不足)", "en": "Insufficient data"},
    "final": {"ja": "最終フェーズ", "en": "Final phase"},
}
_STANDING_LABELS = {
    "ahead": {"ja": "先行", "en": "Ahead"},
    "in_line": {"ja": "チーム並み", "en": "In line"},
    "behind": {"ja": "遅れ", "en": "Behind"},
    "insufficient": {"ja": "データ不足", "en": "Too little data"},
}
_PLAN_STATUS = {
    "planned": {"ja": "計画", "en": "Planned"},
    "provisional": {"ja": "最短案(翌月に条件を満たした場合)", "en": "Earliest, if ready next month"},
}
_INSUFFICIENT = {"ja": "判定保留", "en": "Undetermined"}

COLUMN_LABELS = {
    "no": ("No.", "No."),
    "phase_label": ("フェーズ", "Phase"),
    "label": ("チェック項目", "Item"),
    "status_label": ("判定", "Status"),
    "source_label": ("判定方法", "Judged by"),
    "value_text": ("値", "Value"),
    "threshold_text": ("基準", "Threshold"),
    "evidence": ("根拠", "Evidence"),
    "sign_label": ("成長期移行のサイン", "Growth-transition sign"),
    "required": ("移行条件", "Condition"),
    "team_name": ("チーム", "Team"),
    "months_text": ("経過月数", "Months since launch"),
    "time_phase_label": ("経過月数上のフェーズ", "Phase by months"),
    "phase_text": ("判定フェーズ", "Diagnosed phase"),
    "counts_text": ("該当項目数(立上/成長/成熟)", "Items met (L/G/M)"),
    "next_phase_label": ("次のフェーズ", "Next phase"),
    "readiness_label": ("移行判定", "Readiness"),
    "rep_name": ("担当者", "Rep"),
    "role": ("役割", "Role"),
    "tenure_text": ("在籍", "Tenure"),
    "working_days": ("稼働日数", "Working days"),
    "activity_text": ("1日あたり実績", "Per working day"),
    "share_text": ("目標達成日の割合(95%CI)", "Days at target (95% CI)"),
    "conversion_text": ("商談化率(95%CI)", "Deal conversion (95% CI)"),
    "standing_label": ("位置づけ", "Standing"),
    "note": ("コメント", "Note"),
    "step_label": ("ステップ", "Step"),
    "period_text": ("期間", "Period"),
    "actions_text": ("やること", "Actions"),
    "plan_status_label": ("状態", "Status"),
    "tier_label": ("階層", "Tier"),
    "kpi_label": ("KPI", "KPI"),
    "target_text": ("目標値", "Target"),
    "stars": ("重要度", "Importance"),
    "change_label": ("扱い", "Change"),
    "month": ("月", "Month"),
    "n_reps": ("担当者数", "Reps"),
    "rate_text": ("チーム全体", "Team"),
    "cv_text": ("ばらつき(変動係数)", "Spread (CV)"),
    "n_text": ("件数", "n"),
}


# ---------------------------------------------------------------------------------------------
# small helpers
_check_lang = kpis._check_lang
_check = config.check_option


def _ja(lang: str) -> bool:
    _check_lang(lang)
    return lang == "ja"


def _f(x) -> float | None:
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else float(x)


def item_label(item_id: str, lang: str = config.DEFAULT_LANG) -> str:
    """The seed's wording of a checklist item."""
    _check("item_id", item_id, ITEM_IDS)
    row = next(i for i in ITEMS if i[0] == item_id)
    return row[2] if _ja(lang) else row[3]


def sign_label(sign_id: str, lang: str = config.DEFAULT_LANG) -> str:
    """The seed's wording of a growth-transition sign."""
    _check("sign_id", sign_id, SIGN_IDS)
    row = next(s for s in SIGNS if s[0] == sign_id)
    return row[1] if _ja(lang) else row[2]


def status_label(status: str, lang: str = config.DEFAULT_LANG, *, sign: bool = False) -> str:
    _check("status", status, STATUSES)
    return (_SIGN_STATUS_LABELS if sign else _STATUS_LABELS)[status][lang if lang in config.LANGS else "ja"]


def readiness_label(readiness: str, lang: str = config.DEFAULT_LANG) -> str:
    _check("readiness", readiness, READINESS)
    _check_lang(lang)
    return _READINESS_LABELS[readiness][lang]


def standing_label(standing: str, lang: str = config.DEFAULT_LANG) -> str:
    _check("standing", standing, STANDINGS)
    _check_lang(lang)
    return _STANDING_LABELS[standing][lang]


def phase_text(phase: str | None, lang: str = config.DEFAULT_LANG) -> str:
    """Phase label, or 判定保留 / Undetermined for None."""
    _check_lang(lang)
    return _INSUFFICIENT[lang] if phase is None else kpis.phase_label(phase, lang)


def next_phase_of(phase: str | None) -> str | None:
    """launch → growth → mature → None."""
    if phase is None:
        return None
    _check("phase", phase, kpis.PHASES)
    i = kpis.PHASES.index(phase)
    return kpis.PHASES[i + 1] if i + 1 < len(kpis.PHASES) else None


def column_labels(df: pd.DataFrame, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """``df`` with this module's display columns renamed to reader-facing labels."""
    i = 0 if _ja(lang) else 1
    return df.rename(columns={c: v[i] for c, v in COLUMN_LABELS.items() if c in df.columns})


def _status(b) -> str:
    return "unknown" if b is None else ("met" if b else "not_met")


def _as_status(v) -> str:
    if v in STATUSES:
        return v
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "unknown"
    if isinstance(v, (bool, np.bool_)):
        return "met" if v else "not_met"
    raise ValueError(f"a status must be one of {STATUSES} or True/False/None, got {v!r}")


_YES = ("yes", "y", "true", "1", "はい", "済", "あり")
_NO = ("no", "n", "false", "0", "いいえ", "なし")
_UNKNOWN = ("", "unknown", "不明", "?", "none", "na")


def parse_answer(value, team_id: str | None = None) -> bool | None:
    """An analyst's answer → True / False / None (unknown).

    ``value``: True/False/None, or text "yes" / "no" / "unknown" (also はい / いいえ / 不明), or
    per team "tokyo_is:yes, osaka_is:no" (teams not listed: unknown).
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if not isinstance(value, str):
        raise ValueError(f"an answer must be yes / no / unknown (or team:answer, …), got {value!r}")
    v = value.strip()
    if ":" in v:
        out = None
        for part in v.split(","):
            if not part.strip():
                continue
            if ":" not in part:
                raise ValueError(f"per-team answers look like 'team_id:yes, team_id:no', got {value!r}")
            t, a = (s.strip() for s in part.split(":", 1))
            ans = parse_answer(a)
            if t == team_id:
                out = ans
        return out
    low = v.lower()
    if low in _YES:
        return True
    if low in _NO:
        return False
    if low in _UNKNOWN:
        return None
    raise ValueError(f"an answer must be one of yes / no / unknown (はい / いいえ / 不明), got {value!r}")


def _answers_for(answers: dict | None, team_id: str) -> dict:
    answers = dict(answers or {})
    bad = [k for k in answers if k not in ANSWER_KEYS]
    if bad:
        raise ValueError(f"answers keys must be among {ANSWER_KEYS}, got {bad}")
    return {k: parse_answer(answers.get(k), team_id) for k in ANSWER_KEYS}


# ---------------------------------------------------------------------------------------------
# windows and data span
def data_span(rep_day: pd.DataFrame, *, month: str) -> dict:
    """How much activity data the team has up to the end of the report month.

    Returns
    -------
    dict with first_date, last_date (first / last day with a call or e-mail), span_days,
    span_months (days / 30.44), n_months (calendar months with activity).
    """
    end = pd.Period(month, freq="M").end_time.normalize()
    act = rep_day[(rep_day["period"] <= end) & ((rep_day["calls"] + rep_day.get("emails_sent", 0)) > 0)]
    if act.empty:
        return {"first_date": None, "last_date": None, "span_days": 0, "span_months": 0.0, "n_months": 0}
    first, last = act["period"].min(), act["period"].max()
    days = int((last - first).days) + 1
    return {
        "first_date": first,
        "last_date": last,
        "span_days": days,
        "span_months": days / 30.44,
        "n_months": int(act["period"].dt.to_period("M").nunique()),
    }


# ---------------------------------------------------------------------------------------------
# activity: XmR chart of the team's daily activity, share of rep working days at target
def activity_target(phase: str, *, kpi: str = "calls", targets_file=None) -> tuple[float | None, str | None]:
    """The per-rep-day target of ``kpi`` for ``phase``; a phase without one uses the nearest lower
    phase that has one. Returns (target, phase the target comes from)."""
    _check("phase", phase, kpis.PHASES)
    t = kpis.phase_targets(None, targets_file=targets_file or None)
    t = t[(t["kpi_id"] == kpi) & (t["per"] == "rep_day")]
    for ph in reversed(kpis.PHASES[: kpis.PHASES.index(phase) + 1]):
        row = t[t["phase"] == ph]
        if len(row):
            return float(row["target"].iloc[0]), ph
    return None, None


def team_daily(rep_day: pd.DataFrame, *, start, end, kpi: str = "calls") -> pd.DataFrame:
    """The team's daily activity per working rep on business days in [start, end).

    A rep works on a day with at least one call or e-mail (days off are left out, not zeros).

    Returns
    -------
    DataFrame, one row per business day: date, reps_working, total (sum of ``kpi``), value
    (total / reps_working).
    """
    if kpi not in rep_day.columns:
        raise ValueError(f"kpi must be a count column of the rep-day table, got {kpi!r}")
    w = _working(rep_day, start, end)
    g = w.groupby("period").agg(reps_working=("rep_id", "nunique"), total=(kpi, "sum")).reset_index()
    g = g.rename(columns={"period": "date"})
    g["value"] = g["total"] / g["reps_working"]
    return g


def _working(rep_day, start, end):
    emails = rep_day["emails_sent"] if "emails_sent" in rep_day else 0
    m = (
        (rep_day["period"] >= pd.Timestamp(start))
        & (rep_day["period"] < pd.Timestamp(end))
        & rep_day["business_day"].astype(bool)
        & ((rep_day["calls"] + emails) > 0)
    )
    return rep_day[m]


def rep_stability(
    rep_day: pd.DataFrame,
    *,
    start,
    end,
    kpi: str = "calls",
    run_length: int = 9,
    max_out_share: float = 0.02,
    min_points: int = 20,
) -> pd.DataFrame:
    """Each rep's own XmR chart of ``kpi`` on their working business days in [start, end).

    A team mean averages day-to-day swings of its reps away, so stability is judged where it
    lives: per rep. Reps with fewer than ``min_points`` working days are not judged.

    Returns
    -------
    DataFrame, one row per rep: rep_id, n_points, mean, lcl, ucl, n_beyond, longest_run,
    run_signal, stable (None when not judged).
    """
    w = _working(rep_day, start, end).sort_values(["rep_id", "period"])
    rows = []
    for rep, g in w.groupby("rep_id", sort=True):
        ch = control_chart.xmr(g[kpi].to_numpy(float), run_length=run_length)
        sm = control_chart.xmr_summary(ch, max_out_share=max_out_share)
        judged = sm["n"] >= min_points
        rows.append(
            {
                "rep_id": rep,
                "n_points": int(sm["n"]),
                "mean": sm["mean"],
                "lcl": sm["lcl"],
                "ucl": sm["ucl"],
                "n_beyond": sm["n_beyond"],
                "longest_run": sm["longest_run"],
                "run_signal": sm["run_signal"],
                "stable": bool(sm["stable"]) if judged else None,
            }
        )
    return pd.DataFrame(
        rows, columns=["rep_id", "n_points", "mean", "lcl", "ucl", "n_beyond", "longest_run", "run_signal", "stable"]
    )


def activity_stability(
    rep_day: pd.DataFrame,
    *,
    month: str,
    target: float | None,
    kpi: str = "calls",
    window_months: int = 3,
    run_length: int = 9,
    max_out_share: float = 0.02,
    min_points: int = 20,
    min_stable_share: float = 0.8,
) -> tuple[pd.DataFrame, dict]:
    """Is the team's activity achieved stably at the target?

    Stable means both: the XmR chart of the team's daily value per working rep shows no signal,
    **and** at least ``min_stable_share`` of the reps judged have a stable chart of their own
    (:func:`rep_stability`) — the team mean alone averages the reps' swings away.

    Parameters
    ----------
    rep_day : ``aggregate.rep_period(data, grain="day")`` rows of one team.
    target : per-rep-day target (``activity_target``); None → ``met`` is None.
    run_length, max_out_share : XmR signal rules (see :mod:`control_chart`).
    min_points : fewer business days in the window → not judged.

    Returns
    -------
    (chart, summary). ``chart``: :func:`control_chart.xmr` of the daily value per working rep,
    columns time (date), value, moving_range, center, lcl, ucl, mr_ucl, beyond_limits, in_run,
    signal, plus reps_working. ``summary``: dict with kpi, target, window_start, window_end,
    n_points, n_rep_days (working rep-days), k_at_target (rep-days with ``kpi`` ≥ target), share,
    share_ci_low, share_ci_high (Wilson 95 %; rep-days are not independent, so the interval is
    nominal), mean, lcl, ucl, mr_bar, n_beyond, n_beyond_low, longest_run, run_signal, stable,
    mean_at_target, lcl_clears_target, mean_ci_low / mean_ci_high (mean ± 1.96 σ̂/√n, σ̂ from
    the moving range), team_stable (the team chart alone), reps_judged, reps_stable,
    reps_stable_share, min_stable_share, reps (the :func:`rep_stability` table), stable (team
    chart stable and reps_stable_share ≥ min_stable_share), met (stable and mean ≥ target; None
    when not judged), reason ("ok", "unstable", "below_target", "unstable_below",
    "too_few_days", "no_target").
    """
    start, end = io.month_bounds(month, window_months)
    daily = team_daily(rep_day, start=start, end=end, kpi=kpi)
    chart = control_chart.xmr(daily, x="value", time="date", run_length=run_length)
    chart["reps_working"] = daily["reps_working"].to_numpy()[: len(chart)]
    s = control_chart.xmr_summary(chart, target=target, max_out_share=max_out_share)
    w = _working(rep_day, start, end)
    n = int(len(w))
    k = int((w[kpi] >= target).sum()) if target is not None and n else 0
    lo, hi = kst.wilson_ci(k, n) if n else (np.nan, np.nan)
    se = s["mr_bar"] / 1.128 / np.sqrt(s["n"]) if s["n"] >= 2 else np.nan
    out = {
        "kpi": kpi,
        "target": target,
        "window_start": start,
        "window_end": end,
        "n_points": int(s["n"]),
        "n_rep_days": n,
        "k_at_target": k,
        "share": k / n if n and target is not None else np.nan,
        "share_ci_low": lo,
        "share_ci_high": hi,
        "mean": s["mean"],
        "mean_ci_low": s["mean"] - 1.96 * se,
        "mean_ci_high": s["mean"] + 1.96 * se,
        **{
            c: s[c]
            for c in (
                "lcl",
                "ucl",
                "mr_bar",
                "n_beyond",
                "n_beyond_low",
                "longest_run",
                "run_signal",
                "stable",
                "mean_at_target",
                "lcl_clears_target",
            )
        },
    }
    reps = rep_stability(
        rep_day,
        start=start,
        end=end,
        kpi=kpi,
        run_length=run_length,
        max_out_share=max_out_share,
        min_points=min_points,
    )
    judged = reps["stable"].dropna()
    share_ok = float(judged.astype(bool).mean()) if len(judged) else np.nan
    team_stable = out["stable"]
    out.update(
        team_stable=team_stable,
        reps_judged=int(len(judged)),
        reps_stable=int(judged.astype(bool).sum()),
        reps_stable_share=share_ok,
        min_stable_share=min_stable_share,
        reps=reps,
        stable=None if team_stable is None else bool(team_stable and (not len(judged) or share_ok >= min_stable_share)),
    )
    s = {**s, "stable": out["stable"]}
    if target is None:
        out.update(met=None, reason="no_target")
    elif s["n"] < min_points:
        out.update(met=None, reason="too_few_days")
    else:
        stable, at = bool(s["stable"]), bool(s["mean_at_target"])
        out["met"] = stable and at
        out["reason"] = (
            "ok"
            if out["met"]
            else ("unstable_below" if not stable and not at else "unstable" if not stable else "below_target")
        )
    return chart, out


# ---------------------------------------------------------------------------------------------
# skill gap: between-rep dispersion of an efficiency KPI, sampling noise removed, within role
def _rate_parts(kpi: str) -> tuple[str, str]:
    k = kpis.get(kpi)
    if not k.is_rate:
        raise ValueError(f"skill_kpi must be a rate KPI of the dictionary, got {kpi!r}")
    return k.numerator, k.denominator


def between_rep_cv(k, n, role=None, *, min_denominator: float = 50) -> dict:
    """Between-rep coefficient of variation of a rate, with the binomial noise removed.

    For rep i with k_i successes in n_i trials (n_i ≥ ``min_denominator``) and its role's pooled
    rate P_r = Σk/Σn, the relative deviation d_i = k_i/n_i / P_r − 1 has expectation 0 and
    variance σ² + (1 − P_r)/(n_i P_r), where σ is the true between-rep CV. So
    σ̂² = Σ d_i² / (m − g) − mean((1 − P_r)/(n_i P_r)) (m reps, g roles; method of moments,
    floored at 0). Roles are separate because SDR and BDR rates differ by design.

    Returns
    -------
    dict with n_reps, rate (pooled over all reps), cv_observed (√(Σd²/(m−g))), cv_noise
    (√mean noise), cv (σ̂; NaN when m − g < 2).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    role = np.zeros(len(k), dtype=int) if role is None else pd.factorize(np.asarray(role))[0]
    ok = n >= max(min_denominator, 1)
    k, n, role = k[ok], n[ok], role[ok]
    m, g = int(len(k)), int(len(np.unique(role)))
    rate = k.sum() / n.sum() if n.sum() > 0 else np.nan
    if m - g < 2:
        return {"n_reps": m, "rate": rate, "cv_observed": np.nan, "cv_noise": np.nan, "cv": np.nan}
    d2, noise = np.empty(m), np.empty(m)
    for r in np.unique(role):
        sel = role == r
        p = k[sel].sum() / n[sel].sum()
        if p <= 0:
            d2[sel], noise[sel] = 0.0, 0.0
            continue
        d2[sel] = (k[sel] / n[sel] / p - 1) ** 2
        noise[sel] = (1 - p) / (n[sel] * p)
    obs = d2.sum() / (m - g)
    return {
        "n_reps": m,
        "rate": rate,
        "cv_observed": float(np.sqrt(obs)),
        "cv_noise": float(np.sqrt(noise.mean())),
        "cv": float(np.sqrt(max(obs - noise.mean(), 0.0))),
    }


def skill_dispersion(
    rep_month: pd.DataFrame, *, month: str, kpi: str = "deal_conversion", months: int = 6, min_denominator: float = 50
) -> pd.DataFrame:
    """Month by month, how far apart the reps are on ``kpi`` (see :func:`between_rep_cv`).

    Returns
    -------
    DataFrame, one row per month of the last ``months`` up to ``month`` with data: period
    (month start), month ("YYYY-MM"), n_reps, rate, cv_observed, cv_noise, cv.
    """
    num, den = _rate_parts(kpi)
    start, end = io.month_bounds(month, months)
    w = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    rows = []
    for p, g in w.groupby("period"):
        r = between_rep_cv(g[num], g[den], g["role"], min_denominator=min_denominator)
        rows.append({"period": p, "month": p.strftime("%Y-%m"), **r})
    return pd.DataFrame(rows, columns=["period", "month", "n_reps", "rate", "cv_observed", "cv_noise", "cv"])


def skill_gap(
    rep_month: pd.DataFrame,
    *,
    month: str,
    kpi: str = "deal_conversion",
    window_months: int = 3,
    trend_months: int = 6,
    threshold: float = 0.30,
    min_denominator: float = 50,
    min_reps: int = 3,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict]:
    """Is the skill gap between reps large, and is it narrowing?

    Level: :func:`between_rep_cv` of each rep's ``kpi`` pooled over the window (reps with ≥
    ``min_denominator`` trials). Trend: Kendall's τ of the monthly CV against time over the last
    ``trend_months`` months (months with ≥ ``min_reps`` reps), one-sided (narrowing), exact p;
    needs ≥ 4 months.

    Returns
    -------
    (monthly, summary). ``monthly``: :func:`skill_dispersion`. ``summary``: dict with kpi,
    threshold, cv (window level), cv_observed, cv_noise, n_reps, rate, large (cv ≥ threshold;
    None when < ``min_reps`` reps), n_months (trend points), tau, p_value, narrowing (p < alpha;
    None with < 4 months), first_cv / last_cv (trend ends), missing (the rep-month table lacks
    the KPI's parts, e.g. no deals table).
    """
    num, den = _rate_parts(kpi)
    if num not in rep_month.columns or den not in rep_month.columns:
        nan = float("nan")
        return (
            pd.DataFrame(columns=["period", "month", "n_reps", "rate", "cv_observed", "cv_noise", "cv"]),
            {
                "kpi": kpi,
                "threshold": threshold,
                "n_reps": 0,
                "rate": nan,
                "cv_observed": nan,
                "cv_noise": nan,
                "cv": nan,
                "large": None,
                "n_months": 0,
                "tau": nan,
                "p_value": nan,
                "narrowing": None,
                "first_cv": nan,
                "last_cv": nan,
                "missing": True,
            },
        )
    start, end = io.month_bounds(month, window_months)
    w = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    per_rep = w.groupby(["rep_id", "role"], as_index=False)[[num, den]].sum()
    lvl = between_rep_cv(per_rep[num], per_rep[den], per_rep["role"], min_denominator=min_denominator)
    monthly = skill_dispersion(rep_month, month=month, kpi=kpi, months=trend_months, min_denominator=min_denominator)
    tr = monthly[(monthly["n_reps"] >= min_reps) & monthly["cv"].notna()]
    tau = p = np.nan
    narrowing = None
    if len(tr) >= 4:
        res = _st.kendalltau(np.arange(len(tr)), tr["cv"].to_numpy(), alternative="less")
        tau, p = float(res.statistic), float(res.pvalue)
        narrowing = bool(p < alpha) if np.isfinite(p) else False
    large = None if lvl["n_reps"] < min_reps or not np.isfinite(lvl["cv"]) else bool(lvl["cv"] >= threshold)
    return monthly, {
        "kpi": kpi,
        "threshold": threshold,
        **lvl,
        "large": large,
        "n_months": int(len(tr)),
        "tau": tau,
        "p_value": p,
        "narrowing": narrowing,
        "first_cv": float(tr["cv"].iloc[0]) if len(tr) else np.nan,
        "last_cv": float(tr["cv"].iloc[-1]) if len(tr) else np.nan,
        "missing": False,
    }


# ---------------------------------------------------------------------------------------------
# success patterns: reliable calling hours, script differences
def script_differences(data, *, alpha: float = 0.05, min_calls: int = 300) -> pd.DataFrame:
    """Do scripts differ in conversation rate (valid/connects) or appointment rate
    (appointments/valid)?

    Scripts are compared with each rep held fixed: a Cochran–Mantel–Haenszel test of each script
    against the other scripts, stratified by rep (reps differ in skill, and a pooled chi-square
    would mistake that for a script effect); with two scripts one test per rate. p-values are
    BH-adjusted over all tests.

    Returns
    -------
    DataFrame, one row per test: kpi_id, script, rate (pooled), other_rate (the other scripts),
    n (trials of the script), common_odds_ratio (Mantel–Haenszel), chi2, p_value, q_value, found
    (q < alpha). Empty when fewer than two scripts have ≥ ``min_calls`` calls.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    cols = ["kpi_id", "script", "rate", "other_rate", "n", "common_odds_ratio", "chi2", "p_value", "q_value", "found"]
    if not data.has("calls"):
        return pd.DataFrame(columns=cols)
    s = data.query(f"""SELECT rep_id, script, count(*) AS calls, count_if(connected) AS connects,
                         count_if(valid_conversation) AS valid, count_if(appointment) AS appointments
                       FROM {data.sql("calls")} WHERE script IS NOT NULL AND business_day
                       GROUP BY ALL ORDER BY ALL""")
    tot = s.groupby("script")["calls"].sum()
    scripts = sorted(tot[tot >= min_calls].index)
    if len(scripts) < 2:
        return pd.DataFrame(columns=cols)
    s = s[s["script"].isin(scripts)]
    rows = []
    for kpi_id, num, den in (("conversation_rate", "valid", "connects"), ("appointment_rate", "appointments", "valid")):
        for sc in scripts[:1] if len(scripts) == 2 else scripts:
            mine = s[s["script"] == sc].groupby("rep_id")[[num, den]].sum()
            other = s[s["script"] != sc].groupby("rep_id")[[num, den]].sum()
            j = mine.merge(other, left_index=True, right_index=True, suffixes=("_s", "_o"), how="inner")
            tables = []
            for r in j.itertuples(index=False):
                ks, ns, ko, no = (
                    getattr(r, f"{num}_s"),
                    getattr(r, f"{den}_s"),
                    getattr(r, f"{num}_o"),
                    getattr(r, f"{den}_o"),
                )
                t = np.array([[ks, ns - ks], [ko, no - ko]], dtype=float)
                if (t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all():
                    tables.append(t)
            if not tables:
                continue
            st_ = StratifiedTable(np.dstack(tables))
            res = st_.test_null_odds(correction=False)
            a = np.sum([t[0] for t in tables], axis=0)
            b = np.sum([t[1] for t in tables], axis=0)
            rows.append(
                {
                    "kpi_id": kpi_id,
                    "script": str(sc),
                    "rate": a[0] / a.sum(),
                    "other_rate": b[0] / b.sum(),
                    "n": int(a.sum()),
                    "common_odds_ratio": float(st_.oddsratio_pooled),
                    "chi2": float(res.statistic),
                    "p_value": float(res.pvalue),
                }
            )
    out = pd.DataFrame(rows, columns=cols[:-2])
    out["q_value"] = kst.bh_adjust(out["p_value"].to_numpy()) if len(out) else []
    out["found"] = out["q_value"] < alpha
    return out[cols]


def success_patterns(
    data,
    *,
    month: str,
    window_months: int = 3,
    alpha: float = 0.05,
    min_calls: int = 30,
    min_total_calls: int = 1000,
    min_rep_calls: int = 300,
    winning_script: bool | None = None,
) -> dict:
    """Are success patterns visible: reliable calling hours or a script that does better?

    ``data``: the team's Dataset (any window; it is cut to the evaluation window here).
    Hours are judged by :func:`timing.reliable_windows` — the same rule, with the same
    thresholds, as the time-of-day notebook (04) — so both pages name the same hours.

    Two kinds of pattern are looked for: calling hours (needs ≥ ``min_total_calls`` calls in the
    window) and scripts (needs two scripts with enough calls); the analyst's ``winning_script``
    answer covers scripts too. A pattern found → visible. *Not* visible only when every kind was
    looked for (hours in the data; scripts in the data or answered "no" by the analyst) and none
    was found; otherwise unknown (None): absence of one kind of evidence is not proof.

    Returns
    -------
    dict with calls (in the window), windows (the ``timing.reliable_windows`` table),
    recommended_hours (list), best_hour, best_lift, scripts (:func:`script_differences`),
    script_found (bool: significant in the window and replicated, same direction with p < alpha,
    in the window of the same length before it), winning_script (analyst answer), looked_for
    (kinds of pattern looked for: "hours", "scripts"), not_looked_for (kinds that could not be),
    visible (True / False / None), source ("data", "analyst" or "data+analyst").
    """
    start, end = io.month_bounds(month, window_months)
    d = data.filter(start=start, end=end)
    n = (
        int(d.query(f"SELECT count(*) AS n FROM {d.sql('calls')} WHERE business_day")["n"].iloc[0])
        if d.has("calls")
        else 0
    )
    out = {
        "calls": n,
        "windows": pd.DataFrame(),
        "recommended_hours": [],
        "best_hour": None,
        "best_lift": np.nan,
        "scripts": pd.DataFrame(),
        "script_found": False,
        "winning_script": winning_script,
    }
    looked = []
    if n >= min_total_calls:
        looked.append("hours")
        w = timing.reliable_windows(
            d, metric="connect_rate", min_calls=min_calls, alpha=alpha, min_rep_calls=min_rep_calls
        )
        rec = w[(w["scope"] == "all") & (w["verdict"] == "recommend")] if len(w) else w
        sc = script_differences(d, alpha=alpha)
        if len(sc):
            looked.append("scripts")
            # a script difference is a pattern only when the window before shows it too
            # (same script, same direction, p < alpha): one chance finding is not a pattern
            prev = script_differences(data.filter(start=start - (end - start), end=start), alpha=alpha)
            key = prev.set_index(["kpi_id", "script"]) if len(prev) else None
            rep = []
            for r in sc.itertuples(index=False):
                ok = key is not None and (r.kpi_id, r.script) in key.index
                if ok:
                    q = key.loc[(r.kpi_id, r.script)]
                    ok = bool(
                        q["p_value"] < alpha
                        and np.sign(np.log(q["common_odds_ratio"])) == np.sign(np.log(r.common_odds_ratio))
                    )
                rep.append(ok)
            sc["replicated"] = rep
            sc["found"] = sc["found"] & sc["replicated"]
        out.update(
            windows=w,
            recommended_hours=[int(h) for h in rec["hour"]] if len(rec) else [],
            scripts=sc,
            script_found=bool(sc["found"].any()) if len(sc) else False,
        )
        if len(rec):
            best = rec.loc[rec["diff"].idxmax()]
            out.update(best_hour=int(best["hour"]), best_lift=float(best["diff"]))
    found = bool(out["recommended_hours"]) or out["script_found"]
    scripts_covered = "scripts" in looked or winning_script is False
    out["looked_for"] = looked
    out["not_looked_for"] = [k for k, ok in (("hours", "hours" in looked), ("scripts", scripts_covered)) if not ok]
    if winning_script is True:
        out["visible"], out["source"] = True, "data+analyst" if found else "analyst"
    elif found:
        out["visible"], out["source"] = True, "data"
    elif "hours" in looked and scripts_covered:
        out["visible"] = False
        out["source"] = "data" if winning_script is None else "data+analyst"
    else:
        out["visible"], out["source"] = None, "data"
    return out


# ---------------------------------------------------------------------------------------------
# conversion and efficiency
def _growth_target(kpi_id: str, targets_file=None) -> float | None:
    t = kpis.phase_targets("growth", targets_file=targets_file or None)
    row = t[t["kpi_id"] == kpi_id]
    return float(row["target"].iloc[0]) if len(row) else None


def conversion_trend(
    rep_month: pd.DataFrame,
    *,
    month: str,
    target: float | None,
    window_months: int = 3,
    trend_months: int = 6,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict]:
    """Deal conversion (deals created / leads handled, ratio of sums) by month, and its trend.

    The trend is the slope of a logistic regression of the monthly counts on the month index,
    quasi-binomial: the SE is scaled by √(Pearson χ²/df) (floored at 1) and tested with t on
    the residual df, so month-to-month variation beyond the binomial widens the interval;
    needs ≥ 3 months with leads.

    Returns
    -------
    (monthly, summary). ``monthly``: period, month, deals_created, leads_handled, rate, ci_low,
    ci_high. ``summary``: dict with target, rate / k / n / ci_low / ci_high over the window,
    below_target (rate < target), n_months, slope (logit per month), slope_ci_low,
    slope_ci_high (t interval), p_value, dispersion (Pearson χ²/df, floored at 1), rising
    (slope > 0 and p < alpha; None with < 3 months).
    """
    import statsmodels.api as sm

    cols = ["period", "month", "deals_created", "leads_handled", "rate", "ci_low", "ci_high"]
    empty = {
        "target": target,
        "rate": np.nan,
        "k": 0,
        "n": 0,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "below_target": None,
        "n_months": 0,
        "slope": np.nan,
        "slope_ci_low": np.nan,
        "slope_ci_high": np.nan,
        "p_value": np.nan,
        "dispersion": np.nan,
        "rising": None,
    }
    if "deals_created" not in rep_month.columns:
        return pd.DataFrame(columns=cols), empty
    start, end = io.month_bounds(month, trend_months)
    w = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    m = w.groupby("period", as_index=False)[["deals_created", "leads_handled"]].sum()
    m = m[m["leads_handled"] > 0].reset_index(drop=True)
    m.insert(1, "month", m["period"].dt.strftime("%Y-%m"))
    m["rate"] = m["deals_created"] / m["leads_handled"]
    m["ci_low"], m["ci_high"] = (
        kst.wilson_ci(m["deals_created"].to_numpy(), m["leads_handled"].to_numpy()) if len(m) else ([], [])
    )
    out = dict(empty)
    ws, _ = io.month_bounds(month, window_months)
    win = m[m["period"] >= ws]
    k, n = int(win["deals_created"].sum()), int(win["leads_handled"].sum())
    if n:
        lo, hi = kst.wilson_ci(k, n)
        out.update(
            rate=k / n, k=k, n=n, ci_low=lo, ci_high=hi, below_target=None if target is None else bool(k / n < target)
        )
    out["n_months"] = int(len(m))
    if len(m) >= 3:
        x = sm.add_constant(np.arange(len(m), dtype=float))
        y = np.column_stack([m["deals_created"], m["leads_handled"] - m["deals_created"]]).astype(float)
        res = sm.GLM(y, x, family=sm.families.Binomial()).fit()
        # quasi-binomial: scale the binomial SE by the Pearson dispersion (never below 1) and use
        # t with the residual df (statsmodels' scale="X2" is wrong for two-column endog)
        df = int(res.df_resid)
        phi = max(float(res.pearson_chi2) / df, 1.0) if df > 0 else 1.0
        slope, se = float(res.params[1]), float(res.bse[1]) * np.sqrt(phi)
        tq = _st.t.ppf(0.975, df) if df > 0 else np.inf
        p = float(2 * _st.t.sf(abs(slope / se), df)) if df > 0 and se > 0 else 1.0
        out.update(
            slope=slope,
            slope_ci_low=slope - tq * se,
            slope_ci_high=slope + tq * se,
            p_value=p,
            dispersion=phi,
            rising=bool(slope > 0 and p < alpha),
        )
    return m[cols], out


def efficiency_kpis(targets_file=None) -> pd.DataFrame:
    """The efficiency KPIs item 9 checks: the growth template's rate KPIs of importance ≥ 2."""
    t = kpis.phase_targets("growth", targets_file=targets_file or None)
    return t[(t["unit"] == "rate") & (t["importance"] >= 2)].reset_index(drop=True)


def efficiency_stability(
    rep_month: pd.DataFrame,
    deals: pd.DataFrame | None,
    *,
    month: str,
    targets_file=None,
    window_months: int = 3,
    min_trials: int = 30,
) -> tuple[pd.DataFrame, dict]:
    """Are the efficiency KPIs at target in every month of the window?

    deal_conversion comes from the rep-month table (deals created / leads handled);
    handoff_win_rate from ``deals`` (won / (won + lost), by the month deals closed). Other rate
    KPIs of the template are taken from the rep-month table when their parts are there.

    Returns
    -------
    (monthly, summary). ``monthly``: kpi_id, month, k, n, rate, target, at_target (None when n <
    ``min_trials``). ``summary``: dict with kpis (list), months (list), n_months_at_target
    {kpi: count}, met (True when every KPI is at target in every month, False when any month
    with enough trials is below, else None), missing (KPIs without data).
    """
    eff = efficiency_kpis(targets_file)
    months = [str(pd.Period(month, freq="M") - i) for i in range(window_months - 1, -1, -1)]
    rows, missing = [], []
    rm = rep_month.assign(month=rep_month["period"].dt.strftime("%Y-%m"))
    for r in eff.itertuples(index=False):
        k_ = kpis.get(r.kpi_id)
        if r.kpi_id == "handoff_win_rate":
            if deals is None or "closed_month" not in deals.columns:
                missing.append(r.kpi_id)
                continue
            closed = deals[deals["status"].isin(["won", "lost"])]
            kn = {m: (int((g["status"] == "won").sum()), int(len(g))) for m, g in closed.groupby("closed_month")}
        elif k_.numerator in rm.columns and k_.denominator in rm.columns:
            s = rm.groupby("month")[[k_.numerator, k_.denominator]].sum()
            kn = {m: (int(v[k_.numerator]), int(v[k_.denominator])) for m, v in s.iterrows()}
            if r.kpi_id == "deal_conversion" and deals is None:
                missing.append(r.kpi_id)
                continue
        else:
            missing.append(r.kpi_id)
            continue
        for m in months:
            k, n = kn.get(m, (0, 0))
            rate = k / n if n else np.nan
            rows.append(
                {
                    "kpi_id": r.kpi_id,
                    "month": m,
                    "k": k,
                    "n": n,
                    "rate": rate,
                    "target": r.target,
                    "at_target": None if n < min_trials else bool(rate >= r.target),
                }
            )
    monthly = pd.DataFrame(rows, columns=["kpi_id", "month", "k", "n", "rate", "target", "at_target"])
    ats = monthly["at_target"].tolist()
    if any(a is False for a in ats):
        met = False
    elif ats and all(a is True for a in ats) and not missing:
        met = True
    else:
        met = None
    counts = {k: int(sum(a is True for a in g["at_target"])) for k, g in monthly.groupby("kpi_id", sort=False)}
    return monthly, {
        "kpis": list(eff["kpi_id"]),
        "months": months,
        "n_months_at_target": counts,
        "met": met,
        "missing": missing,
    }


def revenue_traceability(
    deals: pd.DataFrame | None,
    *,
    month: str,
    window_months: int = 3,
    lookback_months: int = 12,
    min_share: float = 0.95,
) -> dict:
    """Can the team's revenue contribution be traced (deals with amounts and outcomes linked)?

    Deals created in the last ``lookback_months`` months up to the report month.

    Returns
    -------
    dict with n_deals, amount_share (with amount_jpy), closed (won + lost), close_date_share
    (closed deals with closed_at), lead_share (with lead_id), won_window (won deals closed in the
    window with an amount), won_amount_window (their sum), traceable (True / False; None without
    a deals table).
    """
    if deals is None:
        return {
            "n_deals": 0,
            "amount_share": np.nan,
            "closed": 0,
            "close_date_share": np.nan,
            "lead_share": np.nan,
            "won_window": 0,
            "won_amount_window": 0.0,
            "traceable": None,
        }
    start, end = io.month_bounds(month, lookback_months)
    ws, _ = io.month_bounds(month, window_months)
    created = deals["created_at"].dt.tz_localize(None) if deals["created_at"].dt.tz is not None else deals["created_at"]
    d = deals[(created >= start) & (created < end)]
    n = int(len(d))
    closed = d[d["status"].isin(["won", "lost"])]
    mw = [str(pd.Period(month, freq="M") - i) for i in range(window_months)]
    won = deals[(deals["status"] == "won") & deals["closed_month"].isin(mw) & deals["amount_jpy"].notna()]
    out = {
        "n_deals": n,
        "amount_share": float(d["amount_jpy"].notna().mean()) if n else np.nan,
        "closed": int(len(closed)),
        "close_date_share": float(closed["closed_at"].notna().mean()) if len(closed) else np.nan,
        "lead_share": float(d["lead_id"].notna().mean()) if n and "lead_id" in d else np.nan,
        "won_window": int(len(won)),
        "won_amount_window": float(won["amount_jpy"].sum()),
    }
    out["traceable"] = bool(
        n > 0
        and out["amount_share"] >= min_share
        and len(closed) > 0
        and out["close_date_share"] >= min_share
        and len(won) > 0
    )
    return out


# ---------------------------------------------------------------------------------------------
# the rule
def _decide(met: dict) -> tuple[str, str]:
    cnt = {ph: sum(1 for i in ITEM_IDS if ITEM_PHASE[i] == ph and met.get(i)) for ph in kpis.PHASES}
    if cnt["launch"] >= RULE["launch"]:
        return "launch", "rule"
    if cnt["mature"] >= RULE["mature"]:
        return "mature", "rule"
    if cnt["growth"] >= RULE["growth"]:
        return "growth", "rule"
    for ph in kpis.PHASES:
        if cnt[ph] >= 1:
            return ph, "fallback"
    return "launch", "fallback"


def classify(statuses, *, min_judged: int = 5) -> dict:
    """The seed's rule on a set of checklist answers, with the module's tie/overlap rules.

    Parameters
    ----------
    statuses : mapping item_id → "met" / "not_met" / "unknown" (or True / False / None), or a
        checklist DataFrame with columns item_id, status. Items not given are unknown.
    min_judged : fewer judged (met or not met) items → insufficient data.

    Returns
    -------
    dict with phase (launch / growth / mature, or None = insufficient data), determined (bool),
    basis ("rule", "fallback" or "insufficient"), rules_met (phases whose rule holds on the
    judged items), counts {phase: items met}, unknown {phase: unknown items}, totals {phase:
    items}, judged (items judged), possible (phases some answer to the unknown items would give),
    deciding (unknown item ids whose answer can change the phase).
    """
    if isinstance(statuses, pd.DataFrame):
        statuses = dict(zip(statuses["item_id"], statuses["status"]))
    bad = [k for k in statuses if k not in ITEM_IDS]
    if bad:
        raise ValueError(f"unknown checklist items {bad}; items are {ITEM_IDS}")
    st = {i: _as_status(statuses.get(i)) for i in ITEM_IDS}
    unknown = [i for i in ITEM_IDS if st[i] == "unknown"]
    base = {i: st[i] == "met" for i in ITEM_IDS}
    outcomes = {}
    for fill in itertools.product((False, True), repeat=len(unknown)):
        met = dict(base)
        met.update(zip(unknown, fill))
        outcomes[fill] = _decide(met)
    possible = sorted({o[0] for o in outcomes.values()}, key=kpis.PHASES.index)
    deciding = []
    for j, u in enumerate(unknown):
        for fill, o in outcomes.items():
            if not fill[j]:
                flipped = fill[:j] + (True,) + fill[j + 1 :]
                if outcomes[flipped][0] != o[0]:
                    deciding.append(u)
                    break
    judged = len(ITEM_IDS) - len(unknown)
    counts = {ph: sum(1 for i in ITEM_IDS if ITEM_PHASE[i] == ph and st[i] == "met") for ph in kpis.PHASES}
    rules_met = [ph for ph in kpis.PHASES if counts[ph] >= RULE[ph]]
    determined = len(possible) == 1 and judged >= min_judged
    phase, basis = _decide(base) if determined else (None, "insufficient")
    if determined:
        # the basis is the one every answer gives
        basis = outcomes[tuple(False for _ in unknown)][1]
    return {
        "phase": phase,
        "determined": determined,
        "basis": basis,
        "rules_met": rules_met,
        "counts": counts,
        "unknown": {ph: sum(1 for i in unknown if ITEM_PHASE[i] == ph) for ph in kpis.PHASES},
        "totals": {ph: sum(1 for i in ITEM_IDS if ITEM_PHASE[i] == ph) for ph in kpis.PHASES},
        "judged": judged,
        "possible": possible,
        "deciding": deciding,
    }


def readiness(*, from_phase: str | None, checklist_status: dict, sign_status: dict, determined: bool = True) -> dict:
    """Readiness for the phase after ``from_phase`` (see the module docstring).

    Returns
    -------
    dict with next_phase, readiness (ready / not_yet / insufficient_data / final), conditions
    (ids checked: sign ids for growth, item ids for mature), failed, unknown (ids).
    """
    if not determined or from_phase is None:
        return {"next_phase": None, "readiness": "insufficient_data", "conditions": [], "failed": [], "unknown": []}
    nxt = next_phase_of(from_phase)
    if nxt is None:
        return {"next_phase": None, "readiness": "final", "conditions": [], "failed": [], "unknown": []}
    if nxt == "growth":
        conds = list(GROWTH_CONDITIONS)
        st = {c: _as_status(sign_status.get(c)) for c in conds}
    else:
        conds = list(MATURE_CONDITIONS)
        st = {c: _as_status(checklist_status.get(c)) for c in conds}
    failed = [c for c in conds if st[c] == "not_met"]
    unknown = [c for c in conds if st[c] == "unknown"]
    r = "not_yet" if failed else ("insufficient_data" if unknown else "ready")
    return {"next_phase": nxt, "readiness": r, "conditions": conds, "failed": failed, "unknown": unknown}


# ---------------------------------------------------------------------------------------------
# text
def _pct(x, d=1):
    return fmt.pct(x, d)


def _n1(x):
    return fmt.num(x, 1)


def _tgt(x):
    """A target as written in the template: 100 → '100', 7.5 → '7.5'."""
    return "–" if x is None else (fmt.num(x, 0) if float(x).is_integer() else fmt.num(x, 1))


def _ci(lo, hi, lang, pct=True):
    f = (lambda v: _pct(v)) if pct else _n1
    return f"{f(lo)}〜{f(hi)}" if lang == "ja" else f"{f(lo)}–{f(hi)}"


def _date(d, lang):
    if d is None or pd.isna(d):
        return "–"
    d = pd.Timestamp(d)
    return f"{d.year}年{d.month}月{d.day}日" if lang == "ja" else d.strftime("%Y-%m-%d")


def _ym(m: str, lang: str) -> str:
    p = pd.Period(m, freq="M")
    return f"{p.year}年{p.month}月" if lang == "ja" else p.strftime("%b %Y")


def _stability_text(a: dict, lang: str) -> str:
    """The stability clause, from the team chart's and the per-rep charts' verdicts."""
    ja = lang == "ja"
    team_ok = a.get("team_stable", a["stable"])
    if team_ok:
        team = (
            f"チームの管理図は安定しています(管理限界外 {a['n_beyond']}日、同じ側の最長連続 {a['longest_run']}日)"
            if ja
            else f"The team's control chart is stable ({a['n_beyond']} days beyond the limits, "
            f"longest run {a['longest_run']})"
        )
    else:
        sig = []
        if a["n_beyond"]:
            sig.append(f"管理限界外 {a['n_beyond']}日" if ja else f"{a['n_beyond']} days beyond the limits")
        if a["run_signal"]:
            sig.append(
                f"中心線の同じ側に{a['longest_run']}日連続" if ja else f"a run of {a['longest_run']} days on one side"
            )
        team = (
            f"チームの管理図では工程が不安定です({'、'.join(sig)})"
            if ja
            else f"The team's control chart is unstable ({', '.join(sig)})"
        )
    nj = a.get("reps_judged", 0)
    if not nj:
        return team
    share = a["reps_stable_share"]
    need = a["min_stable_share"]
    reps = (
        f"。担当者ごとの管理図(チームの平均では個人の日々の振れが打ち消されるため)では{nj}人中{a['reps_stable']}人"
        f"({_pct(share, 0)})が安定で、基準の{_pct(need, 0)}"
        if ja
        else f". Per rep (a team mean averages each rep's day-to-day swings away), {a['reps_stable']} of {nj} "
        f"reps ({_pct(share, 0)}) have a stable chart of their own, against the criterion of {_pct(need, 0)}"
    )
    ok = share >= need
    reps += ("以上です" if ok else "に届きません") if ja else (" (met)" if ok else " (not met)")
    if team_ok and not ok:
        reps += "。行動量は安定しているとは言えません" if ja else "; activity is not stable"
    return team + reps


def _activity_text(a: dict, kpi_label: str, phase_lbl: str, window_months: int, lang: str) -> str:
    if a["reason"] == "no_target":
        return (
            f"{kpi_label}の1人1日あたりの目標がフェーズの目標テンプレートにないため判定できません。"
            if lang == "ja"
            else f"The phase templates have no per-rep-day target for {kpi_label}; not judged."
        )
    if a["reason"] == "too_few_days":
        return (
            f"直近{window_months}ヶ月の営業日データが{a['n_points']}日しかなく、管理図で安定性を判定できません。"
            if lang == "ja"
            else f"Only {a['n_points']} business days in the last {window_months} months; too few for a control chart."
        )
    ja = lang == "ja"
    at = a["mean_at_target"]
    if ja:
        s = (
            f"{kpi_label}(稼働した担当者1人1日あたり、直近{window_months}ヶ月の営業日{a['n_points']}日)は"
            f"平均{_n1(a['mean'])}件で、{phase_lbl}の目標{_tgt(a['target'])}件"
            f"{'を上回ります' if at else 'に届きません'}。"
        )
        s += _stability_text(a, lang)
        s += (
            f"。下方管理限界 {_n1(a['lcl'])}件は目標を{'上回り、ほぼ毎日目標に届く水準' if a['lcl_clears_target'] else '下回ります'}"
            f"{'です' if a['lcl_clears_target'] else ''}。"
        )
        s += (
            f"担当者の稼働日のうち目標に届いた日は{_pct(a['share'])}"
            f"(95%信頼区間 {_ci(a['share_ci_low'], a['share_ci_high'], lang)}、{a['k_at_target']:,}/{a['n_rep_days']:,}人日)。"
        )
        return s
    s = (
        f"{kpi_label} per working rep per day over the last {window_months} months ({a['n_points']} business "
        f"days): mean {_n1(a['mean'])}, {'above' if at else 'below'} the {phase_lbl} target of {_tgt(a['target'])}. "
    )
    s += _stability_text(a, lang)
    s += (
        f"; its lower limit {_n1(a['lcl'])} is {'above' if a['lcl_clears_target'] else 'below'} the target. "
        f"Reps reached the target on {_pct(a['share'])} of their working days "
        f"(95% CI {_ci(a['share_ci_low'], a['share_ci_high'], lang)}, {a['k_at_target']:,}/{a['n_rep_days']:,} rep-days)."
    )
    return s


def _skill_text(g: dict, kpi_label: str, window_months: int, lang: str, trend: bool = False) -> str:
    ja = lang == "ja"
    if g.get("missing"):
        return (
            f"{kpi_label}を計算するデータがないため判定できません。"
            if ja
            else f"No data to compute {kpi_label}; not judged."
        )
    if g["large"] is None:
        return (
            f"{kpi_label}のばらつきを測れる担当者が{g['n_reps']}人しかおらず、判定できません。"
            if ja
            else f"Only {g['n_reps']} reps with enough {kpi_label} trials; not judged."
        )
    if ja:
        s = (
            f"担当者間の{kpi_label}のばらつき(偶然の変動を除いた変動係数、役割別)は直近{window_months}ヶ月で"
            f"{g['cv']:.2f}、基準{g['threshold']:.2f}{'以上で「大きい」' if g['large'] else '未満'}です(担当者{g['n_reps']}人)。"
        )
    else:
        s = (
            f"The spread of {kpi_label} between reps (coefficient of variation net of chance, within role) "
            f"is {g['cv']:.2f} over the last {window_months} months, {'at or above' if g['large'] else 'below'} "
            f"the {g['threshold']:.2f} threshold ({g['n_reps']} reps)."
        )
    if trend:
        if g["narrowing"] is None:
            s += (
                "月次の推移は4ヶ月分そろわず、縮小傾向は検定できません。"
                if ja
                else " Fewer than 4 months: the trend cannot be tested."
            )
        else:
            s += (
                f"月次では{g['first_cv']:.2f}→{g['last_cv']:.2f}(過去{g['n_months']}ヶ月、ケンドールのτ={g['tau']:.2f}、"
                f"{fmt.p_value(g['p_value'])}){'で、縮小傾向は統計的に確かです' if g['narrowing'] else 'で、確かな縮小傾向はありません'}。"
                if ja
                else f" Monthly {g['first_cv']:.2f} → {g['last_cv']:.2f} over {g['n_months']} months (Kendall's "
                f"τ={g['tau']:.2f}, {fmt.p_value(g['p_value'])}): "
                f"{'a reliable narrowing' if g['narrowing'] else 'no reliable narrowing'}."
            )
    return s


def _patterns_text(sp: dict, window_months: int, lang: str) -> str:
    """The evidence of item 3 / sign 3, written from ``success_patterns``' verdict: what was looked
    for, what was found, and why an absence is (or is not) taken as "no pattern"."""
    ja = lang == "ja"
    looked = sp.get("looked_for", [])
    parts = []
    if "hours" not in looked:
        parts.append(
            f"直近{window_months}ヶ月の架電が{sp['calls']:,}件と少なく、時間帯のパターンは調べられません"
            if ja
            else f"only {sp['calls']:,} calls in the last {window_months} months, too few to look for calling hours"
        )
    else:
        hours = sp["recommended_hours"]
        if ja:
            h = (
                f"直近{window_months}ヶ月の架電{sp['calls']:,}件では、コネクト率が中央値の時間帯より確実に高い時間帯は"
                f"{timing.hour_windows(hours, lang) if hours else 'ありません'}"
            )
            if hours:
                h += f"(最大 {sp['best_lift'] * 100:+.1f}ポイント、担当者と曜日を調整、時間帯分析(04)と同じ判定)"
        else:
            h = (
                f"over {sp['calls']:,} calls in the last {window_months} months, hours with a connect rate reliably "
                f"above the median hour: {timing.hour_windows(hours, lang) if hours else 'none'}"
            )
            if hours:
                h += f" (up to {sp['best_lift'] * 100:+.1f} pts, rep- and weekday-adjusted, the same rule as notebook 04)"
        parts.append(h)
        sc = sp["scripts"]
        if len(sc):
            f = sc[sc["found"]]
            if ja:
                parts.append(
                    "スクリプトによる差は"
                    + (
                        f"{kpis.label(f['kpi_id'].iloc[0], lang)}で確認できます(スクリプト{f['script'].iloc[0]} "
                        f"{_pct(f['rate'].iloc[0])} 対 それ以外 {_pct(f['other_rate'].iloc[0])}、担当者を揃えた比較、前の期間でも同じ傾向)"
                        if len(f)
                        else "担当者を揃えて比べると確認できません"
                    )
                )
            else:
                parts.append(
                    (
                        f"scripts differ in {kpis.label(f['kpi_id'].iloc[0], lang)} (script {f['script'].iloc[0]} "
                        f"{_pct(f['rate'].iloc[0])} vs the others {_pct(f['other_rate'].iloc[0])}, rep held fixed, "
                        f"replicated in the previous window)"
                    )
                    if len(f)
                    else "no reliable difference between scripts (rep held fixed)"
                )
        else:
            parts.append(
                "スクリプトを比べられるデータ(2種類以上、各300件以上)がありません"
                if ja
                else "there are no script data to compare (two scripts with 300+ calls each)"
            )
    s = ("。".join(parts) + "。") if ja else ("; ".join(parts).capitalize() + ".")
    if sp["winning_script"] is True:
        s += "分析者の回答: 勝ちスクリプトが確立されています。" if ja else " Analyst: a winning script is established."
    elif sp["winning_script"] is False:
        s += "分析者の回答: 勝ちスクリプトはまだありません。" if ja else " Analyst: no winning script yet."
    kinds = {"hours": "架電時間帯" if ja else "calling hours", "scripts": "スクリプト" if ja else "scripts"}
    if sp["visible"] is None:
        miss = (
            "・".join(kinds[k] for k in sp.get("not_looked_for", []))
            if ja
            else " and ".join(kinds[k] for k in sp.get("not_looked_for", []))
        )
        s += (
            f"{miss}のパターンは確かめられず(分析者の回答もなし)、パターンが見つからないことは「ない」証拠にならないため、"
            f"判定は不明とします(パラメータ winning_script で回答できます)。"
            if ja
            else f" Patterns in {miss} could not be checked (and the analyst has not answered); not finding one kind "
            f"of pattern is no proof of none, so this stays unknown (answer with the parameter winning_script)."
        )
    elif sp["visible"] is False:
        s += (
            "調べた種類("
            + "・".join(kinds[k] for k in ("hours", "scripts"))
            + ")のどれにも成功パターンは見つかりません。"
            if ja
            else " No success pattern was found in any kind looked for (calling hours, scripts)."
        )
    return s


def _conversion_text(c: dict, activity_met, window_months: int, trend_months: int, lang: str) -> str:
    ja = lang == "ja"
    lbl = kpis.label("deal_conversion", lang)
    if activity_met is False:
        return (
            "行動量が目標に安定して届いていないため、「量は足りている」状態ではありません。"
            if ja
            else "Activity is not stably at target, so volume is not yet enough."
        )
    if not c["n"]:
        return f"{lbl}を計算できるデータ(商談・リード)がありません。" if ja else f"No data to compute {lbl}."
    tgt = "–" if c["target"] is None else _pct(c["target"], 0)
    if ja:
        s = (
            f"{lbl}は直近{window_months}ヶ月で{_pct(c['rate'])}(95%信頼区間 {_ci(c['ci_low'], c['ci_high'], lang)}、"
            f"{c['k']:,}/{c['n']:,}件)で、成長期の目標{tgt}{'に届きません' if c['below_target'] else '以上です'}。"
        )
        if c["rising"] is None:
            s += "月次の推移は3ヶ月分そろわず検定できません。"
        else:
            s += (
                f"月次の推移(過去{c['n_months']}ヶ月)は1ヶ月あたり{c['slope']:+.3f}(ロジット、{fmt.p_value(c['p_value'])})で、"
                f"{'確かに上昇しています' if c['rising'] else '上昇しているとは言えません'}。"
            )
        return s
    s = (
        f"{lbl} over the last {window_months} months: {_pct(c['rate'])} (95% CI {_ci(c['ci_low'], c['ci_high'], lang)}, "
        f"{c['k']:,}/{c['n']:,}), {'below' if c['below_target'] else 'at or above'} the growth target of {tgt}. "
    )
    if c["rising"] is None:
        s += "Fewer than 3 months: no trend test."
    else:
        s += (
            f"Monthly trend over {c['n_months']} months: {c['slope']:+.3f} logit per month ({fmt.p_value(c['p_value'])}): "
            f"{'reliably rising' if c['rising'] else 'not reliably rising'}."
        )
    return s


def _efficiency_text(monthly: pd.DataFrame, e: dict, window_months: int, lang: str) -> str:
    ja = lang == "ja"
    if monthly.empty:
        return "効率性KPIを計算できるデータ(商談)がありません。" if ja else "No deal data for the efficiency KPIs."
    parts = []
    for kpi_id, g in monthly.groupby("kpi_id", sort=False):
        vals = " / ".join(_pct(r) if n >= 1 else "–" for r, n in zip(g["rate"], g["n"]))
        ok = e["n_months_at_target"].get(kpi_id, 0)
        parts.append(
            f"{kpis.label(kpi_id, lang)} {vals}(目標{_pct(g['target'].iloc[0], 0)}、{ok}/{len(g)}ヶ月達成)"
            if ja
            else f"{kpis.label(kpi_id, lang)} {vals} (target {_pct(g['target'].iloc[0], 0)}, met in {ok}/{len(g)} months)"
        )
    if ja:
        s = f"成長期の効率性KPIの月次実績(直近{window_months}ヶ月): " + "、".join(parts) + "。"
        if e["met"] is None:
            s += "件数が少ない月があるため、安定達成かどうかは判定できません。"
        return s
    s = f"Growth-phase efficiency KPIs by month (last {window_months}): " + "; ".join(parts) + "."
    if e["met"] is None:
        s += " Some months have too few trials to judge."
    return s


def _revenue_text(r: dict, answer, lang: str) -> str:
    ja = lang == "ja"
    if r["traceable"] is None:
        s = "商談データがないため、データでは判定できません。" if ja else "No deals table; the data cannot judge this."
    elif ja:
        s = (
            f"直近12ヶ月の商談{r['n_deals']:,}件のうち金額あり{_pct(r['amount_share'], 0)}、決着済み商談の決着日あり"
            f"{_pct(r['close_date_share'], 0)}、リードとの紐付け{_pct(r['lead_share'], 0)}。直近3ヶ月の受注は"
            f"{r['won_window']:,}件・{fmt.yen(r['won_amount_window'], lang)}で、受注貢献金額を集計できます。"
            if r["traceable"]
            else f"直近12ヶ月の商談{r['n_deals']:,}件のうち金額あり{_pct(r['amount_share'], 0)}、決着日あり"
            f"{_pct(r['close_date_share'], 0)}、直近3ヶ月の金額付き受注{r['won_window']:,}件で、受注貢献金額を追跡するには不十分です。"
        )
    else:
        s = (
            f"Of {r['n_deals']:,} deals in the last 12 months, {_pct(r['amount_share'], 0)} carry an amount, "
            f"{_pct(r['close_date_share'], 0)} of closed deals a close date, {_pct(r['lead_share'], 0)} a lead; "
            f"{r['won_window']:,} won deals ({fmt.yen(r['won_amount_window'], lang)}) in the last 3 months"
            + (": won revenue can be traced." if r["traceable"] else ": not enough to trace won revenue.")
        )
    if answer is not None:
        s += (
            f"分析者の回答(報告体制): {'あり' if answer else 'なし'}。"
            if ja
            else f" Analyst (reporting in place): {'yes' if answer else 'no'}."
        )
    return s


# ---------------------------------------------------------------------------------------------
# checklist and signs
def _quality_issue_conclusion(q, c: dict, lang: str) -> str:
    """Why item 6 got its status (written from the status and the conversion verdicts)."""
    ja = lang == "ja"
    if q is not True:
        return ""
    why = []
    if c["below_target"]:
        why.append("目標に届かない" if ja else "below the target")
    if c["rising"] is False:
        why.append("上昇していない" if ja else "not rising")
    return (
        f"{'・'.join(why)}ため、「量は足りているが、質が課題」に該当します。"
        if ja
        else f' It is {" and ".join(why)}, so "volume is enough, quality is the issue" applies.'
    )


def sign_conversion_status(activity_status: str, c: dict, enough: bool) -> str:
    """Sign 5, "volume is enough but deal conversion does not rise": met when activity is stably
    at target and the conversion trend is not reliably rising; not met when activity is not at
    target or conversion **is** rising (whatever its level); unknown otherwise."""
    if not enough or activity_status == "unknown":
        return "unknown"
    if activity_status == "not_met":
        return "not_met"
    if c["rising"] is None:
        return "unknown"
    return "not_met" if c["rising"] else "met"


def _sign_conversion_text(status: str, c: dict, base: str, lang: str) -> str:
    ja = lang == "ja"
    if status == "met":
        return base + (
            "商談化率が上がらない状態にあたるため、このサインは確認できます。"
            if ja
            else " Conversion is not rising, so the sign is seen."
        )
    if status == "not_met" and c["rising"]:
        return base + (
            "商談化率は上昇しているため、このサインは確認できません。"
            if ja
            else " Conversion is rising, so the sign is not seen."
        )
    return base


def checklist(ev: dict, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """The 10 checklist rows from the evidence of :func:`diagnose` (``TeamDiagnosis.evidence``).

    Returns
    -------
    DataFrame, one row per item in the seed's order: no (1–10), item_id, phase, phase_label,
    label, status (met / not_met / unknown), status_label, source (data / analyst / none),
    source_label, value (the figure, float or None), value_text, threshold, threshold_text,
    evidence (a sentence with the figures).
    """
    ja = _ja(lang)
    rows = {}
    a, sp, g, c, e, r = (ev["activity"], ev["patterns"], ev["skill"], ev["conversion"], ev["efficiency"], ev["revenue"])
    ans = ev["answers"]
    enough = ev["enough_data"]
    w, tm = ev["window_months"], ev["trend_months"]
    short = (
        f"データ期間が{ev['span']['span_months']:.1f}ヶ月で、必要な{ev['min_months']}ヶ月に足りないため判定できません。"
        if ja
        else f"Only {ev['span']['span_months']:.1f} months of data (needs {ev['min_months']}); not judged."
    )
    # 1 launch age
    ms = ev["months_since_launch"]
    hi = kpis.phase_months("launch")[1]
    if ms is None:
        rows["launch_age"] = (
            "unknown",
            "none",
            None,
            "–",
            hi,
            f"< {hi}",
            "チームの立ち上げ日がデータにないため判定できません。"
            if ja
            else "The data has no launch date for the team; not judged.",
        )
    else:
        rows["launch_age"] = (
            _status(ms < hi),
            "data",
            float(ms),
            f"{ms}ヶ月" if ja else f"{ms} months",
            hi,
            f"{hi}ヶ月未満" if ja else f"< {hi} months",
            f"立ち上げ日({_date(ev['launched_on'], lang)})から{ms}ヶ月です。"
            if ja
            else f"{ms} months since the launch on {_date(ev['launched_on'], lang)}.",
        )
    # 2 / 5 activity
    klabel = kpis.label(a["kpi"], lang)
    plabel = kpis.phase_label(ev["activity_target_phase"], lang) if ev["activity_target_phase"] else ""
    act_txt = _activity_text(a, klabel, plabel, w, lang) if enough else short
    act_met = a["met"] if enough else None
    thr = (
        "–"
        if a["target"] is None
        else (f"{_tgt(a['target'])}件/人日以上・管理図が安定" if ja else f"≥ {_tgt(a['target'])}/rep-day, stable chart")
    )
    val = _f(a["mean"]) if enough else None
    vtxt = "–" if val is None else (f"平均{_n1(val)}件" if ja else f"mean {_n1(val)}")
    rows["activity_stable"] = (_status(act_met), "data", val, vtxt, a["target"], thr, act_txt)
    rows["activity_unstable"] = (
        _status(None if act_met is None else not act_met),
        "data",
        val,
        vtxt,
        a["target"],
        thr,
        act_txt,
    )
    # 3 success patterns (negated)
    vis = sp["visible"] if enough else None
    if sp["winning_script"] is True:
        vis = True
    pat_txt = _patterns_text(sp, w, lang) if (enough or sp["winning_script"] is True) else short
    src = "data" if sp["source"] == "data" else "analyst"
    ph = len(sp["recommended_hours"])
    rows["no_success_pattern"] = (
        _status(None if vis is None else not vis),
        src,
        float(ph),
        (f"推奨時間帯 {ph}時間" if ja else f"{ph} good hours"),
        None,
        "BH補正 q<0.05" if ja else "BH q<0.05",
        pat_txt,
    )
    # 4 skill gap
    sk_label = kpis.label(g["kpi"], lang)
    large = g["large"] if enough else None
    rows["skill_gap_large"] = (
        _status(large),
        "data",
        _f(g["cv"]) if enough else None,
        "–" if not enough or not np.isfinite(g["cv"]) else f"CV {g['cv']:.2f}",
        g["threshold"],
        (f"変動係数 {g['threshold']:.2f}以上" if ja else f"CV ≥ {g['threshold']:.2f}"),
        _skill_text(g, sk_label, w, lang) if enough else short,
    )
    # 6 volume ok, quality issue
    if not enough:
        q = None
    elif act_met is False:
        q = False
    elif act_met is None or c["below_target"] is None:
        q = None
    else:
        q = bool(c["below_target"] or not c["rising"])
    rows["volume_ok_quality_issue"] = (
        _status(q),
        "data",
        _f(c["rate"]) if enough else None,
        "–" if not enough or not np.isfinite(c["rate"]) else _pct(c["rate"]),
        c["target"],
        (
            f"行動量が目標達成、かつ{kpis.label('deal_conversion', lang)}が目標{_pct(c['target'], 0)}未満または上昇なし"
            if ja
            else f"activity at target and {kpis.label('deal_conversion', lang)} below {_pct(c['target'], 0)} or not rising"
        )
        if c["target"] is not None
        else "–",
        (_conversion_text(c, act_met, w, tm, lang) + _quality_issue_conclusion(q, c, lang)) if enough else short,
    )
    # 7 data span
    span = ev["span"]
    rows["data_3_months"] = (
        _status(span["span_months"] >= ev["min_months"]) if span["span_days"] else "not_met",
        "data",
        float(span["span_months"]),
        f"{span['span_months']:.1f}ヶ月" if ja else f"{span['span_months']:.1f} months",
        ev["min_months"],
        f"{ev['min_months']}ヶ月以上" if ja else f"≥ {ev['min_months']} months",
        (
            f"活動データは{_date(span['first_date'], lang)}から{_date(span['last_date'], lang)}までの"
            f"{span['span_months']:.1f}ヶ月分です。"
            if ja
            else f"Activity data from {_date(span['first_date'], lang)} to {_date(span['last_date'], lang)}: "
            f"{span['span_months']:.1f} months."
        )
        if span["span_days"]
        else ("活動データがありません。" if ja else "No activity data."),
    )
    # 8 field-sales rules (analyst only)
    fa = ans["fs_rules_established"]
    rows["fs_rules"] = (
        _status(fa),
        "analyst" if fa is not None else "none",
        None,
        "–" if fa is None else (("はい" if fa else "いいえ") if ja else ("yes" if fa else "no")),
        None,
        "分析者の回答" if ja else "analyst's answer",
        (f"分析者の回答: {'はい' if fa else 'いいえ'}。" if ja else f"Analyst: {'yes' if fa else 'no'}.")
        if fa is not None
        else (
            "データでは判定できないため、分析者の回答(パラメータ fs_rules_established)を待っています。"
            if ja
            else "The data cannot judge this; waiting for the analyst (parameter fs_rules_established)."
        ),
    )
    # 9 efficiency
    em = e["met"] if enough else None
    n_ok = sum(e["n_months_at_target"].values())
    n_all = len(ev["efficiency_monthly"])
    rows["efficiency_stable"] = (
        _status(em),
        "data",
        float(n_ok) if enough and n_all else None,
        (f"{n_ok}/{n_all} KPI・月で達成" if ja else f"{n_ok}/{n_all} KPI-months at target")
        if enough and n_all
        else "–",
        None,
        (f"全KPIが{w}ヶ月連続で目標以上" if ja else f"every KPI at target in all {w} months"),
        _efficiency_text(ev["efficiency_monthly"], e, w, lang) if enough else short,
    )
    # 10 revenue
    ra = ans["revenue_reporting"]
    rv = ra if ra is not None else r["traceable"]
    rows["revenue_visible"] = (
        _status(rv),
        "analyst" if ra is not None else "data",
        _f(r["amount_share"]),
        "–"
        if not np.isfinite(r["amount_share"])
        else (f"金額あり{_pct(r['amount_share'], 0)}" if ja else f"{_pct(r['amount_share'], 0)} with amount"),
        0.95,
        "金額・決着日あり95%以上、受注あり" if ja else "≥ 95 % with amount and close date, a won deal",
        _revenue_text(r, ra, lang),
    )
    out = []
    for no, (iid, ph, _, _) in enumerate(ITEMS, start=1):
        s, src_, v, vt, th, tht, evd = rows[iid]
        out.append(
            {
                "no": no,
                "item_id": iid,
                "phase": ph,
                "phase_label": kpis.phase_label(ph, lang),
                "label": item_label(iid, lang),
                "status": s,
                "status_label": status_label(s, lang),
                "source": src_,
                "source_label": _SOURCE_LABELS[src_][lang],
                "value": v,
                "value_text": vt,
                "threshold": th,
                "threshold_text": tht,
                "evidence": evd,
            }
        )
    return pd.DataFrame(out)


def transition_signs(cl: pd.DataFrame, ev: dict, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """The seed's five growth-transition signs, each met / not met / unknown with evidence.

    Sign 1 = checklist item 5; sign 3 = not item 3; sign 4 = item 7; sign 5 =
    :func:`sign_conversion_status` (its own rule: conversion not rising — item 6 also counts a
    conversion below target, so the two may differ); sign 2 =
    the skill gap is below the threshold or narrowing reliably (Kendall's τ, one-sided).

    Returns
    -------
    DataFrame, one row per sign: no (1–5), sign_id, sign_label, status, status_label, required
    (one of the FAQ's three conditions for moving to growth), evidence.
    """
    ja = _ja(lang)
    st = dict(zip(cl["item_id"], cl["status"]))
    evd = dict(zip(cl["item_id"], cl["evidence"]))
    g = ev["skill"]
    if not ev["enough_data"] or g["large"] is None:
        s2 = "unknown"
    elif not g["large"] or g["narrowing"]:
        s2 = "met"
    elif g["narrowing"] is None:
        s2 = "unknown"
    else:
        s2 = "not_met"
    neg = {"met": "not_met", "not_met": "met", "unknown": "unknown"}
    s5 = sign_conversion_status(st["activity_stable"], ev["conversion"], ev["enough_data"])
    status = {
        "sign_activity": st["activity_stable"],
        "sign_skill": s2,
        "sign_patterns": neg[st["no_success_pattern"]],
        "sign_data": st["data_3_months"],
        "sign_conversion": s5,
    }
    act_met = {"met": True, "not_met": False}.get(st["activity_stable"])
    s5_text = (
        _sign_conversion_text(
            s5,
            ev["conversion"],
            _conversion_text(ev["conversion"], act_met, ev["window_months"], ev["trend_months"], lang),
            lang,
        )
        if ev["enough_data"]
        else evd["volume_ok_quality_issue"]
    )
    skill_ev = (
        _skill_text(g, kpis.label(g["kpi"], lang), ev["window_months"], lang, trend=True)
        if ev["enough_data"]
        else evd["skill_gap_large"]
    )
    evidence = {
        "sign_activity": evd["activity_stable"],
        "sign_skill": skill_ev,
        "sign_patterns": evd["no_success_pattern"],
        "sign_data": evd["data_3_months"],
        "sign_conversion": s5_text,
    }
    rows = []
    for no, (sid, _, _) in enumerate(SIGNS, start=1):
        rows.append(
            {
                "no": no,
                "sign_id": sid,
                "sign_label": sign_label(sid, lang),
                "status": status[sid],
                "status_label": status_label(status[sid], lang, sign=True),
                "required": ("必須" if ja else "required")
                if sid in GROWTH_CONDITIONS
                else ("参考" if ja else "supporting"),
                "evidence": evidence[sid],
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# reps
def rep_standing(
    rep_day: pd.DataFrame,
    rep_month: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    month: str,
    target: float | None,
    next_phase: str | None,
    growth_conversion_target: float | None,
    kpi: str = "calls",
    window_months: int = 3,
    min_rep_days: int = 10,
    lang: str = config.DEFAULT_LANG,
) -> pd.DataFrame:
    """Who is ahead of the team (candidates for next-phase KPIs, the seed's FAQ) and who is behind.

    Returns
    -------
    DataFrame, one row per rep with working days in the window: rep_id, rep_name, role,
    joined_on, tenure_months, working_days, per_day (mean ``kpi`` per working day),
    days_at_target, share_at_target, share_ci_low, share_ci_high, deals_created, leads_handled,
    conversion, conversion_ci_low, conversion_ci_high, role_conversion (the team's rate for the
    rep's role: SDR and BDR conversion differ by design, so reps are compared within role),
    standing (ahead / in_line / behind / insufficient), standing_label, note (sentence with the
    figures).
    """
    ja = _ja(lang)
    start, end = io.month_bounds(month, window_months)
    w = _working(rep_day, start, end)
    rm = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    conv = rm.groupby("rep_id")[["deals_created", "leads_handled"]].sum() if "deals_created" in rm else None
    n_all = len(w)
    team_share = (w[kpi] >= target).mean() if target is not None and n_all else np.nan
    info = reps.set_index("rep_id")
    role_of = w.groupby("rep_id")["role"].first()
    team_conv = {}
    if conv is not None:
        cr_ = conv.join(role_of, how="inner").groupby("role")[["deals_created", "leads_handled"]].sum()
        team_conv = {
            r: (v["deals_created"] / v["leads_handled"] if v["leads_handled"] else np.nan) for r, v in cr_.iterrows()
        }
    rows = []
    for rep_id, g in w.groupby("rep_id"):
        n = int(len(g))
        k = int((g[kpi] >= target).sum()) if target is not None else 0
        lo, hi = kst.wilson_ci(k, n) if target is not None else (np.nan, np.nan)
        dk, dn = (
            (int(conv.loc[rep_id, "deals_created"]), int(conv.loc[rep_id, "leads_handled"]))
            if conv is not None and rep_id in conv.index
            else (0, 0)
        )
        clo, chi = kst.wilson_ci(dk, dn) if dn else (np.nan, np.nan)
        joined = info.loc[rep_id, "joined_on"] if rep_id in info.index else pd.NaT
        tenure = scorecard.months_since_launch(joined, month) if pd.notna(joined) else None
        cr = dk / dn if dn else np.nan
        tc = team_conv.get(g["role"].iloc[0], np.nan)
        if n < min_rep_days:
            standing = "insufficient"
        else:
            conv_low = bool(dn > 0 and np.isfinite(tc) and chi < tc)
            act_low = bool(target is not None and np.isfinite(team_share) and hi < team_share)
            if next_phase == "growth":
                ahead = target is not None and lo >= 0.5 and not conv_low
                behind = act_low or conv_low
            elif next_phase == "mature":
                ahead = (
                    growth_conversion_target is not None and dn > 0 and clo >= growth_conversion_target and not act_low
                )
                behind = conv_low
            else:
                ahead, behind = False, conv_low
            standing = "ahead" if ahead and not behind else ("behind" if behind else "in_line")
        rows.append(
            {
                "rep_id": rep_id,
                "rep_name": info.loc[rep_id, "rep_name"] if "rep_name" in info and rep_id in info.index else rep_id,
                "role": g["role"].iloc[0],
                "joined_on": joined,
                "tenure_months": tenure,
                "working_days": n,
                "per_day": float(g[kpi].mean()),
                "days_at_target": k,
                "share_at_target": k / n if target is not None else np.nan,
                "share_ci_low": lo,
                "share_ci_high": hi,
                "deals_created": dk,
                "leads_handled": dn,
                "conversion": cr,
                "conversion_ci_low": clo,
                "conversion_ci_high": chi,
                "role_conversion": tc,
                "standing": standing,
                "standing_label": standing_label(standing, lang),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    notes = []
    klabel = kpis.label(kpi, lang)
    clabel = kpis.label("deal_conversion", lang)
    for r in out.itertuples(index=False):
        new = r.tenure_months is not None and r.tenure_months < 3
        if r.standing == "insufficient":
            n = (
                f"直近{window_months}ヶ月の稼働日が{r.working_days}日で、判定に必要な{min_rep_days}日に足りません。"
                if ja
                else f"{r.working_days} working days in the window (needs {min_rep_days})."
            )
        elif r.standing == "ahead":
            n = (
                (
                    f"稼働日の{_pct(r.share_at_target, 0)}で{klabel}の目標に到達。個別に成長期のKPI(商談化率など)を追加する候補です。"
                    if next_phase == "growth"
                    else f"{clabel} {_pct(r.conversion)}(95%CI {_ci(r.conversion_ci_low, r.conversion_ci_high, lang)})が成長期の目標以上。個別に成熟期のKPIを追加する候補です。"
                )
                if ja
                else (
                    f"At the {klabel} target on {_pct(r.share_at_target, 0)} of working days: a candidate for growth KPIs."
                    if next_phase == "growth"
                    else f"{clabel} {_pct(r.conversion)} (95% CI {_ci(r.conversion_ci_low, r.conversion_ci_high, lang)}) "
                    "clears the growth target: a candidate for mature KPIs."
                )
            )
        elif r.standing == "behind":
            parts = []
            if target is not None and np.isfinite(team_share) and r.share_ci_high < team_share:
                parts.append(
                    f"{klabel}の目標到達日 {_pct(r.share_at_target, 0)}(チーム {_pct(team_share, 0)})"
                    if ja
                    else f"days at the {klabel} target {_pct(r.share_at_target, 0)} (team {_pct(team_share, 0)})"
                )
            if r.leads_handled and np.isfinite(r.role_conversion) and r.conversion_ci_high < r.role_conversion:
                parts.append(
                    f"{clabel} {_pct(r.conversion)}(チームの{r.role} {_pct(r.role_conversion)})"
                    if ja
                    else f"{clabel} {_pct(r.conversion)} (team's {r.role}s {_pct(r.role_conversion)})"
                )
            n = (
                ("、".join(parts) + "がチームを確かに下回ります。")
                if ja
                else ("; ".join(parts) + ": clearly below the team.")
            )
        else:
            n = "チームと確かな差はありません。" if ja else "No clear difference from the team."
        if new and r.standing != "insufficient":
            n += "入社3ヶ月未満(立ち上がり期間中)です。" if ja else " Joined less than 3 months ago (ramping up)."
        notes.append(n)
    out["note"] = notes
    order = {"ahead": 0, "behind": 1, "in_line": 2, "insufficient": 3}
    return out.sort_values(
        ["standing", "rep_id"], key=lambda s: s.map(order) if s.name == "standing" else s
    ).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# next steps
def target_text(kpi_id: str, x, lang: str = config.DEFAULT_LANG) -> str:
    """A target value in its unit: 0.15 → '15%', 80 → '80件', 75 → '75点', 3e7 → '3,000万円'."""
    ja = _ja(lang)
    unit = kpis.get(kpi_id).unit
    if x is None or not np.isfinite(x):
        return "–"
    if unit == "rate":
        return fmt.pct(x, 0 if round(x * 100, 6).is_integer() else 1)
    if unit == "jpy":
        return fmt.yen(x, lang)
    if unit == "count":
        return f"{_tgt(x)}件" if ja else _tgt(x)
    if unit == "points":
        return f"{_tgt(x)}点" if ja else f"{_tgt(x)} pts"
    if unit == "minutes":
        return f"{_tgt(x)}分" if ja else f"{_tgt(x)} min"
    return fmt.num(x, 1)


def next_phase_kpis(
    next_phase: str | None, *, current_phase: str | None = None, targets_file=None, lang: str = config.DEFAULT_LANG
) -> pd.DataFrame:
    """The next phase's KPI set and targets (phase template), and what happens to the current set.

    Returns
    -------
    DataFrame: phase, kpi_id, tier, tier_label, kpi_label, target, per, target_text, importance,
    stars, change ("new" = not in the current template, "reference" = new with importance 1 (the
    template's reference levels), "kept", "downgraded" = a current KPI of
    importance ≥ 2 the next template drops: it becomes a supporting indicator; the growth
    template's importance-1 references are not listed), change_label. Empty when there is no
    next phase.
    """
    ja = _ja(lang)
    cols = [
        "phase",
        "kpi_id",
        "tier",
        "tier_label",
        "kpi_label",
        "target",
        "per",
        "target_text",
        "importance",
        "stars",
        "change",
        "change_label",
    ]
    if next_phase is None:
        return pd.DataFrame(columns=cols)
    _check("next_phase", next_phase, kpis.PHASES)
    nxt = kpis.phase_targets(next_phase, targets_file=targets_file or None, lang=lang)
    cur = (
        kpis.phase_targets(current_phase, targets_file=targets_file or None, lang=lang)
        if current_phase
        else nxt.iloc[0:0]
    )
    labels = {
        "new": ("新規", "New"),
        "kept": ("継続(目標値を更新)", "Kept (new target)"),
        "reference": ("新規(参考値として計測)", "New (measured as a reference)"),
        "downgraded": ("補助指標へ格下げ", "Downgraded to supporting"),
    }
    rows = []
    dropped = cur[~cur["kpi_id"].isin(nxt["kpi_id"]) & (cur["importance"] >= 2)]
    for src, change in ((nxt, None), (dropped, "downgraded")):
        for r in src.itertuples(index=False):
            ch = change or ("kept" if r.kpi_id in set(cur["kpi_id"]) else ("reference" if r.importance < 2 else "new"))
            per_lbl = scorecard.PER_LABELS.get(r.per, scorecard.PER_LABELS[None])[lang]
            val = target_text(r.kpi_id, r.target, lang)
            lower = r.direction == "lower"
            tt = (
                (f"{val}{'以下' if lower else '以上'}" + (f"({per_lbl})" if per_lbl else ""))
                if ja
                else (f"{'≤' if lower else '≥'} {val}" + (f" ({per_lbl})" if per_lbl else ""))
            )
            rows.append(
                {
                    "phase": r.phase,
                    "kpi_id": r.kpi_id,
                    "tier": r.tier,
                    "tier_label": kpis.tier_label(r.tier, lang),
                    "kpi_label": r.label,
                    "target": r.target,
                    "per": r.per,
                    "target_text": tt,
                    "importance": r.importance,
                    "stars": "★" * r.importance + "☆" * (3 - r.importance),
                    "change": ch,
                    "change_label": labels[ch][0 if ja else 1],
                }
            )
    return pd.DataFrame(rows, columns=cols)


def migration_plan(
    month: str, *, next_phase: str | None, ready: bool = True, lang: str = config.DEFAULT_LANG
) -> pd.DataFrame:
    """The seed's migration plan as dated steps from the report month.

    Preparation = the month after ``month`` (the seed's 移行1ヶ月前), parallel run = the two
    months after that (移行後1〜2ヶ月), full switch = from the month after those (移行後3ヶ月〜).
    A team that is not ready gets the earliest plan if it meets the conditions in the next
    report month: every step one month later, status ``provisional``.

    Returns
    -------
    DataFrame, one row per step: step (preparation / parallel / full), step_label, start (first
    day), end (last day; NaT for the open-ended full switch), months (list of "YYYY-MM";
    the full switch lists its first month), period_text, actions (list of str), actions_text,
    status (planned when ``ready``, else provisional), plan_status_label, next_phase. Empty
    without a next phase.
    """
    ja = _ja(lang)
    cols = [
        "step",
        "step_label",
        "start",
        "end",
        "months",
        "period_text",
        "actions",
        "actions_text",
        "status",
        "plan_status_label",
        "next_phase",
    ]
    if next_phase is None:
        return pd.DataFrame(columns=cols)
    _check("next_phase", next_phase, kpis.PHASES)
    p0 = pd.Period(month, freq="M") + (0 if ready else 1)
    spans = {"preparation": (p0 + 1, p0 + 1), "parallel": (p0 + 2, p0 + 3), "full": (p0 + 4, None)}
    status = "planned" if ready else "provisional"
    rows = []
    for step, lja, len_, acts_ja, acts_en in PLAN_STEPS:
        a, b = spans[step]
        ms = [str(p) for p in pd.period_range(a, b or a, freq="M")]
        if b is None:
            pt = f"{_ym(str(a), lang)}〜" if ja else f"from {_ym(str(a), lang)}"
        elif a == b:
            pt = _ym(str(a), lang)
        else:
            pt = f"{_ym(str(a), lang)}〜{_ym(str(b), lang)}" if ja else f"{_ym(str(a), lang)} – {_ym(str(b), lang)}"
        acts = list(acts_ja if ja else acts_en)
        rows.append(
            {
                "step": step,
                "step_label": lja if ja else len_,
                "start": a.start_time,
                "end": b.end_time.normalize() if b is not None else pd.NaT,
                "months": ms,
                "period_text": pt,
                "actions": acts,
                "actions_text": " / ".join(acts),
                "status": status,
                "plan_status_label": _PLAN_STATUS[status][lang],
                "next_phase": next_phase,
            }
        )
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------------------------
# the whole diagnosis of one team
@dataclass
class TeamDiagnosis:
    """Everything notebook 02 shows for one team (see :func:`diagnose`)."""

    team_id: str
    team_name: str
    month: str
    months_since_launch: int | None
    time_phase: str
    time_phase_basis: str
    evidence: dict
    chart: pd.DataFrame
    skill_monthly: pd.DataFrame
    conversion_monthly: pd.DataFrame
    checklist: pd.DataFrame
    signs: pd.DataFrame
    classification: dict
    verdict: dict
    reps: pd.DataFrame
    next_kpis: pd.DataFrame
    plan: pd.DataFrame
    findings: list = field(default_factory=list)


def _phase_basis_text(cls: dict, team_phase: str, ms, lang: str) -> str:
    ja = lang == "ja"
    c, t = cls["counts"], cls["totals"]
    counts = (
        f"立ち上げ期{t['launch']}項目中{c['launch']}、成長期{t['growth']}項目中{c['growth']}、"
        f"成熟期{t['mature']}項目中{c['mature']}項目"
        if ja
        else f"{c['launch']}/{t['launch']} launch, {c['growth']}/{t['growth']} growth and "
        f"{c['mature']}/{t['mature']} mature items"
    )
    age = (
        ""
        if ms is None
        else (
            f"(経過{ms}ヶ月、経過月数では{kpis.phase_label(team_phase, lang)})"
            if ja
            else f" ({ms} months since launch: {kpis.phase_label(team_phase, lang)} by the calendar)"
        )
    )
    if not cls["determined"]:
        return f"チェックリストは{counts}に該当{age}。" if ja else f"The checklist meets {counts}{age}."
    ph = kpis.phase_label(cls["phase"], lang)
    if cls["basis"] == "rule":
        both = len(cls["rules_met"]) > 1
        tail = (
            (
                (
                    f"複数のフェーズの基準を満たすため、記事のFAQに従い{ph}とします"
                    if cls["phase"] == "launch"
                    else f"成長期と成熟期の基準を両方満たすため{ph}とします"
                )
                if both
                else f"{ph}の基準を満たします"
            )
            if ja
            else (
                (
                    f"several phases' rules hold; the lower phase ({ph}) is taken, per the seed's FAQ"
                    if cls["phase"] == "launch"
                    else f"both the growth and the mature rule hold; {ph} is taken"
                )
                if both
                else f"the {ph} rule holds"
            )
        )
        return (
            f"チェックリストは{counts}に該当し、{tail}{age}。" if ja else f"The checklist meets {counts}: {tail}{age}."
        )
    return (
        f"チェックリストは{counts}に該当し、どのフェーズの基準(3項目・3項目・2項目)も満たさないため、"
        f"該当項目のある最も低いフェーズの{ph}とします{age}。"
        if ja
        else f"The checklist meets {counts}: no phase's rule (3, 3, 2 items) holds, so the lowest phase with an "
        f"item met is taken: {ph}{age}."
    )


def _reasons(cls, ready, cl, signs, ev, team_phase, ms, lang) -> list[str]:
    ja = lang == "ja"
    evd = dict(zip(cl["item_id"], cl["evidence"]))
    sevd = dict(zip(signs["sign_id"], signs["evidence"]))
    if not cls["determined"]:
        out = []
        if not ev["span"]["span_days"]:
            out.append("この月までの活動データがありません。" if ja else "No activity data up to this month.")
        elif not ev["enough_data"]:
            out.append(
                f"データ期間が{ev['span']['span_months']:.1f}ヶ月しかなく、傾向を読むのに必要な{ev['min_months']}ヶ月に足りません。"
                if ja
                else f"Only {ev['span']['span_months']:.1f} months of data; trends need {ev['min_months']}."
            )
        out.append(
            f"判定できた項目は10項目中{cls['judged']}項目です。"
            if ja
            else f"{cls['judged']} of the 10 items could be judged."
        )
        if cls["deciding"] and len(cls["possible"]) > 1:
            names = (
                "、".join(f"「{item_label(i, lang)}」" for i in cls["deciding"][:3])
                if ja
                else "; ".join(f'"{item_label(i, lang)}"' for i in cls["deciding"][:3])
            )
            poss = (
                "・".join(kpis.phase_label(p, lang) for p in cls["possible"])
                if ja
                else " or ".join(kpis.phase_label(p, lang) for p in cls["possible"])
            )
            out.append(
                f"不明な項目({names})の答え次第で{poss}の{'どちら' if len(cls['possible']) == 2 else 'どれ'}にもなり得るため、"
                "推測はせず判定を保留します。"
                if ja
                else f"Depending on the unknown items ({names}) the phase could be {poss}; no guess is made."
            )
        return out[:3]
    out = [_phase_basis_text(cls, team_phase, ms, lang)]
    conds = (
        ready["failed"]
        + ready["unknown"]
        + [c for c in ready["conditions"] if c not in ready["failed"] + ready["unknown"]]
    )
    for c in conds[:2]:
        out.append(sevd.get(c) or evd.get(c))
    if ready["readiness"] == "final":
        out.append(evd["efficiency_stable"])
    return [s for s in out if s][:3]


def findings(diag: TeamDiagnosis, *, lang: str = config.DEFAULT_LANG) -> list[str]:
    """Plain sentences for leadership, generated from the numbers, saying how sure they are."""
    ja = _ja(lang)
    v, cls = diag.verdict, diag.classification
    name = diag.team_name
    out = []
    if v["phase"] is None:
        out.append(
            f"{name}のフェーズは判定を保留します(情報不足)。"
            if ja
            else f"{name}: the phase is undetermined (insufficient data)."
        )
    else:
        nxt = v["next_phase"]
        r = v["readiness"]
        ph, tph = kpis.phase_label(v["phase"], lang), kpis.phase_label(v["time_phase"], lang)
        if v["phase"] == v["time_phase"]:
            head = (
                f"{name}は{ph}と判定しました(経過月数でも{tph})。"
                if ja
                else f"{name} is diagnosed in the {ph} phase (also {tph} by the calendar)."
            )
        else:
            head = (
                f"{name}はチェックリストでは{ph}の特徴を示していますが、経過月数では{tph}です。"
                if ja
                else f"{name} shows the traits of the {ph} phase, while the calendar says {tph}."
            )
        if r == "final":
            head += "最終フェーズのため、次のフェーズへの移行はありません。" if ja else " It is the last phase."
        elif nxt:
            head += (
                f"{kpis.phase_label(nxt, lang)}への移行は「{readiness_label(r, lang)}」です。"
                if ja
                else f" Readiness for {kpis.phase_label(nxt, lang)}: {readiness_label(r, lang).lower()}."
            )
        out.append(head)
    out += v["reasons"]
    # how sure
    cl = diag.checklist
    n_data = int(((cl["source"] == "data") & (cl["status"] != "unknown")).sum())
    n_an = int((cl["source"] == "analyst").sum())
    unk = list(cl.loc[cl["status"] == "unknown", "item_id"])
    if cls["determined"]:
        if ja:
            sure = (
                f"10項目中{n_data}項目をデータで" + (f"、{n_an}項目を分析者の回答で" if n_an else "") + "判定しました。"
            )
            if unk:
                sure += (
                    "不明な項目("
                    + "、".join(f"「{item_label(i, lang)}」" for i in unk)
                    + ")がどう答えられても判定は変わりません。"
                )
        else:
            sure = f"{n_data} of 10 items were judged from data" + (f", {n_an} by the analyst" if n_an else "") + "."
            if unk:
                sure += (
                    " No answer to the unknown items ("
                    + "; ".join(f'"{item_label(i, lang)}"' for i in unk)
                    + ") could change the phase."
                )
        out.append(sure + _close_calls(diag, lang))
    ahead = diag.reps[diag.reps["standing"] == "ahead"] if len(diag.reps) else diag.reps
    behind = diag.reps[diag.reps["standing"] == "behind"] if len(diag.reps) else diag.reps
    if len(ahead) and v["next_phase"]:
        names = "、".join(ahead["rep_name"].head(4)) if ja else ", ".join(ahead["rep_name"].head(4))
        out.append(
            f"チームより先行している担当者は{len(ahead)}人({names}{'ほか' if len(ahead) > 4 else ''})で、"
            f"個別に{kpis.phase_label(v['next_phase'], lang)}のKPIを追加する候補です(記事のFAQ)。"
            if ja
            else f"{len(ahead)} {'rep is' if len(ahead) == 1 else 'reps are'} ahead of the team ({names}"
            f"{', …' if len(ahead) > 4 else ''}): candidates for "
            f"{kpis.phase_label(v['next_phase'], lang)} KPIs individually (the seed's FAQ)."
        )
    if len(behind):
        names = "、".join(behind["rep_name"].head(4)) if ja else ", ".join(behind["rep_name"].head(4))
        out.append(
            f"チームを確かに下回る担当者は{len(behind)}人({names}{'ほか' if len(behind) > 4 else ''})です。"
            if ja
            else f"{len(behind)} {'rep is' if len(behind) == 1 else 'reps are'} clearly behind the team ({names}"
            f"{', …' if len(behind) > 4 else ''})."
        )
    if len(diag.plan):
        p = diag.plan.set_index("step")
        if v["readiness"] == "ready":
            out.append(
                f"移行計画: {p.loc['preparation', 'period_text']}に移行準備、{p.loc['parallel', 'period_text']}に並行運用、"
                f"{p.loc['full', 'period_text']}本格移行。"
                if ja
                else f"Plan: prepare in {p.loc['preparation', 'period_text']}, run both KPI sets in "
                f"{p.loc['parallel', 'period_text']}, switch fully {p.loc['full', 'period_text']}."
            )
        elif v["readiness"] == "not_yet":
            out.append(
                "条件を満たすまでは現在のKPIを維持し、満たした翌月から移行準備に入ります。"
                if ja
                else "Keep the current KPIs until the conditions are met; start preparing the month after."
            )
    return out


def _close_calls(diag: TeamDiagnosis, lang: str) -> str:
    """A sentence naming deciding figures whose interval straddles their threshold."""
    ja = lang == "ja"
    ev = diag.evidence
    out = []
    a = ev["activity"]
    if (
        ev["enough_data"]
        and a["target"] is not None
        and np.isfinite(a.get("mean_ci_low", np.nan))
        and a["mean_ci_low"] <= a["target"] <= a["mean_ci_high"]
    ):
        out.append(
            f"{kpis.label(a['kpi'], lang)}の平均(95%区間 {_ci(a['mean_ci_low'], a['mean_ci_high'], lang, pct=False)})"
            if ja
            else f"mean {kpis.label(a['kpi'], lang)} (95% interval {_ci(a['mean_ci_low'], a['mean_ci_high'], lang, pct=False)})"
        )
    c = ev["conversion"]
    if (
        ev["enough_data"]
        and c["target"] is not None
        and np.isfinite(c["ci_low"])
        and c["ci_low"] <= c["target"] <= c["ci_high"]
    ):
        out.append(
            f"{kpis.label('deal_conversion', lang)}(95%信頼区間 {_ci(c['ci_low'], c['ci_high'], lang)})"
            if ja
            else f"{kpis.label('deal_conversion', lang)} (95% CI {_ci(c['ci_low'], c['ci_high'], lang)})"
        )
    g = ev["skill"]
    if ev["enough_data"] and g["large"] is not None and abs(g["cv"] - g["threshold"]) < 0.05:
        out.append(
            f"スキル差の変動係数 {g['cv']:.2f}(基準 {g['threshold']:.2f})"
            if ja
            else f"the skill-gap CV {g['cv']:.2f} (threshold {g['threshold']:.2f})"
        )
    if not out:
        return (
            "判定に使った主な数値は基準から十分に離れています。"
            if ja
            else " The deciding figures are clear of their thresholds."
        )
    return (
        ("ただし" + "、".join(out) + "は目標・基準が誤差の範囲内にあり、僅差の判定です。")
        if ja
        else (" Close calls: " + "; ".join(out) + " straddle their target or threshold.")
    )


def diagnose(
    data,
    *,
    month: str,
    team: str,
    rep_day: pd.DataFrame,
    rep_month: pd.DataFrame,
    answers: dict | None = None,
    targets_file=None,
    kpi_phase: str | None = None,
    lang: str = config.DEFAULT_LANG,
    activity_kpi: str = "calls",
    skill_kpi: str = "deal_conversion",
    window_months: int = 3,
    trend_months: int = 6,
    min_months: float = 3,
    skill_gap_threshold: float = 0.30,
    run_length: int = 9,
    max_out_share: float = 0.02,
    alpha: float = 0.05,
    min_trials: int = 30,
    min_judged: int = 5,
    min_rep_days: int = 10,
) -> TeamDiagnosis:
    """Phase diagnosis of one team for the report month.

    Parameters
    ----------
    data : Dataset (the whole organisation or this team).
    team : team_id.
    rep_day, rep_month : ``aggregate.rep_period`` tables (day, month), any teams; cut to ``team``
        and to the report month's end here.
    answers : analyst answers, keys among ``ANSWER_KEYS`` (fs_rules_established,
        revenue_reporting, winning_script); values yes / no / unknown, True / False / None, or
        per team "team_id:yes, …" (see :func:`parse_answer`). Missing = unknown.
    kpi_phase : the phase whose KPIs the team follows now; None/"" = by months since launch.
    activity_kpi : the activity KPI of items 2/5 (a per-rep-day count of the template).
    skill_kpi : the rate KPI of the skill gap (items 4, sign 2).
    window_months : evaluation window (the report month and the months before it).
    trend_months : months for the trend tests (conversion, skill gap).
    min_months : data needed for the pattern items and for item 7.
    skill_gap_threshold : between-rep CV at or above which the skill gap is "large".
    run_length, max_out_share : XmR stability rules.
    alpha : significance level (hour windows, script and trend tests).
    min_trials : months with fewer trials leave an efficiency KPI unknown.
    min_judged : fewer judged items → insufficient data.
    min_rep_days : reps with fewer working days in the window are not placed.

    Returns
    -------
    TeamDiagnosis with evidence (dict of the per-item results), chart (XmR table), skill_monthly,
    conversion_monthly, checklist (:func:`checklist`), signs (:func:`transition_signs`),
    classification (:func:`classify`), verdict (dict: phase, phase_label, time_phase,
    time_phase_label, from_phase, next_phase, next_phase_label, readiness, readiness_label,
    reasons (2–3 sentences), determined), reps (:func:`rep_standing`), next_kpis
    (:func:`next_phase_kpis`), plan (:func:`migration_plan`), findings (:func:`findings`).
    """
    _check_lang(lang)
    if kpi_phase not in (None, "", *kpis.PHASES):
        raise ValueError(f"kpi_phase must be one of {('', *kpis.PHASES)}, got {kpi_phase!r}")
    for name, v in (("window_months", window_months), ("trend_months", trend_months)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1, got {v}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if team not in data.team_ids():
        raise ValueError(f"unknown team {team!r}; teams in the data: {', '.join(data.team_ids())}")
    month_end = pd.Period(month, freq="M").end_time.normalize()
    td = data.filter(team=team)
    tp = scorecard.team_phases(td, month=month, phase=kpi_phase or None, lang=lang)
    tp = tp[tp["team_id"] == team].iloc[0]
    ms = None if pd.isna(tp["months_since_launch"]) else int(tp["months_since_launch"])
    time_phase = tp["phase"]
    rd = rep_day[(rep_day["team_id"] == team) & (rep_day["period"] <= month_end)]
    rm = rep_month[(rep_month["team_id"] == team) & (rep_month["period"] <= month_end)]
    ans = _answers_for(answers, team)
    span = data_span(rd, month=month)
    enough = span["span_months"] >= min_months
    a_target, a_phase = activity_target(time_phase, kpi=activity_kpi, targets_file=targets_file)
    chart, act = activity_stability(
        rd,
        month=month,
        target=a_target,
        kpi=activity_kpi,
        window_months=window_months,
        run_length=run_length,
        max_out_share=max_out_share,
    )
    skill_monthly, gap = skill_gap(
        rm,
        month=month,
        kpi=skill_kpi,
        window_months=window_months,
        trend_months=trend_months,
        threshold=skill_gap_threshold,
        alpha=alpha,
    )
    deals = td.deals if td.has("deals") else None
    if deals is not None:
        deals = deals[deals["created_at"].dt.tz_localize(None) <= month_end + pd.Timedelta(days=1)]
    conv_target = _growth_target("deal_conversion", targets_file)
    conv_monthly, conv = conversion_trend(
        rm if deals is not None else rm.drop(columns=["deals_created"], errors="ignore"),
        month=month,
        target=conv_target,
        window_months=window_months,
        trend_months=trend_months,
        alpha=alpha,
    )
    eff_monthly, eff = efficiency_stability(
        rm, deals, month=month, targets_file=targets_file, window_months=window_months, min_trials=min_trials
    )
    rev = revenue_traceability(deals, month=month, window_months=window_months)
    pat = success_patterns(
        td.filter(end=month_end + pd.Timedelta(days=1)),
        month=month,
        window_months=window_months,
        alpha=alpha,
        winning_script=ans["winning_script"],
    )
    ev = {
        "activity": act,
        "activity_target_phase": a_phase,
        "patterns": pat,
        "skill": gap,
        "conversion": conv,
        "efficiency": eff,
        "efficiency_monthly": eff_monthly,
        "revenue": rev,
        "answers": ans,
        "span": span,
        "enough_data": bool(enough),
        "window_months": window_months,
        "trend_months": trend_months,
        "min_months": min_months,
        "months_since_launch": ms,
        "launched_on": tp["launched_on"],
    }
    cl = checklist(ev, lang=lang)
    sg = transition_signs(cl, ev, lang=lang)
    cls = classify(cl, min_judged=min_judged)
    phase = cls["phase"]
    from_phase = None if phase is None else kpis.PHASES[min(kpis.PHASES.index(phase), kpis.PHASES.index(time_phase))]
    rdy = readiness(
        from_phase=from_phase,
        checklist_status=dict(zip(cl["item_id"], cl["status"])),
        sign_status=dict(zip(sg["sign_id"], sg["status"])),
        determined=cls["determined"],
    )
    nxt = rdy["next_phase"]
    reasons = _reasons(cls, rdy, cl, sg, ev, time_phase, ms, lang)
    verdict = {
        "phase": phase,
        "phase_label": phase_text(phase, lang),
        "time_phase": time_phase,
        "time_phase_label": kpis.phase_label(time_phase, lang),
        "time_phase_basis": tp["phase_basis"],
        "from_phase": from_phase,
        "next_phase": nxt,
        "next_phase_label": kpis.phase_label(nxt, lang) if nxt else "–",
        "readiness": rdy["readiness"],
        "readiness_label": readiness_label(rdy["readiness"], lang),
        "failed": rdy["failed"],
        "unknown": rdy["unknown"],
        "conditions": rdy["conditions"],
        "reasons": reasons,
        "determined": cls["determined"],
    }
    reps_tbl = rep_standing(
        rd,
        rm,
        td.reps,
        month=month,
        target=a_target,
        next_phase=nxt,
        growth_conversion_target=conv_target,
        kpi=activity_kpi,
        window_months=window_months,
        min_rep_days=min_rep_days,
        lang=lang,
    )
    plan_phase = nxt
    diag = TeamDiagnosis(
        team_id=team,
        team_name=str(tp["team_name"]),
        month=month,
        months_since_launch=ms,
        time_phase=time_phase,
        time_phase_basis=tp["phase_basis"],
        evidence=ev,
        chart=chart,
        skill_monthly=skill_monthly,
        conversion_monthly=conv_monthly,
        checklist=cl,
        signs=sg,
        classification=cls,
        verdict=verdict,
        reps=reps_tbl,
        next_kpis=next_phase_kpis(plan_phase, current_phase=from_phase, targets_file=targets_file, lang=lang),
        plan=migration_plan(month, next_phase=plan_phase, ready=rdy["readiness"] == "ready", lang=lang),
    )
    diag.findings = findings(diag, lang=lang)
    return diag


def diagnose_teams(data, *, month: str, rep_day: pd.DataFrame, rep_month: pd.DataFrame, **kwargs) -> dict:
    """:func:`diagnose` for every team in ``data`` (a team-filtered Dataset gives one team).

    Returns
    -------
    dict team_id → TeamDiagnosis, in team order. Teams without reps are left out.
    """
    teams = [data.team] if data.team != "all" else data.team_ids()
    with_reps = set(data.reps["team_id"])
    return {
        t: diagnose(data, month=month, team=t, rep_day=rep_day, rep_month=rep_month, **kwargs)
        for t in teams
        if t in with_reps
    }


# ---------------------------------------------------------------------------------------------
# display helpers (what the notebook shows and records)
def summary_table(diags: dict, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """One row per team for the verdict screen.

    Returns
    -------
    DataFrame: team_id, team_name, months_since_launch, months_text, time_phase,
    time_phase_label, phase, phase_text, counts_text, next_phase, next_phase_label, readiness,
    readiness_label.
    """
    ja = _ja(lang)
    rows = []
    for t, d in diags.items():
        v, c = d.verdict, d.classification
        rows.append(
            {
                "team_id": t,
                "team_name": d.team_name,
                "months_since_launch": d.months_since_launch,
                "months_text": "–"
                if d.months_since_launch is None
                else (f"{d.months_since_launch}ヶ月" if ja else f"{d.months_since_launch}"),
                "time_phase": v["time_phase"],
                "time_phase_label": v["time_phase_label"],
                "phase": v["phase"],
                "phase_text": v["phase_label"],
                "counts_text": f"{c['counts']['launch']}/4・{c['counts']['growth']}/4・{c['counts']['mature']}/2"
                if ja
                else f"{c['counts']['launch']}/4, {c['counts']['growth']}/4, {c['counts']['mature']}/2",
                "next_phase": v["next_phase"],
                "next_phase_label": v["next_phase_label"],
                "readiness": v["readiness"],
                "readiness_label": v["readiness_label"],
            }
        )
    return pd.DataFrame(rows)


def headline_text(diag: TeamDiagnosis, *, lang: str = config.DEFAULT_LANG) -> str:
    """One line per team: name, diagnosed phase (with the calendar's when it differs), readiness."""
    ja = _ja(lang)
    v = diag.verdict
    if v["phase"] is None:
        return f"{diag.team_name}: {v['readiness_label']}"
    ph = v["phase_label"]
    if v["phase"] is not None and v["phase"] != v["time_phase"]:
        ph += f"(経過月数では{v['time_phase_label']})" if ja else f" ({v['time_phase_label']} by the calendar)"
    if v["next_phase"]:
        tail = (
            f"{v['next_phase_label']}への移行は「{v['readiness_label']}」"
            if ja
            else f"readiness for {v['next_phase_label']}: {v['readiness_label']}"
        )
    else:
        tail = v["readiness_label"]
    return f"{diag.team_name}: {ph} — {tail}"


def headline(diags: dict, *, lang: str = config.DEFAULT_LANG) -> list[dict]:
    """Headline figures for the report index, one per team (``label``, ``value``, ``note``):
    the diagnosed phase and the readiness for the next one."""
    ja = _ja(lang)
    out = []
    for d in diags.values():
        v = d.verdict
        if v["next_phase"]:
            note = (
                f"{v['next_phase_label']}への移行: {v['readiness_label']}"
                if ja
                else f"to {v['next_phase_label']}: {v['readiness_label']}"
            )
        else:
            note = v["readiness_label"]
        out.append(
            {"label": f"{d.team_name} " + ("フェーズ" if ja else "phase"), "value": v["phase_label"], "note": note}
        )
    return out


def no_plan_note(diag: TeamDiagnosis, *, lang: str = config.DEFAULT_LANG) -> str | None:
    """Why a team gets no migration plan (last phase, or phase undetermined); None when it gets one."""
    ja = _ja(lang)
    v = diag.verdict
    if v["next_phase"] is not None:
        return None
    if v["readiness"] == "final":
        return "最終フェーズのため移行はありません。" if ja else "Last phase: no migration."
    return (
        "フェーズの判定を保留しているため、移行計画は示しません。"
        if ja
        else "The phase is undetermined: no migration plan."
    )


def key_figures(diag: TeamDiagnosis) -> dict:
    """The figures behind the verdict, JSON-ready (what the notebook records)."""
    ev = diag.evidence
    a, c, g, s = ev["activity"], ev["conversion"], ev["skill"], ev["span"]
    f = _f
    return {
        "months_since_launch": diag.months_since_launch,
        "span_months": f(s["span_months"]),
        "activity_kpi": a["kpi"],
        "activity_target": f(a["target"]),
        "activity_target_phase": ev["activity_target_phase"],
        "activity_mean": f(a["mean"]),
        "activity_lcl": f(a["lcl"]),
        "activity_ucl": f(a["ucl"]),
        "activity_stable": a["stable"],
        "activity_n_points": a["n_points"],
        "activity_k": a["k_at_target"],
        "activity_n": a["n_rep_days"],
        "activity_share": f(a["share"]),
        "window_start": str(a["window_start"].date()),
        "window_end": str(a["window_end"].date()),
        "conversion": f(c["rate"]),
        "conversion_k": c["k"],
        "conversion_n": c["n"],
        "conversion_target": f(c["target"]),
        "conversion_slope": f(c["slope"]),
        "conversion_p": f(c["p_value"]),
        "skill_cv": f(g["cv"]),
        "skill_threshold": g["threshold"],
        "skill_n_reps": g["n_reps"],
        "recommended_hours": ev["patterns"]["recommended_hours"],
        "activity_team_stable": a.get("team_stable"),
        "activity_reps_judged": a.get("reps_judged", 0),
        "activity_reps_stable": a.get("reps_stable", 0),
        "patterns_looked_for": ev["patterns"].get("looked_for", []),
        "efficiency_met": ev["efficiency"]["met"],
        "revenue_traceable": ev["revenue"]["traceable"],
    }


def format_checklist(cl: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """The checklist as the reader sees it (labelled columns)."""
    return column_labels(
        cl[["no", "phase_label", "label", "status_label", "source_label", "value_text", "threshold_text", "evidence"]],
        lang,
    )


def format_signs(sg: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    return column_labels(sg[["no", "sign_label", "required", "status_label", "evidence"]], lang)


def format_reps(reps: pd.DataFrame, *, lang: str = config.DEFAULT_LANG, kpi: str = "calls") -> pd.DataFrame:
    """The rep table as the reader sees it."""
    ja = _ja(lang)
    if reps.empty:
        return reps
    t = reps.copy()
    t["tenure_text"] = [
        "–" if m is None or pd.isna(m) else (f"{int(m)}ヶ月" if ja else f"{int(m)} mo") for m in t["tenure_months"]
    ]
    t["activity_text"] = [_n1(x) for x in t["per_day"]]
    t["share_text"] = [
        (f"{_pct(s, 0)}({_pct(lo, 0)}〜{_pct(hi, 0)})" if ja else f"{_pct(s, 0)} ({_pct(lo, 0)}–{_pct(hi, 0)})")
        if np.isfinite(s)
        else "–"
        for s, lo, hi in zip(t["share_at_target"], t["share_ci_low"], t["share_ci_high"])
    ]
    t["conversion_text"] = [
        (f"{_pct(c)}({_pct(lo)}〜{_pct(hi)})" if ja else f"{_pct(c)} ({_pct(lo)}–{_pct(hi)})") if n else "–"
        for c, lo, hi, n in zip(t["conversion"], t["conversion_ci_low"], t["conversion_ci_high"], t["leads_handled"])
    ]
    out = column_labels(
        t[
            [
                "rep_name",
                "role",
                "tenure_text",
                "working_days",
                "activity_text",
                "share_text",
                "conversion_text",
                "standing_label",
                "note",
            ]
        ],
        lang,
    )
    per_day = f"{kpis.label(kpi, lang)}/日" if ja else f"{kpis.label(kpi, lang)} per day"
    return out.rename(columns={COLUMN_LABELS["activity_text"][0 if ja else 1]: per_day})


def format_plan(plan: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    return column_labels(plan[["step_label", "period_text", "actions_text", "plan_status_label"]], lang)


def format_next_kpis(nk: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    return column_labels(nk[["tier_label", "kpi_label", "target_text", "stars", "change_label"]], lang)


def format_skill(monthly: pd.DataFrame, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    t = monthly.copy()
    t["rate_text"] = [_pct(x) for x in t["rate"]]
    t["cv_text"] = ["–" if not np.isfinite(x) else f"{x:.2f}" for x in t["cv"]]
    return column_labels(t[["month", "n_reps", "rate_text", "cv_text"]], lang)


#: display columns that hold sentences: wrapped, with a minimum width (the report CSS keeps
#: other cells on one line)
_WRAP = {
    "evidence": "21em",
    "note": "16em",
    "actions_text": "18em",
    "label": "10em",
    "threshold_text": "7em",
    "sign_label": "12em",
}


def styled(df: pd.DataFrame, *, lang: str = config.DEFAULT_LANG):
    """A display table (already labelled by :func:`column_labels`) as a Styler: no index,
    left-aligned, sentence columns wrapped."""
    i = 0 if _ja(lang) else 1
    s = df.style.hide(axis="index").set_properties(**{"text-align": "left", "vertical-align": "top"})
    for c, width in _WRAP.items():
        name = COLUMN_LABELS[c][i]
        if name in df.columns:
            s = s.set_properties(subset=[name], **{"white-space": "normal", "min-width": width})
    return s


def claims(diag: TeamDiagnosis) -> pd.DataFrame:
    """The hour effects a reader of the 02 page sees claimed for one team: the calling hours named
    as a success pattern (checklist item 3, sign 3, key figures). Read from the verdict
    (``evidence["patterns"]``), which comes from :func:`timing.reliable_windows`. Empty on a
    correct diagnosis of data without hour effects.

    Returns
    -------
    DataFrame with ``timing.CLAIM_COLUMNS`` (metric, where, factor, scope, group, level, claim).
    """
    return pattern_claims(diag.evidence["patterns"], team=diag.team_id)


def pattern_claims(patterns: dict, *, team: str) -> pd.DataFrame:
    """:func:`claims` from a :func:`success_patterns` result of ``team``."""
    return pd.DataFrame(
        [
            {
                "metric": "connect_rate",
                "where": "success_patterns",
                "factor": "hour",
                "scope": "all",
                "group": team,
                "level": int(h),
                "claim": "recommend",
            }
            for h in patterns["recommended_hours"]
        ],
        columns=timing.CLAIM_COLUMNS,
    )
