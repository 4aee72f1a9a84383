/**
 * Tree blobs: `{"nodes":[...]}\n`, nodes sorted by name (bytewise, as Go compares strings), each
 * node's fields in the order and with the omissions of restic 0.14's `restic.Node` (Go's
 * encoding/json, `omitempty`), so that identical directories give identical tree ids.
 * `mode` is Go's os.FileMode (see modes.ts), not a POSIX mode.
 */
import { goQuote, goUnquote } from './go-quote.js';
import { goJson } from './json.js';
import { CorruptRepositoryError } from './errors.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket';

export interface ExtendedAttribute {
  name: string;
  /** base64, as Go marshals []byte */
  value: string;
}

/** A node as restic's JSON has it (snake_case keys kept, one word one meaning with restic). */
export interface TreeNode {
  /** The name as text (bytes that are not UTF-8 shown as U+FFFD). */
  name: string;
  /** The name's bytes when they are not UTF-8; never serialized as such (see go-quote.ts). */
  rawName?: Buffer;
  type: NodeType;
  mode?: number;
  mtime: string;
  atime: string;
  ctime: string;
  uid: number;
  gid: number;
  user?: string;
  group?: string;
  inode?: number;
  device_id?: number;
  size?: number;
  links?: number;
  linktarget?: string;
  /** restic >= 0.17: a symlink target that is not UTF-8, base64 */
  linktarget_raw?: string;
  extended_attributes?: ExtendedAttribute[];
  device?: number;
  content?: string[] | null;
  subtree?: string;
}

export interface Tree {
  nodes: TreeNode[];
}

const nz = (n: number | undefined): number | undefined => (n ? n : undefined);
const ne = (s: string | undefined): string | undefined => (s ? s : undefined);

/** The node as an object whose key order and omissions are restic's. */
function ordered(n: TreeNode): Record<string, unknown> {
  return {
    name: goQuote(nameBytes(n)),
    type: n.type,
    mode: nz(n.mode),
    mtime: n.mtime,
    atime: n.atime,
    ctime: n.ctime,
    uid: n.uid,
    gid: n.gid,
    user: ne(n.user),
    group: ne(n.group),
    inode: nz(n.inode),
    device_id: nz(n.device_id),
    size: nz(n.size),
    links: nz(n.links),
    linktarget: ne(n.linktarget),
    extended_attributes: n.extended_attributes && n.extended_attributes.length ? n.extended_attributes : undefined,
    device: nz(n.device),
    content: n.content ?? null,
    subtree: n.subtree,
  };
}

export function nameBytes(n: TreeNode): Buffer {
  return n.rawName ?? Buffer.from(n.name, 'utf8');
}

/** A key for maps of nodes by name that keeps names apart byte for byte. */
export function nameKey(n: TreeNode): string {
  return nameBytes(n).toString('latin1');
}

export function serializeTree(nodes: TreeNode[]): Buffer {
  const sorted = [...nodes].sort((a, b) => Buffer.compare(nameBytes(a), nameBytes(b)));
  return Buffer.from(`{"nodes":[${sorted.map((n) => goJson(ordered(n))).join(',')}]}\n`);
}

export function parseTree(plain: Buffer): Tree {
  const t = JSON.parse(plain.toString('utf8')) as Tree;
  if (!t || !Array.isArray(t.nodes)) throw new CorruptRepositoryError('not a tree');
  for (const n of t.nodes) {
    const raw = goUnquote(String(n.name));
    n.name = raw.toString('utf8');
    if (!Buffer.from(n.name, 'utf8').equals(raw)) n.rawName = raw;
  }
  return t;
}
