/**
 * HTTP_GET and SSL_GET: one URL fetched the way keepalived 2.2.7 does it (check_http.c,
 * lib/html.c), on a raw TCP or TLS socket, so the digest is over the same bytes keepalived hashes:
 * - request: keepalived's template (`GET path HTTP/1.x`, `User-Agent: KeepAliveClient`,
 *   `Connection: close` for 1.0c and 1.1, `Host:` the virtualhost, else `addr:port`, IPv6 in brackets);
 * - response: read until the server closes; the header ends at the first CRLFCRLF; the status is the
 *   3-digit code after the first space; `Content-Length:` (case as written) caps the hashed body;
 *   no chunked decoding (keepalived hashes the bytes as they come);
 * - verdict in keepalived's order: no header → "Read, no data received from", status outside
 *   `status_code` (default 200-299) → "HTTP status code error to", MD5 of the body ≠ `digest` →
 *   "MD5 digest error to", `regex` (or `regex_no_match`) → "Regex match failed".
 *
 * `regex` is a JavaScript RegExp here, not PCRE2 (the common subset behaves alike); it is matched
 * against the response as received (header and body, as keepalived's first buffer holds both), up to
 * MAX_REGEX_BYTES, with `regex_min_offset` / `regex_max_offset` bounding where the match may start.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type { CheckSpec, HttpProtocol, Target, UrlCheck } from './config';
import { connectTarget, converse, type TlsOptions } from './connect';
import type { Outcome } from './machine';

type HttpSpec = Extract<CheckSpec, { type: 'HTTP_GET' | 'SSL_GET' }>;

const MAX_REGEX_BYTES = 1 << 20;

/** keepalived's GET request (check_http.c request_template / request_template_ipv6). */
export function buildRequest(path: string, protocol: HttpProtocol, target: Pick<Target, 'host' | 'port'>, vhost?: string): string {
  const host = vhost ?? (net.isIPv6(target.host) ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`);
  return `GET ${path} HTTP/1.${protocol === '1.1' ? 1 : 0}\r\n` +
    'User-Agent: KeepAliveClient\r\n' +
    (protocol === '1.0' ? '' : 'Connection: close\r\n') +
    `Host: ${host}\r\n\r\n`;
}

/** lib/html.c extract_status_code: the 3 digits between the first space and the next one; 0 if none. */
export function extractStatus(header: Buffer): number {
  const text = header.toString('latin1');
  const sp = text.search(/[ \r]/);
  if (sp < 0 || text[sp] !== ' ') return 0;
  const m = /^(\d{3}) /.exec(text.slice(sp + 1));
  return m ? Number(m[1]) : 0;
}

/** lib/html.c extract_content_length: `Content-Length:` as written, digits up to CR/LF, else none. */
export function extractContentLength(header: Buffer): number | undefined {
  const text = header.toString('latin1');
  const at = text.indexOf('Content-Length:');
  if (at < 0) return undefined;
  const m = /^[ \t]*(\d*)([^]?)/.exec(text.slice(at + 15));
  if (!m || (m[2] && m[2] !== '\r' && m[2] !== '\n')) return undefined;
  return m[1] ? Number(m[1]) : 0;
}

/** Accumulates one response as keepalived reads it: header, hashed body, the chunks for genhash -v. */
export class ResponseReader {
  header: Buffer | null = null;
  status = 0;
  contentLength: number | undefined;
  /** body bytes taken into the digest (up to Content-Length) */
  bodyBytes = 0;
  /** bytes received after the header */
  rxBytes = 0;
  /** each read as received: for genhash's verbose dump */
  readonly chunks: { headerPart: Buffer | null; bodyPart: Buffer }[] = [];
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private readonly md5: Hash = createHash('md5');
  private regexText: Buffer[] = [];
  private regexLen = 0;

  push(chunk: Buffer): void {
    this.keepForRegex(chunk);
    if (this.header === null) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      const all = Buffer.concat(this.pending, this.pendingLen);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        this.chunks.push({ headerPart: null, bodyPart: Buffer.alloc(0) });
        return;
      }
      this.header = all.subarray(0, end + 4);
      this.pending = [];
      this.status = extractStatus(this.header);
      this.contentLength = extractContentLength(this.header);
      const body = all.subarray(end + 4);
      this.chunks.push({ headerPart: this.header, bodyPart: this.takeBody(body) });
      return;
    }
    this.chunks.push({ headerPart: null, bodyPart: this.takeBody(chunk) });
  }

  private takeBody(b: Buffer): Buffer {
    const room = this.contentLength === undefined ? b.length : Math.max(0, this.contentLength - this.rxBytes);
    const part = b.subarray(0, Math.min(room, b.length));
    this.rxBytes += b.length;
    if (part.length) {
      this.md5.update(part);
      this.bodyBytes += part.length;
    }
    return part;
  }

  private keepForRegex(b: Buffer): void {
    if (this.regexLen >= MAX_REGEX_BYTES) return;
    const part = b.subarray(0, MAX_REGEX_BYTES - this.regexLen);
    this.regexText.push(part);
    this.regexLen += part.length;
  }

  /** MD5 of the hashed body, lower-case hex (call once, at the end). */
  digest(): Buffer {
    return this.md5.digest();
  }

  /** The response text the regex is matched against. */
  text(): string {
    return Buffer.concat(this.regexText, this.regexLen).toString('latin1');
  }
}

export type FetchResult =
  | { ok: true; reader: ResponseReader; digest: Buffer }
  | { ok: false; reason: string; failure: string };

function readTls(spec: HttpSpec, url: UrlCheck): TlsOptions | undefined {
  if (spec.type !== 'SSL_GET') return undefined;
  const t = spec.tls ?? {};
  const read = (f?: string): Buffer | undefined => (f ? fs.readFileSync(f) : undefined);
  const servername = spec.sni ? url.virtualhost ?? spec.sniHost : undefined;
  return {
    ...(servername ? { servername } : {}),
    ...(t.ca ? { ca: read(t.ca) } : {}),
    ...(t.certificate ? { cert: read(t.certificate) } : {}),
    ...(t.key ? { key: read(t.key) } : {}),
    ...(t.password ? { passphrase: t.password } : {}),
  };
}

/** Connect, send the GET, read to the end. Failure reasons are keepalived's log texts. */
export async function fetchUrl(
  target: Target,
  request: string,
  tlsOpts: TlsOptions | undefined,
  signal?: AbortSignal,
): Promise<FetchResult> {
  const c = await connectTarget(target, tlsOpts, signal);
  if (!c.ok) {
    const reason = c.failure === 'timeout' ? 'Timeout connecting'
      : c.failure === 'tls' ? 'SSL handshake/communication error connecting to'
        : c.failure === 'unreachable' ? 'HTTP_CHECK - network unreachable'
          : c.failure === 'refused' ? 'Connection failed' : 'Error connecting';
    return { ok: false, reason, failure: c.message };
  }
  const reader = new ResponseReader();
  const sock = c.socket;
  const sent = await new Promise<boolean>((resolve) => {
    sock.write(request, 'latin1', (e) => resolve(!e));
  });
  if (!sent) {
    sock.destroy();
    return { ok: false, reason: 'Cannot send get request to', failure: 'write failed' };
  }
  const end = await converse(sock, target.timeoutMs, (chunk) => {
    reader.push(chunk);
    return false;
  }, signal);
  if (end === 'timeout') return { ok: false, reason: tlsOpts ? 'Timeout SSL read' : 'Timeout HTTP read', failure: 'read timeout' };
  if (end === 'error' && reader.header === null) return { ok: false, reason: tlsOpts ? 'SSL read error from' : 'Read error with', failure: 'read error' };
  return { ok: true, reader, digest: reader.digest() };
}

/** keepalived's verdict on a complete response for `url`. */
export function judgeResponse(url: UrlCheck, reader: ResponseReader, digest: Buffer): Outcome {
  if (reader.header === null) return { ok: false, reason: 'Read, no data received from' };
  const st = reader.status;
  if (!url.status.some(([lo, hi]) => st >= lo && st <= hi)) return { ok: false, reason: 'HTTP status code error to' };
  let what = 'HTTP status code';
  if (url.digest) {
    if (digest.toString('hex') !== url.digest) return { ok: false, reason: 'MD5 digest error to' };
    what = 'MD5 digest';
  }
  if (url.regex !== undefined) {
    let matched = false;
    try {
      const re = new RegExp(url.regex, url.regexFlags.includes('g') ? url.regexFlags : `${url.regexFlags}g`);
      const text = reader.text();
      re.lastIndex = url.regexMinOffset ?? 0;
      const m = re.exec(text);
      matched = !!m && (url.regexMaxOffset === undefined || m.index < url.regexMaxOffset);
    } catch {
      matched = false;
    }
    if (matched === url.regexNoMatch) return { ok: false, reason: 'Regex match failed' };
    what = 'Regex match';
  }
  return { ok: true, reason: `${what} success` };
}

/** One HTTP_GET / SSL_GET check of URL `index`. */
export async function httpCheck(spec: HttpSpec, index: number, signal?: AbortSignal): Promise<Outcome> {
  const url = spec.urls[index];
  if (!url) return { ok: true, reason: 'no url to check' };
  let tlsOpts: TlsOptions | undefined;
  try {
    tlsOpts = readTls(spec, url);
  } catch (e) {
    return { ok: false, reason: `SSL error : Cant load certificate file... (${(e as Error).message})` };
  }
  const req = buildRequest(url.path, spec.protocol, spec.target, url.virtualhost ?? spec.virtualhost);
  const r = await fetchUrl(spec.target, req, tlsOpts, signal);
  if (!r.ok) return { ok: false, reason: r.reason };
  return judgeResponse(url, r.reader, r.digest);
}
