/**
 * A strict subset of the pcap-filter language for `tcpdump --filter`:
 *
 *   expr      := term { ("and" | "or") term }
 *   term      := "not" term | "(" expr ")" | primitive
 *   primitive := proto
 *              | [proto] [dir] ("host" HOST | "net" CIDR | "port" PORT | "portrange" PORT-PORT)
 *   proto     := tcp | udp | icmp | icmp6 | ip | ip6 | arp
 *   dir       := src | dst | src or dst
 *
 * `&&`, `||` and `!` are read as `and`, `or`, `not`; parentheses may touch
 * their neighbours (`(host a)`) and become tokens of their own. The output is
 * the normalised token list that tcpdump later gets as separate argv elements:
 * keywords, IP addresses, CIDRs, host names and port numbers only, none
 * starting with '-', each at most 64 characters. Pure.
 */
import { isHostName, isIPv4, isIPv6, PROBE_LIMITS } from '../../jobs/contracts/probe.js';
import { show } from './common.js';
import { numericHostProblem, parsePort } from './host-port.js';

export type FilterParse = { ok: true; tokens: string[] } | { ok: false; reason: string };

/** The accepted forms, for every filter error message. */
export const FILTER_FORMS =
  '`[src|dst|src or dst] host IP|NAME`, `net CIDR`, `port N`, `portrange N-M`, `tcp` `udp` `icmp` `icmp6` `ip` `ip6` `arp`, joined by `and` `or` `not` and `( )`';

/** Characters a filter may contain besides letters, digits, space, `. / - : _`. */
export const FILTER_EXTRA_CHARACTERS = '()&|!:';

const PROTOS = new Set(['tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'arp']);
const TYPES = new Set(['host', 'net', 'port', 'portrange']);
const PORT_PROTOS = new Set(['tcp', 'udp']);
const ADDRESS_PROTOS = new Set(['ip', 'ip6', 'arp']);

/** pcap keywords: never a host name, or tcpdump would read the filter differently from us. */
const PCAP_KEYWORDS = new Set([
  ...PROTOS,
  ...TYPES,
  'src',
  'dst',
  'and',
  'or',
  'not',
  'gateway',
  'mask',
  'less',
  'greater',
  'proto',
  'protochain',
  'broadcast',
  'multicast',
  'ether',
  'link',
  'rarp',
  'sctp',
  'igmp',
  'vlan',
  'mpls',
  'len',
  'inbound',
  'outbound',
  'byte',
  'ifname',
  'on',
  'geneve',
  'pppoed',
  'pppoes',
  'ah',
  'esp',
  'pim',
  'vrrp',
  'carp',
  'decnet',
  'iso',
  'llc',
  'ra',
  'ta',
  'addr1',
  'addr2',
  'addr3',
  'addr4',
  'type',
  'subtype',
  'dir',
]);

const MAX_TOKEN_LENGTH = 64;
const MAX_DEPTH = 10;

type Lexed = { ok: true; words: Array<{ raw: string; norm: string }> } | { ok: false; reason: string };

function lex(text: string): Lexed {
  const words: Array<{ raw: string; norm: string }> = [];
  const re = /\s*(?:(&&|\|\||[()!&|])|([^\s()!&|]+))/y;
  while (re.lastIndex < text.length) {
    const m = re.exec(text);
    if (m === null) break;
    const op = m[1];
    const word = m[2];
    if (op !== undefined) {
      if (op === '&' || op === '|') {
        const instead = op === '&' ? '`and` (or `&amp;&amp;`)' : '`or` (or `||`)';
        return { ok: false, reason: `${show(op)} alone is not a filter operator: use ${instead}` };
      }
      const norm = op === '&&' ? 'and' : op === '||' ? 'or' : op === '!' ? 'not' : op;
      words.push({ raw: op, norm });
    } else if (word !== undefined) {
      if (word.startsWith('-')) {
        return {
          ok: false,
          reason: `${show(word)} is an option, not part of a filter (options go before \`--filter\`)`,
        };
      }
      if (/["']/.test(word)) {
        return { ok: false, reason: `${show(word)}: quotes may only surround the whole filter` };
      }
      words.push({ raw: word, norm: word.toLowerCase() });
    } else {
      break;
    }
  }
  return { ok: true, words };
}

/** Parses and normalises a filter expression (the text after `--filter`, quotes removed). */
export function parsePcapFilter(text: string): FilterParse {
  const trimmed = text.trim();
  const refuse = (why: string): FilterParse => ({
    ok: false,
    reason: `Filter: ${why}. Accepted: ${FILTER_FORMS}.`,
  });
  if (trimmed.length === 0) return refuse('`--filter` needs an expression, e.g. `--filter tcp port 443`');
  if (trimmed.length > PROBE_LIMITS.maxFilterLength) {
    return refuse(
      `the filter is too long (${trimmed.length} characters; at most ${PROBE_LIMITS.maxFilterLength})`,
    );
  }
  const lexed = lex(trimmed);
  if (!lexed.ok) return refuse(lexed.reason);
  if (lexed.words.length > PROBE_LIMITS.maxFilterTokens) {
    return refuse(
      `the filter has too many words (${lexed.words.length}; at most ${PROBE_LIMITS.maxFilterTokens})`,
    );
  }
  const parser = new FilterParser(lexed.words);
  const problem = parser.parse();
  if (problem) return refuse(problem);
  const tokens = parser.out;
  // Defence in depth: the grammar above cannot produce these, and tcpdump must never see them.
  const unsafe = tokens.find((t) => t.startsWith('-') || t.length === 0 || t.length > MAX_TOKEN_LENGTH);
  if (unsafe !== undefined) return refuse(`${show(unsafe)} cannot be passed to tcpdump`);
  return { ok: true, tokens };
}

class FilterParser {
  readonly out: string[] = [];
  private pos = 0;

  constructor(private readonly words: ReadonlyArray<{ raw: string; norm: string }>) {}

  /** Undefined when the whole input is one valid expression; else why not. */
  parse(): string | undefined {
    const problem = this.expr(0);
    if (problem) return problem;
    const extra = this.words[this.pos];
    if (extra === undefined) return undefined;
    if (extra.norm === ')') return '`)` has no matching `(`';
    return `${show(extra.raw)} must be joined to what comes before it with \`and\` or \`or\``;
  }

  private peek(offset = 0): string | undefined {
    return this.words[this.pos + offset]?.norm;
  }

  private take(): { raw: string; norm: string } | undefined {
    const w = this.words[this.pos];
    if (w !== undefined) this.pos++;
    return w;
  }

  private emit(norm: string): void {
    this.out.push(norm);
  }

  private expr(depth: number): string | undefined {
    const first = this.term(depth);
    if (first) return first;
    while (this.peek() === 'and' || this.peek() === 'or') {
      this.emit(this.take()!.norm);
      const next = this.term(depth);
      if (next) return next;
    }
    return undefined;
  }

  private term(depth: number): string | undefined {
    const w = this.words[this.pos];
    const after = this.pos > 0 ? ` after ${show(this.words[this.pos - 1]!.raw)}` : '';
    if (w === undefined) return `the filter ends where a primitive was expected${after}`;
    if (w.norm === 'not') {
      this.emit(this.take()!.norm);
      return this.term(depth);
    }
    if (w.norm === '(') {
      if (depth >= MAX_DEPTH) return `parentheses are nested too deeply (at most ${MAX_DEPTH})`;
      this.emit(this.take()!.norm);
      const inner = this.expr(depth + 1);
      if (inner) return inner;
      if (this.peek() !== ')') {
        const got = this.words[this.pos];
        return got === undefined
          ? 'a `(` is not closed'
          : `${show(got.raw)} must be joined with \`and\` or \`or\`, or a \`(\` is not closed`;
      }
      this.emit(this.take()!.norm);
      return undefined;
    }
    if (w.norm === ')') return `\`)\` where a primitive was expected${after}`;
    if (w.norm === 'and' || w.norm === 'or') return `${show(w.raw)} where a primitive was expected${after}`;
    return this.primitive();
  }

  private primitive(): string | undefined {
    let proto: string | undefined;
    if (PROTOS.has(this.peek()!)) {
      proto = this.take()!.norm;
      this.emit(proto);
      const next = this.peek();
      if (next === undefined || !(next === 'src' || next === 'dst' || TYPES.has(next))) return undefined;
      if (proto === 'icmp' || proto === 'icmp6') {
        return `\`${proto}\` stands alone: write \`${proto} and ${next} …\``;
      }
    }
    let dir: string | undefined;
    const first = this.peek()!;
    if (first === 'src' || first === 'dst') {
      dir = this.take()!.raw;
      this.emit(first);
      if (first === 'src' && this.peek() === 'or' && this.peek(1) === 'dst') {
        this.emit(this.take()!.norm);
        this.emit(this.take()!.norm);
      }
    }
    const typeWord = this.words[this.pos];
    if (typeWord === undefined || !TYPES.has(typeWord.norm)) {
      if (dir !== undefined) {
        return `${show(dir)} must be followed by \`host\`, \`net\`, \`port\` or \`portrange\``;
      }
      return `${show(typeWord?.raw ?? '')} is not a filter primitive`;
    }
    const type = this.take()!.norm;
    this.emit(type);
    if ((type === 'port' || type === 'portrange') && proto !== undefined && !PORT_PROTOS.has(proto)) {
      return `\`${type}\` goes with \`tcp\` or \`udp\` (or alone), not \`${proto}\``;
    }
    if ((type === 'host' || type === 'net') && proto !== undefined && !ADDRESS_PROTOS.has(proto)) {
      return `\`${type}\` cannot follow \`${proto}\`: write \`${proto} and ${type} …\``;
    }
    const valueWord = this.take();
    if (valueWord === undefined) return `\`${type}\` needs a value: ${valueForm(type)}`;
    const value = valueWord.norm;
    if (PCAP_KEYWORDS.has(value) || ['(', ')'].includes(value)) {
      return `\`${type}\` needs ${valueForm(type)}, not ${show(valueWord.raw)}`;
    }
    const problem = valueProblem(type, value, valueWord.raw, proto);
    if (problem) return problem;
    this.emit(value);
    return undefined;
  }
}

function valueForm(type: string): string {
  if (type === 'host') return 'an IP address or host name';
  if (type === 'net') return 'a CIDR such as `10.0.0.0/8` or `fd00::/8`';
  if (type === 'port') return 'a port number (1 to 65535)';
  return 'a port range such as `8000-8080`';
}

function valueProblem(
  type: string,
  value: string,
  raw: string,
  proto: string | undefined,
): string | undefined {
  if (value.length > MAX_TOKEN_LENGTH) {
    return `${show(raw)} is too long for a filter (${value.length} characters; at most ${MAX_TOKEN_LENGTH})`;
  }
  if (type === 'port') {
    return parsePort(value) === undefined ? `\`port\` needs ${valueForm(type)}, not ${show(raw)}` : undefined;
  }
  if (type === 'portrange') {
    const m = /^([0-9]+)-([0-9]+)$/.exec(value);
    const lo = m ? parsePort(m[1]!) : undefined;
    const hi = m ? parsePort(m[2]!) : undefined;
    if (lo === undefined || hi === undefined)
      return `\`portrange\` needs ${valueForm(type)}, not ${show(raw)}`;
    if (lo > hi) return `${show(raw)} runs backwards: write \`${hi}-${lo}\``;
    return undefined;
  }
  if (type === 'host') {
    const numeric = numericHostProblem(value);
    if (numeric) return numeric;
    const v4 = isIPv4(value);
    const v6 = isIPv6(value);
    if (!v4 && !v6 && !isHostName(value)) return `\`host\` needs ${valueForm(type)}, not ${show(raw)}`;
    return familyProblem(proto, v4, v6, raw);
  }
  // net
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(value);
  if (!m) {
    if (isIPv4(value) || isIPv6(value)) {
      return `\`net\` needs a prefix length: \`${value}/${isIPv4(value) ? 24 : 64}\`, not ${show(raw)}`;
    }
    return `\`net\` needs ${valueForm('net')}, not ${show(raw)}`;
  }
  const addr = m[1]!;
  const bits = Number(m[2]);
  if (isIPv4(addr)) {
    if (bits > 32) return `${show(raw)}: an IPv4 prefix is at most /32`;
    const n = addr.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
    const block = 2 ** (32 - bits);
    const network = n - (n % block);
    if (network !== n) {
      const dotted = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
      return `${show(raw)} has host bits set: write \`${dotted}/${bits}\``;
    }
    return familyProblem(proto, true, false, raw);
  }
  if (isIPv6(addr)) {
    if (bits > 128) return `${show(raw)}: an IPv6 prefix is at most /128`;
    const n = ipv6ToBigInt(addr);
    const hostMask = (1n << BigInt(128 - bits)) - 1n;
    if ((n & hostMask) !== 0n) return `${show(raw)} has host bits set below /${bits}`;
    return familyProblem(proto, false, true, raw);
  }
  return `\`net\` needs ${valueForm('net')}, not ${show(raw)}`;
}

function familyProblem(proto: string | undefined, v4: boolean, v6: boolean, raw: string): string | undefined {
  if (v6 && (proto === 'ip' || proto === 'arp')) return `${show(raw)} is IPv6: use \`ip6\`, not \`${proto}\``;
  if (v4 && proto === 'ip6') return `${show(raw)} is IPv4: use \`ip\`, not \`ip6\``;
  return undefined;
}

/** A valid IPv6 literal (isIPv6) as a 128-bit number. */
function ipv6ToBigInt(addr: string): bigint {
  let text = addr;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = groups(rest);
  const all =
    rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}
