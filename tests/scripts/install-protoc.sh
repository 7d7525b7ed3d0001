#!/usr/bin/env bash
# Installs `protoc` (Debian package `protobuf-compiler`) for the check of LoongCollector's wire
# messages against Google's protobuf implementation
# (`loongcollector/src/proto/protoc_check.rs`: protoc encodes, pipeplug decodes, and back).
#
# Usage: tests/scripts/install-protoc.sh
# Never fails: where apt is missing, or the install fails (not root, no network), it says so
# and returns 0, and the test skips with a message.
set -uo pipefail

if command -v protoc >/dev/null 2>&1; then
    echo "install-protoc: protoc is already installed ($(command -v protoc))"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-protoc: no apt-get here: the protoc check will skip"
    exit 0
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-protoc: not root and no sudo: the protoc check will skip"
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends protobuf-compiler; then
    echo "install-protoc: installed $(protoc --version 2>&1 | head -n 1)"
else
    echo "install-protoc: apt-get could not install protobuf-compiler: the protoc check will skip"
fi
exit 0
