"""Optional: py-spy on the API processes during the busiest storm level (`--profile`).

py-spy is not a dependency of the project; install it anywhere (e.g. a scratch venv) and point
`PY_SPY` at it, or have it on PATH. The raw collapsed stacks are kept next to the JSON report and
summarised as the functions with the most samples (inclusive and self), by module.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def py_spy() -> str | None:
    return os.environ.get("PY_SPY") or shutil.which("py-spy")


async def record(pids: list[int], seconds: float, out_dir: Path) -> list[Path]:
    tool = py_spy()
    if not tool:
        return []
    os.makedirs(out_dir, exist_ok=True)
    paths, processes = [], []
    for pid in pids:
        path = out_dir / f"pyspy-{pid}.txt"
        paths.append(path)
        processes.append(
            await asyncio.create_subprocess_exec(
                tool,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, int(seconds))),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(path),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
        )
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), timeout=seconds + 30)
        except TimeoutError:
            process.kill()
    return [p for p in paths if p.exists()]


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['func']} ({file})"


def summarise(paths: list[Path], top: int = 30) -> dict[str, Any]:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = idle = 0
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_short(f) for f in stack.split(";") if f]
            total += count
            if not frames:
                continue
            leaf = frames[-1]
            if "select" in leaf.split(" ")[0] or "epoll" in leaf or "run_forever" in leaf:
                idle += count
            for name in set(frames):
                inclusive[name] += count
            own[leaf] += count
            file = leaf.rsplit("(", 1)[-1].rstrip(")")
            packages[file.split("/", 1)[0]] += count
    if not total:
        return {}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "idle_share": round(100 * idle / total, 1),
        "inclusive_pct": share(inclusive),
        "self_pct": share(own),
        "self_by_package_pct": share(packages),
        "files": [str(p) for p in paths],
    }
