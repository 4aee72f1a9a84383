/** Signal names as users write them (`HUP`, `SIGHUP`, `usr1`), for flags that send one to an app. */
import { constants } from 'node:os';
import { UsageError } from './errors.js';

/** `HUP` / `SIGHUP` / `usr1` -> `SIGHUP`; KILL and STOP are refused (they end or freeze the app, not reload it). */
export function parseSignal(text: string, flag: string, hint = 'give a signal name (HUP, USR1, USR2, ...)'): NodeJS.Signals {
  const t = text.trim();
  const name = (/^sig/i.test(t) ? t : `SIG${t}`).toUpperCase();
  if (!(name in constants.signals) || name === 'SIGKILL' || name === 'SIGSTOP') throw new UsageError(`${flag}: unknown signal "${text}"`, { hint });
  return name as NodeJS.Signals;
}
