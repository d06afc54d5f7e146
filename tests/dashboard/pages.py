"""The dashboard's pages, and waiting in headless Chromium until one is drawn (shared by browser tests)."""

from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait

#: Every page of the demo study, in navigation order (a followed patient's page among them).
PAGES = ["/", "/cohort", "/patient/P033", "/concordance", "/response", "/resistance", "/survival", "/data"]
#: Pages that draw no plotly figure (the Overview shows findings cards, the Data page tables).
WITHOUT_FIGURES = frozenset({"/", "/data"})

HEADING_AND_IDLE = ("return !!document.querySelector('#_pages_content h1') && "
                    "document.querySelectorAll('._dash-loading').length === 0")
FIGURES_DRAWN = "return document.querySelectorAll('#_pages_content .js-plotly-plot .main-svg').length"


def open_drawn(driver, url: str, path: str, timeout: float = 60) -> None:
    """Open *path* and wait for its heading, no loading spinner, and (where it has any) a drawn figure."""
    driver.get(url + path)
    wait = WebDriverWait(driver, timeout, poll_frequency=0.25)
    wait.until(lambda d: d.execute_script(HEADING_AND_IDLE))
    if path not in WITHOUT_FIGURES:
        wait.until(lambda d: d.execute_script(FIGURES_DRAWN))
