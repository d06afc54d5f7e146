"""Counting elements in headless Chromium without dash.testing's 2 s implicit wait.

dash.testing (``dash_duo``) sets ``implicitly_wait(2)`` on its driver, so ``find_elements`` of an element that is
rightly absent waits 2 s before it returns ``[]``.  :func:`count` asks the page in one script and returns at once:
call it only once the page's own condition is met (a waited-for text or element drawn by the same callback or
layout as the element counted), so an element that is going to be drawn is already in the page.
"""

from __future__ import annotations

_COUNT_JS = "return document.querySelectorAll(arguments[0]).length;"


def count(driver, selector: str) -> int:
    """How many elements match the CSS *selector* in the page now (no waiting)."""
    return int(driver.execute_script(_COUNT_JS, selector))
