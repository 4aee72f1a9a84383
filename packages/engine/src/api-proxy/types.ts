import type { ApiRule, CreatePolicy } from '@dockside/common';

/** What a long-running service may ask of the Docker API (ServiceSpec.apiAccess). */
export interface ApiAccess {
  /** Method + anchored path pattern (no version prefix, no query): everything else is refused. */
  rules: ApiRule[];
  /** What a create on a `body: 'container-create'` rule may ask for (checked on the request body). */
  createPolicy?: CreatePolicy;
}

/** A started api-proxy, as the engine knows it. */
export interface ApiProxyHandle {
  id: string;
  /** The named volume holding its socket (also the label linking proxy and service). */
  volume: string;
}
