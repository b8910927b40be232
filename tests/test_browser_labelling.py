"""A visitor labelling in chromium while the server is killed and started again
(../shared/reports/hostile-input-trial.md N1): after `kill -9`, a restart and a reload, the session and its
answers are there; a key the server can no longer read is said, and kept."""

import os
import sys

import pytest

from conftest import ROOT, start_app, stop_app
from emotion.cli import free_port
from test_app_e2e import browser_test, launch

LABELS = "joy, trust"


@pytest.mark.browser
@browser_test
def test_browser_labelling_survives_kill_9_and_a_restart(served, tiny_checkpoint, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from conftest import labelled_comments

    store = tmp_path / "store"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "EMOTION_LABELLING_SECRET"}
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", EMOTION_LABELLING_DIR=str(store))
    command = [sys.executable, "app.py", "--checkpoint", str(served), "--data_dir", str(tiny_checkpoint.parent / "data"),
               "--port", str(port)]
    labelled_comments(60, 3)[["text"]].to_csv(tmp_path / "team.csv", index=False)
    proc, url = start_app(command, ROOT, env, port)
    try:
        with sync_playwright() as p:
            browser, page = launch(p)  # one browser profile throughout: its localStorage holds the key
            page.goto(url)
            page.get_by_role("tab", name="Adapt").click()
            page.locator("#label-upload input[type=file]").set_input_files(str(tmp_path / "team.csv"))
            expect(page.locator("#label-upload").get_by_text("team.csv")).to_be_visible(timeout=30_000)
            page.get_by_label("Labels, comma-separated").fill(LABELS)
            page.get_by_label("How many to label").fill("40")
            page.get_by_role("button", name="Propose a sample to label").click()
            progress = page.locator(".labeller .progress")
            expect(progress).to_contain_text("0 of 40 labelled", timeout=30_000)
            shown = []
            for i in range(4):
                shown.append(page.locator(".labeller blockquote").inner_text())
                page.keyboard.press("2" if i % 2 else "1")
                page.keyboard.press("Enter")
                expect(progress).to_contain_text(f"{i + 1} of 40 labelled")

            proc.kill()  # kill -9: no shutdown handler runs
            proc.wait(timeout=30)
            answers = list(store.glob("*/*/answers.jsonl"))
            assert len(answers) == 1 and len(answers[0].read_text().splitlines()) == 4

            def reopen():
                page.reload()
                page.get_by_role("tab", name="Adapt").click()

            proc, url = start_app(command, ROOT, env, port)
            reopen()
            sessions = page.get_by_label("Your labelling sessions")
            expect(sessions).to_have_value(f"team: 4 of 40 labelled ({LABELS})", timeout=30_000)
            expect(progress).to_contain_text("4 of 40 labelled · comment 5 (not answered yet)", timeout=30_000)
            page.keyboard.press("Backspace")  # the answers are the ones given before the kill
            expect(progress).to_contain_text("comment 4 (answered)")
            assert page.locator(".labeller blockquote").inner_text() == shown[3]
            expect(page.locator("button.choice[data-label=trust]")).to_have_attribute("aria-pressed", "true")
            expect(page.locator("button.choice[data-label=joy]")).to_have_attribute("aria-pressed", "false")
            page.keyboard.press("Enter")  # saves comment 4 again as it was
            expect(progress).to_contain_text("4 of 40 labelled · comment 5 (not answered yet)")
            page.keyboard.press("Enter")  # comment 5, labelled with none of them
            expect(progress).to_contain_text("5 of 40 labelled")

            # The operator changes the secret: the page says it cannot read its key, and keeps it.
            stop_app(proc)
            proc, url = start_app(command, ROOT, {**env, "EMOTION_LABELLING_SECRET": "another-secret"}, port)
            reopen()
            note = page.get_by_text("This browser holds a labelling key that this server cannot read")
            expect(note).to_be_visible(timeout=30_000)
            page.wait_for_timeout(2_000)
            expect(note).to_be_visible()  # not cleared by the (empty) sessions list that follows
            expect(sessions).to_have_value("")
            page.screenshot(path=str(tmp_path / "unreadable-key.png"))
            # ... and when the old secret is back, so are the sessions.
            stop_app(proc)
            proc, url = start_app(command, ROOT, env, port)
            reopen()
            expect(sessions).to_have_value(f"team: 5 of 40 labelled ({LABELS})", timeout=30_000)
            expect(note).to_have_count(0)
            browser.close()
    finally:
        stop_app(proc)
