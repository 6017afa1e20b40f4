/**
 * The package is private and its name is not ours on the public registry: the docs never tell anyone to run
 * `npx poddebug` (outside the checkout, npx would fetch whoever publishes that name), and README says how to
 * run the CLI instead. The one mention allowed is README's warning against it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { ROOT } from '../../support/kustomize.js';

const DOCS = [
  'README.md',
  'deploy/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

it('no page tells anyone to run `npx poddebug`', () => {
  const found = DOCS.flatMap((f) =>
    readFileSync(join(ROOT, f), 'utf8')
      .split('\n')
      .map((line, i) => ({ at: `${f}:${i + 1}`, line }))
      .filter(({ line }) => /\bnpx\s+poddebug\b/.test(line) && !/never run `npx poddebug`/.test(line)),
  );
  expect(found).toEqual([]);
});

it('README says how to run the CLI: npm exec in the checkout (never downloading), or the image', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The CLI'));
  expect(section).toContain('npm exec --no -- poddebug');
  expect(section).toMatch(/kubectl -n poddebug exec\s+deploy\/poddebug-worker -- node bin\/poddebug\.js/);
  expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).private).toBe(true);
});
