"""A phone sees its answer (issue 35, item 11): at 375 x 812 px the Predict answer is on screen after
predicting, and no table is cut at the right edge."""

import re

import pytest

from test_app_e2e import browser_test, open_page, settled

PHONE = {"width": 375, "height": 812}

# Every visible table: where it ends, and whether a box of its own scrolls it (and where that box ends).
TABLES_JS = """() => [...document.querySelectorAll('table')].filter((t) => t.offsetParent).map((t) => {
  let box = t.parentElement, scroller = null;
  for (; box && box !== document.body; box = box.parentElement) {
    const style = getComputedStyle(box);
    if (/(auto|scroll)/.test(style.overflowX) && box.scrollWidth > box.clientWidth + 1) { scroller = box; break; }
  }
  const r = t.getBoundingClientRect(), s = scroller && scroller.getBoundingClientRect();
  const caption = t.querySelector('caption');
  return {table: (t.closest('[id]') || {}).id + ' ' + t.className, left: r.left, right: r.right,
          scroller: s ? [s.left, s.right] : null,
          caption: caption ? caption.scrollWidth <= caption.clientWidth + 1 && caption.getBoundingClientRect().right <= innerWidth + 0.5 : true,
          cells: [...t.querySelectorAll('td')].filter((c) => c.getClientRects().length)
                 .every((c) => { const b = c.getBoundingClientRect(); return b.left >= -0.5 && b.right <= innerWidth + 0.5; }),
          picktable: !!t.closest('.picktable')};
})"""


# Where the answer (its block, and its first label) is on the screen.
ANSWER_JS = """() => {
    const chip = document.querySelector('.chip');
    const box = (document.getElementById('predict-answer') || chip).getBoundingClientRect();
    return {top: box.top, bottom: box.bottom, height: innerHeight, chip: chip && chip.getBoundingClientRect().bottom};
}"""


def answer_on_screen(page, condition: str) -> dict:
    """Wait (up to 10 s) until the answer's box ``b`` meets ``condition`` (JS), as a person waits for the page
    to show it, then say where it is (the test's assert shows it when it never got there)."""
    from playwright.sync_api import TimeoutError as Timeout

    try:
        page.wait_for_function(f"() => {{ const b = ({ANSWER_JS})(); return b.chip !== null && ({condition}); }}",
                               timeout=10_000)
    except Timeout:
        pass
    return page.evaluate(ANSWER_JS)


@pytest.mark.browser
@browser_test
def test_phone_sees_its_answer_after_predicting(app_url):
    from playwright.sync_api import expect

    with open_page(app_url, PHONE) as page:
        page.get_by_label("Comment").fill("thanks so much for the help, legend")
        page.get_by_role("button", name="Predict", exact=True).click()
        expect(page.locator(".chip").first).to_be_visible(timeout=30_000)
        box = answer_on_screen(page, "0 <= b.top && b.bottom <= b.height && b.chip <= b.height")
        assert 0 <= box["top"] and box["bottom"] <= box["height"] and box["chip"] <= box["height"], box
        # An example clicked far down the page predicts; its answer is brought on screen.
        example = page.get_by_text("Oh wow, I never realized")
        example.scroll_into_view_if_needed()
        example.click()
        expect(page.get_by_label("Comment")).to_have_value(re.compile("^Oh wow, I never realized"), timeout=30_000)
        # The answer comes, then the page scrolls to it.
        box = answer_on_screen(page, "-1 <= b.top && b.top <= b.chip && b.chip <= b.height")
        # Its top and first label on screen (the whole of it, unless it is taller than the screen).
        assert -1 <= box["top"] <= box["chip"] <= box["height"], box
        assert box["bottom"] <= box["height"] + 1 or box["bottom"] - box["top"] > box["height"], box


@pytest.mark.browser
@browser_test
def test_phone_tables_are_not_cut_at_the_right_edge(app_url):
    from playwright.sync_api import expect

    with open_page(app_url, PHONE) as page:
        seen = 0
        for parent, tab, drawn in (("Test set", "Errors", "#error-table td"), (None, "Slices", "#slice-table td"),
                                   ("Label quality", None, "#quality-comments td"), ("Probe", None, "#probe-table td")):
            if parent:
                page.get_by_role("tab", name=parent).click()
            if tab:
                page.get_by_role("tab", name=tab).click()
            expect(page.locator(drawn).first).to_be_visible(timeout=60_000)
            settled(page, drawn)
            for table in page.evaluate(TABLES_JS):
                seen += table["picktable"]
                # A clickable table shows each row whole (as a card), its caption wrapped on the screen.
                if table["picktable"]:
                    assert table["cells"] and table["caption"] and table["right"] <= PHONE["width"] + 0.5, (tab or parent, table)
                # Any other table fits, or scrolls sideways inside a box that itself fits the screen.
                elif table["scroller"]:
                    assert table["scroller"][0] >= 0 and table["scroller"][1] <= PHONE["width"] + 0.5, (tab or parent, table)
                else:
                    assert table["right"] <= PHONE["width"] + 0.5, (tab or parent, table)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert seen >= 5
