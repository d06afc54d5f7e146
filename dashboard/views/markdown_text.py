r"""Study text in Markdown table cells: a patient id is link text, never Markdown or a second link.

The tables render Markdown (CommonMark; raw HTML off), where an id such as ``P_1*`` or ``[x](y)``
would turn into emphasis or a link of its own.  :func:`markdown_escape` backslash-escapes every ASCII
punctuation character (CommonMark allows an escape before each of them, and shows the character
itself); :func:`markdown_link` escapes the text and percent-encodes what would end the link's URL.

>>> print(markdown_link("[x](y) *P_1*", "/patient/%5Bx%5D"))
[\[x\]\(y\) \*P\_1\*](/patient/%5Bx%5D)
"""

from __future__ import annotations

import string
from typing import Any

_ESCAPED = str.maketrans({c: "\\" + c for c in string.punctuation})
#: Characters that would end or break a Markdown link destination, percent-encoded.
_URL_UNSAFE = str.maketrans({" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\\": "%5C",
                             "`": "%60", '"': "%22", "'": "%27", "\n": "%0A", "\r": "%0D", "\t": "%09"})


def markdown_escape(value: Any) -> str:
    r"""*value* as literal Markdown text (every ASCII punctuation character backslash-escaped).

    >>> print(markdown_escape("<b>X</b> & P 1/a#b"))
    \<b\>X\<\/b\> \& P 1\/a\#b
    """
    text = " ".join(str(value).splitlines())  # a line break would end the table cell's paragraph
    return text.translate(_ESCAPED)


def markdown_link(text: Any, url: str) -> str:
    """``[text](url)``: *text* escaped (:func:`markdown_escape`); *url* (already percent-encoded, e.g.
    :func:`dashboard.views.patient_navigation.patient_path`) with the characters that end a destination
    percent-encoded as well.

    >>> markdown_link("P 1", "/patient/P%201?walk=cohort&class=acquired")
    '[P 1](/patient/P%201?walk=cohort&class=acquired)'
    """
    return f"[{markdown_escape(text)}]({str(url).translate(_URL_UNSAFE)})"
