#!/usr/bin/env bash
# Installs `promtool` and `prometheus` (Debian package `prometheus`) for the metrics tests
# (`agent/tests/metrics_endpoint.rs` checks the scraped `/metrics` with `promtool check
# metrics`; docs/operations.md scrapes pipeplug with a real Prometheus server).
#
# Usage: tests/scripts/install-prometheus.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the test that needs `promtool` skips with a message.
set -uo pipefail

if command -v promtool >/dev/null 2>&1; then
    echo "install-prometheus: promtool is already installed ($(command -v promtool))"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-prometheus: no apt-get here: the promtool test will skip"
    exit 0
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-prometheus: not root and no sudo: the promtool test will skip"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends prometheus; then
    # The package starts a server as a service where there is an init system: this is only
    # for the tools (the docs start their own server on another port).
    echo "install-prometheus: installed $(promtool --version 2>&1 | head -n 1)"
else
    echo "install-prometheus: apt-get could not install prometheus: the promtool test will skip"
fi
exit 0
