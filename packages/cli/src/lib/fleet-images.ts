import type { FleetImages } from '@dockside/fleet';
import { imageRef } from './images-catalog.js';

/** The images the fleet's services run on every node (each node must have them: `scripts/fleet.sh` loads them). */
export function fleetImages(version: string): FleetImages {
  return { fleet: imageRef('fleet', version), logship: imageRef('logship', version), version };
}
