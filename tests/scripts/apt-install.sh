#!/usr/bin/env bash
# What the `install-*.sh` scripts share: `install_deb` installs one Debian package for tests
# that need a tool or a server, and never fails the run. Sourced, not run.
#
#   install_deb NAME PROGRAM PACKAGE WHO_SKIPS [FALLBACK_PATH]
#
# NAME prefixes every message; PROGRAM is the command the tests run (looked up on PATH, else
# at FALLBACK_PATH, for servers in /usr/sbin); WHO_SKIPS names the tests that skip without
# it. Where PROGRAM is there already, nothing is done. Where apt is missing, or the install
# fails (not root, no network), it says so and returns 0: those tests then skip with a
# message of their own.

# The path of PROGRAM (on PATH, else FALLBACK_PATH when that is executable).
find_program() {
    command -v "$1" 2>/dev/null || { [[ -n "${2:-}" && -x "$2" ]] && echo "$2"; }
}

install_deb() {
    local name=$1 program=$2 package=$3 who=$4 fallback=${5:-}
    local bin
    if bin=$(find_program "$program" "$fallback"); then
        echo "$name: $program is already installed ($bin)"
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$name: no apt-get here: $who will skip"
        return 0
    fi
    local sudo=""
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            echo "$name: not root and no sudo: $who will skip"
            return 0
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    # `apt-get update` only when the package lists do not know the package yet.
    if ! apt-cache show "$package" >/dev/null 2>&1; then
        $sudo apt-get update -qq || true
    fi
    # A package's service, where it has one, is not needed (nor started where there is no
    # init system): the tests start their own servers.
    if $sudo apt-get install -y -qq --no-install-recommends "$package"; then
        echo "$name: installed $package $(dpkg-query -W -f '${Version}' "$package" 2>/dev/null)"
    else
        echo "$name: apt-get could not install $package: $who will skip"
    fi
    return 0
}
