/**
 * The docs are walkable: README.md links every page in docs/, and every relative link in README.md and
 * docs/*.md points at a file or folder that exists in the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DOCS = join(ROOT, 'docs');

/** The targets of the Markdown links `[text](target)` and `[text]: target` in a text, outside code. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => (m[1] ?? m[2])!,
  );
  const refs = [...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!);
  return [...inline, ...refs];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#') && !target.startsWith('//');
}

const pages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => join(DOCS, f));
const files = [join(ROOT, 'README.md'), ...pages];

describe('docs links', () => {
  it('finds the link syntax it checks', () => {
    expect(linkTargets('see [a](docs/a.md#x) and [b](<b c.md>) but not `[c](d.md)`\n[r]: ../x.md')).toEqual([
      'docs/a.md#x',
      'b c.md',
      '../x.md',
    ]);
  });

  it('README.md links every page in docs/', () => {
    const linked = new Set(
      linkTargets(readFileSync(join(ROOT, 'README.md'), 'utf8'))
        .filter(isRelative)
        .map((t) => join(ROOT, decodeURI(t.split('#')[0]!))),
    );
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.filter((p) => !linked.has(p)).map((p) => relative(ROOT, p))).toEqual([]);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('every relative link in %s exists', (_name, file) => {
    const broken = linkTargets(readFileSync(file, 'utf8'))
      .filter(isRelative)
      .map((t) => decodeURI(t.split('#')[0]!))
      .filter((t) => t !== '' && !existsSync(join(dirname(file), t)));
    expect(broken).toEqual([]);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))(
    'every #anchor a link in %s names exists',
    (_name, file) => {
      expect(slug("Finding the container's process")).toBe('finding-the-containers-process');
      const missing = linkTargets(readFileSync(file, 'utf8'))
        .filter((t) => isRelative(t) || t.startsWith('#'))
        .filter((t) => t.includes('#'))
        .map((t) => {
          const [path, anchor] = t.split('#') as [string, string];
          const target = path === '' ? file : join(dirname(file), decodeURI(path));
          return { t, target, anchor };
        })
        .filter(({ target }) => target.endsWith('.md') && existsSync(target))
        .filter(({ target, anchor }) => !anchors(target).has(anchor))
        .map(({ t }) => t);
      expect(missing).toEqual([]);
    },
  );
});
