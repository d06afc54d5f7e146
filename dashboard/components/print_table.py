"""A plain HTML copy of a table for paper: every row, not the page a paginated grid shows.

An AG Grid keeps only its current page (and only the rows in view) in the document, so printing it
prints that page.  The page keeps this copy beside it, hidden on screen and shown in print
(``.print-only`` in ``assets/patient.css``), while the grid is hidden in print (``.screen-only``).
"""

from __future__ import annotations

from dash import html


def _cell(value, column: str) -> str:
    """As the screen table shows it: copy numbers with 2 decimals, VAF (%) with 3 significant digits."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        if column == "copy_number":
            return f"{value:.2f}"
        return f"{value:.3g}" if column.startswith("vaf") else f"{value:g}"
    return str(value)


def print_table(records: list[dict], labels: dict[str, str], caption: str | None = None) -> html.Table | html.P:
    """Every row of *records* under the headers of *labels* (Dash escapes the text)."""
    if not records:
        return html.P("No rows.", className="muted")
    columns = [c for c in labels if any(c in r for r in records)]
    return html.Table(className="print-table", children=[
        html.Caption(caption) if caption else None,
        html.Thead(html.Tr([html.Th(labels[c]) for c in columns])),
        html.Tbody([html.Tr([html.Td(_cell(r.get(c), c)) for c in columns]) for r in records]),
    ])
