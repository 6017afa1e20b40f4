/**
 * Redis as a production dependency: TLS (`rediss://`) and ACL users (`rediss://user:password@host`) come from
 * the URL (ioredis reads both). A plain `redis://` to anything but loopback sends every request, job and
 * audit entry in clear, so it needs an explicit REDIS_ALLOW_PLAINTEXT=true. So does a plain `redis://` to a
 * Redis Cluster, even on loopback: the client then connects to every address the cluster announces, not
 * only to the one in the URL (a local tunnel or sidecar keeps only the first connection local).
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** Why this Redis URL is refused (a sentence for the start-up error), or undefined when it is acceptable. */
export function redisUrlProblem(url: string, allowPlaintext: boolean, cluster = false): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL (redis://host:port or rediss://user:password@host:port)';
  }
  if (u.protocol === 'rediss:') return undefined;
  if (u.protocol !== 'redis:') return `scheme ${u.protocol} is not redis: or rediss:`;
  if (allowPlaintext) return undefined;
  if (cluster)
    return `plain redis:// to a Redis Cluster (REDIS_CLUSTER=true) sends requests and audit entries unencrypted to every node the cluster announces, whatever host the URL names: use rediss:// (TLS), or set REDIS_ALLOW_PLAINTEXT=true if the network is trusted`;
  if (LOOPBACK.test(u.hostname)) return undefined;
  return `plain redis:// to ${u.hostname} (not loopback) sends requests and audit entries unencrypted: use rediss:// (TLS), or set REDIS_ALLOW_PLAINTEXT=true if the network is trusted (e.g. a sidecar or a service mesh with mTLS)`;
}
