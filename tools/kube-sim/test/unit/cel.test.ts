import { describe, expect, it } from '@jest/globals';
import { CelError, compileCel } from '../../cel.js';

const pod = {
  metadata: { name: 'p', labels: { 'poddebug.io/action': 'ps' } },
  spec: {
    hostPID: true,
    containers: [
      {
        name: 'a',
        image: 'img@sha256:ab',
        command: ['node', 'x'],
        securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
      },
      { name: 'b', image: 'other:1' },
    ],
  },
};
const run = (expr: string, vars: Record<string, unknown> = { object: pod }) =>
  compileCel(expr).evaluate(vars);

describe('compileCel', () => {
  it.each([
    ["'a' + 'b' == 'ab'", true],
    ['1 + 2 * 3', 7],
    ['7 / 2', 3],
    ['-(3 - 5)', 2],
    ['[1, 2] + [3]', [1, 2, 3]],
    ["{'k': [1]}['k'][0]", 1],
    ['2 in [1, 2]', true],
    ["'x' in {'x': 1}", true],
    ["'y' in {'x': 1}", false],
    ['true ? 1 : 2', 1],
    ['!false && (1 < 2 || 2 < 1)', true],
    ["size('héllo') == 5 && 'héllo'.size() == 5", true],
    ["'abc'.startsWith('ab') && 'abc'.endsWith('bc') && 'abc'.contains('b')", true],
    ["'img@sha256:' + 'ab' == 'img@sha256:ab'", true],
    ["'a@sha256:0f'.matches('@sha256:[0-9a-f]+$')", true],
    ["'a:latest'.matches('@sha256:[0-9a-f]+$')", false],
    ["['a', 'b'].join(', ')", 'a, b'],
    ["'AbC'.lowerAscii()", 'abc'],
    ['[1, 2, 3].filter(x, x > 1).map(x, x * 10)', [20, 30]],
    ['[1, 2, 3].exists_one(x, x == 2)', true],
    ['{"a": 1, "b": 2}.all(k, k != "c")', true],
    ['[[1], [1]] == [[1], [1]] && {"a": [1]} != {"a": [2]}', true],
  ])('%s', (expr, want) => {
    expect(run(expr, {})).toEqual(want);
  });

  it('selects fields, with has() for optional ones', () => {
    expect(run("object.metadata.labels['poddebug.io/action']")).toBe('ps');
    expect(run('has(object.spec.hostPID) && !has(object.spec.hostNetwork)')).toBe(true);
    expect(run('object.spec.containers.all(c, has(c.command))')).toBe(false);
    expect(run("object.spec.containers.exists(c, c.image.contains('@sha256:'))")).toBe(true);
    expect(run('object.spec.containers.map(c, c.name)')).toEqual(['a', 'b']);
    expect(
      run(
        "object.spec.containers.all(c, !has(c.securityContext) || c.securityContext.capabilities.add.all(x, x in ['SYS_PTRACE']))",
      ),
    ).toBe(true);
  });

  it('a missing key is an error, absorbed by && / || when the other side decides (CEL logic)', () => {
    expect(() => run('object.spec.hostNetwork == false')).toThrow(new CelError('no such key: hostNetwork'));
    expect(run('false && object.spec.hostNetwork')).toBe(false);
    expect(run('object.spec.hostNetwork || true')).toBe(true);
    expect(() => run('object.spec.hostNetwork && true')).toThrow(/no such key: hostNetwork/);
    expect(() => run('object.spec.containers[5]')).toThrow(/index out of range: 5/);
  });

  it('refuses what it does not know, clearly', () => {
    expect(() => run('nope')).toThrow(/undeclared reference to 'nope'/);
    expect(() => run('1 + "a"')).toThrow(/no such overload: _\+_\(int, string\)/);
    expect(() => run("'a'.frobnicate()")).toThrow(/undeclared reference to 'frobnicate'/);
    expect(() => run('1 ? 2 : 3')).toThrow(/needs a bool, got int/);
    expect(() => compileCel('a +')).toThrow(/compilation failed: unexpected end of expression/);
    expect(() => compileCel("'open")).toThrow(/compilation failed: unterminated string/);
    expect(() => compileCel('has(a)')).not.toThrow();
    expect(() => run('has(object)')).toThrow(/has\(\) takes one field selection/);
  });
});
