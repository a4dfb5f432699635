#!/usr/bin/env python3
"""Prints the side-by-side table from compare-<server>.json files, with ratios to roomcast.

    scripts/bench-table.py docs/bench roomcast nats nchan socketio baseline
"""
import json
import os
import sys

out, servers = sys.argv[1], sys.argv[2:]
rows = {}
for server in servers:
    path = os.path.join(out, f"compare-{server}.json")
    if os.path.exists(path):
        with open(path) as f:
            rows[server] = json.load(f)


def figures(r):
    m, s, lat = r["messages"], r["server"], r["latency"]
    return {
        "delivered": m["delivered_per_second"],
        "p50": lat["p50_ms"],
        "p99": lat["p99_ms"],
        "cpu": m["server_cpu_us_per_delivery"],
        "rss": s["rss_per_connection_bytes"],
        "lost": m["lost"],
        "joined": r["viewers_joined"],
    }


base = figures(rows["roomcast"]) if "roomcast" in rows else None


def cell(value, key, fmt):
    if value is None:
        return "n/a"
    text = fmt.format(value)
    if base and base.get(key) and key in ("cpu", "rss", "p99"):
        text += f" ({value / base[key]:.1f}×)"
    return text


print("| server | joined | delivered/s | lost | p50 ms | p99 ms | server CPU µs / delivery | RSS / connection |")
print("|---|---|---|---|---|---|---|---|")
for server, r in rows.items():
    f = figures(r)
    rss = None if f["rss"] is None else f["rss"] / 1000
    print(
        f"| {server} | {f['joined']} | {f['delivered']:.0f} | {f['lost']} | {f['p50']:.1f} | "
        f"{cell(f['p99'], 'p99', '{:.1f}')} | {cell(f['cpu'], 'cpu', '{:.2f}')} | "
        f"{cell(rss, 'rss', '{:.1f} KB') if rss is not None else 'n/a'} |"
    )
