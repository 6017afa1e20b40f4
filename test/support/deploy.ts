/**
 * Shared by the deploy/ tests: kustomize.ts (repository paths, YAML to Kubernetes objects, overlays rendered
 * with `kubectl kustomize`, offline), and describeWithKubectl: without kubectl those tests are skipped.
 */
import { describe } from '@jest/globals';
import { KUBECTL } from './kustomize.js';

export * from './kustomize.js';

export const describeWithKubectl = KUBECTL ? describe : describe.skip;
