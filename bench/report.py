"""The table of figures (each beside its baseline, with the ratio and the target) from a run's results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.stats import ratio

DONE_WORD = {"inferenceservices": "Ready", "trainingjobs": "Succeeded"}


@dataclass(frozen=True)
class Row:
    figure: str
    ours: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""


def fmt(value: float | None, digits: int = 2, missing: str = "n/a") -> str:
    """A number for the table; ``missing`` for None."""
    if value is None:
        return missing
    return f"{value:,.{digits}f}"


def fmt_ratio(ours: float | None, baseline: float | None) -> str:
    r = ratio(ours, baseline)
    return "" if r is None else f"{r:.2f}x"


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISS")


def done_cell(run: Mapping[str, Any]) -> str:
    """Seconds until every object was done, or how many got there before the harness gave up."""
    if run.get("all_done_s") is not None:
        return fmt(run["all_done_s"])
    return f"not reached ({run.get('done_count', 0)}/{run.get('n')})"


def throughput_rows(kind: str, n: int, ours: Mapping[str, Any], base: Mapping[str, Any]) -> list[Row]:
    label = f"{kind} N={n}"
    done_ratio = ratio(ours.get("all_done_s"), base.get("all_done_s"))
    target = "<= 2x" if kind == "inferenceservices" and n >= 1000 else ""
    ok = None if not target else done_ratio is not None and done_ratio <= 2
    rows = [Row(f"{label}: time to all {DONE_WORD[kind]} (s)", done_cell(ours), done_cell(base),
                fmt_ratio(ours.get("all_done_s"), base.get("all_done_s")), target, verdict(ok))]
    for key, name in (("all_first_status_s", "time to every first status (s)"),
                      ("first_status_p50_s", "creation -> first status p50 (s)"),
                      ("first_status_p99_s", "creation -> first status p99 (s)"),
                      ("requests_per_object", "operator API requests / object"),
                      ("writes_per_object", "operator API writes / object"),
                      ("peak_rss_mib", "operator peak RSS (MiB)")):
        rows.append(Row(f"{label}: {name}", fmt(ours.get(key)), fmt(base.get(key)),
                        fmt_ratio(ours.get(key), base.get(key))))
    return rows


def memory_rows(ours: Mapping[str, Any], base: Mapping[str, Any]) -> list[Row]:
    rows = []
    for size, rss in ours.get("rss_mib", {}).items():
        b = base.get("rss_mib", {}).get(size)
        target = "< 150 MiB" if size == "1000" else ""
        settled = "" if ours.get("settled", {}).get(size, True) else " (not settled)"
        rows.append(Row(f"idle RSS, {size} objects (MiB)", fmt(rss, 1) + settled, fmt(b, 1), fmt_ratio(rss, b),
                        target, verdict(rss < 150 if target and rss is not None else None)))
    s, bs = ours.get("steady") or {}, base.get("steady") or {}
    if s:
        w = s.get("writes_per_object_hour")
        rows.append(Row(f"writes / object / hour at rest ({s['objects']} objects, {s['window_s']:.0f} s)",
                        fmt(w, 3), fmt(bs.get("writes_per_object_hour"), 3), "", "0", verdict(w == 0)))
        rows.append(Row(f"requests / object / hour at rest ({s['objects']} objects)",
                        fmt(s.get("requests_per_object_hour"), 3), fmt(bs.get("requests_per_object_hour"), 3)))
    return rows


def rollback_rows(rb: Mapping[str, Any]) -> list[Row]:
    if not rb:
        return []
    interval, latency = rb.get("interval_s"), rb.get("latency_s")
    ours = fmt(latency) if latency is not None else f"n/a: {rb.get('reason', 'not measured')}"
    ok = None if latency is None else latency <= interval + 2
    return [Row("rollback latency: threshold crossed -> traffic on stable (s)", ours, f"interval {interval} s",
                fmt_ratio(latency, interval), f"<= {interval + 2} s", verdict(ok))]


def capacity_rows(cap: Mapping[str, Any]) -> list[Row]:
    if not cap:
        return []
    suffix = f"(c={cap['concurrency']}, {cap['objects']} objects)"
    return [Row(f"sandbox {name} req/s {suffix}", fmt(cap.get(key), 0))
            for key, name in (("get_per_s", "GET"), ("list_per_s", "LIST"), ("patch_status_per_s", "PATCH status"))]


def all_rows(results: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for kind, by_n in results.get("throughput", {}).items():
        for n, pair in by_n.items():
            rows += throughput_rows(kind, int(n), pair.get("ours", {}), pair.get("baseline", {}))
    mem = results.get("memory", {})
    if mem:
        rows += memory_rows(mem.get("ours", {}), mem.get("baseline", {}))
    rows += rollback_rows(results.get("rollback", {}))
    rows += capacity_rows(results.get("capacity", {}))
    return rows


def render(rows: list[Row]) -> str:
    """A plain-text table (also valid Markdown)."""
    head = Row("figure", "ours", "baseline", "ratio", "target", "verdict")
    cells = [[r.figure, r.ours, r.baseline, r.ratio, r.target, r.verdict] for r in [head, *rows]]
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    lines = ["| " + " | ".join(c[i].ljust(widths[i]) for i in range(6)) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
