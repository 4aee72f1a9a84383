#!/usr/bin/env bash
# A real multi-node Docker Swarm on one machine, to try and test `dockside fleet` on.
#
#   scripts/fleet.sh up N     N dockerd nodes (default 3), joined into one Swarm (node 1 manager)
#   scripts/fleet.sh down     removes every namespace, veth, mount, process and file `up` made
#   scripts/fleet.sh status   the nodes and whether their engines answer
#   scripts/fleet.sh load     loads the images again into every node (after a rebuild)
#
# Each node is one dockerd in its own network namespace (`dsf-n<i>`) and its own mount namespace
# (a private /run, so its /var/run/docker.sock, containerd and exec-root are its own), with its own
# --data-root, --pidfile, --containerd-namespace and cgroup parent. A veth pair joins each node to
# a bridge in a "fabric" namespace (`dsf-fabric`), so Swarm's traffic (2377/tcp, 7946/tcp+udp,
# 4789/udp) stays between these namespaces and never crosses the host's FORWARD chain. The host
# reaches every node through its unix socket under $DSF_ROOT. No registry: the dockside images of
# $DOCKSIDE_IMAGE_TAG (and any in $DSF_IMAGES) are streamed `docker save | docker load` from the
# host's engine into each node (one tarball per run, shared layers once).
#
# `up` prints `DOCKER_HOST=unix://...` for the manager, then `<node> unix://...` per node.
# Both commands are idempotent: `up` on a running fleet of the same size reprints it; a different
# size or a half-made fleet is taken down first.
set -euo pipefail

DSF_ROOT="${DSF_ROOT:-/var/lib/dockside-fleet}"
PREFIX=dsf
FABRIC="${PREFIX}-fabric"
SUBNET=10.231.0
POOL=10.232.0.0/16

say() { printf 'fleet: %s\n' "$*" >&2; }
die() { printf 'fleet: %s\n' "$*" >&2; exit "${2:-1}"; }

need() {
  local missing=()
  for c in ip nsenter unshare dockerd docker mount umount; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ "${#missing[@]}" -eq 0 ] || die "missing commands: ${missing[*]} (run scripts/setup.sh, or apt-get install iproute2 util-linux docker.io)"
  [ "$(id -u)" = 0 ] || die "needs root (network and mount namespaces)"
  ip netns list >/dev/null 2>&1 || die "this kernel or container does not allow network namespaces (ip netns)"
}

node_dir() { echo "$DSF_ROOT/n$1"; }
sock() { echo "$(node_dir "$1")/docker.sock"; }
dnode() { docker -H "unix://$(sock "$1")" "${@:2}"; }

nodes_present() {
  local n=0
  for d in "$DSF_ROOT"/n*; do [ -d "$d" ] && n=$((n + 1)); done
  echo "$n"
}

# Every node dir under $DSF_ROOT, and every dsf-* netns and veth, whether or not `up` finished.
down() {
  local d i pid
  # The holder is each node's mount-namespace init: on SIGTERM it stops dockerd (which stops its
  # containers) and waits. All nodes at once.
  local holders=()
  for d in "$DSF_ROOT"/n*; do
    [ -f "$d/holder.pid" ] || continue
    pid="$(cat "$d/holder.pid")"
    kill -TERM "$pid" 2>/dev/null && holders+=("$pid")
  done
  for pid in "${holders[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for d in "$DSF_ROOT"/n*; do
    [ -d "$d" ] || continue
    i="${d##*/n}"
    # Whatever is left in the node's namespaces or its containers' cgroups (a killed dockerd
    # leaves containerd shims and containers behind).
    for pid in $(ip netns pids "${PREFIX}-n$i" 2>/dev/null) $(cat /sys/fs/cgroup/*/"${PREFIX}-n$i"/cgroup.procs /sys/fs/cgroup/*/"${PREFIX}-n$i"/*/cgroup.procs 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    for cg in /sys/fs/cgroup/*/"${PREFIX}-n$i"; do
      [ -d "$cg" ] || continue
      for _ in $(seq 1 25); do find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null; [ -d "$cg" ] || break; sleep 0.2; done
    done
    # Mounts of the node's data seen on the host (overlay, shm, netns files): deepest first.
    awk -v p="$d" '$2 ~ "^"p {print $2}' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    ip netns del "${PREFIX}-n$i" 2>/dev/null || true
    rm -rf "$d"
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-" || true); do ip netns del "$ns" 2>/dev/null || true; done
  for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${PREFIX}[0-9]" || true); do ip link del "$l" 2>/dev/null || true; done
  rm -rf "$DSF_ROOT"
}

# The node's init inside its own net + mount namespaces: a private /run and a fresh sysfs (this
# netns's interfaces) with the host's cgroup hierarchy moved under it, then dockerd.
node_init() {
  local i="$1" d
  d="$(node_dir "$i")"
  cat >"$d/init.sh" <<EOF
set -e
hostname ${PREFIX}-n$i
mount --make-rprivate /
mkdir -p $d/cg
mount --rbind /sys/fs/cgroup $d/cg
mount -t sysfs sysfs /sys
mount --move $d/cg /sys/fs/cgroup
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/docker /run/netns
echo '{}' > /run/daemon.json
dockerd --config-file /run/daemon.json \\
  --data-root $d/data --exec-root /run/docker --pidfile /run/docker.pid \\
  --containerd-namespace ${PREFIX}n$i --containerd-plugins-namespace ${PREFIX}n${i}p \\
  --cgroup-parent ${PREFIX}-n$i --shutdown-timeout 3 --bip 172.31.$((100 + i)).1/24 \\
  -H unix:///run/docker.sock -H unix://$d/docker.sock \\
  >$d/dockerd.log 2>&1 &
DPID=\$!
trap 'kill -TERM \$DPID 2>/dev/null; wait \$DPID' TERM INT
wait \$DPID
EOF
  # setsid: the holder outlives this script; its pid is the node.
  setsid nsenter --net="/run/netns/${PREFIX}-n$i" unshare -m -u --propagation private \
    env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 bash "$d/init.sh" </dev/null >"$d/init.log" 2>&1 &
  echo $! >"$d/holder.pid"
}

wait_engine() {
  local i="$1"
  for _ in $(seq 1 150); do
    dnode "$i" version --format '{{.Server.Version}}' >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$(node_dir "$i")/holder.pid")" 2>/dev/null || break
    sleep 0.2
  done
  die "node n$i's dockerd did not answer; its log: $(tail -n 3 "$(node_dir "$i")/dockerd.log" 2>/dev/null | tr '\n' ' ')"
}

print_fleet() {
  echo "DOCKER_HOST=unix://$(sock 1)"
  for d in "$DSF_ROOT"/n*; do
    local i="${d##*/n}"
    echo "n$i unix://$(sock "$i")"
  done
}

# The images each node gets: dockside's fleet, logship and base of this tag (DSF_ROLES to choose
# others), plus any named in DSF_IMAGES.
images_to_load() {
  local tag="${DOCKSIDE_IMAGE_TAG:-}" role
  if [ -z "$tag" ]; then tag="$(node -p "require('$(dirname "$0")/../packages/cli/package.json').version" 2>/dev/null || echo 0.1.0)"; fi
  for role in ${DSF_ROLES:-fleet logship base}; do
    docker image inspect "dockside/$role:$tag" >/dev/null 2>&1 && echo "dockside/$role:$tag"
  done
  for extra in ${DSF_IMAGES:-}; do echo "$extra"; done
}

# Reload the images into a running fleet (after `npm run build` and setup rebuilt them).
load_images() {
  local imgs tar i
  mapfile -t imgs < <(images_to_load)
  if [ "${#imgs[@]}" -eq 0 ]; then
    say "warning: no dockside images tagged ${DOCKSIDE_IMAGE_TAG:-<version>} on the host (build them: npm run build && scripts/setup.sh)"
    return 0
  fi
  tar="$DSF_ROOT/images.tar"
  docker save -o "$tar" "${imgs[@]}"
  local loads=()
  for d in "$DSF_ROOT"/n*; do i="${d##*/n}"; dnode "$i" load -q -i "$tar" >/dev/null & loads+=($!); done
  for pid in "${loads[@]}"; do wait "$pid" || { rm -f "$tar"; die "loading the images into a node failed"; }; done
  rm -f "$tar"
}

up() {
  local n="$1" i
  [[ "$n" =~ ^[1-9]$ ]] || die "up takes a node count from 1 to 9 (got \"$n\")" 2
  if [ "$(nodes_present)" = "$n" ] && healthy "$n"; then print_fleet; return 0; fi
  [ -d "$DSF_ROOT" ] && { say "taking down the previous fleet"; down; }
  docker info >/dev/null 2>&1 || die "the host's Docker engine does not answer (its images are loaded into the nodes); run scripts/setup.sh"
  mkdir -p "$DSF_ROOT"
  # Fabric: one bridge, no address of its own, nothing routed to the host.
  ip netns add "$FABRIC"
  ip -n "$FABRIC" link set lo up
  ip -n "$FABRIC" link add br0 type bridge
  ip -n "$FABRIC" link set br0 up
  for i in $(seq 1 "$n"); do
    mkdir -p "$(node_dir "$i")/data"
    ip netns add "${PREFIX}-n$i"
    ip link add "${PREFIX}${i}a" type veth peer name "${PREFIX}${i}b"
    ip link set "${PREFIX}${i}a" netns "${PREFIX}-n$i"
    ip link set "${PREFIX}${i}b" netns "$FABRIC"
    ip -n "$FABRIC" link set "${PREFIX}${i}b" master br0 up
    ip -n "${PREFIX}-n$i" link set lo up
    ip -n "${PREFIX}-n$i" link set "${PREFIX}${i}a" name eth0
    ip -n "${PREFIX}-n$i" addr add "$SUBNET.$((10 + i))/24" dev eth0
    ip -n "${PREFIX}-n$i" link set eth0 up
    node_init "$i"
  done
  for i in $(seq 1 "$n"); do wait_engine "$i"; done
  say "$n engines up; loading images"
  load_images
  dnode 1 swarm init --advertise-addr "$SUBNET.11" --listen-addr "$SUBNET.11:2377" --default-addr-pool "$POOL" >/dev/null
  local token
  token="$(dnode 1 swarm join-token -q worker)"
  for i in $(seq 2 "$n"); do
    dnode "$i" swarm join --token "$token" --advertise-addr "$SUBNET.$((10 + i))" --listen-addr "$SUBNET.$((10 + i)):2377" "$SUBNET.11:2377" >/dev/null
  done
  for _ in $(seq 1 150); do
    [ "$(dnode 1 node ls --format '{{.Status}}' | grep -c Ready)" = "$n" ] && break
    sleep 0.2
  done
  [ "$(dnode 1 node ls --format '{{.Status}}' | grep -c Ready)" = "$n" ] || die "not every node is Ready in the Swarm: $(dnode 1 node ls --format '{{.Hostname}} {{.Status}}' | tr '\n' ' ')"
  print_fleet
}

healthy() {
  local n="$1" i
  for i in $(seq 1 "$n"); do dnode "$i" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null | grep -q active || return 1; done
}

status() {
  [ -d "$DSF_ROOT" ] || { say "no fleet (scripts/fleet.sh up N)"; return 1; }
  for d in "$DSF_ROOT"/n*; do
    local i="${d##*/n}"
    printf 'n%s unix://%s %s\n' "$i" "$(sock "$i")" "$(dnode "$i" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo down)"
  done
}

cmd="${1:-}"
case "$cmd" in
  up) need; up "${2:-3}" ;;
  down) need; down; say "down: nothing left" ;;
  status) status ;;
  load) need; [ -d "$DSF_ROOT" ] || die "no fleet (scripts/fleet.sh up N)"; load_images ;;
  *) die "usage: scripts/fleet.sh up [N] | down | status | load" 2 ;;
esac
