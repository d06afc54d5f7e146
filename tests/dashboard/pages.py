"""The dashboard's pages, and waiting in headless Chromium until one is drawn (shared by browser tests)."""

from __future__ import annotations

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

#: Every page of the demo study, in navigation order (a followed patient's page among them).
PAGES = ["/", "/cohort", "/patient/P033", "/concordance", "/response", "/resistance", "/survival", "/data"]
#: Pages that draw no plotly figure (the Overview shows findings cards, the Data page tables).
WITHOUT_FIGURES = frozenset({"/", "/data"})

HEADING_AND_IDLE = ("return !!document.querySelector('#_pages_content h1') && "
                    "document.querySelectorAll('._dash-loading').length === 0")
FIGURES_DRAWN = "return document.querySelectorAll('#_pages_content .js-plotly-plot .main-svg').length"


#: Every visible table has sized its columns for the rows it shows (assets/grid_functions.js marks it).
TABLES_SIZED = """
return Array.from(document.querySelectorAll('#_pages_content .her2-grid[id]')).every((el) => {
    if (el.offsetParent === null) { return true; }  // hidden: sized when shown
    try { return el.dataset.her2Sized === String(window.dash_ag_grid.getApi(el.id).getDisplayedRowCount()); }
    catch (e) { return false; }
});
"""


def wait_tables_sized(driver, timeout: float = 10) -> None:
    """Wait until every visible table has sized its columns for its rows, then one more frame (the new
    widths laid out); after *timeout* go on, and let the caller's checks find what is wrong."""
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: d.execute_script(TABLES_SIZED))
    except TimeoutException:
        return
    driver.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => setTimeout(done, 50));")


def open_drawn(driver, url: str, path: str, timeout: float = 60) -> None:
    """Open *path* and wait for its heading, no loading spinner, and (where it has any) a drawn figure."""
    driver.get(url + path)
    wait = WebDriverWait(driver, timeout, poll_frequency=0.25)
    wait.until(lambda d: d.execute_script(HEADING_AND_IDLE))
    if path not in WITHOUT_FIGURES:
        wait.until(lambda d: d.execute_script(FIGURES_DRAWN))
