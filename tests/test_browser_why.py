"""The Why view as a person meets it: ONE click on "Explain" shows the whole answer (word shading and the
similar training comments), on the Predict tab at desktop and phone width and on the Errors tab, and a
comment with emoji is shaded word by word exactly where the server's words are."""

import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import ROOT
from emotion.analysis.explain import word_spans
from test_app_e2e import browser_test, open_page

EMOJI = "lmaooo 😂😂 ur a legend, thanks 🙏🏽"
# Characters a JS string counts as two units (emoji, skin tones, flags, a letter from another plane), and markup.
HARD = [EMOJI, "🇫🇷🇫🇷 wow i love this", "𝓽𝓱𝓪𝓷𝓴𝓼 so much 💯", "<b>hi</b> 😂 & ok", "[NAME] 👍🏿👍🏿 ok sure"]


@pytest.mark.skipif(shutil.which("node") is None and not os.environ.get("REQUIRE_BROWSER"), reason="no node")
def test_explain_js_shades_the_words_python_explained(tiny_checkpoint, tmp_path):
    """tests/js/explain.test.mjs in node's test runner, fed Python's own explanations of comments with emoji."""
    from emotion.analysis.explain import explain
    from emotion.serve.predict import EmotionClassifier

    classifier = EmotionClassifier(tiny_checkpoint, backend="torch")
    found = [explain(classifier, text).to_dict() for text in HARD]
    assert any(len(f["text"]) != len(f["text"].encode("utf-16-le")) // 2 for f in found)  # the hard case is there
    fixture = tmp_path / "explanations.json"
    fixture.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([shutil.which("node") or "node", "--test", str(ROOT / "tests" / "js" / "explain.test.mjs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "EMOTION_EXPLAIN_FIXTURE": str(fixture)})
    assert done.returncode == 0 and "# skipped 0" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def indexed(app_url):
    """The app, once its training comments are indexed (the first /similar call starts that), so that a
    first click can show them."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client, deadline = Client(app_url, verbose=False), time.time() + 120
    while True:
        try:
            client.predict("thanks", 1, api_name="/similar")
            return app_url
        except AppError as err:
            assert "being indexed" in str(err) and time.time() < deadline, err
            time.sleep(1)


@pytest.mark.browser
@browser_test
@pytest.mark.parametrize("width", [1400, 375])
def test_one_click_explains_an_emoji_comment_whole(indexed, width):
    from playwright.sync_api import expect

    words = [EMOJI[a:b] for a, b in word_spans(EMOJI)]  # the server's words: Python code-point spans
    assert "😂😂" in words and "🙏🏽" in words
    with open_page(indexed, {"width": width, "height": 900}) as page:
        page.get_by_label("Comment").fill(EMOJI)
        page.get_by_text("Why? The words behind each label").click()
        page.get_by_role("button", name="Explain this comment").first.click()
        shaded = page.locator("#why-words .why-text mark")
        expect(shaded).to_have_count(len(words), timeout=30_000)
        assert shaded.all_inner_texts() == words  # no half emoji, no word shifted after one
        assert "\ufffd" not in page.locator("#why-words").inner_text()
        expect(page.locator("#why-similar tbody tr")).to_have_count(5, timeout=10_000)  # the same, first click
        expect(page.locator("#why-similar")).to_contain_text("Label agreement with its predicted labels")


@pytest.mark.browser
@browser_test
def test_one_click_explains_the_selected_error_whole(indexed):
    from playwright.sync_api import expect

    with open_page(indexed) as page:
        page.get_by_role("tab", name="Test set").click()
        page.get_by_role("tab", name="Errors").click()
        expect(page.locator("#error-comment textarea")).not_to_have_value("", timeout=30_000)  # the first row, shown
        page.get_by_text("Why? Word effects, similar training comments").click()
        page.locator("[role=tabpanel]:visible").get_by_role("button", name="Explain this comment").click()
        expect(page.locator("#error-why-words mark").first).to_be_visible(timeout=30_000)
        expect(page.locator("#error-why-similar tbody tr")).to_have_count(5, timeout=10_000)
        expect(page.locator("#error-why-similar")).to_contain_text("Label agreement with its gold labels")
