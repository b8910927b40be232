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
             "#quality-comments td:nth-child(4), #quality-comments td:nth-child(5), #compare-browser td, "
             "#compare-comment textarea, #compare-bars-a tbody th, #compare-bars-b tbody th { filter: blur(12px); }")
# The Label step shows comments of ours, written for the picture (not from any data set).
OWN_COMMENTS = ["Thank you so much for this, you honestly made my whole week!", "Third time my package got 'lost'. I'm done.",
                "Wait, so how does the second part work? I'm lost.", "Support fixed it in ten minutes, great job",
                "Still waiting on a refund after a month...", "ok", "I trust these guys, they always deliver",
                "lmao I can't believe he said that on live TV", "This update broke everything again", "Love the new design!"]
# (tab, its parent tab or None, file name, what shows it is drawn)
TABS = [("Per class", "Test set", "classes", ".js-plotly-plot"), ("Metrics", None, "metrics", ".js-plotly-plot"),
        ("Errors", None, "errors", "#error-table td"), ("Slices", None, "slices", "#slice-table td"),
        ("Label quality", None, "label-quality", "#quality-comments td"), ("Probe", None, "probe", "#probe-table td"),
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
            compare(page, out / f"compare{suffix}.png")
            label(page, out / f"adapt-label{suffix}.png", Path(args.out))
            page.close()
        browser.close()


def compare(page, path: Path) -> None:
    """Test set > Compare against the other shipped checkpoint, a disputed comment open."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Test set").click()
    page.get_by_role("tab", name="Compare").click()
    page.get_by_label("Compare this checkpoint (A) with (B)").click()
    page.get_by_role("option", name="minilm-goemotions", exact=True).click()
    expect(page.locator("#compare-summary")).to_contain_text("Micro F1", timeout=60_000)
    page.locator("#compare-browser tbody tr").first.click()
    expect(page.locator("#compare-bars-b table.bars")).to_be_visible(timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=path, full_page=True)
    print(f"saved {path}")


def label(page, path: Path, out: Path) -> None:
    """Adapt > Label: a proposed sample of our own comments, one label marked."""
    import tempfile

    from playwright.sync_api import expect

    page.get_by_role("tab", name="Adapt").click()
    with tempfile.TemporaryDirectory() as tmp:
        comments = Path(tmp) / "support_comments.txt"
        comments.write_text("\n".join(OWN_COMMENTS) + "\n")
        page.locator("#label-upload input[type=file]").set_input_files(str(comments))
        expect(page.locator("#label-upload").get_by_text("support_comments.txt")).to_be_visible(timeout=30_000)
        page.get_by_label("Labels, comma-separated").fill("joy, frustration, trust, confusion")
        page.get_by_label("How many to label").fill("10")
        page.get_by_role("button", name="Propose a sample to label").click()
        expect(page.locator(".labeller")).to_be_visible(timeout=60_000)
    page.locator(".labeller button.choice").nth(1).click()
    page.locator(".labeller").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=path, full_page=True)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
