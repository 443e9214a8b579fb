#!/usr/bin/env bash
# Installs everything keepalived-ts and its test suite need on a fresh Debian/Ubuntu machine (as root):
# iproute2 (namespaces), tcpdump (captures), keepalived (the interop peer), ipvsadm (IPVS tables in the VM tests), nftables
# (no_accept rules), dnsmasq-base (the DNS_CHECK tests' server), a C++ toolchain for the native addons, systemd
# (systemd-analyze verifies the shipped units), man-db/groff-base (the man page test), util-linux (setpriv) and libcap2-bin
# (capsh: the non-root test), chromium (the status-page test's headless browser, driven by playwright-core), then the npm dependencies (their install scripts are
# approved in package.json).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# Never let a package's postinst start a service (keepalived is only our interop peer).
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
echo "setup: apt-get update" >&2
apt-get update -qq
echo "setup: installing Debian packages" >&2
apt-get install -y -qq --no-install-recommends \
  iproute2 tcpdump keepalived ipvsadm nftables openssl dnsmasq-base iputils-ping iputils-arping procps psmisc python3 make g++ \
  ca-certificates systemd man-db groff-base util-linux libcap2-bin chromium >/dev/null
echo "setup: npm ci" >&2
npm ci --no-audit --no-fund
