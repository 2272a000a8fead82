#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages VoiceAI needs to build, run and test.
# Idempotent and quiet when everything is already present; must run as root
# (or through sudo) on a machine that is missing something.
set -eu

PKGS="build-essential cmake pkg-config git
libwebsockets-dev libuv1-dev libjansson-dev libsqlite3-dev libssl-dev
libcurl4-openssl-dev libcmocka-dev clang libclang-rt-14-dev llvm tzdata
libical-dev libxml2-dev libspeexdsp-dev
curl ca-certificates procps
radicale espeak-ng flite sox"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-deps: need root to install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
