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
});
