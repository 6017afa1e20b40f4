/**
 * The repository paths, YAML to Kubernetes objects, overlays rendered with `kubectl kustomize` (offline)
 * and lookups over object lists. Free of jest, so that tools outside jest (the playground, through
 * test/support/stack.ts) can use it; the deploy/ tests import it through deploy.ts.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../tools/kube-sim/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY = join(ROOT, 'deploy');

/** Every document of a YAML text; a parse error is thrown, naming `source`. */
export function parseDocs(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS();
  });
}

function isKubeObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && 'kind' in v && 'apiVersion' in v && 'metadata' in v;
}

/** The Kubernetes objects of a YAML text (kustomize's own Kustomization and Component files left out). */
export function kubeObjects(text: string, source = 'yaml'): KubeObject[] {
  return parseDocs(text, source)
    .filter(isKubeObject)
    .filter((o) => !String(o.apiVersion).startsWith('kustomize.config.k8s.io/'));
}

function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'kubectl');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const KUBECTL = findKubectl();
export const KUBECTL_NOTE = KUBECTL
  ? ''
  : ' (skipped: kubectl not found on PATH; it renders kustomize offline)';

/** `kubectl kustomize DIR`, as objects. */
export function kustomize(dir: string): KubeObject[] {
  const out = execFileSync(KUBECTL!, ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return kubeObjects(out, `kustomize ${relative(ROOT, dir)}`);
}

const rendered = new Map<string, KubeObject[]>();

/** deploy/overlays/OVERLAY rendered (once per test file). */
export function renderOverlay(overlay: string): KubeObject[] {
  let objs = rendered.get(overlay);
  if (!objs) {
    objs = kustomize(join(DEPLOY, 'overlays', overlay));
    rendered.set(overlay, objs);
  }
  return objs;
}

/**
 * deploy/overlays/OVERLAY with deploy/components/* and `images:` entries added, through a temporary overlay
 * (kustomize wants relative paths), removed afterwards.
 */
export function renderOverlayWith(
  overlay: string,
  extra: { components?: string[]; images?: string[] },
): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), `poddebug-${overlay}-`));
  try {
    const rel = relative(dir, DEPLOY);
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${rel}/overlays/${overlay}`,
        ...(extra.components?.length
          ? ['components:', ...extra.components.map((c) => `  - ${rel}/components/${c}`)]
          : []),
        ...(extra.images?.length ? ['images:', ...extra.images] : []),
        '',
      ].join('\n'),
    );
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Named {
  kind: string;
  metadata: { name: string };
}

/** The objects of `kind` (and `name`, when given). */
export function ofKind<T extends Named>(objs: readonly Named[], kind: string, name?: string): T[] {
  return objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as T[];
}

/** The one object `kind`/`name`; throws when there is none or more than one. */
export function one<T extends Named>(objs: readonly Named[], kind: string, name: string): T {
  const found = ofKind<T>(objs, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0]!;
}
