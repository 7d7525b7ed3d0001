#!/usr/bin/env bash
# Installs `protoc` (Debian package `protobuf-compiler`) for the check of LoongCollector's wire
# messages against Google's protobuf implementation
# (`loongcollector/src/proto/protoc_check.rs`: protoc encodes, pipeplug decodes, and back).
#
# Usage: tests/scripts/install-protoc.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the test skips with a message.
set -uo pipefail
here=${BASH_SOURCE[0]%/*}
[[ "$here" == "${BASH_SOURCE[0]}" ]] && here=.
source "$here/apt-install.sh"
install_deb install-protoc protoc protobuf-compiler "the protoc check"
