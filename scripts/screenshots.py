"""Save a screenshot of each tab of a running app to docs/, at desktop and phone width (Debian chromium + playwright).

    python app.py --data_dir ../shared/data/goemotions &
    python scripts/screenshots.py --url http://127.0.0.1:7860/
"""

from __future__ import annotations

import argparse
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# GoEmotions texts and labels are not ours to publish, so screenshots blur every comment from the data set
# and the gold labels of a single comment (counts over the test set stay readable).
BLUR_DATA = ("#error-table td, #error-comment textarea, #why-similar td:last-child, #why-similar td:nth-child(2), "
             "#error-why-words .why-text, #error-labels, #error-quality, #error-bars tbody th, "
             "#quality-comments td:nth-child(4), #quality-comments td:nth-child(5) { filter: blur(12px); }")
# (tab, its parent tab or None, file name, what shows it is drawn)
TABS = [("Per class", "Test set", "classes", ".js-plotly-plot"), ("Metrics", None, "metrics", ".js-plotly-plot"),
        ("Errors", None, "errors", "#error-table td"), ("Label quality", None, "label-quality", "#quality-comments td"),
        ("About", None, "about", None)]
WIDTHS = {"": (1400, 1000), "-phone": (390, 844)}


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
        for suffix, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(args.url)
            page.add_style_tag(content=BLUR_DATA)
            page.get_by_label("Comment").fill("Thank you so much for this, you honestly made my whole week!")
            page.get_by_role("button", name="Predict", exact=True).click()
            expect(page.locator(".chip").first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=out / f"predict{suffix}.png", full_page=True)
            page.get_by_text("Why? The words behind each label").click()
            explain = page.get_by_role("button", name="Explain this comment").first
            for _ in range(300):  # the first call indexes the training comments (once)
                explain.click()
                page.wait_for_timeout(1500)
                if "Most similar" in page.locator("#why-similar").inner_text():
                    break
            page.locator("#why-words").scroll_into_view_if_needed()
            page.screenshot(path=out / f"why{suffix}.png", full_page=True)
            for tab, parent, name, drawn in TABS:
                if parent:
                    page.get_by_role("tab", name=parent).click()
                page.get_by_role("tab", name=tab).click()
                if drawn:
                    expect(page.locator(drawn).filter(visible=True).first).to_be_visible(timeout=180_000)
                page.wait_for_timeout(2500)
                page.screenshot(path=out / f"{name}{suffix}.png", full_page=True)
                print(f"saved {out / name}{suffix}.png")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
