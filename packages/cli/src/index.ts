export { DocksideCommand } from './lib/base-command.js';
