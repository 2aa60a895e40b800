#!/usr/bin/env python3
"""The checks of monitoring/ that promtool does not make (scripts/check-monitoring.sh runs both).

1. Every metric and label name in alerts.yml's rules and in the Grafana dashboard's queries is one
   monitoring/metric-names.txt lists (the names the service exports), so a rename on one side
   fails until the other follows.
2. Every alert in alerts.yml has a unit test (alerts.test.yml) where it fires and one where it
   stays quiet.
3. The dashboard: JSON, panels' ids unique, every query panel on the ${DS_PROMETHEUS} datasource
   variable, every query non-empty.

    check-monitoring.py MONITORING_DIR
Prints one line per finding and exits 1 when there is any.
"""
import json
import re
import sys

import yaml

# PromQL words that look like metric names but are not.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
            "group_right", "inf", "nan", "start", "end"}
# Labels a scrape adds to every series (and `le` of a histogram's buckets).
TARGET_LABELS = {"job", "instance"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

IDENTIFIER = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


def load_names(path):
    """metric-names.txt: name -> (type, set of labels)."""
    names = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, kind, labels = line.split()
        names[name] = (kind, set() if labels == "-" else set(labels.split(",")))
    return names


def series_names(names):
    """Every series name a query may select, with the labels it carries."""
    series = {}
    for name, (kind, labels) in names.items():
        if kind == "histogram":
            series[name + "_bucket"] = labels | {"le"}
            series[name + "_sum"] = labels
            series[name + "_count"] = labels
        else:
            series[name] = labels
    return series


def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)


def check_expr(expr, where, series, findings):
    """The metric names and label names `expr` uses, checked against `series`."""
    # Grafana's variables ($__rate_interval, ${instance}) stand where a duration or a string goes.
    text = re.sub(r"\$\{[^}]*\}|\$\w+", "", expr)
    # Label matchers first: the name of the selector they belong to, and the label names in them.
    matcher_labels = re.compile(r"(" + IDENTIFIER + r")\s*(?==|!=|=~|!~)")
    used = set()
    for match in re.finditer(r"(?<![\w:.])(" + IDENTIFIER + r")?\s*\{([^}]*)\}", strip_strings(text)):
        name = match.group(1)
        labels = set(matcher_labels.findall(match.group(2)))
        if name == "__name__" or "__name__" in labels:
            findings.append(f"{where}: selects by __name__, which this check cannot follow: {expr!r}")
            continue
        if name is None:
            findings.append(f"{where}: a selector without a metric name: {expr!r}")
            continue
        if name in series:
            unknown = labels - series[name] - TARGET_LABELS
            for label in sorted(unknown):
                findings.append(f"{where}: {name} has no label {label!r} (metric-names.txt)")
    text = strip_strings(text)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    # Grouping and matching clauses: their labels must be some used metric's (checked below).
    grouping = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
    grouped = set()
    for match in grouping.finditer(text):
        grouped |= {label.strip() for label in match.group(2).split(",") if label.strip()}
    text = grouping.sub(" ", text)
    for match in re.finditer(r"(?<![\w:.])(" + IDENTIFIER + r")(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        if name not in series:
            findings.append(f"{where}: unknown metric {name!r} (not in metric-names.txt)")
        else:
            used.add(name)
    known_labels = set().union(*(series[name] for name in used)) if used else set()
    for label in sorted(grouped - known_labels - TARGET_LABELS):
        findings.append(f"{where}: groups by {label!r}, a label none of {sorted(used)} has")


def check_rules(path, series, findings):
    alerts = []
    for group in yaml.safe_load(open(path, encoding="utf-8"))["groups"]:
        for rule in group["rules"]:
            name = rule.get("alert") or rule.get("record")
            check_expr(str(rule["expr"]), f"alerts.yml {name}", series, findings)
            if "alert" in rule:
                alerts.append(rule["alert"])
    return alerts


def check_tests(path, alerts, findings):
    fires, quiet = set(), set()
    for test in yaml.safe_load(open(path, encoding="utf-8"))["tests"]:
        for case in test.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    for alert in alerts:
        if alert not in fires:
            findings.append(f"alerts.test.yml: no case where {alert} fires")
        if alert not in quiet:
            findings.append(f"alerts.test.yml: no case where {alert} stays quiet")
    for alert in sorted((fires | quiet) - set(alerts)):
        findings.append(f"alerts.test.yml: tests {alert}, which alerts.yml does not have")


def panels_of(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # a collapsed row holds its panels


def check_dashboard(path, series, findings):
    dashboard = json.load(open(path, encoding="utf-8"))
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    source = variables.get("DS_PROMETHEUS")
    if not source or source.get("type") != "datasource" or source.get("query") != "prometheus":
        findings.append("dashboard: no datasource variable DS_PROMETHEUS of type prometheus")
    ids = [panel.get("id") for panel in panels_of(dashboard)]
    if len(ids) != len(set(ids)) or None in ids:
        findings.append(f"dashboard: panel ids missing or repeated: {ids}")
    queries = 0
    for panel in panels_of(dashboard):
        targets = panel.get("targets", [])
        if not targets:
            continue
        title = panel.get("title", "?")
        if (panel.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
            findings.append(f"dashboard panel {title!r}: datasource is not ${{DS_PROMETHEUS}}")
        for target in targets:
            expr = target.get("expr", "")
            if not expr.strip():
                findings.append(f"dashboard panel {title!r}: a query without expr")
                continue
            queries += 1
            check_expr(expr, f"dashboard panel {title!r}", series, findings)
    return queries


def main():
    directory = sys.argv[1]
    series = series_names(load_names(directory + "/metric-names.txt"))
    findings = []
    alerts = check_rules(directory + "/alerts.yml", series, findings)
    check_tests(directory + "/alerts.test.yml", alerts, findings)
    queries = check_dashboard(directory + "/grafana-dashboard.json", series, findings)
    for finding in findings:
        print("check-monitoring: " + finding, file=sys.stderr)
    if findings:
        sys.exit(1)
    print(f"check-monitoring: {len(alerts)} alerts (each firing and quiet in a unit test) and "
          f"{queries} dashboard queries use only the names in metric-names.txt")


if __name__ == "__main__":
    main()
