"""A PNG of latency against concurrency from a bench/results/*.json file: one panel per
operation, one line per target (solid p50, dashed p95), log scales.

    .venv/bin/python bench/plot.py bench/results/2026-11-24-abc1234.json   # writes .png beside it
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display here
import matplotlib.pyplot as plt

COLORS = {"router": "tab:blue", "subgraph": "tab:cyan", "postgraphile": "tab:orange",
          "sql": "tab:green"}  # fmt: skip


def plot(results_path: Path) -> Path:
    document: dict[str, Any] = json.loads(results_path.read_text())
    series: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for result in document["results"]:
        series[result["operation"]][result["target"]].append(result)
    operations = list(series)
    columns = min(3, len(operations))
    rows = (len(operations) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 4 * rows), squeeze=False)
    for panel, operation in zip(axes.flat, operations, strict=False):
        for target, found in series[operation].items():
            found.sort(key=lambda r: r["concurrency"])
            x = [r["concurrency"] for r in found]
            color = COLORS.get(target)
            panel.plot(x, [r["p50_ms"] for r in found], "o-", color=color, label=f"{target} p50")
            panel.plot(x, [r["p95_ms"] for r in found], "x--", color=color, label=f"{target} p95")
        panel.set_title(operation)
        panel.set_xscale("log", base=2)
        panel.set_yscale("log")
        panel.set_xlabel("concurrent clients")
        panel.set_ylabel("latency (ms)")
        panel.grid(True, which="both", alpha=0.3)
        panel.legend(fontsize="x-small")
    for panel in list(axes.flat)[len(operations) :]:
        panel.axis("off")
    machine = document.get("machine", {})
    figure.suptitle(
        f"{results_path.stem}: {machine.get('cores', '?')} cores, scale {document.get('scale')}"
    )
    figure.tight_layout()
    out = results_path.with_suffix(".png")
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return out


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(plot(Path(argument)))
