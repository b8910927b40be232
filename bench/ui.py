"""What a person waits for in the app, measured in Debian's chromium with playwright.

    python bench/ui.py --data_dir ../shared/data/goemotions            # writes bench/results/ui.md

Each figure runs from the person's action (a click, a key, a mouse-up) to the moment the page stops
changing: a MutationObserver stamps every visible DOM change, and the figure is the last stamp before
the page has been quiet for --quiet_ms. Server time alone would hide the browser's share.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from emotion.cli import free_port  # noqa: E402

# Changes inside hidden elements (a status tracker an event runs with show_progress="hidden") and
# screen-reader-only announcements (Gradio's "complete") show nothing.
WATCH = """() => { window.__last = performance.now(); if (window.__watch) return;
  const seen = (m) => { const e = m.target.nodeType === 1 ? m.target : m.target.parentElement;
                        return e && !e.closest('.hidden, [hidden], .sr-only'); };
  window.__watch = new MutationObserver((ms) => { if (ms.some(seen)) window.__last = performance.now(); });
  window.__watch.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true}); }"""


def start_app(args, port: int) -> tuple[subprocess.Popen, float]:
    """Start ``python app.py``; return it and the seconds until its page answers."""
    started = time.perf_counter()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "app.py", "--port", str(port), "--checkpoint", args.checkpoint]
    if args.data_dir:
        command += ["--data_dir", args.data_dir]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - started < 300:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return proc, time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the app did not answer within 300 s")


def settle(page, action, quiet_ms: int, timeout_s: float = 60.0) -> float:
    """Milliseconds from ``action`` to the last DOM change before ``quiet_ms`` of quiet."""
    page.evaluate(WATCH)
    start = page.evaluate("() => performance.now()")
    action()
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        now, last = page.evaluate("() => [performance.now(), window.__last]")
        if now - last >= quiet_ms:
            return max(last - start, 0.0)
        time.sleep(0.05)
    return float("nan")


def drag(page, slider, to: float):
    """A real mouse drag of ``slider`` to the fraction ``to`` of its width; returns the mouse-up action."""
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    for step in range(1, 16):
        page.mouse.move(box["x"] + box["width"] * (0.5 + (to - 0.5) * step / 15), y)
    return page.mouse.up


def measure(args, url: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        started = time.perf_counter()
        page.goto(url)
        page.get_by_label("Comment").wait_for()
        add("page load to usable", (time.perf_counter() - started) * 1000)
        box = page.get_by_label("Comment")
        comments = ["Thank you so much, you made my day!", "This is so annoying, I hate it.",
                    "Wait, what do you mean?", "I'm so sorry for your loss.", "lol that is hilarious",
                    "I am really nervous about tomorrow", "ok", "Wow, I did not expect that at all!"]
        for i, text in enumerate(comments * 2):
            box.fill(text)
            button = page.get_by_role("button", name="Predict", exact=True)
            add("prediction click to chart, first" if i == 0 else "prediction click to chart, later",
                settle(page, button.click, args.quiet_ms))
        slider = page.locator("input[type=range]").first
        for to in (0.1, 0.9, 0.3, 0.7, 0.2, 0.8):
            add("Predict slider mouse-up to final labels", settle(page, drag(page, slider, to), args.quiet_ms))
        if args.data_dir:
            test_tab = page.get_by_role("tab", name="Test set")
            add("analysis tab first open (Per class, the first Plotly chart)",
                settle(page, test_tab.click, args.quiet_ms))
            for name in ("Metrics", "Errors"):
                add("analysis tab first open", settle(page, page.get_by_role("tab", name=name).click, args.quiet_ms))
            for _ in range(2):
                for name in ("Per class", "Metrics", "Errors"):
                    add("analysis tab revisit", settle(page, page.get_by_role("tab", name=name).click, args.quiet_ms))
            analysis_slider = page.locator("[role=tabpanel]:visible input[type=range]").first
            for to in (0.2, 0.8, 0.4, 0.6, 0.3, 0.7):
                add("analysis slider mouse-up to settled view (Errors)",
                    settle(page, drag(page, analysis_slider, to), args.quiet_ms))
            rows = page.locator("#error-table tbody tr")
            for i in range(3):
                add("error explorer row selection", settle(page, rows.nth(i).locator("td").nth(3).click, args.quiet_ms))
            pairs = page.locator("#pairs-table tbody tr")
            add("error explorer pair selection", settle(page, pairs.first.click, args.quiet_ms))
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None, help="default: the shipped model")
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--quiet_ms", type=int, default=1000, help="quiet time that ends a measurement")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "ui.md"))
    args = parser.parse_args()
    from emotion.checkpoint import DEFAULT_CHECKPOINT

    args.checkpoint = args.checkpoint or str(DEFAULT_CHECKPOINT)
    starts = {}
    for kind in ("cold (first start in this run)", "warm (second start)"):
        port = free_port()
        proc, seconds = start_app(args, port)
        starts[kind] = seconds
        if kind.startswith("warm"):
            try:
                figures = measure(args, f"http://127.0.0.1:{port}/")
            finally:
                proc.terminate()
        else:
            proc.terminate()
        proc.wait(timeout=30)

    from emotion.serve.backends import instruction_set

    lines = [f"# What a person waits for in the app ({time.strftime('%Y-%m-%d')})", "",
             f"Debian chromium (headless) at {args.width} px; {os.cpu_count()} cores, {instruction_set()}, "
             f"{platform.python_version()}; `{Path(args.checkpoint).name}`; quiet period {args.quiet_ms} ms. "
             "Each figure runs from the action to the last change on the page.", "",
             "| what | n | p50 ms | max ms |", "|---|---:|---:|---:|"]
    for kind, seconds in starts.items():
        lines.append(f"| app start to page answering, {kind} | 1 | {seconds * 1000:.0f} | {seconds * 1000:.0f} |")
    for name, values in figures.items():
        lines.append(f"| {name} | {len(values)} | {statistics.median(values):.0f} | {max(values):.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
