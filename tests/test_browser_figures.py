"""An analysis view never shows an answer that a newer request overtook (issue 35, item 8): the Errors
tab's first answer is held back on purpose until a newer filter's answer is on screen, then let go."""

import functools
import threading

import pytest

from emotion.cli import free_port
from test_app_e2e import browser_test, launch


@pytest.mark.browser
@browser_test
def test_a_tabs_first_answer_arriving_last_does_not_replace_a_newer_one(served, tiny_checkpoint, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    from emotion.ui import errors_tab
    from emotion.ui.server import CSS, JS, THEME, Serving, build_app, serve
    from emotion.ui.context import AppContext
    from emotion.ui.inputs import Limits

    ctx = AppContext(served, str(tiny_checkpoint.parent / "data"))
    test = ctx.data.test_set()
    gold = next(name for name in ("gratitude", "amusement", "neutral")
                if 0 < test.y_true[:, ctx.model.labels.index(name)].sum() < len(test.ids))
    matching = int(test.y_true[:, ctx.model.labels.index(gold)].sum())
    held, release, answered = threading.Event(), threading.Event(), threading.Event()
    original = errors_tab.explore

    @functools.wraps(original)
    def first_held_back(ctx, setting, gold_label, *rest, **kwargs):
        answer = original(ctx, setting, gold_label, *rest, **kwargs)
        if gold_label == errors_tab.ANY and not held.is_set():  # the tab's first answer: computed, then held
            held.set()
            release.wait(60)
            answered.set()
        return answer

    monkeypatch.setattr(errors_tab, "explore", first_held_back)
    demo = build_app(ctx, Limits())
    port = free_port()
    serve(demo, Serving(), Limits(), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=CSS,
          js=JS, theme=THEME, quiet=True)
    try:
        with sync_playwright() as p:
            browser, page = launch(p)
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="Test set").click()
            page.get_by_role("tab", name="Errors").click()
            assert held.wait(60)  # the first answer is ready and waits
            combo = page.get_by_role("combobox", name="Gold label")
            combo.click()
            combo.fill(gold)
            combo.press("Enter")
            summary = page.get_by_text("comments match")
            expect(summary).to_contain_text(f"{matching:,} comments match", timeout=30_000)
            release.set()
            assert answered.wait(30)
            page.wait_for_timeout(3000)  # time for the held answer to arrive, were it sent
            expect(summary).to_contain_text(f"{matching:,} comments match")
            assert f"{len(test.ids):,} comments match" not in summary.inner_text()
            browser.close()
    finally:
        release.set()
        demo.close()
