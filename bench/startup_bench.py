"""Start-up: from starting `mashbot serve` (no Teams, no Slack: the console's demo set-up, a
database already migrated) to its first `GET /healthz` 200, against a bare aiohttp server
started the same way (a new Python process serving a 200), in one run.

Each is started --repeat times, taking turns; the best of each is compared. Target: mashbot
under 3x the bare server.

mashbot's own packages are byte-compiled first, as installing a wheel does: aiohttp already is,
and a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module of
mashbot's from source on each start, which no deployed service does. --no-compile skips that
step (and says so); bytecode already cached in __pycache__ is still used.

Usage: python bench/startup_bench.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import compileall
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from adapters.scheduler import FIRST_TICK_AFTER  # noqa: E402 - after the checkout is on the path
BARE = """
import sys
from aiohttp import web
async def ok(request):
    return web.json_response({"status": "ok"})
app = web.Application()
app.router.add_get("/healthz", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health(port: int) -> bytes | None:
    """The body of a 200 from /healthz, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
    except OSError:
        return None
    head, _, body = answer.partition(b"\r\n\r\n")
    return body if head.startswith(b"HTTP/1.1 200") else None


def time_to_healthy(argv: list[str], port: int, env: dict[str, str], limit: float = 60.0,
                    first_tick: list[float] | None = None) -> float:
    """Seconds to the first 200; with `first_tick`, also waits for /healthz to report a tick
    done (the scheduler's core loads on that tick) and appends when it did."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=env.get("BENCH_CWD"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        healthy_at = None
        while time.perf_counter() - started < limit:
            body = health(port)
            if body is not None and healthy_at is None:
                healthy_at = time.perf_counter() - started
            if healthy_at is not None and (first_tick is None or (body is not None and b'"last_tick": "' in body)):
                if first_tick is not None:
                    first_tick.append(time.perf_counter() - started)
                return healthy_at
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[:3]} exited with {proc.returncode}")
            time.sleep(0.005)
        raise RuntimeError(f"{argv[:3]} not healthy within {limit:g}s")
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-compile", action="store_true", help="do not byte-compile mashbot's packages first")
    args = parser.parse_args()
    if not args.no_compile:
        for package in ("adapters", "bot", "cards", "dialogs", "storage"):
            compileall.compile_dir(ROOT / package, quiet=1)
    mashbot = str(Path(sys.executable).with_name("mashbot"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MASHBOT_", "SLACK_", "MICROSOFT_"))}
        env |= {"MASHBOT_DATABASE_URL": f"sqlite:///{Path(tmp) / 'mashbot.db'}", "BENCH_CWD": tmp,
                "MASHBOT_SECRET": "bench-secret"}
        subprocess.run([mashbot, "db", "upgrade"], env=env, cwd=tmp, check=True, capture_output=True)
        subprocess.run([mashbot, "roster", "import", "--demo"], env=env, cwd=tmp, check=True, capture_output=True)
        best = {"mashbot serve": float("inf"), "bare aiohttp": float("inf")}
        ticks: list[float] = []
        for _ in range(args.repeat):
            port = free_port()
            best["mashbot serve"] = min(best["mashbot serve"], time_to_healthy(
                [mashbot, "serve", "--host", "127.0.0.1", "--port", str(port)], port, env, first_tick=ticks))
            port = free_port()
            best["bare aiohttp"] = min(best["bare aiohttp"], time_to_healthy(
                [sys.executable, "-c", BARE, str(port)], port, env))
    ratio = best["mashbot serve"] / best["bare aiohttp"]
    compiled = "not byte-compiled first" if args.no_compile else "mashbot byte-compiled first, as an install does"
    print(f"start to first /healthz 200, best of {args.repeat} (new process each, database already migrated, "
          f"{compiled})")
    print(f"  mashbot serve {best['mashbot serve'] * 1000:.0f} ms, bare aiohttp server {best['bare aiohttp'] * 1000:.0f} ms")
    print(f"  mashbot serve / bare aiohttp server = {ratio:5.2f}x  (target < 3: {'met' if ratio < 3 else 'MISSED'})")
    print(f"  first tick done {min(ticks) * 1000:.0f} ms after start, best of {args.repeat} (it is due "
          f"{FIRST_TICK_AFTER.total_seconds() * 1000:.0f} ms after the scheduler starts, and loads the ladder's handlers)")
    return 0 if ratio < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
