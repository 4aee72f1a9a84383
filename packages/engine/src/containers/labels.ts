/**
 * Every container, volume and image dockside creates carries these labels; listing and cleanup go
 * through label filters, never through names.
 */
export const LABEL = {
  managed: 'dockside',
  role: 'dockside.role',
  target: 'dockside.target',
  targetName: 'dockside.target.name',
  version: 'dockside.version',
  session: 'dockside.session',
} as const;

/**
 * Labels on dockside's images. They differ from the container labels on purpose: a container
 * inherits its image's labels, and an app built FROM a dockside image must not look like a sidecar.
 */
export const IMAGE_LABEL = {
  managed: 'dockside.image',
  role: 'dockside.image.role',
  version: 'dockside.image.version',
  /** Hash of the build context, so a changed image can be told from a current one. */
  contextHash: 'dockside.image.context-hash',
} as const;

export interface LabelInput {
  role: string;
  version: string;
  session: string;
  target?: { id: string; name: string };
  extra?: Record<string, string>;
}

export function createLabels(input: LabelInput): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.managed]: 'true',
    [LABEL.role]: input.role,
    [LABEL.version]: input.version,
    [LABEL.session]: input.session,
    ...input.extra,
  };
  if (input.target) {
    labels[LABEL.target] = input.target.id;
    labels[LABEL.targetName] = input.target.name;
  }
  return labels;
}

/** Docker API `filters` for dockside's own objects, optionally narrowed by more labels. */
export function labelFilter(more: Record<string, string> = {}): { label: string[] } {
  return { label: [`${LABEL.managed}=true`, ...Object.entries(more).map(([k, v]) => `${k}=${v}`)] };
}
