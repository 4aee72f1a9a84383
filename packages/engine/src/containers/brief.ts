/** A container as a list entry: enough to label metrics and find its cgroup, no per-container inspect. */
export interface ContainerBrief {
  id: string;
  name: string;
  image: string;
  state: string;
  labels: Record<string, string>;
  networkMode: string;
  /** When it was created (ms since epoch; 0 when the engine did not say). */
  created: number;
}

/** Map one entry of GET /containers/json (dockerode's ContainerInfo has the same shape). */
export function toBrief(c: {
  Id: string;
  Names?: string[];
  Image: string;
  State: string;
  Labels?: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
  Created?: number;
}): ContainerBrief {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    labels: c.Labels ?? {},
    networkMode: c.HostConfig?.NetworkMode ?? 'default',
    created: (c.Created ?? 0) * 1000,
  };
}
