#!/usr/bin/env bash
# Makes sure Debian's headless Chromium is installed, for the Web UI browser test.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed, and apt-get as root is not available: install Debian's chromium package" >&2
  exit 1
fi
echo "chromium: installing Debian's chromium package (for the Web UI test)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
