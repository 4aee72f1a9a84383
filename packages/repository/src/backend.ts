/**
 * Where a repository's files live. restic's layout: `config`, `keys/<id>`, `data/<id[0:2]>/<id>`,
 * `index/<id>`, `snapshots/<id>`, `locks/<id>`. A backend stores whole files by (type, name) and
 * reads byte ranges of them; it knows nothing of encryption.
 */
export type FileType = 'config' | 'key' | 'data' | 'index' | 'snapshot' | 'lock';

export const FILE_TYPES: readonly FileType[] = ['config', 'key', 'data', 'index', 'snapshot', 'lock'];

export interface FileInfo {
  name: string;
  size: number;
}

export interface Backend {
  /** Where it is, for messages ("/srv/repo", "s3://bucket/prefix"). */
  readonly location: string;
  /** Store a whole file; when this resolves it is durable, and it never appears half-written. */
  save(type: FileType, name: string, data: Uint8Array): Promise<void>;
  /** Read a whole file, or `length` bytes at `offset`; short reads are errors. */
  load(type: FileType, name: string, offset?: number, length?: number): Promise<Buffer>;
  /** Size of a file, or undefined when there is none. */
  stat(type: FileType, name: string): Promise<number | undefined>;
  list(type: FileType): Promise<FileInfo[]>;
  remove(type: FileType, name: string): Promise<void>;
}

/** The path of a file inside the layout (the same under a directory and under an S3 prefix). */
export function layoutPath(type: FileType, name: string): string {
  switch (type) {
    case 'config':
      return 'config';
    case 'key':
      return `keys/${name}`;
    case 'data':
      return `data/${name.slice(0, 2)}/${name}`;
    case 'index':
      return `index/${name}`;
    case 'snapshot':
      return `snapshots/${name}`;
    case 'lock':
      return `locks/${name}`;
  }
}

export function layoutDir(type: Exclude<FileType, 'config'>): string {
  return { key: 'keys', data: 'data', index: 'index', snapshot: 'snapshots', lock: 'locks' }[type];
}
