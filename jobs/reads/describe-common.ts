/**
 * Pieces of `kubectl describe` every kind shares: aligned `Key:  value` lines, label and annotation maps,
 * a pod template's containers (image, ports, command, resources, probes, environment, mounts) and volumes.
 * Follows kubectl's describe.go closely enough that a reader used to it finds each section. Pure.
 */
import type { V1Container, V1PodSpec, V1Probe, V1Volume } from '@kubernetes/client-node';
import type { Wire } from '../k8s/types.js';

export type Container = Wire<V1Container>;
export type PodSpec = Wire<V1PodSpec>;

/** Lines with kubectl's layout: `Key:` padded to a column, nested with two spaces per level. */
export class Lines {
  readonly out: string[] = [];
  kv(level: number, key: string, value: string | number | undefined | null, width = 0): void {
    const k = `${key}:`;
    const v = value === undefined || value === null || value === '' ? '<none>' : String(value);
    this.out.push(`${'  '.repeat(level)}${k.padEnd(Math.max(width, k.length + 1))} ${v}`.trimEnd());
  }
  line(level: number, text: string): void {
    this.out.push(`${'  '.repeat(level)}${text}`.trimEnd());
  }
  /** A map as kubectl prints labels: the first on the key's line, the rest under it. */
  map(level: number, key: string, m: Record<string, string> | undefined, width: number): void {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b));
    this.list(
      level,
      key,
      entries.map(([k, v]) => `${k}=${v}`),
      width,
    );
  }
  /** Items the same way: the first on the key's line, the rest aligned under it. */
  list(level: number, key: string, items: readonly string[], width: number): void {
    if (items.length === 0) {
      this.kv(level, key, '<none>', width);
      return;
    }
    const pad = '  '.repeat(level) + ' '.repeat(Math.max(width, key.length + 2) + 1);
    items.forEach((text, i) => {
      if (i === 0) this.kv(level, key, text, width);
      else this.out.push(`${pad}${text}`);
    });
  }
}

export function probeText(p: Wire<V1Probe> | undefined): string | undefined {
  if (!p) return undefined;
  let how = 'unknown';
  if (p.httpGet) {
    const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase();
    how = `http-get ${scheme}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? ''}`;
  } else if (p.tcpSocket) how = `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port}`;
  else if (p.exec) how = `exec [${(p.exec.command ?? []).join(' ')}]`;
  else if (p.grpc) how = `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''}`.trimEnd();
  return `${how} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

/** A container of a spec (template or pod), without its status: describe's part common to both. */
export function containerSpec(w: Lines, level: number, c: Container): void {
  const W = 16;
  w.kv(level, 'Image', c.image, W);
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
  w.kv(level, ports.length > 1 ? 'Ports' : 'Port', ports.join(', ') || '<none>', W);
  const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`);
  w.kv(level, ports.length > 1 ? 'Host Ports' : 'Host Port', hostPorts.join(', ') || '<none>', W);
  for (const [key, list] of [
    ['Command', c.command],
    ['Args', c.args],
  ] as const) {
    if (!list || list.length === 0) continue;
    w.line(level, `${key}:`);
    for (const a of list) w.line(level + 1, a);
  }
}

/** Limits, requests, probes, environment and mounts: shown after a pod container's state, or directly in a template. */
export function containerDetails(w: Lines, level: number, c: Container): void {
  for (const [key, res] of [
    ['Limits', c.resources?.limits],
    ['Requests', c.resources?.requests],
  ] as const) {
    const entries = Object.entries(res ?? {});
    if (entries.length === 0) continue;
    w.line(level, `${key}:`);
    const width = Math.max(...entries.map(([k]) => k.length + 2));
    for (const [k, v] of entries.sort(([a], [b]) => a.localeCompare(b))) w.kv(level + 1, k, String(v), width);
  }
  for (const [key, p] of [
    ['Liveness', c.livenessProbe],
    ['Readiness', c.readinessProbe],
    ['Startup', c.startupProbe],
  ] as const) {
    const text = probeText(p);
    if (text) w.kv(level, key, text, 12);
  }
  const from = (c.envFrom ?? []).map((e) =>
    e.configMapRef
      ? `${e.configMapRef.name} ConfigMap  Optional: ${Boolean(e.configMapRef.optional)}`
      : `${e.secretRef?.name ?? '?'} Secret  Optional: ${Boolean(e.secretRef?.optional)}`,
  );
  if (from.length > 0) {
    w.line(level, 'Environment Variables from:');
    for (const f of from) w.line(level + 1, f);
  }
  const env = c.env ?? [];
  if (env.length === 0) w.kv(level, 'Environment', '<none>', 12);
  else {
    w.line(level, 'Environment:');
    const width = Math.max(...env.map((e) => e.name.length + 2));
    for (const e of env) w.kv(level + 1, e.name, envValue(e), width);
  }
  const mounts = c.volumeMounts ?? [];
  if (mounts.length === 0) w.kv(level, 'Mounts', '<none>', 12);
  else {
    w.line(level, 'Mounts:');
    for (const m of mounts) {
      const sub = m.subPath ? `,path="${m.subPath}"` : '';
      w.line(level + 1, `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'}${sub})`);
    }
  }
}

function envValue(e: NonNullable<Container['env']>[number]): string {
  const f = e.valueFrom;
  if (!f) return e.value ?? '';
  if (f.secretKeyRef)
    return `<set to the key '${f.secretKeyRef.key}' in secret '${f.secretKeyRef.name}'>  Optional: ${Boolean(f.secretKeyRef.optional)}`;
  if (f.configMapKeyRef)
    return `<set to the key '${f.configMapKeyRef.key}' of config map '${f.configMapKeyRef.name}'>  Optional: ${Boolean(f.configMapKeyRef.optional)}`;
  if (f.fieldRef) return `(${f.fieldRef.apiVersion ?? 'v1'}:${f.fieldRef.fieldPath})`;
  if (f.resourceFieldRef) return `${f.resourceFieldRef.resource}`;
  return '';
}

export function volumes(w: Lines, level: number, vs: Wire<V1Volume>[] | undefined): void {
  if (!vs || vs.length === 0) {
    w.kv(level, 'Volumes', '<none>', 0);
    return;
  }
  w.line(level, 'Volumes:');
  for (const v of vs) {
    w.line(level + 1, `${v.name}:`);
    const W = 11;
    if (v.configMap) {
      w.kv(level + 2, 'Type', 'ConfigMap (a volume populated by a ConfigMap)', W);
      w.kv(level + 2, 'Name', v.configMap.name, W);
      w.kv(level + 2, 'Optional', String(Boolean(v.configMap.optional)), W);
    } else if (v.secret) {
      w.kv(level + 2, 'Type', 'Secret (a volume populated by a Secret)', W);
      w.kv(level + 2, 'SecretName', v.secret.secretName, W);
      w.kv(level + 2, 'Optional', String(Boolean(v.secret.optional)), W);
    } else if (v.emptyDir) {
      w.kv(level + 2, 'Type', "EmptyDir (a temporary directory that shares a pod's lifetime)", W);
      w.kv(level + 2, 'Medium', v.emptyDir.medium ?? '', W);
      w.kv(level + 2, 'SizeLimit', v.emptyDir.sizeLimit ?? '<unset>', W);
    } else if (v.persistentVolumeClaim) {
      w.kv(
        level + 2,
        'Type',
        'PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)',
        W,
      );
      w.kv(level + 2, 'ClaimName', v.persistentVolumeClaim.claimName, W);
      w.kv(level + 2, 'ReadOnly', String(Boolean(v.persistentVolumeClaim.readOnly)), W);
    } else if (v.projected) {
      w.kv(level + 2, 'Type', 'Projected (a volume that contains injected data from multiple sources)', W);
    } else if (v.hostPath) {
      w.kv(level + 2, 'Type', `HostPath (bare host directory volume)`, W);
      w.kv(level + 2, 'Path', v.hostPath.path, W);
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      w.kv(level + 2, 'Type', kind, W);
    }
  }
}

/** A pod template as Deployment/StatefulSet/DaemonSet/Job describe it. */
export function podTemplate(
  w: Lines,
  t: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PodSpec },
): void {
  w.line(0, 'Pod Template:');
  w.map(1, 'Labels', t.metadata?.labels, 17);
  if (t.metadata?.annotations && Object.keys(t.metadata.annotations).length > 0)
    w.map(1, 'Annotations', t.metadata.annotations, 17);
  if (t.spec?.serviceAccountName) w.kv(1, 'Service Account', t.spec.serviceAccountName, 17);
  for (const [title, cs] of [
    ['Init Containers', t.spec?.initContainers],
    ['Containers', t.spec?.containers],
  ] as const) {
    if (!cs || cs.length === 0) {
      if (title === 'Containers') w.kv(1, title, '<none>');
      continue;
    }
    w.line(1, `${title}:`);
    for (const c of cs) {
      w.line(2, `${c.name}:`);
      containerSpec(w, 3, c);
      containerDetails(w, 3, c);
    }
  }
  volumes(w, 1, t.spec?.volumes);
}

/** `app=checkout,tier=web` (matchLabels and matchExpressions, as kubectl prints a selector). */
export function selectorText(
  s:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
): string {
  if (!s) return '<none>';
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op === 'in' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',') || '<none>';
}

/** kubectl's time format in describe: `Mon, 02 Jan 2006 15:04:05 -0700` (UTC here). */
export function describeTime(s: string | undefined | null): string {
  if (!s) return '<unset>';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return d.toUTCString().replace('GMT', '+0000');
}
