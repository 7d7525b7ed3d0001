#!/usr/bin/env bash
# The integration tests against real servers: `flusher_http` writing to ClickHouse and to
# InfluxDB (`tests/tests/integration_clickhouse.rs`, `tests/tests/integration_influxdb.rs`).
# The servers come from Debian packages; each test starts its own on a free port.
#
# Usage:
#   scripts/integration.sh            install the servers where missing, then run the tests
#   scripts/integration.sh --install  only install the servers (what CI does before its tests)
#
# Installing needs root (or password-less sudo) and apt; where it cannot install, it says so
# and goes on, and the tests skip with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
    "" | --install) ;;
    -h | --help)
        sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "integration.sh: unknown argument \`$1\` (expected --install or nothing)" >&2
        exit 2
        ;;
esac

bash tests/scripts/install-clickhouse.sh
bash tests/scripts/install-influxdb.sh
if [[ "${1:-}" == --install ]]; then
    exit 0
fi
cargo test -p pipeplug-tests --test integration_clickhouse --test integration_influxdb
