#!/usr/bin/env bash
# Debian's Chromium for the queue dashboard's browser test (test/browser/),
# driven by playwright-core through `executablePath`: no browser download.
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "chromium: already installed at $CHROMIUM"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: $CHROMIUM is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "chromium: installing needs root (or sudo): apt-get install -y chromium" >&2
    exit 1
  fi
fi

echo "chromium: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq chromium >/dev/null

if [[ ! -x "$CHROMIUM" ]]; then
  echo "chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null || echo "version unknown"))"
