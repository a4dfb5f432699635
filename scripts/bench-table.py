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


def cell(f, key, fmt, scale=1.0):
    value = f[key]
    if value is None:
        return "n/a"
    text = fmt.format(value / scale)
    if base and base.get(key):
        text += f" ({value / base[key]:.2f}×)"
    return text


print("| server | joined | delivered/s | lost | p50 ms | p99 ms | server CPU µs / delivery | RSS / connection |")
print("|---|---|---|---|---|---|---|---|")
for server, r in rows.items():
    f = figures(r)
    print(
        f"| {server} | {f['joined']} | {cell(f, 'delivered', '{:.0f}')} | {f['lost']} | {f['p50']:.1f} | "
        f"{cell(f, 'p99', '{:.1f}')} | {cell(f, 'cpu', '{:.2f}')} | {cell(f, 'rss', '{:.1f} KB', 1000)} |"
    )
