/**
 * Kubeconfig for the simulator: plain HTTP, context "kube-sim", an empty user.
 * `insecure-skip-tls-verify: true` is required: @kubernetes/client-node 1.x
 * refuses an http:// server without it ("HTTP protocol is not allowed when
 * skipTLSVerify is not set or false"); kubectl accepts it for http too.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** Builds the kubeconfig YAML pointing at `url`. */
export function kubeconfigYaml(url: string, namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim', namespace } }],
    'current-context': 'kube-sim',
    users: [{ name: 'kube-sim', user: {} }],
    preferences: {},
  });
}

/** Writes the kubeconfig to `path` (mode 0600, as kubectl expects of credentials files). */
export async function writeKubeconfig(path: string, url: string): Promise<void> {
  await writeFile(path, kubeconfigYaml(url), { mode: 0o600 });
}
