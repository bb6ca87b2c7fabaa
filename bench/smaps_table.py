#!/usr/bin/env python3
"""Resident memory of a process by mapping: the table of BENCHMARKS.md "Memory: where the RSS
goes". Reads /proc/PID/smaps (or a saved copy) and sums Rss and Anonymous per file, anonymous
mappings ([heap], [stack], thread stacks and malloc arenas) on their own rows.

    bench/smaps_table.py PID|FILE
"""
import collections
import os
import sys


def table(lines):
    rss = collections.Counter()
    anon = collections.Counter()
    name = None
    for line in lines:
        head = line.split()
        if not head:
            continue
        if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            path = head[5] if len(head) > 5 else "[anonymous]"
            name = os.path.basename(path) if path.startswith("/") else path
        elif head[0] == "Rss:":
            rss[name] += int(head[1])
        elif head[0] == "Anonymous:":
            anon[name] += int(head[1])
    return rss, anon


def main():
    arg = sys.argv[1]
    path = f"/proc/{arg}/smaps" if arg.isdigit() else arg
    with open(path, encoding="utf-8", errors="replace") as f:
        rss, anon = table(f)
    print(f"{'mapping':40} {'Rss kB':>8} {'of which anonymous':>18}")
    for name, kb in rss.most_common():
        print(f"{name:40} {kb:8} {anon[name]:18}")
    print(f"{'total':40} {sum(rss.values()):8} {sum(anon.values()):18}")


if __name__ == "__main__":
    main()
