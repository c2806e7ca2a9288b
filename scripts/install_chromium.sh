#!/usr/bin/env bash
# Debian's chromium and chromium-driver for `make test-live` (headless, no download of a
# browser of its own). Does nothing when both are found (CHROMIUM / CHROMEDRIVER may
# name them); otherwise installs them with apt-get (root, as on CI and the dev machines).
set -euo pipefail
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
driver=${CHROMEDRIVER:-$(command -v chromedriver || true)}
if [ -n "$browser" ] && [ -n "$driver" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install_chromium.sh: chromium and chromedriver not found, and no apt-get to install them;" >&2
  echo "  install a Chromium and its driver, or set CHROMIUM and CHROMEDRIVER" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing Debian's chromium and chromium-driver (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
