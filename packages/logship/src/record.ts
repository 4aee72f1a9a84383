/** One shipped line, as every sink receives it, plus where its stream stands once it is delivered. */
export interface ShipRecord {
  /** RFC 3339 with nanoseconds. */
  time: string;
  container: string;
  container_id: string;
  /** stdout, stderr, or the file's path. */
  stream: string;
  message: string;
  truncated?: boolean;
  /** Compose project and service, when the target has them (Loki labels). */
  project?: string;
  service?: string;
  /** Swarm node id, service, task id and slot (replicated services), when the target is a Swarm task. */
  swarm?: SwarmPlace;
}

export interface SwarmPlace {
  node: string;
  service: string;
  task: string;
  slot?: number;
}

/** A checkpoint key (container id + stream) and the position it reaches once the record is acked. */
export interface Positioned {
  record: ShipRecord;
  key: string;
  position: unknown;
  /** Bytes of the message, for counters and queue bounds. */
  bytes: number;
}

export function positionKey(containerId: string, stream: string): string {
  return `${containerId}/${stream}`;
}
