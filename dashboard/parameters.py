"""Analysis parameters in the URL and in the parameter panel.

Parameters live in one place (the panel at the top of every page) and in the
URL query string, so that a shared link reproduces the view.  Only values that
differ from the defaults are written to the URL; anything unreadable in a URL
falls back to its default and is reported, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from dash import dcc, html

from analysis.params import AnalysisParameters
from dashboard import ids

DEFAULTS = AnalysisParameters()

#: URL key -> (AnalysisParameters field, label shown in the panel, unit)
URL_KEYS = {
    "cutoff": ("plasma_amplification_cn", "Plasma ERBB2 amplification cutoff", "copies"),
    "tissue_cutoff": ("tissue_amplification_cn", "Tissue NGS ERBB2 amplification cutoff", "copies"),
    "purity": ("purity_adjustment", "Purity-adjusted ERBB2 copy number", ""),
    "innate": ("innate_pfs_months", "Innate resistance: PFS below", "months"),
    "baseline": ("baseline_window_days", "Baseline draw window", "days from day 0"),
    "progression": ("progression_window_days", "Progression draw window", "days from progression"),
    "kb": ("knowledge_base", "Knowledge base", ""),
}
FIELD_TO_KEY = {field: key for key, (field, _, _) in URL_KEYS.items()}


@dataclass(frozen=True)
class ParsedParameters:
    """Parameters read from a URL, with the problems found on the way (shown to the user)."""

    params: AnalysisParameters
    problems: tuple[str, ...] = ()


def _window(text: str) -> tuple[int, int]:
    low, high = (int(float(part)) for part in str(text).split(","))
    if low > high:
        raise ValueError("start after end")
    return low, high


def params_from_query(query: dict, knowledge_bases: dict[str, str] | None = None) -> ParsedParameters:
    """Read parameters from URL query arguments (``{"cutoff": "2.6", ...}``).

    >>> params_from_query({"cutoff": "2.6"}).params.plasma_amplification_cn
    2.6
    >>> params_from_query({"cutoff": "lots"}).problems
    ("URL parameter cutoff='lots' is not a number; the default 2.4 is used.",)
    """
    changes: dict = {}
    problems: list[str] = []
    for key, (field, _, _) in URL_KEYS.items():
        if key not in query or query[key] in (None, ""):
            continue
        raw = query[key]
        default = getattr(DEFAULTS, field)
        try:
            if field in ("baseline_window_days", "progression_window_days"):
                changes[field] = _window(raw)
            elif field == "purity_adjustment":
                changes[field] = str(raw).lower() in ("1", "true", "yes", "on")
            elif field == "knowledge_base":
                if knowledge_bases is not None and raw not in knowledge_bases:
                    raise ValueError("unknown knowledge base")
                changes[field] = str(raw)
            else:
                value = float(raw)
                if not value > 0:
                    raise ValueError("must be positive")
                changes[field] = value
        except (TypeError, ValueError):
            kind = "a day window like -28,3" if "window" in field else (
                "a known knowledge base" if field == "knowledge_base" else "a number")
            problems.append(f"URL parameter {key}={raw!r} is not {kind}; the default {_show(default)} is used.")
    return ParsedParameters(DEFAULTS.with_changes(**changes), tuple(problems))


def _show(value) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def params_to_query(params: AnalysisParameters) -> dict[str, str]:
    """URL query arguments of the parameters that differ from the defaults."""
    query = {}
    for key, (field, _, _) in URL_KEYS.items():
        value = getattr(params, field)
        if value != getattr(DEFAULTS, field):
            query[key] = ("1" if value else "0") if isinstance(value, bool) else _show(value)
    return query


def query_string(params: AnalysisParameters, extra: dict[str, str] | None = None) -> str:
    """``?cutoff=2.6&...`` (empty string when everything is default)."""
    query = {**params_to_query(params), **{k: v for k, v in (extra or {}).items() if v not in (None, "")}}
    return "?" + urlencode(query) if query else ""


def params_from_store(data: dict | None) -> AnalysisParameters:
    """The parameters held in the page's parameter store (a query dict, sent by the client).

    The knowledge base is taken only when it is one of the server's own choices (an id such as
    ``default`` or ``study:my_kb.tsv``); anything else, a file path above all, falls back to the default
    and is never opened.
    """
    from dashboard.analysis_service import get_analysis_service

    try:
        choices = get_analysis_service().knowledge_bases()
    except RuntimeError:  # no app built (a callback called on its own): only the default is known
        choices = {"default": "default"}
    return params_from_query(data or {}, choices).params


def parameter_panel(parsed: ParsedParameters, knowledge_bases: dict[str, str]) -> html.Details:
    """The one place where parameters are set: a collapsible panel at the top of each page."""
    p = parsed.params
    changed = params_to_query(p)
    summary = "Analysis parameters: " + (
        ", ".join(f"{URL_KEYS[k][1]} {v}" for k, v in changed.items()) if changed else "defaults")

    def number(control_id: str, value: float, step: float, label: str, unit: str, minimum: float = 0) -> html.Label:
        return html.Label(className="param", children=[
            html.Span(f"{label} ({unit})" if unit else label),
            dcc.Input(id=control_id, type="number", value=value, step=step, min=minimum, debounce=True,
                      required=True),
        ])

    def window(control_id: str, value: tuple[int, int], label: str, unit: str) -> html.Label:
        return html.Label(className="param", children=[
            html.Span(f"{label} ({unit})"),
            dcc.Input(id=control_id, type="text", value=_show(value), debounce=True, pattern=r"-?\d+,-?\d+",
                      placeholder="start,end"),
        ])

    return html.Details(id=ids.PARAM_PANEL, className="param-panel", open=bool(parsed.problems), children=[
        html.Summary(summary, id=ids.PARAM_SUMMARY),
        html.Div(className="param-grid", children=[
            number(ids.PARAM_CUTOFF, p.plasma_amplification_cn, 0.05, *URL_KEYS["cutoff"][1:]),
            number(ids.PARAM_TISSUE_CUTOFF, p.tissue_amplification_cn, 0.1, *URL_KEYS["tissue_cutoff"][1:]),
            html.Label(className="param", children=[
                html.Span(URL_KEYS["purity"][1]),
                dcc.Checklist(id=ids.PARAM_PURITY, options=[{"label": " adjust for tumour fraction", "value": "on"}],
                              value=["on"] if p.purity_adjustment else []),
            ]),
            number(ids.PARAM_INNATE, p.innate_pfs_months, 0.5, *URL_KEYS["innate"][1:]),
            window(ids.PARAM_BASELINE, p.baseline_window_days, *URL_KEYS["baseline"][1:]),
            window(ids.PARAM_PROGRESSION, p.progression_window_days, *URL_KEYS["progression"][1:]),
            html.Label(className="param", children=[
                html.Span(URL_KEYS["kb"][1]),
                dcc.Dropdown(id=ids.PARAM_KB, options=[{"label": label, "value": key}
                                                       for key, label in knowledge_bases.items()],
                             value=p.knowledge_base, clearable=False),
            ]),
            html.Button("Reset to defaults", id=ids.PARAM_RESET, className="button-secondary"),
        ]),
        html.Ul([html.Li(problem) for problem in parsed.problems], className="param-problems")
        if parsed.problems else None,
        dcc.Store(id=ids.PARAMS, data=params_to_query(p)),
    ])


def params_from_controls(cutoff, tissue_cutoff, purity, innate, baseline, progression, kb) -> ParsedParameters:
    """Parameters from the panel's control values (same rules as the URL)."""
    return params_from_query({
        "cutoff": cutoff, "tissue_cutoff": tissue_cutoff, "purity": "1" if purity else "0", "innate": innate,
        "baseline": baseline, "progression": progression, "kb": kb,
    })
