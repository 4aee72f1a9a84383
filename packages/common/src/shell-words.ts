/**
 * A command line split into words the way a POSIX shell splits plain words and quotes ('…', "…"
 * with \" and \\, a backslash outside quotes), with no expansion and no shell run: for the config
 * sidecar's `--validate` and check commands and the scheduler's `dockside` job arguments.
 */
import { UsageError } from './errors.js';

export function splitShellWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unterminated ${quote} quote in "${text}"`, { hint: 'close the quote, or escape it with a backslash' });
  if (inWord) out.push(cur);
  return out;
}
