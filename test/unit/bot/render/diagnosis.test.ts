import { describe, expect, it } from '@jest/globals';
import type { ActionsBlock, KnownBlock, SectionBlock } from '@slack/types';
import {
  fitsBlockKitLimits,
  parseRerunValue,
  renderDiagnosis,
  verdictLine,
} from '../../../../bot/render/index.js';
import type { Finding } from '../../../../jobs/contracts/finding.js';
import { allText, crashLoop, ctx, diagnosed, logLines, memoryLimit, nodeNote } from './fixtures.js';

const sections = (blocks: KnownBlock[]) =>
  blocks.filter((b): b is SectionBlock => b.type === 'section').map((b) => b.text?.text ?? '');

/** Finding sections: marker, title, then "_severity_ · `id`". */
const findingSections = (blocks: KnownBlock[]) =>
  sections(blocks).filter((t) => /^(🔴|🟠|🔵) .*\n_(critical|warning|info)_ · `/.test(t));

/** The lines inside the first ``` block of a mrkdwn text. */
function codeLines(text: string): string[] {
  const m = /```\n([\s\S]*?)\n```/.exec(text);
  return m ? m[1]!.split('\n') : [];
}

describe('renderDiagnosis', () => {
  const result = diagnosed([nodeNote, memoryLimit, crashLoop], {
    owner: { kind: 'Deployment', name: 'checkout', reason: 'most restarts (14) of 3 pods' },
    siblings: [
      {
        name: 'checkout-7d9f8b-x2kq',
        phase: 'Running',
        status: 'CrashLoopBackOff',
        ready: '0/1',
        restarts: 14,
        node: 'ip-10-0-3-17',
      },
      {
        name: 'checkout-7d9f8b-a1b2',
        phase: 'Running',
        status: 'Running',
        ready: '1/1',
        restarts: 0,
        node: 'ip-10-0-3-18',
      },
      {
        name: 'checkout-7d9f8b-c3d4',
        phase: 'Running',
        status: 'Running',
        ready: '1/1',
        restarts: 1,
        node: 'ip-10-0-3-19',
      },
    ],
    gaps: [
      'node ip-10-0-3-17: forbidden (nodes "get" not allowed for system:serviceaccount:poddebug:worker)',
    ],
  });
  const msg = renderDiagnosis(result, ctx);
  const texts = sections(msg.blocks);

  it('fits Block Kit limits', () => {
    expect(fitsBlockKitLimits(msg)).toEqual([]);
  });

  it('opens with the pod and a verdict naming the worst finding', () => {
    expect(msg.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringContaining('shop/checkout-7d9f8b-x2kq') },
    });
    expect(texts[0]).toContain('🔴 *Container app is in CrashLoopBackOff');
    expect(texts[0]).toContain('1 critical, 1 warning, 1 info');
  });

  it('lists findings worst first, each with its marker, evidence and next steps', () => {
    const findingTexts = findingSections(msg.blocks);
    expect(findingTexts.map((t) => t.slice(0, 2))).toEqual(['🔴', '🟠', '🔵']);
    const crash = findingTexts[0]!;
    expect(codeLines(crash)).toEqual(crashLoop.evidence);
    expect(crash).toContain('*Next:*\n• `kubectl logs -n shop checkout-7d9f8b-x2kq -c app --previous`');
    expect(crash).toContain('• Check that the database at 10.0.3.17:5432 accepts connections');
    expect(crash).toContain('`crash-loop-back-off`');
  });

  it('summarises the owner and its pods', () => {
    const owner = texts.find((t) => t.startsWith('*Owner:*'))!;
    expect(owner).toContain(
      '`deploy/checkout` — picked `checkout-7d9f8b-x2kq`: most restarts (14) of 3 pods',
    );
    expect(owner).toContain('*Pods (3):* 2 × Running, 1 × CrashLoopBackOff');
    const table = codeLines(owner);
    expect(table[0]).toMatch(/^NAME\s+STATUS\s+READY\s+RESTARTS\s+NODE$/);
    expect(table[1]).toMatch(/^checkout-7d9f8b-x2kq\s+CrashLoopBackOff\s+0\/1\s+14\s+ip-10-0-3-17$/);
    expect(table).toHaveLength(4);
  });

  it('says plainly what could not be read', () => {
    const gaps = texts.find((t) => t.includes('Could not read'))!;
    expect(gaps).toContain('• node ip-10-0-3-17: forbidden');
  });

  it('ends with a footer and a re-run button for the owner that was asked about', () => {
    const footer = msg.blocks.at(-2)!;
    expect(footer.type).toBe('context');
    const footerText = allText(footer);
    for (const part of [
      'cluster *prod*',
      '`diag-prod-0123456789abcdef01234567`',
      '7 API requests',
      'took 1.8 s',
      '<@U0123ABCD>',
    ]) {
      expect(footerText).toContain(part);
    }
    const actions = msg.blocks.at(-1) as ActionsBlock;
    expect(actions.type).toBe('actions');
    const btn = actions.elements[0]!;
    expect(btn).toMatchObject({
      type: 'button',
      action_id: 'poddebug_rerun',
      text: { text: 'Re-run diagnose' },
    });
    const value = 'value' in btn ? btn.value : undefined;
    expect(parseRerunValue(value ?? '')).toEqual({
      cluster: 'prod',
      target: { kind: 'deploy', name: 'checkout', namespace: 'shop' },
    });
  });

  it('re-runs exactly what was requested when the caller says so, container included', () => {
    const m = renderDiagnosis(diagnosed([crashLoop]), {
      ...ctx,
      requested: { kind: 'pod', name: 'checkout-7d9f8b-x2kq', container: 'app' },
    });
    const btn = (m.blocks.at(-1) as ActionsBlock).elements[0]!;
    expect(parseRerunValue('value' in btn ? (btn.value ?? '') : '')).toEqual({
      cluster: 'prod',
      target: { kind: 'pod', name: 'checkout-7d9f8b-x2kq', namespace: 'shop', container: 'app' },
    });
  });

  it('has a plain fallback with the verdict and every finding', () => {
    expect(msg.text).toContain('shop/checkout-7d9f8b-x2kq on prod: Container app is in CrashLoopBackOff');
    expect(msg.text).toContain('• [warning] Container app was OOMKilled 2 times');
    expect(msg.text).toContain('• [info] Node ip-10-0-3-17 reports no pressure conditions');
  });

  it('renders a healthy result with the ✅ verdict', () => {
    const healthy = renderDiagnosis(diagnosed([nodeNote]), ctx);
    expect(sections(healthy.blocks)[0]).toMatch(/^✅ \*Healthy: no problems found \(1 note\)\*/);
    expect(healthy.text).toMatch(/^✅ /);
    expect(fitsBlockKitLimits(healthy)).toEqual([]);
    const empty = renderDiagnosis(diagnosed([]), ctx);
    expect(sections(empty.blocks)[0]).toContain('✅ *Healthy: no problems found*');
  });
});

describe('renderDiagnosis with too much to show', () => {
  const many: Finding[] = Array.from({ length: 60 }, (_, i) => ({
    id: `finding-${i}`,
    severity: i % 3 === 0 ? 'critical' : i % 3 === 1 ? 'warning' : 'info',
    title: `Problem number ${i} with a reasonably long title that explains what is going on in the pod`,
    evidence: logLines(200),
    next: [
      `kubectl describe pod -n shop checkout-7d9f8b-x2kq # step for ${i}`,
      'Look at the dashboard for the service',
    ],
  }));
  const msg = renderDiagnosis(diagnosed(many, { gaps: ['events: forbidden'] }), ctx);
  const texts = sections(msg.blocks);

  it('stays within Block Kit limits', () => {
    expect(fitsBlockKitLimits(msg)).toEqual([]);
    expect(msg.blocks.length).toBeLessThanOrEqual(50);
  });

  it('says how many findings were left out and names them', () => {
    const summary = texts.find((t) => t.startsWith('…and '))!;
    const hidden = 60 - findingSections(msg.blocks).length;
    expect(hidden).toBeGreaterThan(0);
    expect(summary).toMatch(new RegExp(`^…and ${hidden} more findings \\(`));
    // Worst first: the hidden ones are the info findings at the end, all listed by id.
    const ids = summary.slice(summary.indexOf('): ') + 3).split(', ');
    expect(ids).toHaveLength(hidden);
    for (const id of ids) expect(many.find((f) => f.id === id)?.severity).toBe('info');
  });

  it('cuts each evidence block and says how many lines were cut', () => {
    const shown = findingSections(msg.blocks);
    expect(shown.length).toBeGreaterThan(30);
    for (const t of shown) {
      const lines = codeLines(t);
      const note = lines.at(-1)!;
      const m = /^…\(truncated, (\d+) more lines\)$/.exec(note);
      expect(m).not.toBeNull();
      expect(lines.length - 1 + Number(m![1])).toBe(200);
    }
  });

  it('shows a single long evidence block up to the section limit, honestly counted', () => {
    const one = renderDiagnosis(diagnosed([{ ...crashLoop, evidence: logLines(200) }]), ctx);
    expect(fitsBlockKitLimits(one)).toEqual([]);
    const lines = codeLines(findingSections(one.blocks)[0]!);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.slice(0, -1)).toEqual(logLines(200).slice(0, lines.length - 1));
    expect(lines.at(-1)).toBe(`…(truncated, ${200 - (lines.length - 1)} more lines)`);
  });

  it('stays within limits when every field is oversized', () => {
    const huge: Finding = {
      id: 'huge',
      severity: 'critical',
      title: 'T'.repeat(1000),
      evidence: ['x'.repeat(50_000), ...logLines(5)],
      next: Array.from({ length: 20 }, (_, i) => `step ${i} ${'n'.repeat(1000)}`),
    };
    const m = renderDiagnosis(
      diagnosed([huge, huge, huge], {
        owner: { kind: 'Deployment', name: 'd'.repeat(253), reason: 'r'.repeat(5000) },
        siblings: Array.from({ length: 500 }, (_, i) => ({
          name: `${'p'.repeat(240)}-${i}`,
          phase: 'Running',
          status: 'Running',
          ready: '1/1',
          restarts: i,
        })),
        gaps: Array.from({ length: 100 }, () => 'g'.repeat(1000)),
      }),
      ctx,
    );
    expect(fitsBlockKitLimits(m)).toEqual([]);
    const text = allText(m.blocks);
    const section = findingSections(m.blocks)[0]!;
    const shownSteps = section.split('\n').filter((l) => l.startsWith('• step')).length;
    expect(shownSteps).toBeGreaterThan(0);
    expect(section).toContain(`• …and ${20 - shownSteps} more steps`);
    expect(text).toContain('• …and 90 more');
  });

  it('keeps the fallback text within 4000 characters', () => {
    expect(msg.text.length).toBeLessThanOrEqual(4000);
    expect(msg.text).toContain('(more in the message)');
  });
});

describe('renderDiagnosis escaping', () => {
  const hostile: Finding = {
    id: 'hostile-logs',
    severity: 'critical',
    title: 'App logged <!channel> & <@U999> with <http://evil.example|a link>',
    evidence: [
      'log: <!channel> wake up & <!here> <http://evil.example|click me>',
      'log: ```closing fence``` then `` more',
      'log: ansi \u001b[31mred\u001b[0m and bidi \u202eevil',
    ],
    next: ['Ask in <#C123|ops> & page <!subteam^S1>'],
  };
  const msg = renderDiagnosis(diagnosed([hostile]), ctx);
  const text = allText(msg.blocks);

  it('escapes &, < and > everywhere so log lines cannot ping or link', () => {
    expect(text).not.toMatch(/<!channel>|<!here>|<@U999>|<http|<#C123|<!subteam/);
    expect(text).toContain('&lt;!channel&gt; wake up &amp; &lt;!here&gt;');
    expect(text).toContain('App logged &lt;!channel&gt; &amp; &lt;@U999&gt;');
    expect(msg.text).not.toMatch(/<!channel>|<@U999>/);
  });

  it('turns off Slack automatic parsing on every mrkdwn text', () => {
    const mrkdwnObjects: Array<Record<string, unknown>> = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) {
        const o = v as Record<string, unknown>;
        if (o.type === 'mrkdwn') mrkdwnObjects.push(o);
        Object.values(o).forEach(walk);
      }
    };
    walk(msg.blocks);
    expect(mrkdwnObjects.length).toBeGreaterThan(3);
    for (const o of mrkdwnObjects) expect(o.verbatim).toBe(true);
  });

  it('keeps the code block closed despite backticks in the evidence', () => {
    const section = findingSections(msg.blocks)[0]!;
    const start = section.indexOf('```\n');
    const end = section.indexOf('\n```', start + 4);
    const inner = section.slice(start + 4, end);
    expect(inner).not.toContain('```');
    expect(inner.split('\n')).toHaveLength(3);
    expect(inner).toContain('closing fence');
  });

  it('shows control characters escaped, never raw', () => {
    expect(text).toContain('ansi \\u001b[31mred\\u001b[0m and bidi \\u202eevil');
    expect(text).not.toContain(String.fromCodePoint(0x1b));
    expect(text).not.toContain(String.fromCodePoint(0x202e));
  });
});

describe('verdictLine', () => {
  it('names the worst finding and how many other problems there are', () => {
    expect(verdictLine([nodeNote, memoryLimit, crashLoop])).toBe(`${crashLoop.title} (+1 more problem)`);
    expect(verdictLine([crashLoop, memoryLimit, memoryLimit])).toBe(`${crashLoop.title} (+2 more problems)`);
    expect(verdictLine([memoryLimit])).toBe(memoryLimit.title);
  });

  it('says healthy when nothing is critical or a warning', () => {
    expect(verdictLine([])).toBe('Healthy: no problems found');
    expect(verdictLine([nodeNote, nodeNote])).toBe('Healthy: no problems found (2 notes)');
  });

  it('is one line of at most 200 characters', () => {
    const line = verdictLine([{ ...crashLoop, title: `long\n${'x'.repeat(400)}` }]);
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThanOrEqual(200);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('causal order and "because"', () => {
  const cause: Finding = {
    id: 'dependency-unreachable',
    severity: 'critical',
    title: 'Container `api` cannot reach `postgres-primary:5432` (connection refused)',
    evidence: ['previous log: dial tcp 10.96.14.20:5432: connect: connection refused'],
    next: ['/poddebug netcheck api-1 -n shop postgres-primary:5432'],
    causes: ['crash-loop'],
  };
  const effect: Finding = {
    id: 'crash-loop',
    severity: 'critical',
    title: 'Container `api` is crash looping (CrashLoopBackOff, 12 restarts)',
    evidence: ['restartCount: 12'],
    next: ['kubectl logs -n shop api-1 -c api --previous'],
    causedBy: ['dependency-unreachable'],
  };
  const slow: Finding = {
    id: 'cpu-throttled',
    severity: 'warning',
    title: 'Container `api` is throttled at its CPU limit',
    evidence: [],
    next: ['x'],
  };

  it('the verdict and the first finding section show the deepest cause, whatever order the result has', () => {
    expect(verdictLine([effect, cause])).toBe(`${cause.title} (+1 more problem)`);
    const msg = renderDiagnosis(diagnosed([effect, cause]), ctx);
    const texts = findingSections(msg.blocks);
    expect(texts[0]).toContain('dependency-unreachable');
    expect(texts[1]).toContain('crash-loop');
  });

  it('a deeper warning comes before the critical it explains; the marker stays the worst severity', () => {
    expect(verdictLine([effect, slow])).toBe(`${slow.title} (+1 more problem)`);
    const msg = renderDiagnosis(diagnosed([effect, slow]), ctx);
    expect(msg.text).toContain('🔴');
  });

  it('names what explains a finding as "because"', () => {
    const msg = renderDiagnosis(diagnosed([effect, cause]), ctx);
    const texts = findingSections(msg.blocks);
    expect(texts[1]).toContain('because `dependency-unreachable`');
    expect(texts[0]).not.toContain('because');
  });
});
