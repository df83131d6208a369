#!/usr/bin/env python3
"""Prints the feed benchmark's JSON lines (feed-load output) as a markdown table."""
import json
import sys

for line in open(sys.argv[1]):
    r = json.loads(line)
    lat, rss = r["latency_ms"], r["server_rss_mb"]
    print(
        f"| {r['server']} | {r['subscribers']:,} | {r['delivered']:,} / {r['expected_deliveries']:,} | {r['lost']:,} | "
        f"{r['duplicated']:,} | {lat['p50']:.0f} | {lat['p99']:.0f} | {lat['max']:.0f} | {rss['idle'] or 0:.0f} → {rss['max']:.0f} |"
    )
