/**
 * Decodes a Pod sent as `application/vnd.kubernetes.protobuf`, which kubectl
 * (client-go's typed clients) uses to create pods — `kubectl debug --copy-to`
 * and `kubectl run` post their Pod this way. The "k8s\0" magic, the
 * runtime.Unknown envelope, then k8s.io/api/core/v1 Pod by the field numbers
 * of its generated.proto, for the fields a pod spec commonly carries
 * (metadata, containers with env/ports/mounts/probes/securityContext/resources,
 * volumes of the usual kinds, tolerations, pod securityContext, scheduling
 * fields). Fields outside this table are dropped (affinity, topology spread
 * constraints, rarer volume kinds). Pure.
 *
 * Longer than 400 lines on purpose: most of it is the table of Pod message fields, read top to bottom
 * against generated.proto.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

type Scalar = 'string' | 'int' | 'bool' | 'quantity' | 'intstr' | 'time';
type Kind = Scalar | 'map<string>' | 'map<quantity>' | string;
/** [json name ('' = embedded struct, inlined), kind, repeated] */
type Field = [string, Kind, boolean?];
type Schema = Record<number, Field>;

const R = true;
const containerFields: Schema = {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', 'string', R],
  4: ['args', 'string', R],
  5: ['workingDir', 'string'],
  6: ['ports', 'ContainerPort', R],
  7: ['env', 'EnvVar', R],
  8: ['resources', 'ResourceRequirements'],
  9: ['volumeMounts', 'VolumeMount', R],
  10: ['livenessProbe', 'Probe'],
  11: ['readinessProbe', 'Probe'],
  12: ['lifecycle', 'Lifecycle'],
  13: ['terminationMessagePath', 'string'],
  14: ['imagePullPolicy', 'string'],
  15: ['securityContext', 'SecurityContext'],
  16: ['stdin', 'bool'],
  17: ['stdinOnce', 'bool'],
  18: ['tty', 'bool'],
  19: ['envFrom', 'EnvFromSource', R],
  20: ['terminationMessagePolicy', 'string'],
  21: ['volumeDevices', 'VolumeDevice', R],
  22: ['startupProbe', 'Probe'],
  23: ['resizePolicy', 'ContainerResizePolicy', R],
  24: ['restartPolicy', 'string'],
};

const SCHEMAS: Record<string, Schema> = {
  TypeMeta: { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] },
  // status (3) is left out: a create ignores it, and the server starts the pod Pending.
  Pod: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodSpec'] },
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int'],
    8: ['creationTimestamp', 'time'],
    11: ['labels', 'map<string>'],
    12: ['annotations', 'map<string>'],
    13: ['ownerReferences', 'OwnerReference', R],
    14: ['finalizers', 'string', R],
  },
  OwnerReference: {
    1: ['kind', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['controller', 'bool'],
    7: ['blockOwnerDeletion', 'bool'],
  },
  PodSpec: {
    1: ['volumes', 'Volume', R],
    2: ['containers', 'Container', R],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int'],
    5: ['activeDeadlineSeconds', 'int'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', 'map<string>'],
    8: ['serviceAccountName', 'string'],
    9: ['serviceAccount', 'string'],
    10: ['nodeName', 'string'],
    11: ['hostNetwork', 'bool'],
    12: ['hostPID', 'bool'],
    13: ['hostIPC', 'bool'],
    14: ['securityContext', 'PodSecurityContext'],
    15: ['imagePullSecrets', 'LocalObjectReference', R],
    16: ['hostname', 'string'],
    17: ['subdomain', 'string'],
    19: ['schedulerName', 'string'],
    20: ['initContainers', 'Container', R],
    21: ['automountServiceAccountToken', 'bool'],
    22: ['tolerations', 'Toleration', R],
    24: ['priorityClassName', 'string'],
    25: ['priority', 'int'],
    27: ['shareProcessNamespace', 'bool'],
    29: ['runtimeClassName', 'string'],
    30: ['enableServiceLinks', 'bool'],
    31: ['preemptionPolicy', 'string'],
    34: ['ephemeralContainers', 'EphemeralContainer', R],
    35: ['setHostnameAsFQDN', 'bool'],
    37: ['hostUsers', 'bool'],
  },
  Container: containerFields,
  EphemeralContainer: { 1: ['', 'Container'], 2: ['targetContainerName', 'string'] },
  ContainerPort: {
    1: ['name', 'string'],
    2: ['hostPort', 'int'],
    3: ['containerPort', 'int'],
    4: ['protocol', 'string'],
    5: ['hostIP', 'string'],
  },
  ContainerResizePolicy: { 1: ['resourceName', 'string'], 2: ['restartPolicy', 'string'] },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'], 3: ['valueFrom', 'EnvVarSource'] },
  EnvVarSource: {
    1: ['fieldRef', 'ObjectFieldSelector'],
    2: ['resourceFieldRef', 'ResourceFieldSelector'],
    3: ['configMapKeyRef', 'KeySelector'],
    4: ['secretKeyRef', 'KeySelector'],
  },
  ObjectFieldSelector: { 1: ['apiVersion', 'string'], 2: ['fieldPath', 'string'] },
  ResourceFieldSelector: {
    1: ['containerName', 'string'],
    2: ['resource', 'string'],
    3: ['divisor', 'quantity'],
  },
  KeySelector: { 1: ['', 'LocalObjectReference'], 2: ['key', 'string'], 3: ['optional', 'bool'] },
  LocalObjectReference: { 1: ['name', 'string'] },
  EnvFromSource: {
    1: ['prefix', 'string'],
    2: ['configMapRef', 'EnvSource'],
    3: ['secretRef', 'EnvSource'],
  },
  EnvSource: { 1: ['', 'LocalObjectReference'], 2: ['optional', 'bool'] },
  ResourceRequirements: { 1: ['limits', 'map<quantity>'], 2: ['requests', 'map<quantity>'] },
  VolumeMount: {
    1: ['name', 'string'],
    2: ['readOnly', 'bool'],
    3: ['mountPath', 'string'],
    4: ['subPath', 'string'],
    5: ['mountPropagation', 'string'],
    6: ['subPathExpr', 'string'],
    7: ['recursiveReadOnly', 'string'],
  },
  VolumeDevice: { 1: ['name', 'string'], 2: ['devicePath', 'string'] },
  Probe: {
    1: ['', 'ProbeHandler'],
    2: ['initialDelaySeconds', 'int'],
    3: ['timeoutSeconds', 'int'],
    4: ['periodSeconds', 'int'],
    5: ['successThreshold', 'int'],
    6: ['failureThreshold', 'int'],
    7: ['terminationGracePeriodSeconds', 'int'],
  },
  ProbeHandler: {
    1: ['exec', 'ExecAction'],
    2: ['httpGet', 'HTTPGetAction'],
    3: ['tcpSocket', 'TCPSocketAction'],
    4: ['grpc', 'GRPCAction'],
  },
  Lifecycle: {
    1: ['postStart', 'LifecycleHandler'],
    2: ['preStop', 'LifecycleHandler'],
    3: ['stopSignal', 'string'],
  },
  LifecycleHandler: {
    1: ['exec', 'ExecAction'],
    2: ['httpGet', 'HTTPGetAction'],
    3: ['tcpSocket', 'TCPSocketAction'],
    4: ['sleep', 'SleepAction'],
  },
  SleepAction: { 1: ['seconds', 'int'] },
  ExecAction: { 1: ['command', 'string', R] },
  HTTPGetAction: {
    1: ['path', 'string'],
    2: ['port', 'intstr'],
    3: ['host', 'string'],
    4: ['scheme', 'string'],
    5: ['httpHeaders', 'HTTPHeader', R],
  },
  HTTPHeader: { 1: ['name', 'string'], 2: ['value', 'string'] },
  TCPSocketAction: { 1: ['port', 'intstr'], 2: ['host', 'string'] },
  GRPCAction: { 1: ['port', 'int'], 2: ['service', 'string'] },
  SecurityContext: {
    1: ['capabilities', 'Capabilities'],
    2: ['privileged', 'bool'],
    3: ['seLinuxOptions', 'SELinuxOptions'],
    4: ['runAsUser', 'int'],
    5: ['runAsNonRoot', 'bool'],
    6: ['readOnlyRootFilesystem', 'bool'],
    7: ['allowPrivilegeEscalation', 'bool'],
    8: ['runAsGroup', 'int'],
    9: ['procMount', 'string'],
    11: ['seccompProfile', 'SeccompProfile'],
    12: ['appArmorProfile', 'AppArmorProfile'],
  },
  Capabilities: { 1: ['add', 'string', R], 2: ['drop', 'string', R] },
  SELinuxOptions: {
    1: ['user', 'string'],
    2: ['role', 'string'],
    3: ['type', 'string'],
    4: ['level', 'string'],
  },
  SeccompProfile: { 1: ['type', 'string'], 2: ['localhostProfile', 'string'] },
  AppArmorProfile: { 1: ['type', 'string'], 2: ['localhostProfile', 'string'] },
  PodSecurityContext: {
    1: ['seLinuxOptions', 'SELinuxOptions'],
    2: ['runAsUser', 'int'],
    3: ['runAsNonRoot', 'bool'],
    4: ['supplementalGroups', 'int', R],
    5: ['fsGroup', 'int'],
    6: ['runAsGroup', 'int'],
    7: ['sysctls', 'Sysctl', R],
    9: ['fsGroupChangePolicy', 'string'],
    10: ['seccompProfile', 'SeccompProfile'],
    11: ['appArmorProfile', 'AppArmorProfile'],
    12: ['supplementalGroupsPolicy', 'string'],
  },
  Sysctl: { 1: ['name', 'string'], 2: ['value', 'string'] },
  Toleration: {
    1: ['key', 'string'],
    2: ['operator', 'string'],
    3: ['value', 'string'],
    4: ['effect', 'string'],
    5: ['tolerationSeconds', 'int'],
  },
  Volume: { 1: ['name', 'string'], 2: ['', 'VolumeSource'] },
  VolumeSource: {
    1: ['hostPath', 'HostPathVolumeSource'],
    2: ['emptyDir', 'EmptyDirVolumeSource'],
    6: ['secret', 'SecretVolumeSource'],
    10: ['persistentVolumeClaim', 'PersistentVolumeClaimVolumeSource'],
    16: ['downwardAPI', 'DownwardAPIVolumeSource'],
    19: ['configMap', 'ConfigMapVolumeSource'],
    26: ['projected', 'ProjectedVolumeSource'],
  },
  HostPathVolumeSource: { 1: ['path', 'string'], 2: ['type', 'string'] },
  EmptyDirVolumeSource: { 1: ['medium', 'string'], 2: ['sizeLimit', 'quantity'] },
  SecretVolumeSource: {
    1: ['secretName', 'string'],
    2: ['items', 'KeyToPath', R],
    3: ['defaultMode', 'int'],
    4: ['optional', 'bool'],
  },
  ConfigMapVolumeSource: {
    1: ['', 'LocalObjectReference'],
    2: ['items', 'KeyToPath', R],
    3: ['defaultMode', 'int'],
    4: ['optional', 'bool'],
  },
  KeyToPath: { 1: ['key', 'string'], 2: ['path', 'string'], 3: ['mode', 'int'] },
  PersistentVolumeClaimVolumeSource: { 1: ['claimName', 'string'], 2: ['readOnly', 'bool'] },
  DownwardAPIVolumeSource: { 1: ['items', 'DownwardAPIVolumeFile', R], 2: ['defaultMode', 'int'] },
  DownwardAPIVolumeFile: {
    1: ['path', 'string'],
    2: ['fieldRef', 'ObjectFieldSelector'],
    3: ['resourceFieldRef', 'ResourceFieldSelector'],
    4: ['mode', 'int'],
  },
  ProjectedVolumeSource: { 1: ['sources', 'VolumeProjection', R], 2: ['defaultMode', 'int'] },
  VolumeProjection: {
    1: ['secret', 'Projection'],
    2: ['downwardAPI', 'DownwardAPIVolumeSource'],
    3: ['configMap', 'Projection'],
    4: ['serviceAccountToken', 'ServiceAccountTokenProjection'],
  },
  Projection: { 1: ['', 'LocalObjectReference'], 2: ['items', 'KeyToPath', R], 4: ['optional', 'bool'] },
  ServiceAccountTokenProjection: {
    1: ['audience', 'string'],
    2: ['expirationSeconds', 'int'],
    3: ['path', 'string'],
  },
};

interface Raw {
  no: number;
  wire: number;
  num?: bigint;
  bytes?: Buffer;
}

function rawFields(buf: Buffer): Raw[] {
  const out: Raw[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, num: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > buf.length) throw new Error('truncated field');
      out.push({ no, wire, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

/** A varint as a signed 64-bit integer (two's complement), as a JS number. */
const int64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

function packedInts(b: Buffer): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < b.length) {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[i++]!;
      v |= BigInt(x & 0x7f) << shift;
      if ((x & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(int64(v));
  }
  return out;
}

function scalar(kind: Scalar, f: Raw): Json {
  switch (kind) {
    case 'string':
      return f.bytes?.toString('utf8') ?? '';
    case 'int':
      return f.num !== undefined ? int64(f.num) : 0;
    case 'bool':
      return f.num !== undefined && f.num !== 0n;
    case 'quantity': {
      const q = rawFields(f.bytes ?? Buffer.alloc(0)).find((x) => x.no === 1);
      return q?.bytes?.toString('utf8') ?? '0';
    }
    case 'intstr': {
      const fs = rawFields(f.bytes ?? Buffer.alloc(0));
      const type = fs.find((x) => x.no === 1)?.num ?? 0n;
      return type === 1n
        ? (fs.find((x) => x.no === 3)?.bytes?.toString('utf8') ?? '')
        : int64(fs.find((x) => x.no === 2)?.num ?? 0n);
    }
    case 'time': {
      const fs = rawFields(f.bytes ?? Buffer.alloc(0));
      const s = int64(fs.find((x) => x.no === 1)?.num ?? 0n);
      return s === 0 ? null : `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;
    }
  }
}

const SCALARS = new Set(['string', 'int', 'bool', 'quantity', 'intstr', 'time']);

/**
 * Scalars that are pointers in the Go types: encoded only when set, so false/0 are real values. The
 * others are always encoded, and their zero values are what the JSON encoding omits.
 */
const POINTERS = new Set([
  'privileged',
  'runAsNonRoot',
  'readOnlyRootFilesystem',
  'allowPrivilegeEscalation',
  'hostUsers',
  'automountServiceAccountToken',
  'shareProcessNamespace',
  'enableServiceLinks',
  'setHostnameAsFQDN',
  'optional',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'priority',
  'defaultMode',
  'mode',
  'tolerationSeconds',
  'expirationSeconds',
  'controller',
  'blockOwnerDeletion',
]);
const isZeroScalar = (v: Json) => v === '' || v === false || v === 0 || v === null;

function decodeMessage(type: string, buf: Buffer): Obj {
  const schema = SCHEMAS[type];
  const out: Obj = {};
  if (!schema) return out;
  for (const f of rawFields(buf)) {
    const def = schema[f.no];
    if (!def) continue; // a field this table does not carry: dropped
    const [name, kind, repeated] = def;
    if (kind === 'bytes') continue;
    if (kind === 'map<string>' || kind === 'map<quantity>') {
      const entry = rawFields(f.bytes ?? Buffer.alloc(0));
      const k = entry.find((x) => x.no === 1)?.bytes?.toString('utf8') ?? '';
      const v = entry.find((x) => x.no === 2);
      const m = (out[name] as Obj | undefined) ?? {};
      m[k] = v ? scalar(kind === 'map<string>' ? 'string' : 'quantity', v) : '';
      out[name] = m;
      continue;
    }
    let value: Json;
    if (SCALARS.has(kind)) {
      if (kind === 'int' && repeated && f.wire === 2) {
        // packed repeated integers
        const arr = (out[name] as Json[] | undefined) ?? [];
        arr.push(...packedInts(f.bytes ?? Buffer.alloc(0)));
        out[name] = arr;
        continue;
      }
      value = scalar(kind as Scalar, f);
      if (!repeated && isZeroScalar(value) && !POINTERS.has(name)) continue;
    } else value = decodeMessage(kind, f.bytes ?? Buffer.alloc(0));
    if (name === '') Object.assign(out, value as Obj);
    else if (repeated) out[name] = [...((out[name] as Json[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}

/** Decodes a protobuf-encoded Pod into its JSON shape (apiVersion/kind from the envelope). */
export function decodePodProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || buf.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw new Error('missing the k8s protobuf magic');
  const envelope = rawFields(buf.subarray(4));
  const typeMeta = decodeMessage('TypeMeta', envelope.find((f) => f.no === 1)?.bytes ?? Buffer.alloc(0));
  const raw = envelope.find((f) => f.no === 2)?.bytes ?? Buffer.alloc(0);
  if (typeMeta.kind !== 'Pod') throw new Error(`a ${String(typeMeta.kind)} is not a Pod`);
  const pod = decodeMessage('Pod', raw);
  return { apiVersion: typeMeta.apiVersion ?? 'v1', kind: 'Pod', ...pod };
}

/**
 * A request body as JSON text: protobuf Pods decoded, other bodies as sent. A protobuf body that is not
 * a Pod, or cannot be decoded, becomes text the JSON parser refuses, so the request fails with 400.
 */
export function bodyAsJson(contentType: string | undefined, raw: Buffer): string {
  if (!(contentType ?? '').startsWith('application/vnd.kubernetes.protobuf')) return raw.toString('utf8');
  try {
    return JSON.stringify(decodePodProtobuf(raw));
  } catch {
    return '';
  }
}
