/**
 * Secrets must never reach a Slack thread. Log lines quoted as evidence, probe
 * text (strace traces, ps command lines, captured HTTP) and text artefacts pass
 * through here first. Each rule keeps enough context for a reader to see what
 * was there (`Authorization: Bearer [redacted]`, `DB_PASSWORD=[redacted]`).
 *
 * Built for multi-megabyte input:
 * - no rule matches a line break (private keys spanning lines are handled
 *   line by line), so a trace keeps its line structure: a redaction never
 *   swallows a newline;
 * - every rule starts on a literal keyword or a bounded look-behind and has no
 *   nested or overlapping quantifiers, so the work is linear in the input
 *   (a long run of `a.a.a.…` or `eyJeyJ…` cannot make a rule backtrack
 *   quadratically).
 *
 * strace prints strings escaped (`"GET / HTTP/1.1\r\nCookie: a=b\r\n"`), so a
 * header or token may follow a literal `\n` with no word boundary before it,
 * and a value ends at an escaped `\r`/`\n` or at the closing quote.
 */
import type { Finding } from './contracts/index.js';

/** Start of a name or token: not preceded by a word character, or right after an escaped `\n`/`\r`/`\t`. */
const B = String.raw`(?:(?<![A-Za-z0-9_])|(?<=\\[nrt]))`;
/** One character of a value inside possibly-escaped text: stops at whitespace, quotes, separators, `\n`/`\r`/`\t` escapes. */
const VALUE = String.raw`(?:[^\s"',;&}\\]|\\[^nrt\s])+`;
/** A header value up to the end of the line, an escaped CR/LF, or the closing quote of a strace string. */
const HEADER_VALUE = String.raw`(?:[^\r\n\\"]|\\[^nr\r\n]|"(?!(?:\.\.\.)?(?:[,)\]]|[ \t]*$)))*`;

type Rule = [RegExp, string];

const SECRET_NAME = `(?:token|passw(?:or)?d|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)`;

/** Rules applied in order, each over the whole text (none matches a line break). */
const RULES: Rule[] = [
  // HTTP credentials in headers: keep the scheme, hide the credential
  [
    new RegExp(
      String.raw`${B}((?:proxy-)?authorization)([ \t]*[:=][ \t]*"?)(bearer|basic|token|digest|negotiate|aws4-hmac-sha256)[ \t]+[^\s"',;\\]+`,
      'gi',
    ),
    '$1$2$3 [redacted]',
  ],
  [
    new RegExp(String.raw`${B}((?:proxy-)?authorization)([ \t]*[:=][ \t]*"?)[A-Za-z0-9+/=._~-]{16,}`, 'gi'),
    '$1$2[redacted]',
  ],
  [
    new RegExp(
      String.raw`${B}(cookie|set-cookie|x-api-key|x-auth-token|api-key)([ \t]*[:=][ \t]*)${HEADER_VALUE}`,
      'gim',
    ),
    '$1$2[redacted]',
  ],
  [new RegExp(String.raw`${B}bearer[ \t]+[A-Za-z0-9\-._~+/]{8,}=*`, 'gi'), 'Bearer [redacted]'],
  // NAME_TOKEN=…, DB_PASSWORD: …, "client_secret": "…", apikey=… (the name's prefix stays as it is)
  [new RegExp(String.raw`(${SECRET_NAME})(["']?[ \t]*[:=][ \t]*["']?)${VALUE}`, 'gi'), '$1$2[redacted]'],
  // command-line flags: --db-password hunter2, --token abc
  [
    new RegExp(
      String.raw`(${SECRET_NAME})(?<=(?:^|[\s"])--?[A-Za-z0-9_-]{1,60})([ \t]+)(?![-"\\])${VALUE}`,
      'gim',
    ),
    '$1$2[redacted]',
  ],
  // credentials inside URLs: scheme://user:pass@host
  [/:\/\/([^/\s:@"\\]+):[^@\s/"\\]+@/g, '://$1:[redacted]@'],
  // well-known token shapes
  [new RegExp(`${B}xox[abposre]-[A-Za-z0-9-]{8,}`, 'g'), '[redacted slack token]'],
  [new RegExp(`${B}(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`, 'g'), '[redacted aws key]'],
  [new RegExp(`${B}gh[pousr]_[A-Za-z0-9]{30,}`, 'g'), '[redacted github token]'],
  [new RegExp(`${B}github_pat_[A-Za-z0-9_]{30,}`, 'g'), '[redacted github token]'],
  [new RegExp(`${B}sk_(?:live|test)_[A-Za-z0-9]{10,}`, 'g'), '[redacted api key]'],
  [
    new RegExp(String.raw`${B}eyJ[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{8,16384}\.[A-Za-z0-9_-]{8,}`, 'g'),
    '[redacted jwt]',
  ],
];

/** `-----BEGIN RSA PRIVATE KEY-----` (also EC, OPENSSH, ENCRYPTED, plain PRIVATE KEY). */
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----/g;
/** What follows BEGIN on the same line: base64, blanks, escaped newlines, an optional END marker. */
const PEM_REST =
  /(?:[A-Za-z0-9+/=: \t,-]|\\[nrt])*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|(?=[^A-Za-z0-9+/=: \t,\\-]|\\[^nrt]|$))/y;
/** A line inside a multi-line PEM block: base64, or a header such as `Proc-Type: 4,ENCRYPTED`. */
const PEM_BODY_LINE = /^[ \t]*(?:[A-Za-z0-9+/=]*|(?:Proc-Type|DEK-Info|Comment):[^\r\n]*)[ \t]*\r?$/;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----/;

const KEY_MARK = '[redacted private key]';

/** Result of {@link redactText}. */
export interface RedactedText {
  text: string;
  /** How many secrets were replaced (a private key counts once). */
  redactions: number;
}

/**
 * Redacts secrets from text of any size, line by line: the output has exactly
 * as many lines as the input. A multi-line PEM private key keeps its line count
 * (its first line says `[redacted private key]`, the others are emptied); a key
 * inside one escaped strace string (`"-----BEGIN …\nMIIE"...`) is replaced up
 * to its END marker or the end of the string.
 */
export function redactText(text: string): RedactedText {
  let redactions = 0;
  let out = text;
  if (out.includes('PRIVATE KEY-----')) {
    const pem = redactPemBlocks(out);
    out = pem.text;
    redactions += pem.redactions;
  }
  // No rule matches a line break, so the rules run over blocks of whole lines (much faster than line by
  // line). Blocks stay small: V8's regex engine keeps a backtrack entry per repetition of a group, and on
  // megabytes of one pathological line it runs out of stack. A block that still fails is withheld whole:
  // fail closed, never post text that could not be checked.
  const parts: string[] = [];
  for (const block of blocks(out, BLOCK_CHARS)) {
    try {
      let b = block;
      for (const [re, sub] of RULES) {
        b = b.replace(re, (...m: unknown[]) => {
          redactions++;
          return expand(sub, m);
        });
      }
      parts.push(b);
    } catch {
      redactions++;
      const lines = block.split('\n').length - 1;
      parts.push(
        `[redacted: ${block.length} characters that could not be checked for secrets]${'\n'.repeat(lines)}`,
      );
    }
  }
  return { text: parts.join(''), redactions };
}

/** Largest block of text the rules run over at once. */
const BLOCK_CHARS = 64 * 1024;

/**
 * Splits text into blocks of whole lines of at most `max` characters (newlines kept at the block ends); a
 * longer line is cut into pieces of `max` (a secret across such a cut can be missed; lines that long are
 * not what a tool prints: strace strings are cut at 128 bytes).
 */
function* blocks(text: string, max: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + max, text.length);
    if (end < text.length) {
      const nl = text.lastIndexOf('\n', end - 1);
      if (nl >= start) end = nl + 1;
    }
    yield text.slice(start, end);
    start = end;
  }
}

/** Private keys, line by line: a multi-line block keeps its line count. */
function redactPemBlocks(text: string): RedactedText {
  const lines = text.split('\n');
  let redactions = 0;
  let inKey = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (inKey) {
      const end = PEM_END.exec(line);
      if (end) {
        line = line.slice(end.index + end[0].length);
        inKey = false;
      } else if (PEM_BODY_LINE.test(line)) {
        lines[i] = line.endsWith('\r') ? '\r' : '';
        continue;
      } else {
        // the key was cut off (log tail, strace limit): what follows is ordinary text
        inKey = false;
      }
    }
    const pem = redactPem(line);
    lines[i] = pem.line;
    redactions += pem.count;
    inKey = pem.open;
  }
  return { text: lines.join('\n'), redactions };
}

/** Redacts secrets from one string (a log line, a message, an argv element). */
export function redact(s: string): string {
  return redactText(s).text;
}

/** A finding safe to post: title, evidence and next steps redacted. */
export function redactFinding(f: Finding): Finding {
  return { ...f, title: redact(f.title), evidence: f.evidence.map(redact), next: f.next.map(redact) };
}

/** Replaces private keys that start on this line; `open` when the key continues on the next lines. */
function redactPem(line: string): { line: string; count: number; open: boolean } {
  if (!line.includes('PRIVATE KEY-----')) return { line, count: 0, open: false };
  let out = '';
  let from = 0;
  let count = 0;
  let open = false;
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(line); m; m = PEM_BEGIN.exec(line)) {
    PEM_REST.lastIndex = m.index + m[0].length;
    const rest = PEM_REST.exec(line);
    const end = rest ? PEM_REST.lastIndex : line.length;
    out += line.slice(from, m.index) + KEY_MARK;
    count++;
    from = end;
    open = (end === line.length || line.slice(end) === '\r') && !(rest?.[0] ?? '').includes('-----END');
    PEM_BEGIN.lastIndex = Math.max(end, m.index + 1);
  }
  out += line.slice(from);
  return { line: out, count, open };
}

/** `$1`…`$9` in `sub` from a String.replace callback's arguments (groups that did not take part are ''). */
function expand(sub: string, m: unknown[]): string {
  return sub.replace(/\$([1-9])/g, (_, d: string) => {
    const g = m[Number(d)];
    return typeof g === 'string' ? g : '';
  });
}
