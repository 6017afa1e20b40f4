/**
 * The redaction corpus (test/fixtures/redaction/): real-world lines, mostly as strace 6.x prints them, each
 * with its exact redacted form, and near misses that must come out unchanged. README.md there gives the format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { redactText } from '../../../jobs/redact.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/redaction');

interface Case {
  file: string;
  lineNo: number;
  input: string;
  expected: string;
}

function readCorpus(): { redacted: Case[]; unchanged: Case[] } {
  const redacted: Case[] = [];
  const unchanged: Case[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.txt'))) {
    const lines = readFileSync(join(DIR, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '' || line.startsWith('#')) continue;
      const body = line.slice(2);
      if (line.startsWith('= ')) {
        unchanged.push({ file, lineNo: i + 1, input: body, expected: body });
      } else if (line.startsWith('< ')) {
        const next = lines[i + 1] ?? '';
        if (!next.startsWith('> ')) throw new Error(`${file}:${i + 1}: a "< " line must be followed by "> "`);
        redacted.push({ file, lineNo: i + 1, input: body, expected: next.slice(2) });
        i++;
      } else {
        throw new Error(`${file}:${i + 1}: a line starts with "< ", "> ", "= " or "#"`);
      }
    }
  }
  return { redacted, unchanged };
}

const corpus = readCorpus();
const markers = (s: string) => s.split('[redacted').length - 1;
const title = (c: Case) => `${c.file}:${c.lineNo}`;

describe('redaction corpus', () => {
  it('has cases for every kind of secret and near misses', () => {
    const files = new Set(corpus.redacted.map((c) => c.file));
    for (const f of ['json-escaped.txt', 'redis-auth.txt', 'smtp-auth.txt', 'signed-urls.txt', 'argv.txt']) {
      expect(files).toContain(f);
    }
    expect(corpus.unchanged.length).toBeGreaterThanOrEqual(20);
  });

  it.each(corpus.redacted.map((c) => [title(c), c] as const))('%s is redacted exactly', (_t, c) => {
    const out = redactText(c.input);
    expect(out.text).toBe(c.expected);
    // each secret counted once: one `[redacted…` marker per redaction, none redacted twice
    expect(out.redactions).toBe(markers(c.expected) - markers(c.input));
    expect(out.redactions).toBeGreaterThan(0);
  });

  it.each(corpus.unchanged.map((c) => [title(c), c] as const))('%s stays as it is', (_t, c) => {
    expect(redactText(c.input)).toEqual({ text: c.input, redactions: 0 });
  });

  it('redacts each line the same inside a whole trace as alone', () => {
    const input = corpus.redacted.map((c) => c.input).join('\n');
    const out = redactText(input);
    expect(out.text).toBe(corpus.redacted.map((c) => c.expected).join('\n'));
  });

  it.each(readdirSync(DIR).filter((f) => f.endsWith('.trace')))(
    '%s: the answers to SASL challenges go, the rest of the session stays',
    (file) => {
      const input = readFileSync(join(DIR, file), 'utf8');
      const expected = readFileSync(join(DIR, file.replace(/\.trace$/, '.expected')), 'utf8');
      const out = redactText(input);
      expect(out.text).toBe(expected);
      const changed = input.split('\n').filter((l, i) => l !== expected.split('\n')[i]).length;
      expect(out.redactions).toBe(changed);
    },
  );
});
