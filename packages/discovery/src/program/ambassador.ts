import { UsageError } from '@dockside/common';
export async function ambassador(_args: string[]): Promise<number> {
  throw new UsageError('the ambassador is not built yet');
}
