"""Markdown tables from benchmarks/speed.py JSON files (for docs/performance.md).

Usage: ``python benchmarks/report.py benchmarks/results/before.json benchmarks/results/after.json``
"""

from __future__ import annotations

import json
import sys


def fill_table(runs: list[dict]) -> str:
    lines = ["| run | device | precision | size | time | GFLOP/s | ÷ torch.mm | ÷ best GEMM "
             "| ÷ same-type GEMM | time ÷ GEMM time | peak RSS |", "|" + "---|" * 11]
    for run in runs:
        for row in run["fill"]:
            best = row.get("efficiency_vs_best_gemm")
            same = row.get("efficiency_vs_same_dtype_gemm")
            lines.append(
                f"| {run['label']} | {row['device']} | {row['precision']} | {row['size']}² "
                f"| {row['seconds'] * 1000:.0f} ms | {row['gflops']:.0f} | {row['efficiency']:.2f} "
                f"| {'' if best is None else f'{best:.2f}'} "
                f"| {'' if same is None else f'{same:.2f}'} "
                f"| {row['time_over_gemm_time']:.2f} "
                f"| {row['peak_rss_mb']:.0f} MB |")
    return "\n".join(lines)


def gemm_table(runs: list[dict]) -> str:
    lines = ["| run | GEMM | GFLOP/s |", "|---|---|---|"]
    for run in runs:
        for name, rate in run["gemm"].items():
            lines.append(f"| {run['label']} | {name} | {rate:.0f} |")
    return "\n".join(lines)


def other_tables(runs: list[dict]) -> str:
    lines = ["| run | what | size | time |", "|---|---|---|---|"]
    for run in runs:
        for row in run.get("naive_one_pass", []):
            lines.append(f"| {run['label']} | naive nn.Module one pass ({row['device']}) "
                         f"| {row['size']}² | {row['seconds'] * 1000:.0f} ms |")
        for row in run.get("stylize", []):
            lines.append(f"| {run['label']} | stylize: {row['tool']} | {row['size']}² "
                         f"| {row['seconds'] * 1000:.0f} ms |")
        for row in run.get("fill_rss", []):
            lines.append(f"| {run['label']} | `texnet fill --tile {row['tile']}` (child, peak "
                         f"RSS {row['peak_rss_mb']:.0f} MB) | {row['tile']} "
                         f"| {row['seconds']:.1f} s |")
        for key, db in run.get("psnr_db", {}).items():
            lines.append(f"| {run['label']} | PSNR {key} vs float32 | 1024² | {db:.1f} dB |")
    return "\n".join(lines)


def main(paths: list[str]) -> None:
    runs = [json.loads(open(p).read()) for p in paths]
    for run in runs:
        print(f"- {run['label']}: torch {run['torch']}, {run['threads']} threads, "
              f"{run['flops_per_pixel'] / 1e3:.1f} kFLOP/pixel, load average "
              f"{run.get('loadavg_start', ['?'])[0]} → {run.get('loadavg_end', ['?'])[0]}")
    print()
    print(gemm_table(runs), end="\n\n")
    print(fill_table(runs), end="\n\n")
    print(other_tables(runs))


if __name__ == "__main__":
    main(sys.argv[1:])
