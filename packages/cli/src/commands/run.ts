import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { DocksideCommand } from '../lib/base-command.js';
import { commandAfterDashes, containerCommandUsage } from '../lib/command-args.js';
import { listFlag } from '../lib/flags.js';
import { imageRef } from '../lib/images-catalog.js';

export default class Run extends DocksideCommand {
  static override summary = 'Run a command in a sidecar joined to a container (its volumes, network, processes).';
  static override description = `Starts a throw-away sidecar next to the container and runs the command in it: with --volumes it sees the container's volumes at the same paths (--volumes-from), with --net it shares its network namespace (interfaces, localhost, ports), with --pid it sees its processes. Output is streamed as it comes, the command's exit code becomes dockside's, Ctrl-C and SIGTERM are forwarded, and the sidecar is removed however the run ends.

The sidecar starts with every capability dropped; add back only what the command needs with --cap-add. The default image is the dockside base (Debian with Node 22); any image works with --image.`;
  static override usage = containerCommandUsage(
    '[--volumes] [--net] [--pid] [--image <value>] [--mount <value>...] [--cap-add <value>...] [--env-file <value>...] [-e <value>...] [-u <value>] [-t] [-i]',
    false,
  );
  static override args = {
    container: Args.string({ description: 'Target container: name, full id or unique id prefix (one).', required: true }),
    command: Args.string({ description: 'After --: the command to run and its arguments.', multiple: true }),
  };
  static override examples = [
    { description: "List the files of a container's volumes:", command: '<%= config.bin %> <%= command.id %> web --volumes -- ls -la /srv/data' },
    { description: 'See its network from inside:', command: '<%= config.bin %> <%= command.id %> web --net --image dockside/netdebug:<%= config.version %> -- ss -ltnp' },
    {
      description: 'Read a config file with variables from an env file:',
      command: "<%= config.bin %> <%= command.id %> web --volumes --env-file ./prod.env -- sh -c 'envsubst < /etc/app/app.conf'",
    },
  ];
  static override flags = {
    volumes: Flags.boolean({ description: "Mount the container's volumes and bind mounts (--volumes-from).", default: false, env: 'DOCKSIDE_RUN_VOLUMES' }),
    net: Flags.boolean({ description: "Join the container's network namespace (--net container:).", default: false, env: 'DOCKSIDE_RUN_NET' }),
    pid: Flags.boolean({ description: "Join the container's PID namespace (--pid container:).", default: false, env: 'DOCKSIDE_RUN_PID' }),
    image: Flags.string({ description: 'Image to run (default: the dockside base image).', env: 'DOCKSIDE_RUN_IMAGE' }),
    mount: listFlag({
      description: 'Extra mount, docker syntax: type=bind,source=/host/dir,target=/dir[,readonly] (repeatable; in the variable, one per line).',
      separator: '\n',
      env: 'DOCKSIDE_RUN_MOUNT',
    }),
    'cap-add': listFlag({ description: 'Capability to grant (repeatable), e.g. NET_RAW. All others are dropped.', env: 'DOCKSIDE_RUN_CAP_ADD' }),
    'env-file': listFlag({
      description: 'Read environment variables from a file of KEY=VALUE lines (repeatable; in the variable, one per line).',
      separator: '\n',
      env: 'DOCKSIDE_RUN_ENV_FILE',
    }),
    env: listFlag({
      char: 'e',
      description: 'Set an environment variable KEY=VALUE (repeatable). Values show in `docker inspect`: keep secrets out of them. In the variable, one per line.',
      separator: '\n',
      env: 'DOCKSIDE_RUN_ENV',
    }),
    user: Flags.string({ char: 'u', description: 'User (name or uid[:gid]) to run as.', env: 'DOCKSIDE_RUN_USER' }),
    tty: Flags.boolean({ char: 't', description: 'Allocate a terminal.', default: false, env: 'DOCKSIDE_RUN_TTY' }),
    interactive: Flags.boolean({ char: 'i', description: 'Keep stdin open and pass it to the command.', default: false, env: 'DOCKSIDE_RUN_INTERACTIVE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const { runInSidecar, parseMount, parseEnvPairs } = await import('../services/run.js');
    const command = commandAfterDashes(this.argv, [args.container, ...(args.command ?? [])], 'dockside run CONTAINER -- COMMAND');
    const code = await runInSidecar(await this.engine(), {
      target: args.container,
      image: flags.image ?? imageRef('base', this.config.version),
      command,
      join: { volumes: flags.volumes, network: flags.net, pid: flags.pid },
      mounts: (flags.mount ?? []).map(parseMount),
      capAdd: (flags['cap-add'] ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
      envFiles: flags['env-file'] ?? [],
      env: parseEnvPairs(flags.env ?? []),
      tty: flags.tty,
      interactive: flags.interactive,
      ...(flags.user ? { user: flags.user } : {}),
      version: this.config.version,
      session: this.session,
    });
    process.exitCode = code;
  }
}
