import type { ApiRule } from '@dockside/common';

/** What a long-running service may ask of the Docker API (ServiceSpec.apiAccess). */
export interface ApiAccess {
  /** Method + anchored path pattern (no version prefix, no query): everything else is refused. */
  rules: ApiRule[];
}

/** A started api-proxy, as the engine knows it. */
export interface ApiProxyHandle {
  id: string;
  /** The named volume holding its socket (also the label linking proxy and service). */
  volume: string;
}
