#!/usr/bin/env bash
# Debian packages the tests use: libcoap3-bin (coap-client-openssl, a real third-party CoAP peer),
# chromium and a font for the dashboard's browser test (playwright-core drives Debian's
# /usr/bin/chromium; no browser is downloaded).
# Installs only what is missing, so a prepared machine costs nothing.
set -euo pipefail
PACKAGES=(libcoap3-bin chromium fonts-dejavu-core)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
