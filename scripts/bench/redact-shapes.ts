/**
 * Hostile inputs for the redactor, in two families: generic pathological text, and one-line shapes aimed at
 * each strace-specific rule. Sized by the caller: the unit test uses a few 64 KiB blocks, `npm run
 * bench:redact` 1 and 5 MiB.
 */

/** Generic pathological inputs of about `size` characters. */
export function pathologicalInputs(size: number): string[] {
  return [
    'a.'.repeat(size / 2), // word boundaries everywhere: a rule with a [\w.-]* prefix would go quadratic
    'eyJ'.repeat(Math.floor(size / 3)), // one long token start with no dots
    `Authorization: ${' '.repeat(size)}`,
    `Cookie: ${'"'.repeat(size)}`,
    'password='.repeat(Math.floor(size / 9)),
    `-----BEGIN PRIVATE KEY-----${'A'.repeat(size)}`,
    `postgres://${'a:'.repeat(size / 2)}`,
    '--a'.repeat(Math.floor(size / 3)),
    `x${'\\n'.repeat(size / 2)}`,
    `token=${'\\x'.repeat(size / 2)}`,
  ];
}

/** One line of at least `size` characters per strace-specific rule, with what it is. */
export function hostileLines(size: number): [string, string][] {
  const fill = (unit: string, prefix = '', suffix = '') =>
    prefix + unit.repeat(Math.ceil((size - prefix.length - suffix.length) / unit.length)) + suffix;
  return [
    ['escaped JSON value of backslash pairs', fill('\\\\', 'write(3, "{\\"password\\":\\"', '"')],
    ['escaped JSON keys with no value', fill('\\"password\\":')],
    ['escaped JSON value of JSON escapes', fill('\\\\\\"', '\\"token\\": \\"')],
    ['RESP AUTH with an endless argument', fill('a\\x', '*2\\r\\n$4\\r\\nAUTH\\r\\n$9\\r\\n')],
    ['RESP AUTH headers only', fill('$4\\r\\nAUTH\\r\\n$1\\r\\n')],
    ['inline AUTH with an endless word', fill('x', '"AUTH ')],
    ['inline AUTH with endless words', fill('x ', '"AUTH ')],
    ['inline AUTH over and over', fill('\\nAUTH a b c')],
    ['SASL initial response with no end', fill('A', 'AUTH PLAIN ')],
    ['SASL challenges and answers on one line', fill('"334 \\r\\n" "QUIT\\r\\n" "AAAA')],
    ['signature parameters', fill('&sig=')],
    ['a signature of percent signs', fill('%', '?sig=')],
    ['argv flag pairs', fill('"--db-pass", ')],
    ['argv flag with an endless value', fill('a', '"--db-pass", "')],
    ['secret flag names', fill('--db-pass')],
    ['openssl pass: over and over', fill('-passin pass:')],
    ['netrc logins', fill('login a ')],
    ['netrc with an endless user', fill('a', 'login ')],
    ['connection-string keys', fill('AccountKey=')],
    ['docker auth with an endless value', fill('A', '\\"auth\\":\\"')],
    ['requirepass over and over', fill('requirepass ')],
    ['base64 PEM starts', fill('LS0tLS1CRUdJTi')],
    ['NUL-separated secret flags', fill('\\0--db-pass')],
    ['credential env names', fill('\\0X_AUTH=')],
    ['an endless env name', fill('A', '\\0', '_AUTH')],
    ['base64 PEM with an endless body', fill('A', 'LS0tLS1CRUdJTiBQUklWQVRFIEtFW')],
    ['escaped header keys', fill('\\"cookie\\":\\"', '', 'x')],
    ['escaped authorization keys', fill('\\"authorization\\":\\"Basic ')],
  ];
}
