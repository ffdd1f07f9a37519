#!/usr/bin/env bash
# Checks that a headless Chromium is installed, for the browser tests (make test installs
# nothing itself: it stops here with the command to run). CHROME_PATH, when set, names it.
set -euo pipefail
for c in "${CHROME_PATH:-}" chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then exit 0; fi
done
if [ -x "/Applications/Chromium.app/Contents/MacOS/Chromium" ] || [ -x "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" ]; then exit 0; fi
cat >&2 <<'MSG'
chromium: the browser tests need a headless Chromium, and none was found. Install it, then run make test again:
  Debian, Ubuntu:  sudo apt-get install chromium        (Ubuntu: sudo snap install chromium)
  Fedora:          sudo dnf install chromium
  macOS:           brew install --cask chromium
or set CHROME_PATH to a Chrome or Chromium binary.
MSG
exit 1
