"""The navigation says where the reader is; unknown addresses keep the app's frame and a way back."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.server import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser

CURRENT = ("return Array.from(document.querySelectorAll('.nav .nav-link[aria-current=\"page\"]'))"
           ".map(a => a.textContent);")


@pytest.fixture
def app_duo(dash_duo, demo_study_dir, tmp_path):
    dash_duo.start_server(create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache")))
    return dash_duo


def test_the_navigation_marks_the_current_page(app_duo):
    dash_duo = app_duo
    for path, name in (("/cohort", "Cohort"), ("/survival", "Survival"), ("/", "Overview")):
        dash_duo.driver.get(dash_duo.server_url + path)
        WebDriverWait(dash_duo.driver, 30).until(lambda d, name=name: d.execute_script(CURRENT) == [name])
    # Following a link moves the mark (no reload).
    dash_duo.find_element(".nav .nav-link[href^='/data']").click()
    WebDriverWait(dash_duo.driver, 30).until(lambda d: d.execute_script(CURRENT) == ["Data"])
    # A patient page is not one of the navigation's pages: nothing is marked.
    dash_duo.driver.get(dash_duo.server_url + "/patient/P033")
    dash_duo.wait_for_contains_text("h1", "Patient P033", timeout=30)
    WebDriverWait(dash_duo.driver, 10).until(lambda d: d.execute_script(CURRENT) == [])
    assert dash_duo.get_logs() == []


def test_an_unknown_address_keeps_the_frame_and_offers_a_way_back(app_duo):
    dash_duo = app_duo
    dash_duo.driver.get(dash_duo.server_url + "/no-such-page")
    dash_duo.wait_for_text_to_equal("h1", "Page not found", timeout=30)
    assert dash_duo.find_elements(".nav .nav-link")  # the app's own header and navigation
    assert dash_duo.find_element("#patient-search")
    dash_duo.find_element(".not-found a[href='/']").click()
    dash_duo.wait_for_contains_text("h1", "HER2", timeout=30)
    assert dash_duo.get_logs() == []


def test_each_page_path_is_registered_once_even_when_a_page_module_is_imported(demo_study_dir, tmp_path):
    """Dash loads the pages folder itself; a test or tool importing dashboard.pages.<page> must get that
    same module, not a second copy registering the path again (Dash then refuses every request)."""
    import dash

    from dashboard.server import create_app
    from dashboard.settings import Settings

    create_app(Settings(study=demo_study_dir, cache_dir=tmp_path / "cache"))
    import dashboard.pages.patient  # noqa: F401  (the import that used to register /patient twice)

    paths = [page["path"] for page in dash.page_registry.values()]
    assert len(paths) == len(set(paths)), paths
    assert "/patient/none" in paths
