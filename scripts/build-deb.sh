#!/usr/bin/env bash
# Builds the Debian package keepalived-ts_<version>_<arch>.deb with dpkg-deb:
#   /usr/lib/keepalived-ts/                the npm tarball's contents (scripts/pack.js: dist, bundled
#                                           dependencies, prebuilt addons for this architecture)
#   /usr/bin/keepalived-ts                  → ../lib/keepalived-ts/bin/keepalived-ts
#   /lib/systemd/system/keepalived-ts{,-nonroot}.service   from systemd/
#   /etc/default/keepalived-ts              DAEMON_ARGS for the unit (a conffile)
#   /usr/share/man/man8/keepalived-ts.8.gz  keepalived-ts(8) (scripts/build-man.js)
# Depends: nodejs (>= 20) — the code runs on the system's node; libc6, libstdc++6 for the addons.
#
#   bash scripts/build-deb.sh [--out DIR] [--no-build] [--tarball FILE]  → DIR/keepalived-ts_<version>_<arch>.deb
# (--tarball: a tarball scripts/pack.js made; KTS_DIST: the build directory, as for pack.js)
#
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root
build=1
tarball=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$(realpath -m "$2"); shift ;;
    --no-build) build=0 ;;
    --tarball) tarball=$(realpath "$2"); shift ;;
    *) echo "build-deb: unknown argument $1" >&2; exit 1 ;;
  esac
  shift
done
dist=${KTS_DIST:-dist}
version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture)
work=$(mktemp -d /tmp/kts-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ "$build" = 1 ]; then npm run build --silent; fi
[ -n "$tarball" ] || tarball=$(node scripts/pack.js --out "$work/pack" --no-build)
pkg="$work/pkg"
mkdir -p "$pkg/usr/lib/keepalived-ts" "$pkg/usr/bin" "$pkg/etc/default" "$pkg/usr/share/man/man8" \
  "$pkg/usr/share/doc/keepalived-ts" "$pkg/DEBIAN"
tar -xzf "$tarball" -C "$pkg/usr/lib/keepalived-ts" --strip-components=1 --no-same-owner
ln -s ../lib/keepalived-ts/bin/keepalived-ts "$pkg/usr/bin/keepalived-ts"
[ -f "$dist/man/keepalived-ts.8" ] || node scripts/build-man.js
gzip -9n < "$dist/man/keepalived-ts.8" > "$pkg/usr/share/man/man8/keepalived-ts.8.gz"
cp README.md "$pkg/usr/share/doc/keepalived-ts/README.md"
rm -rf "$pkg/usr/lib/keepalived-ts/dist/man"

mkdir -p "$pkg/lib/systemd/system"
install -m 0644 systemd/keepalived-ts.service systemd/keepalived-ts-nonroot.service "$pkg/lib/systemd/system/"

cat > "$pkg/etc/default/keepalived-ts" <<'EOF'
# Options for keepalived-ts (see keepalived-ts(8)), read by the systemd units after keepalived's own
# /etc/default/keepalived and /etc/sysconfig/keepalived: a DAEMON_ARGS set here replaces theirs.
# -D: detailed logs; -S N: syslog facility local N; -G: no syslog; -P: VRRP only.
#DAEMON_ARGS=""
EOF

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: keepalived-ts
Version: $version
Architecture: $arch
Maintainer: keepalived-ts developers <root@localhost>
Installed-Size: $size
Depends: nodejs (>= 20), libc6, libstdc++6, passwd
Section: net
Priority: optional
Homepage: https://www.keepalived.org/
Description: keepalived-compatible high-availability daemon (VRRP, LVS) in TypeScript
 keepalived-ts reads keepalived.conf unchanged, takes keepalived's command line and
 speaks VRRP (RFC 3768, RFC 5798) like keepalived 2.2.7, with live JSON state over a
 Unix socket and actors that survive the crash of their own code.
 .
 The native addons are prebuilt for $arch; the code runs on the system's Node.js.
EOF
echo /etc/default/keepalived-ts > "$pkg/DEBIAN/conffiles"
cat > "$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  # the user of keepalived-ts-nonroot.service
  if ! getent passwd keepalived-ts >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin keepalived-ts
  fi
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
fi
exit 0
EOF
cat > "$pkg/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
exit 0
EOF
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/keepalived-ts_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$deb" >/dev/null
echo "$deb"
