"""Load: 8, 16, 32 and 64 concurrent clients against a real `kb serve`, each level for a while.

Each client loops over a mix of requests: searches (60%), suggestions (25%) and writes
(15%, new Q&A documents, made searchable before the answer). It prints, per level, requests per
second, errors (any 5xx, timeout or refused connection; and any answer other than the expected
200/201) and latency percentiles, then throughput at the highest level as a share of the lowest.

The clients run in processes of at most `--clients-per-process` (16) each: one Python process
(asyncio + httpx) driving 64 connections on a loaded 2-core machine measured its own limit,
not the server's (1 process x 64 clients 12.1 requests/s against 4 x 16 20.9 on one server).

    .venv/bin/python bench/load.py                      # SQLite, content/ loaded, 60 s a level
    .venv/bin/python bench/load.py --seconds 10 --levels 8,64
    .venv/bin/python bench/load.py --clients-per-process 64   # one client process, as before
    KB_DATABASE_URL=postgresql+psycopg://kb:kb@127.0.0.1/kb_bench .venv/bin/python bench/load.py

The server runs in its own process on a free loopback port, over a fresh data folder (and the
database KB_DATABASE_URL names, emptied first), with content/ ingested.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
KB = [sys.executable, "-m", "api"]
QUERIES = (
    "华为云 报价",
    "X-200 certification",
    "数据集成 方案",
    "disaster recovery active-active",
    "competitor pricing",
    "麒麟 适配",
    "backup appliance snapshots",
    "金融 行业 客户",
)
DRAFTS = (
    "We propose X-200 for active-active disaster recovery across two data centres.",
    "本项目采用 DataHub 实现数据集成，满足金融行业监管要求。",
    "How does the solution keep immutable snapshots?",
)


@dataclass
class LevelResult:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # seconds of CPU the server process used during the level
    client_cpu: float = 0.0  # seconds of CPU the client processes used during the level
    idle: float = 0.0  # share of the machine's CPU time left idle during the level

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds

    def line(self) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p50 = ordered[len(ordered) // 2] * 1000
        p95 = ordered[int(len(ordered) * 0.95)] * 1000
        errors = sum(self.errors.values())
        detail = f" {self.errors}" if errors else ""
        kinds = ", ".join(
            f"{kind} p50 {sorted(times)[len(times) // 2] * 1000:.0f} ms"
            for kind, times in sorted(self.by_kind.items())
        )
        cpu = self.server_cpu * 1000 / max(1, len(self.latencies))
        client = self.client_cpu * 1000 / max(1, len(self.latencies))
        return (
            f"{self.clients:>3} clients: {len(self.latencies):>6} requests, "
            f"{self.throughput:7.1f} req/s, p50 {p50:6.0f} ms, p95 {p95:6.0f} ms, "
            f"errors {errors}{detail}; CPU per request: server {cpu:.0f} ms, "
            f"clients {client:.0f} ms; machine idle {self.idle:.0%}; {kinds}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(env: dict[str, str]) -> str:
    """Empty the database, load content/, add a contributor; return its token."""
    if env.get("KB_DATABASE_URL"):
        code = (
            "from sqlmodel import SQLModel; from kb.config import Settings; "
            "from kb.db import make_engine; SQLModel.metadata.drop_all(make_engine(Settings()))"
        )
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    run = {"env": env, "check": True, "cwd": ROOT, "capture_output": True, "text": True}
    subprocess.run([*KB, "users", "import", "content/people.yaml"], **run)  # type: ignore[call-overload]
    subprocess.run([*KB, "ingest", "content/"], **run)  # type: ignore[call-overload]
    added = subprocess.run([*KB, "users", "add", "bench", "--role", "contributor"], **run)  # type: ignore[call-overload]
    return str(added.stdout).strip().splitlines()[-1]


async def client_loop(
    http: httpx.AsyncClient, number: int, deadline: float, result: LevelResult
) -> None:
    """Client `number` of the level (unique across the level's processes)."""
    rng = random.Random(number)
    run = f"level started {deadline:.3f}"  # every level writes new text (nothing to reuse)
    written = 0
    while time.monotonic() < deadline:
        pick = rng.random()
        if pick < 0.60:
            kind, request = (
                "search",
                ("POST", "/search", {"query": rng.choice(QUERIES), "top_k": 10}, 200),
            )
        elif pick < 0.85:
            kind, request = (
                "suggestions",
                ("POST", "/suggestions", {"text": rng.choice(DRAFTS)}, 200),
            )
        else:
            kind = "write"
            written += 1
            body = {
                "kind": "qa",
                "title": f"Load {result.clients}-{number}-{written}",
                "question": f"Does load client {number} write {written}?",
                "text": f"Yes: client {number} of {result.clients}, write {written}, {run}.",
            }
            request = ("POST", "/documents", body, 201)
        method, path, body, expected = request
        started = time.monotonic()
        try:
            response = await http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            result.error(type(exc).__name__)
            continue
        result.latencies.append(time.monotonic() - started)
        result.by_kind.setdefault(kind, []).append(result.latencies[-1])
        if response.status_code != expected:
            result.error(str(response.status_code))


async def run_share(
    base: str, token: str, level: int, numbers: range, seconds: float
) -> LevelResult:
    """The clients `numbers` of a level of `level` clients, in this process."""
    clients = len(numbers)
    result = LevelResult(level, seconds)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    started = time.process_time()
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=120, limits=limits
    ) as http:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(client_loop(http, n, deadline, result) for n in numbers))
    result.client_cpu = time.process_time() - started
    return result


def _share_in_process(
    base: str, token: str, level: int, numbers: range, seconds: float
) -> LevelResult:
    return asyncio.run(run_share(base, token, level, numbers, seconds))


def run_level(base: str, token: str, clients: int, seconds: float, per_process: int) -> LevelResult:
    """`clients` clients for `seconds`, in processes of at most `per_process` clients."""
    shares = [range(n, min(n + per_process, clients)) for n in range(0, clients, per_process)]
    with ProcessPoolExecutor(len(shares)) as pool:
        futures = [
            pool.submit(_share_in_process, base, token, clients, share, seconds) for share in shares
        ]
        parts = [f.result() for f in futures]
    merged = LevelResult(clients, seconds)
    for part in parts:
        merged.latencies.extend(part.latencies)
        merged.client_cpu += part.client_cpu
        for kind, times in part.by_kind.items():
            merged.by_kind.setdefault(kind, []).extend(times)
        for what, count in part.errors.items():
            merged.errors[what] = merged.errors.get(what, 0) + count
    return merged


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_times() -> list[int]:
    """The machine's CPU time counters (Linux /proc/stat: user, nice, system, idle, ...)."""
    return [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def idle_share(before: list[int], after: list[int]) -> float:
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return (spent[3] + spent[4]) / max(1, sum(spent))  # idle + waiting for I/O


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before it answered")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer /health within 180 s")


def warm_up(base: str, token: str) -> None:
    """One request of each kind before timing anything: the first search loads (or, in a fresh
    data folder, exports) the query encoder, which would otherwise be charged to the first
    level."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as http:
        for query in QUERIES:
            http.post("/search", json={"query": query}).raise_for_status()
        for draft in DRAFTS:
            http.post("/suggestions", json={"text": draft}).raise_for_status()
        body = {"kind": "qa", "title": "Warm-up", "question": "Warm?", "text": "Yes."}
        http.post("/documents", json=body).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="8,16,32,64", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each level")
    parser.add_argument(
        "--clients-per-process", type=int, default=16, help="clients per client process"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="kb-load-") as home:
        env = {**os.environ, "KB_HOME": home, "HF_HUB_OFFLINE": "1"}
        token = prepare(env)
        port = free_port()
        server = subprocess.Popen(
            [*KB, "serve", "--port", str(port)],
            env={**env, "KB_HOST": "127.0.0.1"},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, server)
            warm_up(base, token)
            database = "PostgreSQL" if env.get("KB_DATABASE_URL") else "SQLite"
            print(f"kb serve on {database}, content/ loaded; {args.seconds:.0f} s per level")
            results = []
            for clients in levels:
                cpu_before, machine_before = cpu_seconds(server.pid), machine_times()
                level = run_level(base, token, clients, args.seconds, args.clients_per_process)
                level.server_cpu = cpu_seconds(server.pid) - cpu_before
                level.idle = idle_share(machine_before, machine_times())
                results.append(level)
                print(results[-1].line(), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    total_errors = sum(sum(r.errors.values()) for r in results)
    ratio = results[-1].throughput / results[0].throughput if results[0].throughput else 0.0
    print(
        f"errors in all: {total_errors}; throughput at {results[-1].clients} clients is "
        f"{ratio:.0%} of that at {results[0].clients}"
    )


if __name__ == "__main__":
    main()
