/**
 * Kubernetes name grammars (apimachinery validation). Shared by the bot's
 * command grammar and the worker's payload validation so both sides agree.
 */

/** RFC 1123 label: namespaces, container names, most short names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;

/** RFC 1123 subdomain: pod, deployment, node names. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;

export function isDns1123Label(s: string): boolean {
  return s.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(s);
}

/** Cluster names as configured for the bot and the worker: a DNS-1123 label. */
export function isClusterName(s: string): boolean {
  return isDns1123Label(s);
}
