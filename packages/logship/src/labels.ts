/** The labels a shipper container carries beyond dockside's own (containers/labels.ts in engine). */
/** The shipper's --name: one shipper (one checkpoint) per name. */
export const NAME_LABEL = 'dockside.logship.name';
/** Where it ships, masked (displaySinkUrl). */
export const SINK_LABEL = 'dockside.logship.sink';
/** A random token per started shipper, so a new one can tell the one it replaces from itself. */
export const INSTANCE_LABEL = 'dockside.logship.instance';
