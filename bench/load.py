"""Load test on loopback: concurrent gradio_client clients against the app, in four scenarios.

    python app.py &
    python bench/load.py --clients 50 --requests 20                  # predict: many clients, many calls
    python bench/load.py --scenario index --data_dir ../shared/data/goemotions    # starts its own app
    python bench/load.py --scenario sessions --calls 3000            # each call from a new client
    python bench/load.py --scenario explain --burst 100              # a burst of /explain, /predict beside it

``index`` starts the app itself on a copy of the default checkpoint without its cache, so the
training comments are indexed afresh, and times /predict from several clients until the index is ready
(the Why view's question, /similar, is asked meanwhile and its progress line printed). ``sessions``
watches the server's memory over calls that each open a new session. ``explain`` sends a burst of
/explain calls and, beside it, /predict calls, which must all be answered.

Bounded in count and time (--max_seconds); only loopback URLs are accepted. Prints requests served,
errors, latency percentiles and the server's memory.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from emotion.cli import free_port  # noqa: E402
# Written for this benchmark; not from any data set.
COMMENTS = [
    "thank you so much, this made my day", "lol this is the best thing I've seen all week",
    "why would they even do that?? makes no sense", "I'm so sorry, that must have been awful",
    "ugh, not again. this update broke everything", "wow, congrats! well deserved",
    "honestly kind of nervous about tomorrow", "ok", "I had no idea, that's fascinating",
    "this is disgusting behaviour from a grown adult",
]
LONG = ("I honestly can't believe how kind everyone in this thread has been, thank you all so much for "
        "the advice, it really helped me get through a rough week")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(name: str, seconds: list[float], errors: list[str]) -> str:
    if not seconds:
        return f"{name}: served 0, errors {len(errors)}"
    ms = [v * 1000 for v in seconds]
    return (f"{name}: served {len(ms)}, errors {len(errors)}; latency ms p50 {percentile(ms, 50):.0f}, "
            f"p95 {percentile(ms, 95):.0f}, p99 {percentile(ms, 99):.0f}, max {max(ms):.0f}, mean {statistics.mean(ms):.0f}")


def server_process(port: int):
    import psutil

    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == "LISTEN" and conn.pid:
            return psutil.Process(conn.pid)
    return None


def rss_mib(proc) -> float:
    return proc.memory_info().rss / 2**20 if proc is not None else float("nan")


def start_app(data_dir: str) -> tuple[subprocess.Popen, str, tempfile.TemporaryDirectory]:
    """The app on a copy of the default checkpoint without its cache (the index is built afresh)."""
    from emotion.checkpoint import DEFAULT_CHECKPOINT

    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name) / DEFAULT_CHECKPOINT.name
    shutil.copytree(DEFAULT_CHECKPOINT, folder, ignore=shutil.ignore_patterns("cache"))
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--checkpoint", str(folder), "--data_dir", data_dir,
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, tmp
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("error: the app did not start within 120 s")


def predict_loop(url: str, seed: int, stop: threading.Event, deadline: float, seconds: list, errors: list,
                 lock: threading.Lock, pause: float = 0.0, calls: int | None = None) -> None:
    from gradio_client import Client

    client, rng, done = Client(url, verbose=False), random.Random(seed), 0
    while not stop.is_set() and time.time() < deadline and (calls is None or done < calls):
        started = time.perf_counter()
        try:
            client.predict(rng.choice(COMMENTS), None, api_name="/predict")
            with lock:
                seconds.append(time.perf_counter() - started)
        except Exception as err:  # every failure counts, whatever its type
            with lock:
                errors.append(repr(err)[:200])
        done += 1
        time.sleep(pause)


def scenario_predict(args) -> None:
    stop, lock, seconds, errors = threading.Event(), threading.Lock(), [], []
    deadline = time.time() + args.max_seconds
    proc = server_process(urlparse(args.url).port or 80)
    started = time.time()
    with ThreadPoolExecutor(args.clients) as pool:
        for i in range(args.clients):
            pool.submit(predict_loop, args.url, i, stop, deadline, seconds, errors, lock, 0.0, args.requests)
    elapsed = time.time() - started
    print(f"clients {args.clients} x requests {args.requests}, {elapsed:.1f} s, {len(seconds) / elapsed:.1f} req/s")
    print(summary("/predict", seconds, errors), f"; server RSS {rss_mib(proc):.0f} MiB")


def scenario_index(args) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    if not args.data_dir:
        raise SystemExit("error: --scenario index needs --data_dir (the training comments to index).")
    proc, url, tmp = start_app(args.data_dir)
    try:
        stop, lock, seconds, errors = threading.Event(), threading.Lock(), [], []
        deadline = time.time() + args.max_seconds
        threads = [threading.Thread(target=predict_loop, args=(url, i, stop, deadline, seconds, errors, lock, 0.2))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        client, began, lines = Client(url, verbose=False), time.time(), []
        while time.time() < deadline:
            try:
                client.predict("thank you so much, this made my day", 5, api_name="/similar")
                break
            except AppError as err:
                lines.append(f"{time.time() - began:5.0f} s  {str(err)[:160]}")
            time.sleep(5)
        built = time.time() - began
        stop.set()
        for t in threads:
            t.join()
        for line in lines[:: max(1, len(lines) // 6)]:
            print("/similar said:", line)
        print(f"index ready after {built:.0f} s (from the first request; the app starts building at start-up)")
        print(summary(f"/predict during the build ({args.clients} clients, one call each 0.2 s)", seconds, errors))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        tmp.cleanup()


def scenario_sessions(args) -> None:
    from gradio_client import Client

    port = urlparse(args.url).port or 80
    proc = server_process(port)
    seconds, errors, marks = [], [], {}
    warm = min(300, args.calls // 10)
    deadline = time.time() + args.max_seconds
    for i in range(args.calls):
        if time.time() > deadline:
            break
        started = time.perf_counter()
        try:
            Client(args.url, verbose=False).predict(COMMENTS[i % len(COMMENTS)], None, api_name="/predict")
            seconds.append(time.perf_counter() - started)
        except Exception as err:  # every failure counts
            errors.append(repr(err)[:200])
        if i + 1 == warm or (i + 1) % 500 == 0:
            marks[i + 1] = rss_mib(proc)
    print(summary(f"/predict, each call from a new client ({len(seconds) + len(errors)} calls)", seconds, errors))
    print("server RSS MiB after n calls:", ", ".join(f"{n}: {m:.0f}" for n, m in marks.items()))
    if warm in marks and marks:
        print(f"growth after warm-up ({warm} calls): {list(marks.values())[-1] - marks[warm]:+.0f} MiB")


def scenario_explain(args) -> None:
    import httpx

    stop, lock, seconds, errors = threading.Event(), threading.Lock(), [], []
    outcomes: list[str] = []

    def explain(i: int) -> None:
        with httpx.Client(timeout=300) as h:
            r = h.post(args.url + "gradio_api/call/explain", json={"data": [f"{LONG} {i}", None]})
            if r.status_code != 200:
                outcome = f"HTTP {r.status_code}"
            else:
                stream = h.get(args.url + f"gradio_api/call/explain/{r.json()['event_id']}").text
                outcome = "answered" if "event: complete" in stream else "refused" if "event: error" in stream else "other"
            with lock:
                outcomes.append(outcome)

    deadline = time.time() + args.max_seconds
    predictors = [threading.Thread(target=predict_loop, args=(args.url, i, stop, deadline, seconds, errors, lock, 0.2))
                  for i in range(4)]
    with ThreadPoolExecutor(args.burst) as pool:
        futures = [pool.submit(explain, i) for i in range(args.burst)]
        time.sleep(1)
        for t in predictors:
            t.start()
        for f in futures:
            f.result()
    stop.set()
    for t in predictors:
        t.join()
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    print(f"/explain burst of {args.burst}: {counts}")
    print(summary("/predict beside it (4 clients, one call each 0.2 s)", seconds, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="predict", choices=["predict", "index", "sessions", "explain"])
    parser.add_argument("--url", default="http://127.0.0.1:7860/", help="a running app (all but --scenario index)")
    parser.add_argument("--data_dir", default=os.environ.get("GOEMOTIONS_DIR"), help="for --scenario index")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients (predict: 50; index: 4)")
    parser.add_argument("--requests", type=int, default=20, help="per client (predict)")
    parser.add_argument("--calls", type=int, default=3000, help="calls, each from a new client (sessions)")
    parser.add_argument("--burst", type=int, default=100, help="concurrent /explain calls (explain)")
    parser.add_argument("--max_seconds", type=float, default=600)
    args = parser.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("error: the load test only targets this machine (127.0.0.1 / localhost).")
    args.clients = args.clients or (4 if args.scenario == "index" else 50)
    if not (1 <= args.clients <= 200 and 1 <= args.requests <= 1000 and 1 <= args.calls <= 5000
            and 1 <= args.burst <= 200):
        raise SystemExit("error: keep --clients and --burst within 1..200, --requests within 1..1000, --calls within 1..5000.")
    from emotion.serve.backends import instruction_set

    print(f"scenario {args.scenario}; {os.cpu_count()} cores, {instruction_set()}")
    {"predict": scenario_predict, "index": scenario_index, "sessions": scenario_sessions,
     "explain": scenario_explain}[args.scenario](args)


if __name__ == "__main__":
    main()
