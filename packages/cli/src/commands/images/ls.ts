import { DocksideCommand, jsonFlag } from '../../lib/base-command.js';

export default class ImagesLs extends DocksideCommand {
  static override summary = 'List the dockside images on the current engine.';
  static override description =
    'Shows every image dockside built (named dockside/<role>:<tag> and labelled so; an application image built FROM dockside/base inherits the labels but not the name, and is not listed): its tag, role, the dockside version it was built for, size and age. Images for another version than this CLI are marked stale.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json | jq -r ".[].tags[]"'];
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagesLs);
    const { listDocksideImages } = await import('@dockside/engine');
    const { naturalCompare } = await import('@dockside/common');
    const { IMAGE_REPO_PREFIX } = await import('../../lib/images-catalog.js');
    const images = (await listDocksideImages(await this.engine(), IMAGE_REPO_PREFIX)).sort(
      (a, b) => naturalCompare(a.role, b.role) || naturalCompare(a.tags[0] ?? '', b.tags[0] ?? ''),
    );
    const rows = images.map((i) => ({ ...i, current: i.version === this.config.version }));
    if (flags.json) return this.printJson(rows);
    const { renderTable, formatBytes, formatDuration } = await import('@dockside/common');
    if (rows.length === 0) {
      this.log('no dockside images on this engine; build them with `dockside images build`');
      return;
    }
    this.log(
      renderTable(
        ['IMAGE', 'ROLE', 'VERSION', 'ID', 'SIZE', 'CREATED'],
        // One row per tag, as `docker images` lists them: a row stays as wide as one name.
        rows.flatMap((i) =>
          (i.tags.length ? i.tags : ['<none>']).map((tag) => [
            tag,
            i.role,
            i.current ? i.version : `${i.version} (stale)`,
            i.id.replace('sha256:', '').slice(0, 12),
            formatBytes(i.size),
            `${formatDuration(Date.now() - i.created.getTime())} ago`,
          ]),
        ),
        [4],
      ),
    );
  }
}
