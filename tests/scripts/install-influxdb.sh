#!/usr/bin/env bash
# Installs `influxd` (Debian package `influxdb`, InfluxDB 1.x) for the integration tests
# (`tests/tests/integration_influxdb.rs`), which start their own server as a child process
# on a free port with a temporary data directory.
#
# Usage: tests/scripts/install-influxdb.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the InfluxDB tests skip with a message.
set -uo pipefail
here=${BASH_SOURCE[0]%/*}
[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.
source "$here/apt-install.sh"
install_deb install-influxdb influxd influxdb "the InfluxDB tests" /usr/bin/influxd
