/** What every config service gets from the command: the engine, the image it runs, and a place to tell the user what happens. */
import type { Engine } from '@dockside/engine';

export interface ConfigContext {
  engine: Engine;
  /** dockside/config:<tag>. */
  image: string;
  version: string;
  session: string;
  /** One line of what is happening (the CLI prints it on stderr). */
  say: (line: string) => void;
}
