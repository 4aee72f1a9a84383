/**
 * Which host paths a sidecar may bind-mount. A sidecar reaches the engine only through its
 * api-proxy (or not at all); a bind of the engine's socket, of a directory holding it (/var/run,
 * /run, /), or of the kernel's and the engine's own trees would hand it the host instead. One rule
 * for every host path a user gives dockside to mount (cron --backup-dir, backup directories, the log
 * shipper's file sink, run --mount, capture -w).
 */
import { posix } from 'node:path';

/** Where engines keep their API sockets (dockerd, its containerd, a system containerd). */
export const ENGINE_SOCKETS: readonly string[] = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/var/run/docker/containerd/containerd.sock',
  '/run/docker/containerd/containerd.sock',
  '/run/containerd/containerd.sock',
  '/var/run/containerd/containerd.sock',
];

/** Host trees no sidecar mounts from a user's path: what each one is. */
const HOST_TREES: ReadonlyArray<readonly [string, string]> = [
  ['/proc', "the kernel's process view (/proc/1/root is the host's root)"],
  ['/sys', "the kernel's device and cgroup view"],
  ['/dev', "the host's devices"],
  ['/etc', "the host's configuration (cron.d, sudoers.d: root on the host)"],
  ['/var/lib/docker', "the engine's own state"],
];

/**
 * Why a sidecar may not bind-mount host path `path`, or undefined when it may. Pure: give `path` and
 * `sockets` absolute, once in each form they have (as written, and with symlinks resolved: /var/run
 * is /run on most hosts); a relative path is refused.
 */
export function hostPathRefusal(path: string, sockets: readonly string[] = ENGINE_SOCKETS): string | undefined {
  if (!posix.isAbsolute(path)) return 'it is not an absolute path';
  const p = posix.normalize(path).replace(/(.)\/+$/, '$1');
  if (p === '/') return "it is the root of the host's file system";
  for (const raw of sockets) {
    const s = posix.normalize(raw);
    if (p === s) return "it is the Docker engine's socket";
    if (s.startsWith(`${p}/`)) return `it holds the Docker engine's socket (${s})`;
  }
  for (const [tree, what] of HOST_TREES) {
    if (p === tree || p.startsWith(`${tree}/`)) return `${p === tree ? 'it is' : `it lies under ${tree},`} ${what}`;
  }
  return undefined;
}
