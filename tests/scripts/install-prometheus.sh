#!/usr/bin/env bash
# Installs `promtool` and `prometheus` (Debian package `prometheus`) for the metrics tests
# (`agent/tests/metrics_endpoint.rs` checks the scraped `/metrics` with `promtool check
# metrics`; docs/operations.md scrapes pipeplug with a real Prometheus server).
#
# Usage: tests/scripts/install-prometheus.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the test that needs `promtool` skips with a message.
set -uo pipefail
here=${BASH_SOURCE[0]%/*}
[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.
source "$here/apt-install.sh"
install_deb install-prometheus promtool prometheus "the promtool test"
