/**
 * The request bodies the api-proxy lets through, as the engine's Go types of API 1.41 (moby
 * v20.10 api/types: container.Config, container.HostConfig with its embedded Resources,
 * network.NetworkingConfig, mount.Mount, types.ExecConfig, types.ExecStartCheck). Field names are
 * the JSON names the engine matches keys against (go-json.ts). A field missing here is refused in
 * a create body: the proxy cannot check what it does not know, and a newer engine may obey it.
 */
import type { GoStruct, GoType } from './go-json.js';

const strings: GoType = { array: 'string' };
const stringMap: GoType = { map: 'string' };

const throttleDevice: GoStruct = { fields: { Path: 'string', Rate: 'uint' } };

/** mount.Mount */
export const MOUNT: GoStruct = {
  fields: {
    Type: 'string',
    Source: 'string',
    Target: 'string',
    ReadOnly: 'bool',
    Consistency: 'string',
    BindOptions: { fields: { Propagation: 'string', NonRecursive: 'bool' } },
    VolumeOptions: {
      fields: {
        NoCopy: 'bool',
        Labels: stringMap,
        DriverConfig: { fields: { Name: 'string', Options: stringMap } },
      },
    },
    TmpfsOptions: { fields: { SizeBytes: 'int', Mode: 'uint' } },
  },
};

/** container.HostConfig (Resources embedded: Go promotes its fields), API 1.41. */
export const HOST_CONFIG: GoStruct = {
  fields: {
    Binds: strings,
    ContainerIDFile: 'string',
    LogConfig: { fields: { Type: 'string', Config: stringMap } },
    NetworkMode: 'string',
    PortBindings: { map: { array: { fields: { HostIp: 'string', HostPort: 'string' } } } },
    RestartPolicy: { fields: { Name: 'string', MaximumRetryCount: 'int' } },
    AutoRemove: 'bool',
    VolumeDriver: 'string',
    VolumesFrom: strings,
    CapAdd: 'strslice',
    CapDrop: 'strslice',
    CgroupnsMode: 'string',
    Dns: strings,
    DnsOptions: strings,
    DnsSearch: strings,
    ExtraHosts: strings,
    GroupAdd: strings,
    IpcMode: 'string',
    Cgroup: 'string',
    Links: strings,
    OomScoreAdj: 'int',
    PidMode: 'string',
    Privileged: 'bool',
    PublishAllPorts: 'bool',
    ReadonlyRootfs: 'bool',
    SecurityOpt: strings,
    StorageOpt: stringMap,
    Tmpfs: stringMap,
    UTSMode: 'string',
    UsernsMode: 'string',
    ShmSize: 'int',
    Sysctls: stringMap,
    Runtime: 'string',
    ConsoleSize: { array: 'uint', max: 2 },
    Isolation: 'string',
    // Resources
    CpuShares: 'int',
    Memory: 'int',
    NanoCpus: 'int',
    CgroupParent: 'string',
    BlkioWeight: 'uint',
    BlkioWeightDevice: { array: { fields: { Path: 'string', Weight: 'uint' } } },
    BlkioDeviceReadBps: { array: throttleDevice },
    BlkioDeviceWriteBps: { array: throttleDevice },
    BlkioDeviceReadIOps: { array: throttleDevice },
    BlkioDeviceWriteIOps: { array: throttleDevice },
    CpuPeriod: 'int',
    CpuQuota: 'int',
    CpuRealtimePeriod: 'int',
    CpuRealtimeRuntime: 'int',
    CpusetCpus: 'string',
    CpusetMems: 'string',
    Devices: { array: { fields: { PathOnHost: 'string', PathInContainer: 'string', CgroupPermissions: 'string' } } },
    DeviceCgroupRules: strings,
    DeviceRequests: {
      array: { fields: { Driver: 'string', Count: 'int', DeviceIDs: strings, Capabilities: { array: strings }, Options: stringMap } },
    },
    KernelMemory: 'int',
    KernelMemoryTCP: 'int',
    MemoryReservation: 'int',
    MemorySwap: 'int',
    MemorySwappiness: 'int',
    OomKillDisable: 'bool',
    PidsLimit: 'int',
    Ulimits: { array: { fields: { Name: 'string', Hard: 'int', Soft: 'int' } } },
    CpuCount: 'int',
    CpuPercent: 'int',
    IOMaximumIOps: 'uint',
    IOMaximumBandwidth: 'uint',
    // HostConfig again
    Mounts: { array: MOUNT },
    MaskedPaths: strings,
    ReadonlyPaths: strings,
    Init: 'bool',
  },
};

/** network.EndpointSettings */
const ENDPOINT_SETTINGS: GoStruct = {
  fields: {
    IPAMConfig: { fields: { IPv4Address: 'string', IPv6Address: 'string', LinkLocalIPs: strings } },
    Links: strings,
    Aliases: strings,
    NetworkID: 'string',
    EndpointID: 'string',
    Gateway: 'string',
    IPAddress: 'string',
    IPPrefixLen: 'int',
    IPv6Gateway: 'string',
    GlobalIPv6Address: 'string',
    GlobalIPv6PrefixLen: 'int',
    MacAddress: 'string',
    DriverOpts: stringMap,
  },
};

export const NETWORKING_CONFIG: GoStruct = { fields: { EndpointsConfig: { map: ENDPOINT_SETTINGS } } };

/**
 * The create body: container.Config's fields, HostConfig and NetworkingConfig. The engine's
 * wrapper (runconfig.ContainerConfigWrapper) also embeds a deprecated HostConfig and a `Cpuset`,
 * so `{"Privileged":true}` at the top level makes a privileged container: those are not listed
 * here, and so refused.
 */
export const CONTAINER_CREATE: GoStruct = {
  fields: {
    Hostname: 'string',
    Domainname: 'string',
    User: 'string',
    AttachStdin: 'bool',
    AttachStdout: 'bool',
    AttachStderr: 'bool',
    ExposedPorts: { map: 'empty' },
    Tty: 'bool',
    OpenStdin: 'bool',
    StdinOnce: 'bool',
    Env: strings,
    Cmd: 'strslice',
    Healthcheck: { fields: { Test: strings, Interval: 'int', Timeout: 'int', StartPeriod: 'int', Retries: 'int' } },
    ArgsEscaped: 'bool',
    Image: 'string',
    Volumes: { map: 'empty' },
    WorkingDir: 'string',
    Entrypoint: 'strslice',
    NetworkDisabled: 'bool',
    MacAddress: 'string',
    OnBuild: strings,
    Labels: stringMap,
    StopSignal: 'string',
    StopTimeout: 'int',
    Shell: 'strslice',
    HostConfig: HOST_CONFIG,
    NetworkingConfig: NETWORKING_CONFIG,
  },
};

/** types.ExecConfig (API 1.41). */
export const EXEC_CREATE: GoStruct = {
  fields: {
    User: 'string',
    Privileged: 'bool',
    Tty: 'bool',
    AttachStdin: 'bool',
    AttachStderr: 'bool',
    AttachStdout: 'bool',
    Detach: 'bool',
    DetachKeys: 'string',
    Env: strings,
    WorkingDir: 'string',
    Cmd: strings,
  },
};

/**
 * types.ExecStartCheck. Unknown keys are dropped, as the engine drops them: dockerode sends its
 * own options (`hijack`, `stdin`) in this body, and neither field here grants anything.
 */
export const EXEC_START: GoStruct = { fields: { Detach: 'bool', Tty: 'bool' }, unknown: 'drop' };
