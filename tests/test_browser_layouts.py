"""The layout suite through the Data page in headless Chromium: each export typed in as a path,
the generic layout chosen, imported with one click, and the shop's totals checked afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from layouts import LAYOUTS
from test_browser import ARGS, CHROMIUM, SHOTS, _exceptions, _open, _serve
from test_layout_suite import shop_totals

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)"),
]


def test_every_layout_imports_through_the_data_page(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import sync_playwright

    from core.demo import demo
    from core.demo.config import SynthConfig

    home = tmp_path / "home"
    monkeypatch.setenv("SHOPLENS_HOME", str(home))
    demo.create_demo_shop("demo", SynthConfig(n_customers=100, n_products=40, days=60))
    from core.guard import folders
    folders.allow(tmp_path)  # the Data page reads server paths only inside allowed folders
    # The spend-only history last: its shop stays chosen for the pages checked afterwards.
    order = sorted(LAYOUTS, key=lambda n: n == "spend_only")
    layouts = {name: LAYOUTS[name]() for name in order}
    with _serve(home) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        _open(page, f"{url}/data", "layouts-data")
        page.get_by_text("A file or folder on this computer").click()
        layout_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Layout")
        layout_box.locator("input").click()
        page.keyboard.type("Generic")
        page.keyboard.press("Enter")
        sidebar = page.locator('[data-testid="stSidebar"]')
        for name, layout in layouts.items():
            shop = f"l-{name.replace('_', '-')}"
            path = tmp_path / layout.file
            path.write_bytes(layout.data)
            if not sidebar.get_by_placeholder("my-shop").is_visible():
                sidebar.get_by_text("New shop").click()  # the expander stays open after a create
            sidebar.get_by_placeholder("my-shop").fill(shop)
            sidebar.get_by_role("button", name="Create").click()
            page.get_by_text(f"Shop: {shop}").wait_for(timeout=60_000)
            box = page.get_by_placeholder("/home/me/exports/orders.csv  or a folder of related "
                                          "tables")
            box.fill(str(path))
            box.press("Enter")
            page.get_by_text(f"{layout.file}: events, layout 'generic'").wait_for(timeout=60_000)
            page.get_by_role("button", name="Import", exact=True).click()
            # The shop's own message: the previous shop's may still be on screen while the
            # page reruns (an interrupted run leaves its stale elements in place).
            page.get_by_text(re.compile(rf"^Imported [\d,]+ lines into {shop} in ")).wait_for(
                timeout=60_000)
            assert _exceptions(page) == [], name
        page.screenshot(path=str(SHOTS / "layouts-last-import.png"), full_page=True)
        # A spend-only shop: the Overview counts its orders; recommendation pages say why not.
        for link, words in (("Overview", "Orders"), ("Customer", "no product ids"),
                            ("A/B test", "no product ids"), ("Fairness", "no product ids")):
            sidebar.get_by_role("link", name=link).click()
            page.get_by_text(words).first.wait_for(timeout=60_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=60_000)
            page.wait_for_timeout(1500)  # charts draw after the script ends
            page.screenshot(path=str(SHOTS / f"spend-only-{link.split()[0].lower()}.png"),
                            full_page=True)
            assert _exceptions(page) == [], link
        browser.close()
    for name, layout in layouts.items():
        want = {"revenue": layout.revenue, "orders": layout.orders,
                "customers": layout.customers, "products": layout.products}
        assert shop_totals(f"l-{name.replace('_', '-')}") == pytest.approx(want, abs=0.011), name
