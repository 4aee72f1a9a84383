/** dockside's images on the engine: inspect, list (by label), tag, remove. */
import { dockerOf } from '../connection/client.js';
import type { Engine } from '../connection/engine.js';
import { mapEngineError, statusOf } from '../connection/errors.js';
import { IMAGE_LABEL } from '../containers/labels.js';

export interface ImageSummary {
  id: string;
  tags: string[];
  role: string;
  version: string;
  contextHash: string;
  size: number;
  created: Date;
}

export interface ImageDetails {
  id: string;
  tags: string[];
  labels: Record<string, string>;
  size: number;
  created: string;
}

/** Inspect an image; undefined when it is not on the engine. */
export async function inspectImage(engine: Engine, ref: string): Promise<ImageDetails | undefined> {
  try {
    const info = await (await dockerOf(engine)).getImage(ref).inspect();
    return {
      id: info.Id,
      tags: info.RepoTags ?? [],
      labels: info.Config?.Labels ?? {},
      size: info.Size,
      created: info.Created,
    };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `inspecting image ${ref}` });
  }
}

/**
 * Whether an image is one dockside built: the labels alone cannot tell, since an application image
 * built FROM dockside/base inherits every dockside.image.* label (and so does each intermediate
 * image of its build). What only our build gives an image is its name: `<repoPrefix>/<role>:<tag>`
 * with the role its own label states. Returns the tags that are ours (none: not ours).
 */
export function ownImageTags(tags: readonly string[], role: string, repoPrefix: string): string[] {
  if (!role) return [];
  return tags.filter((t) => t.startsWith(`${repoPrefix}/${role}:`));
}

/** The images dockside built on this engine (by label, then by the name only our build gives). */
export async function listDocksideImages(engine: Engine, repoPrefix: string): Promise<ImageSummary[]> {
  try {
    const list = await (await dockerOf(engine)).listImages({ filters: { label: [`${IMAGE_LABEL.managed}=true`] } });
    return list.flatMap((i) => {
      const role = i.Labels?.[IMAGE_LABEL.role] ?? '';
      const tags = ownImageTags(i.RepoTags ?? [], role, repoPrefix);
      if (tags.length === 0) return [];
      return [
        {
          id: i.Id,
          tags,
          role,
          version: i.Labels?.[IMAGE_LABEL.version] ?? '',
          contextHash: i.Labels?.[IMAGE_LABEL.contextHash] ?? '',
          size: i.Size,
          created: new Date(i.Created * 1000),
        },
      ];
    });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: 'listing images' });
  }
}

export async function tagImage(engine: Engine, ref: string, repo: string, tag: string): Promise<void> {
  try {
    await (await dockerOf(engine)).getImage(ref).tag({ repo, tag });
  } catch (err) {
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `tagging ${ref} as ${repo}:${tag}` });
  }
}

/** Remove an image. Without `force`, an image still used by a container is kept (returns false). */
export async function removeImage(engine: Engine, ref: string, opts: { force?: boolean } = {}): Promise<boolean> {
  try {
    await (await dockerOf(engine)).getImage(ref).remove({ force: opts.force ?? false });
    return true;
  } catch (err) {
    const s = statusOf(err);
    if (s === 404) return false;
    if (s === 409 && !opts.force) return false;
    throw mapEngineError(err, { endpoint: engine.endpoint, doing: `removing image ${ref}` });
  }
}
