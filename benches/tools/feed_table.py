#!/usr/bin/env python3
"""Prints the feed benchmark's JSON lines (feed-load output) as a markdown table."""
import json
import sys


def ms(v):
    return "–" if v is None else f"{v:.1f}"


for line in open(sys.argv[1]):
    r = json.loads(line)
    lat, rss = r["latency_ms"], r["server_rss_mb"]
    cpu = r.get("cpu_ms_per_1000_deliveries", {})
    print(
        f"| {r['server']} | {r.get('pinning', 'none')} | {r['subscribers']:,} | {r['delivered']:,} / {r['expected_deliveries']:,} | "
        f"{r['lost']:,} | {r['duplicated']:,} | {lat['p50']:.0f} | {lat['p99']:.0f} | {lat['max']:.0f} | "
        f"{rss['idle'] or 0:.0f} → {rss['max']:.0f} | {ms(cpu.get('server'))} / {ms(cpu.get('client'))} |"
    )
