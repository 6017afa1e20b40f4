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
 * and a value ends at an escaped `\r`/`\n` or at the closing quote. JSON inside
 * such a string has escaped quotes (`{\"password\":\"hunter2\"}`), protocols
 * show their wire form (Redis RESP `*2\r\n$4\r\nAUTH\r\n$7\r\nhunter2\r\n`, SMTP
 * `AUTH PLAIN <base64>`), and execve prints argv as an array
 * (`["app", "--db-pass", "hunter2"]`): each has a rule below.
 *
 * Decisions (the corpus in test/fixtures/redaction/ shows each):
 * - a flag is secret when its name ends in a secret word (`--db-pass`,
 *   `--api-key`, `--token`, `-Dx.keyStorePassword`); its value is redacted
 *   whatever it looks like, a path included (`--db-password /run/x`: the flag
 *   says the value is the password). A flag that names where a secret lives
 *   (`--password-file=/run/secrets/x`, `--secret-file`, `--token-path`) keeps
 *   its value: a path is not a secret, and it tells a reader where to look.
 * - short flags are never taken as secret flags: `-p` is a port (`redis-cli
 *   -p 6379`, `ssh -p 22`) or `mkdir -p` far more often than a password, and
 *   `mysql -phunter2` cannot be told from `-p8080`; `-a` and `-u user:pass` the
 *   same. Prefer environment variables (`MYSQL_PWD=`, `REDISCLI_AUTH=`), which
 *   are redacted.
 * - Redis `AUTH` is recognised in its RESP form (2 and 3 arguments, in `HELLO …
 *   AUTH user pass` too, any case) and as an inline command ending in CRLF;
 *   `AUTH` in prose (`-ERR AUTH <password> called without …`) stays.
 * - SMTP/IMAP SASL: `AUTH PLAIN|LOGIN|XOAUTH2|OAUTHBEARER <base64>` loses the
 *   base64; a client's bare base64 line within a few lines after a `334`
 *   challenge (the `AUTH LOGIN` username and password) is redacted too.
 *   Advertised mechanisms (`250-AUTH PLAIN LOGIN`) stay.
 * - Signed URLs: `sig=` (Azure SAS), `Signature=`, `X-Amz-Signature=`,
 *   `X-Goog-Signature=` only as query parameters (after `?`, `&` or `;`).
 * - Empty values stay empty (`\"password\":\"\"` says the password is empty,
 *   which is what a reader debugging a login needs to see).
 *
 * Longer than 400 lines on purpose: the rules are one table read top to bottom, each with the real lines it
 * answers; split, a reader would lose the order they run in.
 */
import type { Finding } from './contracts/index.js';

/** Start of a name or token: not preceded by a word character, or right after an escaped `\n`/`\r`/`\t`/`\0`. */
const B = String.raw`(?:(?<![A-Za-z0-9_])|(?<=\\[nrt0]))`;
/**
 * One character of a value inside possibly-escaped text: stops at whitespace, quotes, separators, `\n`/`\r`/`\t`
 * escapes and `\0` (the NUL between the strings of /proc/PID/cmdline and environ).
 */
const VALUE = String.raw`(?:[^\s"',;&}\\]|\\[^nrt0\s])+`;
/** A header value up to the end of the line, an escaped CR/LF, or the closing quote of a strace string. */
const HEADER_VALUE = String.raw`(?:[^\r\n\\"]|\\[^nr\r\n]|"(?!(?:\.\.\.)?(?:[,)\]]|[ \t]*$)))*`;

/**
 * A value inside a strace-escaped quoted string (`\"…\"`): raw characters, strace escapes other than `\"`,
 * `\r`, `\n`, and JSON escapes in their strace form (`\\\"` for `\"`, `\\\\` for `\\`); it ends at the
 * closing `\"`, an escaped CR/LF or the end of the strace string. The three alternatives start differently
 * (`[^"\\]`, `\\\\`, `\\` + not `\\`), so the match is deterministic: linear time.
 */
const ESCAPED_QUOTED_VALUE = String.raw`(?:[^"\\]|\\\\(?:\\[^nr]|[^"\\])|\\[^\\"nr])+`;
/** One RESP bulk string's content as strace prints it: up to the escaped CR (or the end of the strace string). */
const RESP_ARG = String.raw`(?:[^"\\]|\\[^rn])+`;
/** One word of an inline protocol command (`AUTH hunter2\r\n`): no blanks, quotes or CR/LF escapes. */
const WORD = String.raw`(?:[^\s"\\]|\\[^rn\s])+`;
/** SASL mechanism names: after `AUTH` they are a capability list or the start of an exchange, not a password. */
const SASL_MECHS = `(?:PLAIN|LOGIN|XOAUTH2?|OAUTHBEARER|CRAM-MD5|DIGEST-MD5|GSSAPI|NTLM|EXTERNAL|ANONYMOUS|SCRAM-SHA-[0-9A-Z-]{1,12})(?![A-Za-z0-9+/=-])`;

type Replacement = string | ((m: (string | undefined)[]) => string);
type Rule = [RegExp, Replacement];

const SECRET_NAME = `(?:token|passw(?:or)?d|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)`;
/** What a command-line flag ends in when its value is a secret: the names above, `pass` as a word, `passphrase`. */
const FLAG_SECRET = `(?:${SECRET_NAME}|passphrase|(?<=[-_.]|db)pass)`;
/** Lookbehind: the name just matched ends a flag (`--db-pass`, `-Dx.password`) that starts a word or a string. */
const ENDS_FLAG = String.raw`(?<=(?:^|[\s"]|\\0)--?[A-Za-z0-9_.-]{1,60})`;

const KEY_MARK = '[redacted private key]';

/** Rules applied in order, each over the whole text (none matches a line break). */
const RULES: Rule[] = [
  // HTTP credentials in headers: keep the scheme, hide the credential
  [
    new RegExp(
      String.raw`${B}((?:proxy-)?authorization)((?:\\?")?[ \t]*[:=][ \t]*(?:\\?")?)(bearer|basic|token|digest|negotiate|aws4-hmac-sha256)[ \t]+[^\s"',;\\]+`,
      'gi',
    ),
    '$1$2$3 [redacted]',
  ],
  [
    new RegExp(
      String.raw`${B}((?:proxy-)?authorization)((?:\\?")?[ \t]*[:=][ \t]*(?:\\?")?)[A-Za-z0-9+/=._~-]{16,}`,
      'gi',
    ),
    '$1$2[redacted]',
  ],
  // a header as a key of strace-escaped JSON: {\"cookie\":\"sid=…\"} (the value ends at its closing \")
  [
    new RegExp(
      String.raw`${B}(cookie|set-cookie|x-api-key|x-auth-token|api-key)(\\"[ \t]*:[ \t]*\\")${ESCAPED_QUOTED_VALUE}`,
      'gi',
    ),
    '$1$2[redacted]',
  ],
  // (a header runs to the end of its line; not a command-line flag: `--api-key=K --port 1` keeps `--port 1`)
  [
    new RegExp(
      String.raw`${B}(?<!-)(cookie|set-cookie|x-api-key|x-auth-token|api-key)([ \t]*[:=][ \t]*)${HEADER_VALUE}`,
      'gim',
    ),
    '$1$2[redacted]',
  ],
  [new RegExp(String.raw`${B}bearer[ \t]+[A-Za-z0-9\-._~+/]{8,}=*`, 'gi'), 'Bearer [redacted]'],
  // JSON inside a strace string: {\"password\":\"hunter2\"}, \"api_key\": \"…\", password = \"…\" (my.cnf)
  [
    new RegExp(String.raw`(${SECRET_NAME})((?:\\")?[ \t]*[:=][ \t]*\\")${ESCAPED_QUOTED_VALUE}`, 'gi'),
    '$1$2[redacted]',
  ],
  // ... and a bare JSON value after an escaped key: {\"pin_password\":123456}
  [
    new RegExp(
      String.raw`(${SECRET_NAME})(\\"[ \t]*:[ \t]*)(?![\\"\[{]|(?:null|true|false)(?![A-Za-z0-9_]))${VALUE}`,
      'gi',
    ),
    '$1$2[redacted]',
  ],
  // NAME_TOKEN=…, DB_PASSWORD: …, "client_secret": "…", apikey=… (the name's prefix stays as it is)
  [
    new RegExp(String.raw`(${SECRET_NAME})(["']?[ \t]*[:=][ \t]*["']?)(?!\\")${VALUE}`, 'gi'),
    '$1$2[redacted]',
  ],
  // Docker registry credentials (config.json, .dockerconfigjson): "auth": "base64(user:pass)", escaped or not
  [/(\\?"auth\\?"[ \t]*:[ \t]*\\?")[A-Za-z0-9+/]{4,}={0,2}/g, '$1[redacted]'],
  // command-line flags: --db-password hunter2, --token abc, --db-pass hunter2, and NUL-separated as a read of
  // /proc/PID/cmdline shows them: "app\0--db-pass\0hunter2\0"
  [
    new RegExp(String.raw`(${FLAG_SECRET})${ENDS_FLAG}([ \t]+|\\0)(?![-"\\])${VALUE}`, 'gim'),
    '$1$2[redacted]',
  ],
  // ... with `=`, for the names the generic rule above does not know: --db-pass=hunter2
  [new RegExp(String.raw`(${FLAG_SECRET})${ENDS_FLAG}=(?!\[redacted\])${VALUE}`, 'gim'), '$1=[redacted]'],
  // ... as execve prints argv: ["app", "--db-pass", "hunter2"] (a following `--flag` is a flag, not a value)
  [
    new RegExp(String.raw`(${FLAG_SECRET})(?<="--?[A-Za-z0-9_.-]{1,60})(", ")(?!--)(?:[^"\\]|\\.)+`, 'gi'),
    '$1$2[redacted]',
  ],
  // Redis AUTH in RESP: *2\r\n$4\r\nAUTH\r\n$7\r\nhunter2\r\n, *3 … AUTH user pass, HELLO 3 AUTH user pass
  [
    new RegExp(
      String.raw`(\$4\\r\\nAUTH\\r\\n\$[0-9]{1,10}\\r\\n)(${RESP_ARG})(?:(\\r\\n\$[0-9]{1,10}\\r\\n)(${RESP_ARG}))?`,
      'gi',
    ),
    (m) => (m[4] === undefined ? `${m[1]}[redacted]` : `${m[1]}${m[2]}${m[3]}[redacted]`),
  ],
  // ... and CONFIG SET requirepass|masterauth VALUE in RESP
  [
    new RegExp(
      String.raw`(\$1[01]\\r\\n(?:requirepass|masterauth)\\r\\n\$[0-9]{1,10}\\r\\n)${RESP_ARG}`,
      'gi',
    ),
    '$1[redacted]',
  ],
  // SMTP/IMAP/POP3 SASL initial response: AUTH PLAIN <base64(\0user\0pass)>, AUTH XOAUTH2 <base64 with a bearer token>
  [
    new RegExp(
      String.raw`(${B}AUTH(?:ENTICATE)?[ \t]+(?:PLAIN|LOGIN|XOAUTH2?|OAUTHBEARER)[ \t]+)(?!${SASL_MECHS})[A-Za-z0-9+/]+={0,2}`,
      'gi',
    ),
    '$1[redacted]',
  ],
  // Redis inline AUTH ending in CRLF at the start of a string or line: "AUTH hunter2\r\n", "AUTH user pass\r\n"
  [
    new RegExp(
      String.raw`((?:^|"|\\n)AUTH[ \t]+)(?!${SASL_MECHS})(${WORD})(?:([ \t]+)(${WORD}))?(?=\\r\\n|"\.\.\.)`,
      'gim',
    ),
    (m) => (m[4] === undefined ? `${m[1]}[redacted]` : `${m[1]}${m[2]}${m[3]}[redacted]`),
  ],
  // environment variables named for a credential: REDISCLI_AUTH=…, BASIC_AUTH=user:pass (upper case: env style)
  [new RegExp(`(${B}[A-Z][A-Z0-9_]{0,60}_AUTH=)${VALUE}`, 'g'), '$1[redacted]'],
  // redis.conf and CONFIG SET: requirepass hunter2, masterauth hunter2
  [new RegExp(String.raw`(${B}(?:requirepass|masterauth)[ \t]+)(?![-\\])${VALUE}`, 'gi'), '$1[redacted]'],
  // openssl's literal password argument: -passin pass:hunter2 (env:VAR and file:PATH name where it lives)
  [
    // (the literal first, then a bounded look back: a lookbehind first with `[ \t]+` rescans every run of
    // blanks at each position, quadratic on a line of blanks)
    new RegExp(String.raw`(pass:(?<=-(?:passin|passout|pass|kpass)(?:", "|[ \t]{1,16})pass:))${VALUE}`, 'g'),
    '$1[redacted]',
  ],
  // .netrc: machine HOST login USER password PASS
  [new RegExp(String.raw`(${B}login[ \t]+[^\s"\\]+[ \t]+password[ \t]+)${VALUE}`, 'gi'), '$1[redacted]'],
  // signed URLs as query parameters: Azure SAS sig=, S3 X-Amz-Signature=, GCS X-Goog-Signature=, CloudFront Signature=
  [/((?<=[?&;])(?:sig|signature|x-amz-signature|x-goog-signature)=)[A-Za-z0-9%+/=._~-]+/gi, '$1[redacted]'],
  // Azure storage and Service Bus connection strings: AccountKey=…;  SharedAccessKey=…;
  [new RegExp(`(${B}(?:AccountKey|SharedAccessKey)=)[A-Za-z0-9+/]+={0,2}`, 'gi'), '$1[redacted]'],
  // credentials inside URLs: scheme://user:pass@host
  [/:\/\/([^/\s:@"\\]+):[^@\s/"\\]+@/g, '://$1:[redacted]@'],
  // a PEM private key in base64 (a Kubernetes Secret's `tls.key`, `ssh-privatekey`): `LS0tLS1CRUdJTi…` is
  // `-----BEGIN `, then "PRIVATE KEY" in one of its three base64 alignments
  [
    new RegExp(
      `${B}LS0tLS1CRUdJTi[A-Za-z0-9+/]{0,24}(?:UFJJVkFURSBLRVk|QUklWQVRFIEtFW|BSSVZBVEUgS0VZ)[A-Za-z0-9+/]*={0,2}`,
      'g',
    ),
    KEY_MARK,
  ],
  // well-known token shapes
  [new RegExp(`${B}xox[abposre]-[A-Za-z0-9-]{8,}`, 'g'), '[redacted slack token]'],
  [new RegExp(`${B}(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`, 'g'), '[redacted aws key]'],
  [new RegExp(`${B}gh[pousr]_[A-Za-z0-9]{30,}`, 'g'), '[redacted github token]'],
  [new RegExp(`${B}github_pat_[A-Za-z0-9_]{30,}`, 'g'), '[redacted github token]'],
  [new RegExp(`${B}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`, 'g'), '[redacted api key]'],
  [new RegExp(`${B}whsec_[A-Za-z0-9+/=]{20,}`, 'g'), '[redacted api key]'],
  [new RegExp(`${B}glpat-[A-Za-z0-9_-]{20,}`, 'g'), '[redacted gitlab token]'],
  [new RegExp(`${B}npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])`, 'g'), '[redacted npm token]'],
  [new RegExp(`${B}hv[sbr]\\.[A-Za-z0-9_-]{20,}`, 'g'), '[redacted vault token]'],
  [new RegExp(`${B}AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])`, 'g'), '[redacted google api key]'],
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
  const sasl: SaslState = { linesLeft: 0 };
  for (const block of blocks(out, BLOCK_CHARS)) {
    try {
      let b = block;
      for (const [re, sub] of RULES) {
        b = b.replace(re, (...m: unknown[]) => {
          redactions++;
          return typeof sub === 'string' ? expand(sub, m) : sub(groups(m));
        });
      }
      const followUps = redactSaslResponses(b, sasl);
      b = followUps.text;
      redactions += followUps.redactions;
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

/**
 * A server's SASL challenge in a traced string: `"334 VXNlcm5hbWU6\r\n"` (base64 `Username:`), `"334 \r\n"`
 * (send the initial response). SMTP's `334`; IMAP's `+ ` continuation is too common to key on.
 */
const SASL_CHALLENGE = /(?:^|"|\\n)334(?: [A-Za-z0-9+/]*={0,2})?\\r\\n/;
/** A client's answer to it: a traced string that is one base64 word and CRLF (`"aHVudGVyMg==\r\n"`). */
const SASL_RESPONSE = /"(?!(?:QUIT|RSET|NOOP|PING|HELP|DATA|STARTTLS)\\r)[A-Za-z0-9+/]+={0,2}\\r\\n"/;
/** A server reply other than a challenge (`235 2.7.0 Accepted`, `535 …`): the exchange is over. */
const SMTP_REPLY = /(?:^|"|\\n)[2-5][0-9][0-9][ -]/;
/** Trace lines after a challenge in which the answer is looked for (other threads' lines come between). */
const SASL_WINDOW_LINES = 8;

interface SaslState {
  /** Lines left in which a bare base64 line is a SASL answer; carried from one block to the next. */
  linesLeft: number;
}

/**
 * `AUTH LOGIN` (and `AUTH PLAIN` without an initial response) sends the username and password as bare base64
 * lines, each in its own write after the server's `334` challenge: nothing on the answer's own line says what
 * it is, so the challenge opens a window of a few lines in which the first such line is redacted; another
 * server reply (`235`, `535`) closes it.
 */
function redactSaslResponses(block: string, state: SaslState): RedactedText {
  if (state.linesLeft === 0 && !block.includes('334')) return { text: block, redactions: 0 };
  let redactions = 0;
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (SASL_CHALLENGE.test(line)) {
      state.linesLeft = SASL_WINDOW_LINES;
      continue;
    }
    if (state.linesLeft === 0) continue;
    if (SMTP_REPLY.test(line)) {
      state.linesLeft = 0;
      continue;
    }
    const answer = SASL_RESPONSE.exec(line);
    if (answer) {
      // one answer per challenge
      lines[i] =
        `${line.slice(0, answer.index)}"[redacted]\\r\\n"${line.slice(answer.index + answer[0].length)}`;
      redactions++;
      state.linesLeft = 0;
    } else if (i < lines.length - 1) {
      // (the last piece of a block is the start of the next block's first line, not a line of its own)
      state.linesLeft--;
    }
  }
  return { text: lines.join('\n'), redactions };
}

/** The match and its groups from a String.replace callback's arguments (up to the offset argument). */
function groups(m: unknown[]): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  for (const x of m) {
    if (typeof x === 'number') break;
    out.push(typeof x === 'string' ? x : undefined);
  }
  return out;
}

/** `$1`…`$9` in `sub` from a String.replace callback's arguments (groups that did not take part are ''). */
function expand(sub: string, m: unknown[]): string {
  return sub.replace(/\$([1-9])/g, (_, d: string) => {
    const g = m[Number(d)];
    return typeof g === 'string' ? g : '';
  });
}
