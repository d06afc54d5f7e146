"""Study text in plotly figures: escaped once, so that an id is shown as text and never read as markup.

plotly.js reads tick labels, hover text, legend names, annotations and titles as a small subset of HTML
(``<a href>``, ``<b>``, ``<br>``, ``<span style>``, ...): a patient id ``<a href="https://x">P1</a>``
would become a live link in a tick label.  Every value from the study (patient and sample ids, genes,
alteration labels, clinical attribute values) goes through :func:`escape` before it reaches a figure;
the markup the figure itself adds (``<b>``, ``<br>``) is written around the escaped values.

Without ``<`` no tag can start, so ``&``, ``<`` and ``>`` are all that is escaped: plotly.js decodes
``&amp; &lt; &gt;`` and numeric entities when it draws text, but not ``&quot;`` (a quote escaped as
``html.escape`` does would be shown as ``&quot;``), and quotes outside a tag are plain text.  Text
pasted into a ``hovertemplate`` itself also has its ``%`` written ``&#37;`` (:func:`template_text`), so
that it is never read as a ``%{...}`` placeholder.  The click callbacks get the escaped id back in
``customdata`` and decode it with :func:`unescape` (the exact inverse).

>>> escape('<a href="x">P&1</a> 50%')
'&lt;a href="x"&gt;P&amp;1&lt;/a&gt; 50%'
>>> all(unescape(f(s)) == s for s in ("<b>X</b> & 'y' %{x}", "&lt;", "&amp;amp;") for f in (escape, template_text))
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_TEMPLATE_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;"})
#: Characters percent-encoded in an ``<a href>`` (plotly reads the attribute up to the next quote and
#: decodes no entity in it).
_HREF_UNSAFE = str.maketrans({'"': "%22", "'": "%27", "<": "%3C", ">": "%3E", " ": "%20", "`": "%60"})
#: plotly.js rewrites a label's href as ``encodeURI(decodeURI(href))``: the escape of a character that
#: ``decodeURI`` keeps (``; / ? : @ & = + $ , #``) comes out encoded twice (``%2F`` -> ``%252F``).
_REWRITTEN_ESCAPE = re.compile(r"%(3B|2F|3F|3A|40|26|3D|2B|24|2C|23)", re.IGNORECASE)


def escape(value: Any) -> str:
    """*value* as text for any plotly text field (tick, hover, legend, annotation, title, template).

    >>> escape("P 1/a#b"), escape(None), escape(3)
    ('P 1/a#b', 'None', '3')
    """
    return str(value).translate(_ENTITIES)


def template_text(value: Any) -> str:
    """*value* escaped for the literal part of a ``hovertemplate`` (``%`` too: no ``%{...}`` placeholder).

    >>> template_text("50%{y}")
    '50&#37;{y}'
    """
    return str(value).translate(_TEMPLATE_ENTITIES)


def escape_all(values: Iterable[Any]) -> list[str]:
    """:func:`escape` of every value (a column of ids, a list of tick labels)."""
    return [escape(v) for v in values]


def unescape(text: Any) -> str:
    """The study value of a text :func:`escape` wrote (a clicked point's ``customdata``).

    >>> unescape("&lt;b&gt;X&lt;/b&gt;"), unescape("P007")
    ('<b>X</b>', 'P007')
    """
    return html.unescape(str(text))


def link_survives(href: str) -> bool:
    """Whether plotly.js keeps *href* as written (no escape it would encode twice).

    >>> link_survives("/patient/P%201?cutoff=2.6&walk=cohort"), link_survives("/patient/P%2F1")
    (True, False)
    """
    return _REWRITTEN_ESCAPE.search(str(href)) is None


def link(href: str, text: Any, target: str = "_self") -> str:
    """An ``<a>`` label: *text* escaped, *href* (already percent-encoded, e.g. ``patient_path``) kept as is
    except for the characters that would end plotly's attribute.  An href plotly would rewrite into
    another address (:func:`link_survives`: an id holding ``/``, ``#``, ``?``, ...) gives the escaped text
    alone, never a link to the wrong page.

    >>> link("/patient/P%201?cutoff=2.6&walk=cohort", "<b>P 1</b>")
    '<a href="/patient/P%201?cutoff=2.6&walk=cohort" target="_self">&lt;b&gt;P 1&lt;/b&gt;</a>'
    >>> link("/patient/P%201%2Fa%23b", "P 1/a#b")
    'P 1/a#b'
    """
    if not link_survives(href):
        return escape(text)
    return f'<a href="{str(href).translate(_HREF_UNSAFE)}" target="{target}">{escape(text)}</a>'
