/**
 * The Docker API endpoints the in-container shipper uses, and nothing else: a filtering proxy in
 * front of the engine socket enforces this list (method + path regular expression source, matched
 * against the path without its /vX.YY prefix and query).
 */
export interface ApiAllowRule {
  method: 'GET';
  path: string;
}

export const LOGSHIP_API_ALLOW: readonly ApiAllowRule[] = [
  { method: 'GET', path: '^/_ping$' },
  { method: 'GET', path: '^/version$' },
  { method: 'GET', path: '^/containers/json$' },
  { method: 'GET', path: '^/containers/[^/]+/json$' },
  { method: 'GET', path: '^/containers/[^/]+/logs$' },
  { method: 'GET', path: '^/events$' },
];
