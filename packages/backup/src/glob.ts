/**
 * --exclude patterns, matched like tar's: a pattern without a slash matches a name at any depth;
 * with a slash it matches the path from the volume root. `*` and `?` stay within one name, `**`
 * crosses directories. A match on a directory excludes everything under it.
 */
export function globToRegExp(pattern: string): RegExp {
  let p = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  const anchored = p.includes('/');
  if (p.startsWith('/')) p = p.slice(1);
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end > i + 1) {
        let cls = p.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      } else re += '\\[';
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${re}$` : `(?:^|/)${re}$`);
}

export function makeExcluder(patterns: readonly string[]): (relPath: string) => boolean {
  const res = patterns.map(globToRegExp);
  if (res.length === 0) return () => false;
  return (rel) => res.some((r) => r.test(rel));
}
