/**
 * Who this process runs as, for the user fields restic records in snapshots, locks and keys. A
 * uid with no passwd entry (common in containers) gives an empty name and no ids, as restic does.
 */
import { userInfo } from 'node:os';

export interface CurrentUser {
  username: string;
  uid?: number;
  gid?: number;
}

export function currentUser(): CurrentUser {
  try {
    const u = userInfo();
    return { username: u.username, uid: u.uid, gid: u.gid };
  } catch {
    return { username: '' };
  }
}
