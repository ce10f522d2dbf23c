#!/usr/bin/env bash
# Installs what skiff and its tests need on a fresh Debian 12 machine (run as root):
# Debian packages, then the npm dependencies, then the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# etcd: the HA datastore. The rest: the container runtime (issue 4) and its tests — OCI runtimes,
# conmon, the pause process, CNI plugins, a local registry, the busybox test image, containerd as
# the peer CRI runtime, nftables, iptables, iproute2 and attr (setfattr for layer xattrs).
packages=(etcd-server runc conmon catatonit containernetworking-plugins docker-registry busybox-static runsc containerd nftables iptables iproute2 attr)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies"
  npm ci --no-audit --no-fund
fi
npm run build --silent
