"""Save a screenshot of each tab of a running app to docs/ (Debian chromium + playwright).

    python app.py --data_dir ../shared/data/goemotions &
    python scripts/screenshots.py --url http://127.0.0.1:7860/
"""

from __future__ import annotations

import argparse
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# GoEmotions texts are not ours to publish, so screenshots blur every comment from the data set.
BLUR_DATA = "#error-table table, #error-table .cell-wrap, #error-comment textarea { filter: blur(12px); }"
TABS = [("Per-class charts", "classes"), ("Test-set metrics", "metrics"), ("Error analysis", "errors"), ("About", "about")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    out = Path(args.out)
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(args.url)
        page.add_style_tag(content=BLUR_DATA)
        page.get_by_label("Comment").fill("Thank you so much for this, you honestly made my whole week!")
        page.get_by_role("button", name="Predict", exact=True).click()
        expect(page.locator(".chip").first).to_be_visible(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "predict.png", full_page=True)
        for tab, name in TABS:
            page.get_by_role("tab", name=tab).click()
            panel = page.locator("[role=tabpanel]:visible")
            if name != "about":
                expect(panel.locator(".js-plotly-plot").first).to_be_visible(timeout=180_000)
            page.wait_for_timeout(2500)
            page.screenshot(path=out / f"{name}.png", full_page=True)
            print(f"saved {out / name}.png")
        browser.close()


if __name__ == "__main__":
    main()
