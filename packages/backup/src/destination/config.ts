/**
 * A backup destination as plain data: what the host hands the sidecar in its job (and what both
 * open a Destination from). Paths are as the process using the config sees them.
 */
export type DestinationConfig =
  | { kind: 'dir'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      pathStyle: boolean;
      /** Inside the sidecar: a JSON file holding S3Credentials (mode 0400). */
      credentialsFile?: string;
    };

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
