/** Names shared by a service and its api-proxy: labels, paths inside the containers, the socket group. */

export const API_PROXY_LABEL = {
  /** On the proxy: the name of the service container it serves. */
  service: 'dockside.api-proxy.service',
  /** On the proxy and its service: the volume holding the proxy's socket (the pair's shared key). */
  volume: 'dockside.api-proxy.volume',
} as const;

/** Where the socket volume is mounted, in the proxy and in the service. */
export const API_SOCKET_DIR = '/run/dockside-api';
export const API_SOCKET_PATH = `${API_SOCKET_DIR}/docker.sock`;
/** What the service is told (docker CLI, dockerode and dockside's lite client all read it). */
export const API_DOCKER_HOST = `unix://${API_SOCKET_PATH}`;
/**
 * The group that may connect to the proxy's socket (mode 0660, owner root). Both containers get it
 * as a supplementary group, so a service running as any user reaches the socket, and the proxy
 * (root with no capabilities) may hand the socket to that group: changing a file's group to one of
 * your own groups needs no CAP_CHOWN. Only the two containers mount the volume, so the number
 * clashing with a group inside an image grants nothing beyond the pair.
 */
export const API_SOCKET_GID = 2375;
/** Where the proxy finds the engine (the host's socket, bind-mounted read-only into the proxy only). */
export const PROXY_UPSTREAM = '/var/run/docker.sock';
