#!/usr/bin/env python3
"""Checks every Grafana panel query, every dashboard annotation query and every alert rule of the
stack against a running Prometheus (HTTP API): each panel and annotation query must return data,
each series an alert reads must exist, and every rule must have been evaluated without error.

Usage: check_queries.py PROMETHEUS_URL   (run by tests/observability/panels.sh)
Standard library only.
"""
import glob
import json
import os
import re
import sys
import urllib.parse
import urllib.request

# ---------------------------------------------------------------------------------------------
# EXPECTED MISSING: series of services that are not merged yet. A query reading one of these may
# return nothing; once the service exports it, the check says so and the entry must be removed.
# Empty: panels.sh starts every service and drives every event a panel or an alert reads.
EXPECTED_MISSING = {}
# ---------------------------------------------------------------------------------------------
# Series that appear only after an event this check does not drive (a rollback: the loop's
# end-to-end test and tests/n8n/run.sh drive one). A query on one of them may return nothing as
# long as the metric itself is exported: label selector -> its metric.
EVENT_ONLY = {'action="rollback"': "fraudloop_loop_decisions_total"}

# The uid grafana/provisioning/datasources/prometheus.yml gives the stack's Prometheus.
DATASOURCE_UID = "prometheus"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SELECTOR = re.compile(r"\b((?:fraudloop|http)_[a-z_]+|up)\b(\{[^}]*\})?")


def query(base, expr):
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def metric_names(expr):
    return {m.group(1) for m in SELECTOR.finditer(expr)}


def dashboard_queries():
    for path in sorted(glob.glob(os.path.join(REPO, "grafana/dashboards/*.json"))):
        with open(path, encoding="utf-8") as f:
            dash = json.load(f)
        name = os.path.basename(path)
        panels = list(dash.get("panels", []))
        for p in list(panels):
            panels.extend(p.get("panels", []))
        for p in panels:
            if p.get("type") != "row" and p.get("datasource", {}).get("uid") != DATASOURCE_UID:
                raise SystemExit(f"{name}: panel '{p['title']}' does not use datasource uid {DATASOURCE_UID}")
            for t in p.get("targets", []):
                yield f"{name}: panel '{p['title']}' {t['refId']}", t["expr"]
        for a in dash.get("annotations", {}).get("list", []):
            if a.get("expr"):
                yield f"{name}: annotation '{a['name']}'", a["expr"]


def alert_rules():
    # alerts.yml is YAML; its `- alert:` / `expr:` lines are regular enough to read without PyYAML.
    text = open(os.path.join(REPO, "prometheus/alerts.yml"), encoding="utf-8").read()
    for block in re.split(r"\n\s+- alert: ", text)[1:]:
        name = block.split("\n", 1)[0].strip()
        m = re.search(r"\n\s+expr: \|\n((?:\s{10,}.*\n)+)|\n\s+expr: (.*)\n", block)
        expr = m.group(1) if m.group(1) else m.group(2)
        yield name, " ".join(line.strip() for line in expr.splitlines())


def main():
    base = sys.argv[1].rstrip("/")
    failures, missing_ok, now_present = [], [], set()

    def judge(what, expr, result, moving=False):
        pending = metric_names(expr) & EXPECTED_MISSING.keys()
        values = [float(r["value"][1]) for r in result]
        if result and moving and not any(v == v and v != 0 for v in values):
            # A rate or increase that is 0 everywhere has not seen the traffic the test drove.
            failures.append(f"{what}: only zeros for {expr}")
            print(f"FAIL    {what}: only zeros")
        elif result:
            print(f"ok      {what}: {len(result)} series")
            now_present.update(n for n in pending if query(base, f"count({n})"))
        elif event := next((m for sel, m in EVENT_ONLY.items()
                            if sel in expr and query(base, f"count({m})")), None):
            print(f"ok      {what}: no such event yet, {event} is exported")
        elif pending:
            missing_ok.append(what)
            print(f"pending {what}: no data ({', '.join(EXPECTED_MISSING[n] for n in sorted(pending))})")
        else:
            failures.append(f"{what}: no data for {expr}")
            print(f"FAIL    {what}: no data")

    for what, expr in dashboard_queries():
        judge(what, expr, query(base, expr), moving=bool(re.search(r"\b(rate|increase)\(", expr)))

    names = set()
    for alert, expr in alert_rules():
        names.add(alert)
        for selector in dict.fromkeys(m.group(0) for m in SELECTOR.finditer(expr)):
            judge(f"alert {alert}: series {selector}", selector, query(base, selector))

    with urllib.request.urlopen(base + "/api/v1/rules", timeout=10) as response:
        groups = json.load(response)["data"]["groups"]
    loaded = {}
    for g in groups:
        for r in g["rules"]:
            loaded[r["name"]] = r
    for name in sorted(names):
        r = loaded.get(name)
        if r is None:
            failures.append(f"alert {name}: not loaded by Prometheus")
        elif r.get("health") != "ok" or r.get("lastError"):
            failures.append(f"alert {name}: health {r.get('health')} {r.get('lastError', '')}")
        else:
            print(f"ok      alert {name}: evaluated, state {r.get('state')}")

    for n in sorted(now_present):
        failures.append(f"{n} is exported now: remove it from EXPECTED_MISSING in {__file__}")
    print(f"\n{len(failures)} failures, {len(missing_ok)} queries pending on unmerged services")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
