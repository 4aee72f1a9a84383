#!/usr/bin/env bash
# Makes this machine ready for dockside, idempotently, and quickly when everything is in place:
#   1. npm dependencies (and the Debian headers native addons build against)   2. build (tsc -b, sidecar bundles, oclif manifest)
#   3. a Docker engine    (Debian + root: installs docker.io and starts dockerd if none answers)
#   4. host tools the tests and benchmarks use as independent peers (Debian packages)
#   5. the dockside images (offline from Debian packages unless DOCKSIDE_IMAGES_ONLINE=1)
# Usage: bash scripts/setup.sh [--build]   (--build: steps 1 and 2 only; env: DOCKSIDE_SKIP_PEERS=1 to skip step 4)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# Debian packages npm install needs to build native addons (pcap: libpcap headers, node-gyp's toolchain).
BUILD_PACKAGES=(libpcap-dev)
for tool in g++:g++ make:make python3:python3; do command -v "${tool%%:*}" >/dev/null 2>&1 || BUILD_PACKAGES+=("${tool##*:}"); done
# Debian packages the test suites and benchmarks use (peers and independent readers).
# iproute2, util-linux: scripts/fleet.sh (network and mount namespaces for a multi-node Swarm).
PEER_PACKAGES=(debootstrap tshark tcpdump libpcap-dev prometheus restic rsyslog rsyslog-gnutls tmux openssh-server openssl etcd-server dnsmasq iproute2 util-linux)

is_debian_root() { [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ]; }
apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_debian_root || die "missing packages: ${missing[*]}; install them (Debian: apt-get install ${missing[*]})"
  if [ $apt_updated = 0 ]; then say "apt-get update"; apt-get update -qq >/dev/null; apt_updated=1; fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. npm dependencies (skipped when node_modules is newer than every package.json and the lock).
apt_install "${BUILD_PACKAGES[@]}"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || die "Node 20 or newer is needed (found $(node --version))"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ -n "$(find package.json package-lock.json packages/*/package.json -newer "$stamp" 2>/dev/null | head -1)" ]; then
  say "npm install"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi

# 2. build (incremental). Quiet when it passes; on failure its output (tsc writes errors to stdout) is shown.
say "build"
if ! build_log=$(npm run -s build 2>&1); then printf '%s\n' "$build_log" >&2; die "build failed (above); fix it and run again"; fi
if [ "${1:-}" = --build ]; then say "built"; exit 0; fi

# 3. Docker engine.
if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    is_debian_root || die "no Docker engine answers and dockerd is not installed; install Docker Engine (https://docs.docker.com/engine/install/) or set DOCKER_HOST"
    apt_install docker.io
  fi
  if ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start dockerd (e.g. sudo systemctl start docker)"
    say "starting dockerd (log: /var/log/dockerd.log)"
    setsid nohup dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
    docker info >/dev/null 2>&1 || die "dockerd did not come up in 60 s; see /var/log/dockerd.log"
  fi
fi

# 4. peers for tests and benchmarks.
if [ "${DOCKSIDE_SKIP_PEERS:-0}" != 1 ]; then apt_install "${PEER_PACKAGES[@]}"; fi

# 5. images (each is skipped when its build context is unchanged).
mode=(--offline)
if [ "${DOCKSIDE_IMAGES_ONLINE:-0}" = 1 ] || docker image inspect node:22-bookworm-slim >/dev/null 2>&1; then mode=(); fi
node packages/cli/bin/run.js images build "${mode[@]}" >/dev/null
say "ready"
