#!/usr/bin/env bash
# Installs `clickhouse-server` (Debian package `clickhouse-server`) for the integration tests
# (`tests/tests/integration_clickhouse.rs`), which start their own server as a child process
# on a free port with a temporary data directory and configuration.
#
# Usage: tests/scripts/install-clickhouse.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the ClickHouse tests skip with a message.
set -uo pipefail

find_server() {
    command -v clickhouse-server 2>/dev/null ||
        { [[ -x /usr/sbin/clickhouse-server ]] && echo /usr/sbin/clickhouse-server; }
}
if bin=$(find_server); then
    echo "install-clickhouse: clickhouse-server is already installed ($bin)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-clickhouse: no apt-get here: the ClickHouse tests will skip"
    exit 0
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-clickhouse: not root and no sudo: the ClickHouse tests will skip"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# `apt-get update` only when the package lists do not know the package yet.
if ! apt-cache show clickhouse-server >/dev/null 2>&1; then
    $SUDO apt-get update -qq || true
fi
if $SUDO apt-get install -y -qq --no-install-recommends clickhouse-server; then
    # The package's service is not needed (nor started where there is no init system):
    # the tests run their own server.
    echo "install-clickhouse: installed clickhouse-server $(dpkg-query -W -f '${Version}' clickhouse-server 2>/dev/null)"
else
    echo "install-clickhouse: apt-get could not install clickhouse-server: the ClickHouse tests will skip"
fi
exit 0
