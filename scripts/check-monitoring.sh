#!/usr/bin/env bash
# monitoring/ as `make test` checks it: promtool accepts the alert rules and their unit tests pass
# (every alert fires where it should and stays quiet where it should not), and the rules and the
# Grafana dashboard use only the metric names the service exports (monitoring/metric-names.txt;
# scripts/lib/check-monitoring.py). Needs promtool (Debian's prometheus) and python3-yaml.
# Binds no ports; the real Prometheus runs in Tests/EndToEndTests/MonitoringTests.swift.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v promtool >/dev/null || { echo "check-monitoring: promtool missing (apt-get install prometheus)" >&2; exit 2; }

promtool check rules "$repo/monitoring/alerts.yml"
# promtool resolves rule_files relative to the test file.
promtool test rules "$repo/monitoring/alerts.test.yml"
python3 "$repo/scripts/lib/check-monitoring.py" "$repo/monitoring"
