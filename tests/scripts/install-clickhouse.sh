#!/usr/bin/env bash
# Installs `clickhouse-server` (Debian package `clickhouse-server`) for the integration tests
# (`tests/tests/integration_clickhouse.rs`), which start their own server as a child process
# on a free port with a temporary data directory and configuration.
#
# Usage: tests/scripts/install-clickhouse.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the ClickHouse tests skip with a message.
set -uo pipefail
here=${BASH_SOURCE[0]%/*}
[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.
source "$here/apt-install.sh"
install_deb install-clickhouse clickhouse-server clickhouse-server "the ClickHouse tests" \
    /usr/sbin/clickhouse-server
