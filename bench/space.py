"""The static Space against the Python app, in the same run: opening the page to its first answer (cold, and
with a warm browser cache), one comment (p50), a 100-comment batch, Why? for a 30-word comment, and the bytes
downloaded, each with WebAssembly threads (served with COOP/COEP, as a Static Space serves it) and without
(as `python -m http.server` serves it); the app's /predict, /predict_batch and /explain next to them.

    npm ci --prefix web
    python bench/space.py --data_dir ../shared/data/goemotions      # writes bench/results/space.md

Every speed figure is printed with the CPU's instruction set: int8 speed differs several-fold between them.
The page is served from this machine, so network time is not in the figures (the bytes are).
"""

from __future__ import annotations

import argparse
import os
import gzip
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from emotion.ui import space  # noqa: E402
from emotion.serve.backends import cpu_threads, instruction_set  # noqa: E402
from emotion.cli import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WHY = ("honestly i did not expect this to work but the update fixed every crash i had and now the game runs "
       "smoothly so thank you all so much for the hard work")  # 30 words


def comments(data_dir: str | None, n: int) -> list[str]:
    if data_dir:
        from emotion.data import load_split

        return list(load_split("test", data_dir)["text"])[:n]
    base = ["thanks so much for the help, legend", "this is hilarious lol", "ugh this is so annoying", "ok sure",
            "why would anyone do that? i am so confused", "i am so sad about this news 😢"]
    return [f"{base[i % len(base)]} {i}" for i in range(n)]


def page_figures(folder: Path, isolated: bool, texts: list[str], repeats: int, threads: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    sent: list = []
    srv = space.server(folder, 0, isolated=isolated, sent=sent)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/" + (f"?threads={threads}" if threads else "")
    first = "window.emotion.ready.then(() => window.emotion.predict(['thanks so much for the help'])).then(() => performance.now())"
    out = {}
    try:
        with sync_playwright() as p:
            # A fresh profile on disk: an empty cache that keeps what it gets (an in-memory one drops big files).
            profile = tempfile.mkdtemp()
            context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                           args=["--no-sandbox", "--disable-gpu"])
            page = context.new_page()
            page.goto(url)
            out["cold_s"] = page.evaluate(first) / 1000  # from the navigation's start
            out["cold_bytes"] = sum(size for _, size in sent)
            sent.clear()
            page.goto(url)
            out["warm_s"] = page.evaluate(first) / 1000
            out["warm_bytes"] = sum(size for _, size in sent)
            out["threads"] = page.evaluate("window.emotion.threads")
            one = [page.evaluate("async (t) => { const s = performance.now(); await window.emotion.predict([t]); "
                                 "return performance.now() - s; }", texts[i % len(texts)]) for i in range(repeats)]
            out["one_ms"] = statistics.median(one)
            out["batch_s"] = page.evaluate("async (t) => { const s = performance.now(); await window.emotion.predict(t); "
                                           "return (performance.now() - s) / 1000; }", texts[:100])
            page.evaluate("window.emotion.explain('warm up the batch shapes')")
            out["why_s"] = statistics.median(page.evaluate("async (t) => { const s = performance.now(); "
                                                           "await window.emotion.explain(t); return (performance.now() - s) / 1000; }", WHY)
                                             for _ in range(3))
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    finally:
        srv.shutdown()
        srv.server_close()
    return out


def app_figures(texts: list[str], repeats: int) -> dict:
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - started > 300:
                    raise SystemExit("the app did not start")
                time.sleep(0.2)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict("thanks so much for the help", None, api_name="/predict")
        out = {"start_s": time.perf_counter() - started}
        one = []
        for i in range(repeats):
            s = time.perf_counter()
            client.predict(texts[i % len(texts)], None, api_name="/predict")
            one.append(1000 * (time.perf_counter() - s))
        out["one_ms"] = statistics.median(one)
        s = time.perf_counter()
        client.predict(texts[:100], None, api_name="/predict_batch")
        out["batch_s"] = time.perf_counter() - s
        s = time.perf_counter()
        client.predict(WHY, api_name="/explain")
        out["why_s"] = time.perf_counter() - s
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=None, help="GoEmotions folder: its test comments are the ones timed")
    parser.add_argument("--repeats", type=int, default=30, help="single comments timed (p50)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "space.md"))
    args = parser.parse_args()
    texts = comments(args.data_dir, 200)
    isa = instruction_set()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        built = space.build(Path(tmp) / "site")
        files = [f for f in built.folder.rglob("*") if f.is_file() and f.name != "README.md"]
        gzipped = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
        total = sum(f.stat().st_size for f in files)
        pages = [page_figures(built.folder, True, texts, args.repeats), page_figures(built.folder, True, texts, args.repeats, 2),
                 page_figures(built.folder, False, texts, args.repeats)]
    app = app_figures(texts, args.repeats)
    t, _, o = pages
    head = (f"| | page, COOP/COEP, {t['threads']} thread(s) (default) | page, COOP/COEP, 2 threads | page, no headers, "
            f"{o['threads']} thread | Python app (app.py, {cpu_threads()} ONNX Runtime threads) |")
    rows = [head, "|---|---|---|---|---|"]

    def row(name: str, values: list[str], python: str) -> None:
        rows.append(f"| {name} | {' | '.join(values)} | {python} |")

    row(f"open to first answer, cold (s; {isa})", [f"{x['cold_s']:.2f}" for x in pages], f"{app['start_s']:.1f} (start to first /predict)")
    row(f"open to first answer, warm cache (s; {isa})", [f"{x['warm_s']:.2f}" for x in pages], "—")
    row(f"one comment, p50 of {args.repeats} (ms; {isa})", [f"{x['one_ms']:.1f}" for x in pages], f"{app['one_ms']:.1f} (/predict)")
    row(f"100-comment batch (s; {isa})", [f"{x['batch_s']:.2f}" for x in pages], f"{app['batch_s']:.2f} (/predict_batch)")
    row(f"Why? on 30 words (s; {isa})", [f"{x['why_s']:.2f}" for x in pages], f"{app['why_s']:.2f} (/explain)")
    row("bytes downloaded, cold (MB)", [f"{x['cold_bytes'] / 1e6:.1f}" for x in pages], "—")
    row("bytes downloaded, warm cache (MB)", [f"{x['warm_bytes'] / 1e6:.2f}" for x in pages], "—")
    machine = (f"CPU: {platform.processor() or platform.machine()}, {instruction_set()}, {cpu_threads()} cores; "
               f"chromium {subprocess.run([CHROMIUM, '--version'], capture_output=True, text=True).stdout.strip()}")
    text = (f"# The static Space against the Python app\n\n`python bench/space.py{' --data_dir ' + args.data_dir if args.data_dir else ''}`"
            f" on {time.strftime('%Y-%m-%d')}. {machine}. The page is served from this machine (no network time); "
            f"the shipped checkpoint; comments from {'the test set' if args.data_dir else 'made-up templates'}. "
            f"Every speed figure is on {isa}; load average {load:.1f} at the start (the machine is shared: figures "
            f"from a busy one). A host that compresses would send {gzipped / 1e6:.1f} MB (gzip) of the {total / 1e6:.1f} MB.\n\n" + "\n".join(rows) + "\n")
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
