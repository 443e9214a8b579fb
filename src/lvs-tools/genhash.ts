/**
 * `keepalived-ts genhash` (also `keepalived-ts -T` / `--genhash`): keepalived 2.2.7's genhash
 * (check_genhash.c): fetch one URL the way HTTP_GET / SSL_GET does and print the MD5 of the body, the
 * value to put in a `url { digest … }` block. Same options, same output, same exit codes: the digest
 * (or keepalived's failure text, e.g. "Connection failed") on stdout with exit 0; usage on stderr with
 * exit 1. `-v` adds keepalived's hex dumps of the header, the body and the digest, and the response
 * time.
 */
import net from 'node:net';
import { buildRequest, fetchUrl, type ResponseReader } from '../actors/checker/http';
import type { HttpProtocol, Target } from '../actors/checker/config';

export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl: boolean;
  sni: boolean;
  virtualhost?: string;
  verbose: boolean;
  protocol: HttpProtocol;
  timeoutMs?: number;
  fwmark?: number;
}

const LONG: Record<string, string> = {
  help: 'h', verbose: 'v', 'use-ssl': 'S', 'use-sni': 'I', server: 's', 'use-virtualhost': 'V', port: 'p', url: 'u', fwmark: 'm', protocol: 'P', timeout: 't',
};
const WITH_ARG = new Set(['s', 'V', 'p', 'u', 'm', 'P', 't']);

export function usage(prog: string): string {
  return `Usage: ${prog} COMMAND [OPTIONS]\n` +
    'Commands:\n' +
    '   -s server-address -p port -u url\n' +
    '   -S -s server-address -p port -u url\n' +
    '   -h\n\n' +
    'Options:\n' +
    'Either long or short options are allowed.\n' +
    '   --use-ssl         -S       Use SSL connection to remote server.\n' +
    '   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n' +
    '   --server          -s       Use the specified remote server address.\n' +
    '   --port            -p       Use the specified remote server port.\n' +
    '   --url             -u       Use the specified remote server url.\n' +
    '   --use-virtualhost -V       Use the specified virtualhost in GET query.\n' +
    '   --verbose         -v       Use verbose mode output.\n' +
    '   --help            -h       Display this short inlined help screen.\n' +
    '   --fwmark          -m       Use the specified FW mark.\n' +
    "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n" +
    "                                1.0c means 1.0 with 'Connection: close'\n" +
    '   --timeout         -t       Timeout in seconds\n';
}

/** getopt_long(":hvSs:V:p:u:m:P:t:I") as check_genhash_parse_cmdline uses it. Errors go to `err`. */
export function parseGenhashArgs(argv: string[], err: (s: string) => void): GenhashOptions | null {
  if (argv.length < 2) return null; // keepalived: argc <= 2
  const o: Partial<GenhashOptions> & { verbose: boolean; ssl: boolean; sni: boolean; protocol: HttpProtocol } = { verbose: false, ssl: false, sni: false, protocol: '1.0' };
  let bad = false;
  const rest: string[] = [];
  const opts: { c: string; val?: string; shown: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { rest.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      const c = LONG[name];
      if (!c) { err(`Unknown option ${a}\n`); bad = true; continue; }
      if (WITH_ARG.has(c)) {
        const val = inline ?? argv[++i];
        if (val === undefined) { err(`Missing parameter for option --${name}\n`); bad = true; continue; }
        opts.push({ c, val, shown: a });
      } else opts.push({ c, shown: a });
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (!'hvSsVpumPtI'.includes(c)) { err(`Unknown option -${c}\n`); bad = true; continue; }
        if (WITH_ARG.has(c)) {
          const val = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (val === undefined) { err(`Missing parameter for option -${c}\n`); bad = true; }
          else opts.push({ c, val, shown: `-${c}` });
          break;
        }
        opts.push({ c, shown: `-${c}` });
      }
      continue;
    }
    rest.push(a); // getopt permutes: operands are collected and reported at the end
  }
  const seen = new Set<string>();
  for (const { c, val } of opts) {
    switch (c) {
      case 'h': bad = true; break;
      case 'v': o.verbose = true; break;
      case 'S': o.ssl = true; break;
      case 'I': o.sni = true; break;
      case 's':
        if (!net.isIP(val!)) { err(`server should be an IP, not ${val}\n`); return null; }
        o.server = val!;
        break;
      case 'V': o.virtualhost = val; break;
      case 'p': {
        const n = /^[+-]?\d+$/.test(val!) ? Number(val) : NaN;
        if (!(n > 0 && n <= 65535)) { err(`invalid port number '${val}'\n`); return null; }
        o.port = n;
        break;
      }
      case 'u': o.url = val; break;
      case 'm': {
        const v = val!.replace(/^[ \t]+/, '');
        if (!/^\d+$/.test(v)) { err(`invalid fwmark '${val}'\n`); return null; }
        o.fwmark = Number(v);
        break;
      }
      case 'P':
        if (val === '1.0') o.protocol = '1.0';
        else if (val === '1.0c' || val === '1.0C') o.protocol = '1.0c';
        else if (val === '1.1') o.protocol = '1.1';
        else { err(`invalid HTTP protocol version '${val}'\n`); return null; }
        break;
      case 't': {
        const v = val!.replace(/^[ \t]+/, '');
        if (!/^\d+$/.test(v)) { err(`invalid timeout '${val}'\n`); return null; }
        o.timeoutMs = Number(v) * 1000;
        break;
      }
      default: break;
    }
    seen.add(c);
  }
  if (bad) return null;
  if (rest.length) { err(`Unexpected argument(s): ${rest.join(' ')}\n`); return null; }
  if (!seen.has('s') || !seen.has('p') || !seen.has('u')) return null;
  return o as GenhashOptions;
}

/** lib/utils.c dump_buffer: offset in decimal, 16 bytes a line, " -" after 8, then the printable bytes. */
export function dumpBuffer(b: Buffer): string {
  const count = b.length;
  const c = count % 16 ? count + (16 - (count % 16)) : count;
  let out = '';
  for (let i = 0; i < c; i++) {
    if (i % 16 === 0) out += `${String(i & 0xffff).padStart(4, '0')} `;
    out += i < count ? ` ${b[i].toString(16).padStart(2, '0')}` : '   ';
    if ((i + 1) % 8 === 0) {
      if ((i + 1) % 16) out += ' -';
      else {
        out += '   ';
        for (let j = i - 15; j <= i; j++) out += j < count ? (b[j] >= 0x20 && b[j] <= 0x7e ? String.fromCharCode(b[j]) : '.') : ' ';
        out += '\n';
      }
    }
  }
  return out;
}

const DELIM = (title: string): string => `-----------------------[${title}]-----------------------\n`;

/** keepalived's verbose trace of the reads (check_http.c http_process_response). */
function verboseReads(reader: ResponseReader): string {
  let out = '';
  let extracted = false;
  for (const ch of reader.chunks) {
    if (!extracted) {
      out += DELIM('    HTTP Header Buffer    ');
      if (ch.headerPart) {
        extracted = true;
        out += dumpBuffer(ch.headerPart) + DELIM(' HTTP Header Ascii Buffer ') + ch.headerPart.toString('latin1') + '\n';
        if (ch.bodyPart.length) out += DELIM('        HTML Buffer        ') + dumpBuffer(ch.bodyPart);
      }
    } else if (ch.bodyPart.length) out += dumpBuffer(ch.bodyPart);
  }
  return out;
}

export interface GenhashIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Run genhash; resolves with the exit code. */
export async function genhashMain(argv: string[], prog: string, io: GenhashIo = {
  out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s),
}): Promise<number> {
  const o = parseGenhashArgs(argv, io.err);
  if (!o) {
    io.err(usage(prog));
    return 1;
  }
  if (o.fwmark !== undefined) {
    io.err('keepalived-ts cannot set a fwmark (SO_MARK) on its sockets\n');
    return 1;
  }
  const t0 = process.hrtime.bigint();
  const target: Target = { host: o.server, port: o.port, timeoutMs: o.timeoutMs ?? 0x7fffffff };
  const req = buildRequest(o.url, o.protocol, target, o.virtualhost);
  const r = await fetchUrl(target, req, o.ssl ? { ...(o.sni && o.virtualhost ? { servername: o.virtualhost } : {}) } : undefined);
  if (!r.ok) {
    io.out(`${r.reason}\n`);
    return 0;
  }
  if (o.verbose) {
    io.out(verboseReads(r.reader));
    io.out('\n' + DELIM('    HTML hash resulting    ') + dumpBuffer(r.digest) + DELIM(' HTML hash final resulting '));
  }
  if (r.reader.header === null) io.err('no data received from remote webserver\n');
  else io.out(`${r.digest.toString('hex')}\n`);
  if (o.verbose) io.out(`\nGlobal response time for [${o.url}] = ${(process.hrtime.bigint() - t0) / 1000n} usecs\n`);
  return 0;
}
