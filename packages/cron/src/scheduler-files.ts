/** Where the scheduler finds what `cron start` copies in (a small volume of 0400 files): shared by the host side and the program. */
export const SCHEDULER_SECRET_DIR = '/etc/dockside-cron';
/** The repository password backup jobs use when theirs gives none (`cron start --repo-password-file`). */
export const REPO_PASSWORD_SECRET = `${SCHEDULER_SECRET_DIR}/repo-password`;
