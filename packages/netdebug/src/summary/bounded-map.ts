/**
 * A map with a size cap that forgets its least recently used entries. Entries sit on a doubly
 * linked list, least recently used first, so touching one and dropping the oldest are O(1).
 * (Not a plain Map re-inserted on use: V8 keeps a Map's deleted entries as holes until it rehashes,
 * and finding the first live entry after many deletions at the front costs a scan over them.)
 */
interface Node<K, V> {
  key: K;
  value: V;
  prev: Node<K, V> | undefined;
  next: Node<K, V> | undefined;
}

export class BoundedMap<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  private head: Node<K, V> | undefined;
  private tail: Node<K, V> | undefined;
  /** Entries dropped because the cap was reached (or by dropOldest). */
  dropped = 0;

  constructor(
    readonly cap: number,
    private readonly onDrop?: (key: K, value: V) => void,
  ) {
    if (!(cap >= 1)) throw new RangeError(`cap must be at least 1 (got ${cap})`);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The value, marked as the most recently used. */
  touch(key: K): V | undefined {
    const n = this.nodes.get(key);
    if (!n) return undefined;
    if (n !== this.tail) {
      this.unlink(n);
      this.append(n);
    }
    return n.value;
  }

  /** The value, leaving its place as it is. */
  get(key: K): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** Add (or replace) as the most recently used, dropping the least recently used past the cap. */
  set(key: K, value: V): void {
    const old = this.nodes.get(key);
    if (old) {
      old.value = value;
      this.unlink(old);
      this.append(old);
      return;
    }
    const n: Node<K, V> = { key, value, prev: undefined, next: undefined };
    this.nodes.set(key, n);
    this.append(n);
    while (this.nodes.size > this.cap) this.dropOldest();
  }

  delete(key: K): boolean {
    const n = this.nodes.get(key);
    if (!n) return false;
    this.unlink(n);
    this.nodes.delete(key);
    return true;
  }

  /** The least recently used entry. */
  oldest(): [K, V] | undefined {
    return this.head ? [this.head.key, this.head.value] : undefined;
  }

  /** Drop the least recently used entry (counted in `dropped`). */
  dropOldest(): void {
    const n = this.head;
    if (!n) return;
    this.unlink(n);
    this.nodes.delete(n.key);
    this.dropped++;
    this.onDrop?.(n.key, n.value);
  }

  /** Values, least recently used first. */
  *values(): IterableIterator<V> {
    for (let n = this.head; n; n = n.next) yield n.value;
  }

  private append(n: Node<K, V>): void {
    n.prev = this.tail;
    n.next = undefined;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
  }

  private unlink(n: Node<K, V>): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = undefined;
    n.next = undefined;
  }
}
