#!/usr/bin/env bash
# Debian's chromium and chromium-driver for `make test-live` and `make test-browser`
# (headless, no download of a browser of its own). Does nothing when both are found
# (CHROMIUM / CHROMEDRIVER may name them); otherwise installs them with apt-get (root, as on
# CI and the dev machines). `install_chromium.sh npm` installs Debian's nodejs and npm instead
# (the browser test's axe-core comes from the npm registry).
set -euo pipefail
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
need_apt() {
  if ! command -v apt-get >/dev/null; then
    echo "install_chromium.sh: $1 not found, and no apt-get to install it; install it by hand" >&2
    exit 1
  fi
}
if [ "${1:-}" = npm ]; then
  command -v npm >/dev/null && exit 0
  need_apt "npm"
  echo "installing Debian's nodejs and npm (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  command -v npm >/dev/null
  exit
fi
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
driver=${CHROMEDRIVER:-$(command -v chromedriver || true)}
if [ -n "$browser" ] && [ -n "$driver" ]; then
  exit 0
fi
need_apt "chromium and chromedriver (or set CHROMIUM and CHROMEDRIVER)"
echo "installing Debian's chromium and chromium-driver (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
