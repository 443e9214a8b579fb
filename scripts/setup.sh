#!/usr/bin/env bash
# Installs everything keepalived-ts and its test suite need on a fresh Debian/Ubuntu machine (as root):
# iproute2 (namespaces), tcpdump (captures), keepalived (the interop peer), nftables (no_accept rules), a C++ toolchain for the
# native addons, chromium (the status-page test's headless browser, driven by playwright-core), then the npm dependencies (their install scripts are approved in package.json).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# Never let a package's postinst start a service (keepalived is only our interop peer).
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
echo "setup: apt-get update" >&2
apt-get update -qq
echo "setup: installing Debian packages" >&2
apt-get install -y -qq --no-install-recommends \
  iproute2 tcpdump keepalived nftables openssl iputils-ping iputils-arping procps psmisc python3 make g++ ca-certificates chromium >/dev/null
echo "setup: npm ci" >&2
npm ci --no-audit --no-fund
