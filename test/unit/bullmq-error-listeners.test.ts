/**
 * Every BullMQ object the product and its scripts create (Queue, Worker, QueueEvents, FlowProducer) gets
 * an `error` listener in the same file: without one, an EventEmitter `error` (Redis down, a lost
 * connection) is either thrown or printed by BullMQ as raw multi-line text among the JSON logs. A source
 * check (a new object without a listener fails here), plus the listeners log through pino, not console.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from '@jest/globals';
import { ROOT } from '../support/kustomize.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'test') return [];
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|mjs)$/.test(name) ? [p] : [];
  });
}

const FILES = ['bot', 'jobs', 'scripts', 'tools'].flatMap((d) => sources(join(ROOT, d)));
const CREATION = /(?:const|let)?\s*([\w.]+)\s*=\s*new (Queue|Worker|QueueEvents|FlowProducer)\(/g;

it('each BullMQ object created has an error listener', () => {
  const found: { file: string; name: string; kind: string; listened: boolean }[] = [];
  for (const f of FILES) {
    const text = readFileSync(f, 'utf8');
    if (!/from 'bullmq'/.test(text)) continue;
    for (const m of text.matchAll(CREATION)) {
      const name = m[1]!;
      const escaped = name.replace(/[.$]/g, (c) => `\\${c}`);
      const listened = new RegExp(`${escaped}\\.on\\(\\s*'error'`).test(text);
      found.push({ file: relative(ROOT, f), name, kind: m[2]!, listened });
    }
  }
  // The product's own: the bot's queues and queue events, the worker and its queue.
  expect(
    found.filter((x) => x.file.startsWith('bot/') || x.file.startsWith('jobs/')).length,
  ).toBeGreaterThanOrEqual(4);
  expect(found.filter((x) => !x.listened)).toEqual([]);
});

it('the product’s listeners log through pino (a logger), never console', () => {
  for (const f of FILES.filter((x) => /\/(bot|jobs)\//.test(x))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\.on\(\s*'error',\s*\((\w+)\)\s*=>\s*([^;]+);/g)) {
      if (!/new (Queue|Worker|QueueEvents|FlowProducer)\(/.test(text)) continue;
      expect({ file: relative(ROOT, f), listener: m[2] }).toEqual({
        file: relative(ROOT, f),
        listener: expect.stringMatching(/logger\??\.(warn|error|debug|info)\(/),
      });
    }
  }
});
