#!/usr/bin/env bash
# Installs `influxd` (Debian package `influxdb`, InfluxDB 1.x) for the integration tests
# (`tests/tests/integration_influxdb.rs`), which start their own server as a child process
# on a free port with a temporary data directory.
#
# Usage: tests/scripts/install-influxdb.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the InfluxDB tests skip with a message.
set -uo pipefail

find_influxd() {
    command -v influxd 2>/dev/null || { [[ -x /usr/bin/influxd ]] && echo /usr/bin/influxd; }
}
if bin=$(find_influxd); then
    echo "install-influxdb: influxd is already installed ($bin)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-influxdb: no apt-get here: the InfluxDB tests will skip"
    exit 0
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-influxdb: not root and no sudo: the InfluxDB tests will skip"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# `apt-get update` only when the package lists do not know the package yet.
if ! apt-cache show influxdb >/dev/null 2>&1; then
    $SUDO apt-get update -qq || true
fi
if $SUDO apt-get install -y -qq --no-install-recommends influxdb; then
    # The package's service is not needed (nor started where there is no init system):
    # the tests run their own server.
    echo "install-influxdb: installed $(influxd version 2>&1 | head -n 1)"
else
    echo "install-influxdb: apt-get could not install influxdb: the InfluxDB tests will skip"
fi
exit 0
