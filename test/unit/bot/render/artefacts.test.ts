import { describe, expect, it } from '@jest/globals';
import { artefactLines } from '../../../../bot/render/artefacts.js';
import type { ArtefactMeta } from '../../../../jobs/contracts/probe.js';

const SHA = '3f2a9c0d4e5b6a7980112233445566778899aabbccddeeff0011223344556677';

function meta(over: Partial<ArtefactMeta> = {}): ArtefactMeta {
  return {
    name: 'strace-checkout-7d9f-x2.txt',
    contentType: 'text/plain',
    bytes: 1_258_291,
    sha256: SHA,
    truncated: false,
    key: 'poddebug:artefact:j1:strace-checkout-7d9f-x2.txt',
    ...over,
  };
}

describe('artefactLines', () => {
  it('states name, size and the full sha256 in a code span', () => {
    expect(artefactLines([meta()])).toEqual([
      `• \`strace-checkout-7d9f-x2.txt\` · 1.2 MiB · sha256 \`${SHA}\``,
    ]);
  });

  it("shows a cut artefact with the worker's note, and the redaction count", () => {
    const [line] = artefactLines([
      meta({ bytes: 8 * 1024 * 1024, truncated: true, note: '2 secrets redacted; cut at 8 MiB of 23.4 MiB' }),
    ]);
    expect(line).toBe(
      `• \`strace-checkout-7d9f-x2.txt\` · 8 MiB · sha256 \`${SHA}\` · 2 secrets redacted; cut at 8 MiB of 23.4 MiB`,
    );
  });

  it('says "cut at" itself when the note does not', () => {
    const [line] = artefactLines([meta({ bytes: 8 * 1024 * 1024, truncated: true })]);
    expect(line).toContain('· cut at 8 MiB');
  });

  it('keeps the pcap warning', () => {
    const [line] = artefactLines([
      meta({
        name: 'tcpdump-x2.pcap',
        contentType: 'application/vnd.tcpdump.pcap',
        bytes: 2048,
        note: 'pcap not redacted: it may contain credentials; share with care',
      }),
    ]);
    expect(line).toContain('`tcpdump-x2.pcap` · 2 KiB');
    expect(line).toContain('pcap not redacted: it may contain credentials; share with care');
  });

  it('adds why an artefact is not in the thread, and nothing when it is', () => {
    const metas = [
      meta({ name: 'a.txt' }),
      meta({ name: 'b.txt' }),
      meta({ name: 'c.txt' }),
      meta({ name: 'd.png' }),
    ];
    const lines = artefactLines(metas, [
      { name: 'a.txt', status: 'uploaded' },
      { name: 'b.txt', status: 'expired', error: 'the artefact expired before it could be uploaded' },
      { name: 'c.txt', status: 'failed', error: 'stored bytes do not match <sha256>', retryable: false },
      { name: 'd.png', status: 'already' },
    ]);
    expect(lines[0]).toBe(`• \`a.txt\` · 1.2 MiB · sha256 \`${SHA}\``);
    expect(lines[1]).toContain('expired before it could be uploaded (artefacts are kept 6 h)');
    expect(lines[2]).toContain('not uploaded: stored bytes do not match &lt;sha256&gt;');
    expect(lines[3]).toBe(`• \`d.png\` · 1.2 MiB · sha256 \`${SHA}\``);
  });

  it('escapes notes so they cannot mention or link', () => {
    const [line] = artefactLines([meta({ note: 'see <!channel> & <https://evil|here>' })]);
    expect(line).toContain('see &lt;!channel&gt; &amp; &lt;https://evil|here&gt;');
    expect(line).not.toContain('<!channel>');
  });

  it('never prints a malformed hash', () => {
    const [line] = artefactLines([{ ...meta(), sha256: 'not-a-hash`<!here>' }]);
    expect(line).toContain('sha256 `?`');
  });
});
