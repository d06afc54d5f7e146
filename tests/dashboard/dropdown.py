"""Choosing a dcc.Dropdown option in headless Chromium.

``dash_duo.select_dcc_dropdown`` clicks the option where it is drawn; in Dash 4 the menu's search box
can cover an option of a dropdown near the top of the window ("element click intercepted"), so the
option is scrolled into view inside the menu and clicked there.
"""

from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait

from tests.dashboard.absent import count


def choose_option(dash_duo, selector: str, label: str, timeout: float = 10) -> None:
    """Open the dropdown *selector* and choose the option whose text is *label*."""
    # A menu left open by an earlier choice is used as it is.  Counted without dash.testing's 2 s implicit wait
    # (a closed menu is the usual case); were an open menu missed, the click would close it and the wait fail.
    if not count(dash_duo.driver, ".dash-dropdown-options"):
        dash_duo.find_element(selector).click()
    menu = WebDriverWait(dash_duo.driver, timeout).until(
        lambda d: d.find_elements("css selector", ".dash-dropdown-options"))[0]
    options = [o for o in menu.find_elements("css selector", ".dash-dropdown-option") if o.text == label]
    if not options:
        raise AssertionError(f"no option {label!r} in {selector}: {menu.text.splitlines()}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
                                   options[0])
