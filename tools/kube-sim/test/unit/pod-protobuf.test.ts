import { describe, expect, it } from '@jest/globals';
import { bodyAsJson, decodePodProtobuf } from '../../pod-protobuf.js';

// A minimal protobuf writer for the test: varints and length-delimited fields.
const varint = (n: number | bigint): Buffer => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
};
const str = (no: number, s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([varint(no * 8 + 2), varint(b.length), b]);
};
const num = (no: number, n: number | bigint) => Buffer.concat([varint(no * 8), varint(n)]);
const msg = (no: number, ...parts: Buffer[]) => str(no, Buffer.concat(parts));
const entry = (no: number, k: string, v: Buffer | string) =>
  msg(no, str(1, k), typeof v === 'string' ? str(2, v) : v);

function envelope(kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), msg(1, str(1, 'v1'), str(2, kind)), str(2, raw)]);
}

describe('protobuf Pod decoding', () => {
  const container = Buffer.concat([
    str(1, 'app'),
    str(2, 'busybox'),
    str(3, 'sleep'),
    str(3, '1d'),
    str(5, ''), // an empty workingDir, as gogo encodes non-pointer strings
    msg(8, entry(1, 'cpu', msg(2, str(1, '500m')))), // resources.limits
    msg(10, msg(1, msg(2, str(1, '/healthz'), msg(2, num(1, 1), str(3, 'http')))), num(4, 10)), // livenessProbe
    msg(15, msg(1, str(1, 'SYS_PTRACE')), num(2, 0), num(4, 0)), // securityContext: privileged=false, runAsUser=0
    num(16, 0), // stdin=false
  ]);
  const raw = Buffer.concat([
    msg(1, str(1, 'copy'), str(3, 'shop'), entry(11, 'app', 'web'), entry(12, 'note', 'x'), msg(8)),
    msg(
      2,
      msg(1, str(1, 'data'), msg(2, msg(2, str(1, ''), msg(2, str(1, '1Gi'))))), // volumes: emptyDir sizeLimit
      msg(2, container),
      str(3, 'Never'),
      num(4, 30),
      num(11, 0), // hostNetwork=false: dropped
      msg(22, str(1, 'k'), str(2, 'Exists'), num(5, 300)),
      msg(14, num(4, 4000), num(4, 5000), num(2, 1000)), // supplementalGroups unpacked, runAsUser
    ),
  ]);

  it('decodes metadata, containers, volumes and the scalars kubectl sends, as the JSON the server would serve', () => {
    expect(decodePodProtobuf(envelope('Pod', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'copy', namespace: 'shop', labels: { app: 'web' }, annotations: { note: 'x' } },
      spec: {
        volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }],
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sleep', '1d'],
            resources: { limits: { cpu: '500m' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
            securityContext: { capabilities: { add: ['SYS_PTRACE'] }, privileged: false, runAsUser: 0 },
          },
        ],
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 30,
        tolerations: [{ key: 'k', operator: 'Exists', tolerationSeconds: 300 }],
        securityContext: { supplementalGroups: [4000, 5000], runAsUser: 1000 },
      },
    });
  });

  it('decodes packed repeated integers and negative int64 values', () => {
    const sc = Buffer.concat([str(4, Buffer.concat([varint(1), varint(2)])), num(5, -1)]);
    const pod = decodePodProtobuf(envelope('Pod', msg(2, msg(14, sc)))) as {
      spec: { securityContext: unknown };
    };
    expect(pod.spec.securityContext).toEqual({ supplementalGroups: [1, 2], fsGroup: -1 });
  });

  it('refuses what is not a protobuf Pod, which the server then answers as a bad body', () => {
    expect(() => decodePodProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow('missing the k8s protobuf magic');
    expect(() => decodePodProtobuf(envelope('Service', Buffer.alloc(0)))).toThrow('a Service is not a Pod');
    expect(bodyAsJson('application/vnd.kubernetes.protobuf', envelope('Service', Buffer.alloc(0)))).toBe('');
    expect(bodyAsJson('application/json', Buffer.from('{"a":1}'))).toBe('{"a":1}');
    expect(
      JSON.parse(bodyAsJson('application/vnd.kubernetes.protobuf', envelope('Pod', raw))).metadata.name,
    ).toBe('copy');
  });
});
