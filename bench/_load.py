"""A small load generator for bench/http.py, used when wrk is not there and
cannot be installed: `python bench/_load.py HOST PORT VARIANTS CLIENTS SECONDS`.

VARIANTS is a file of tab-separated lines `METHOD PATH COOKIE BODY` (as for the
wrk script); each of CLIENTS threads keeps one connection alive and sends the
variants in turn, for SECONDS. Prints one JSON line: requests, seconds, the
latencies' p50/p95/p99 (microseconds) and the errors (non-2xx/3xx statuses,
connection errors). Runs in its own process, apart from the bench."""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time


def _percentile(values: list[int], pct: float) -> int:
    if not values:
        return 0
    values = sorted(values)
    return values[min(len(values) - 1, round(pct / 100 * (len(values) - 1)))]


def main() -> None:
    host, port, variants_file, clients, seconds = sys.argv[1:6]
    variants = []
    with open(variants_file, encoding="utf-8") as fh:
        for line in fh:
            method, path, cookie, body = line.rstrip("\n").split("\t")
            variants.append((method, path, cookie, body.encode()))
    deadline = time.monotonic() + float(seconds)
    latencies: list[int] = []
    counts = {"requests": 0, "status_errors": 0, "socket_errors": 0}
    lock = threading.Lock()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine: list[int] = []
        bad = errors = 0
        n = offset
        while time.monotonic() < deadline:
            method, path, cookie, body = variants[n % len(variants)]
            n += 1
            headers = {"Cookie": cookie} if cookie else {}
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                continue
            mine.append(int((time.perf_counter() - started) * 1_000_000))
            if not 200 <= response.status < 400:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            counts["requests"] += len(mine)
            counts["status_errors"] += bad
            counts["socket_errors"] += errors

    started = time.monotonic()
    # each client starts at its own part of the first half of the variants (a
    # member's two orders lie a half apart): two clients sending one member's
    # order at once would wait on each other's lock on her, not on the app
    threads = [threading.Thread(target=client, args=(i * len(variants) // (2 * int(clients)),))
               for i in range(int(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({**counts, "seconds": time.monotonic() - started,
                      "p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95),
                      "p99": _percentile(latencies, 99), "max": max(latencies, default=0)}))


if __name__ == "__main__":
    main()
