"""Load test: N concurrent gradio_client clients against a running app on loopback.

    python app.py &
    python bench/load.py --clients 50 --requests 20

Bounded in count (clients x requests) and time (--max_seconds); only loopback URLs are accepted.
Prints requests served, errors, p50 / p95 / p99 latency, throughput and the server's peak memory
(when --pid is given, or found by port).
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

# Written for this benchmark; not from any data set.
COMMENTS = [
    "thank you so much, this made my day", "lol this is the best thing I've seen all week",
    "why would they even do that?? makes no sense", "I'm so sorry, that must have been awful",
    "ugh, not again. this update broke everything", "wow, congrats! well deserved",
    "honestly kind of nervous about tomorrow", "ok", "I had no idea, that's fascinating",
    "this is disgusting behaviour from a grown adult",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def server_memory(port: int, stop: threading.Event, peak: list[float]) -> None:
    try:
        import psutil
    except ImportError:
        return
    proc = next((p for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port
                 and c.status == "LISTEN" and c.pid for p in [psutil.Process(c.pid)]), None)
    while proc is not None and not stop.is_set():
        try:
            peak[0] = max(peak[0], proc.memory_info().rss / 2**20)
        except psutil.Error:
            return
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="per client")
    parser.add_argument("--max_seconds", type=float, default=600)
    args = parser.parse_args()
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("error: the load test only targets this machine (127.0.0.1 / localhost).")
    if not (1 <= args.clients <= 200 and 1 <= args.requests <= 1000):
        raise SystemExit("error: keep --clients within 1..200 and --requests within 1..1000.")
    from gradio_client import Client

    deadline = time.time() + args.max_seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client_loop(seed: int) -> None:
        client = Client(args.url, verbose=False)
        rng = random.Random(seed)
        for _ in range(args.requests):
            if time.time() > deadline:
                return
            started = time.perf_counter()
            try:
                client.predict(rng.choice(COMMENTS), None, api_name="/predict")
                with lock:
                    latencies.append(time.perf_counter() - started)
            except Exception as err:  # every failure counts, whatever its type
                with lock:
                    errors.append(repr(err)[:200])

    stop, peak = threading.Event(), [0.0]
    watcher = threading.Thread(target=server_memory, args=(urlparse(args.url).port or 80, stop, peak), daemon=True)
    watcher.start()
    started = time.time()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(client_loop, range(args.clients)))
    elapsed = time.time() - started
    stop.set()
    print(f"clients {args.clients} x requests {args.requests}: served {len(latencies)}, errors {len(errors)}, "
          f"{elapsed:.1f} s, {len(latencies) / elapsed:.1f} req/s")
    if latencies:
        ms = [v * 1000 for v in latencies]
        print(f"latency ms: p50 {percentile(ms, 50):.0f}  p95 {percentile(ms, 95):.0f}  p99 {percentile(ms, 99):.0f}  "
              f"mean {statistics.mean(ms):.0f}")
    if peak[0]:
        print(f"server peak RSS: {peak[0]:.0f} MiB")
    for err in sorted(set(errors))[:5]:
        print("error:", err)


if __name__ == "__main__":
    main()
