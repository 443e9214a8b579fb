/**
 * TCP_CHECK, SMTP_CHECK, UDP_CHECK and DNS_CHECK: each does ONE check and returns its Outcome, the
 * failure reasons in keepalived 2.2.7's words (check_tcp.c, check_smtp.c, check_udp.c, check_dns.c).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { CheckSpec, Target } from './config';
import { connectTarget, converse } from './connect';
import { dnsQuery, dnsReply } from './dns';
import type { Outcome } from './machine';

type Spec<T extends CheckSpec['type']> = Extract<CheckSpec, { type: T }>;

/** TCP_CHECK: a connect within connect_timeout is a success. */
export async function tcpCheck(spec: Spec<'TCP_CHECK'>, signal?: AbortSignal): Promise<Outcome> {
  const c = await connectTarget(spec.target, undefined, signal);
  if (c.ok) {
    c.socket.destroy();
    return { ok: true, reason: 'TCP connection success' };
  }
  return { ok: false, reason: c.failure === 'timeout' ? 'TCP connection timeout' : 'TCP connection failed' };
}

/** check_smtp.c smtp_get_status: exactly three digits followed by a space or the end. */
function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |$)/.exec(line);
  return m ? Number(m[1]) : -1;
}

/**
 * SMTP_CHECK (check_smtp.c smtp_engine_thread): banner 220, `HELO helo_name` → 250, `QUIT`. Multi-line
 * replies are read to their last line (keepalived reads line by line and tests the final one).
 */
export async function smtpCheck(spec: Spec<'SMTP_CHECK'>, signal?: AbortSignal): Promise<Outcome> {
  const where = `${spec.target.host}:${spec.target.port}`;
  const c = await connectTarget(spec.target, undefined, signal);
  if (!c.ok) {
    const reason = c.failure === 'timeout' ? `Connection timeout to server ${where}` : c.failure === 'refused' || c.failure === 'unreachable' ? `Could not connect to server ${where}` : `Error connecting to server ${where}`;
    return { ok: false, reason: `SMTP_CHECK ${reason}` };
  }
  const sock = c.socket;
  let buf = '';
  const st8: { stage: 'banner' | 'helo' | 'quit'; verdict: Outcome | null } = { stage: 'banner', verdict: null };
  const end = await converse(sock, spec.target.timeoutMs, (chunk) => {
    buf += chunk.toString('latin1');
    for (;;) {
      const nl = buf.indexOf('\n');
      if (nl < 0) return false;
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (/^\d{3}-/.test(line)) continue; // continuation line
      const st = smtpStatus(line);
      if (st8.stage === 'banner') {
        if (st !== 220) {
          st8.verdict = { ok: false, reason: `SMTP_CHECK Bad greeting banner from server ${where}` };
          return true;
        }
        st8.stage = 'helo';
        sock.write(`HELO ${spec.helo}\r\n`);
      } else if (st8.stage === 'helo') {
        if (st !== 250) {
          st8.verdict = { ok: false, reason: `SMTP_CHECK Bad HELO response from server ${where}` };
          return true;
        }
        st8.stage = 'quit';
        sock.write('QUIT\r\n');
      } else {
        st8.verdict = { ok: true, reason: 'SMTP_CHECK success' };
        return true;
      }
    }
  }, signal);
  if (st8.verdict) return st8.verdict;
  // the server closed after our QUIT without answering: keepalived counts the exchange as done
  if (st8.stage === 'quit' && end === 'eof') return { ok: true, reason: 'SMTP_CHECK success' };
  if (end === 'timeout') return { ok: false, reason: `SMTP_CHECK Read timeout from server ${where}` };
  return { ok: false, reason: `SMTP_CHECK Read failure from server ${where}` };
}

function udpSocket(t: Target): dgram.Socket {
  return dgram.createSocket(net.isIPv6(t.host) ? 'udp6' : 'udp4');
}

type Datagram = { kind: 'msg'; msg: Buffer } | { kind: 'refused' } | { kind: 'error'; message: string } | { kind: 'timeout' };

/**
 * Bind (bindto/bind_port), connect, send `payload`, then hand each reply to `onMsg` until it returns
 * true, an ICMP error arrives, or the timeout passes.
 */
function udpExchange(t: Target, payload: Buffer, onMsg: (m: Buffer) => boolean, signal?: AbortSignal): Promise<Datagram> {
  return new Promise((resolve) => {
    const s = udpSocket(t);
    let settled = false;
    const finish = (r: Datagram): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        s.close();
      } catch {
        /* closed already */
      }
      resolve(r);
    };
    const onAbort = (): void => finish({ kind: 'error', message: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), t.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'error', message: e.message }));
    s.on('message', (m) => {
      if (onMsg(m)) finish({ kind: 'msg', msg: m });
    });
    const go = (): void => {
      s.connect(t.port, t.host, () => {
        s.send(payload, (e) => {
          if (e) finish({ kind: 'error', message: e.message });
        });
      });
    };
    if (t.bindto || t.bindPort) s.bind({ address: t.bindto, port: t.bindPort ?? 0 }, go);
    else go();
  });
}

/**
 * keepalived's read_hex_str (lib/parser.c): hex digits, blanks between octets, a lone digit is one
 * octet; with `wildcards`, an `x` nibble matches anything (its mask bits are set). Null when invalid.
 */
export function parseHexStr(text: string, wildcards: boolean): { data: Buffer; mask: Buffer } | null {
  const data: number[] = [];
  const mask: number[] = [];
  const nib = (ch: string): [number, number] | null => {
    if (/^[0-9a-fA-F]$/.test(ch)) return [parseInt(ch, 16), 0];
    if (wildcards && (ch === 'x' || ch === 'X')) return [0, 0x0f];
    return null;
  };
  for (const group of text.trim().split(/[ \t]+/).filter(Boolean)) {
    for (let i = 0; i < group.length; i += 2) {
      const hi = nib(group[i]);
      if (!hi) return null;
      if (i + 1 >= group.length) {
        data.push(hi[0]);
        mask.push(hi[1]);
        break;
      }
      const lo = nib(group[i + 1]);
      if (!lo) return null;
      data.push((hi[0] << 4) | lo[0]);
      mask.push((hi[1] << 4) | lo[1]);
    }
  }
  return data.length ? { data: Buffer.from(data), mask: Buffer.from(mask) } : null;
}

/** check_udp.c check_udp_reply: length within bounds, then the shorter of reply and expectation equal (wildcards aside). */
export function udpReplyMatches(reply: Buffer, spec: Spec<'UDP_CHECK'>): boolean {
  if (reply.length < spec.minReplyLength || reply.length > spec.maxReplyLength) return false;
  if (!spec.reply) return true;
  const want = parseHexStr(spec.reply, true);
  if (!want) return false;
  const n = Math.min(want.data.length, reply.length);
  for (let i = 0; i < n; i++) if ((reply[i] ^ want.data[i]) & ~want.mask[i] & 0xff) return false;
  return true;
}

/**
 * UDP_CHECK: send `payload`; without `require_reply` the check fails only on an ICMP error (port
 * unreachable) within connect_timeout; with it, a matching reply must arrive in time.
 */
export async function udpCheck(spec: Spec<'UDP_CHECK'>, signal?: AbortSignal): Promise<Outcome> {
  const payload = spec.payload ? parseHexStr(spec.payload, false)?.data ?? Buffer.alloc(0) : Buffer.alloc(0);
  const r = await udpExchange(spec.target, payload, () => true, signal);
  switch (r.kind) {
    case 'timeout':
      return spec.requireReply ? { ok: false, reason: 'UDP connection failed' } : { ok: true, reason: 'UDP connection success' };
    case 'msg':
      return !spec.requireReply || udpReplyMatches(r.msg, spec)
        ? { ok: true, reason: 'UDP connection success' }
        : { ok: false, reason: 'UDP check reply data mismatch' };
    case 'refused':
    case 'error':
      return { ok: false, reason: 'UDP connection failed' };
    default: {
      const never: never = r;
      return { ok: false, reason: String(never) };
    }
  }
}

/** DNS_CHECK: one query over UDP; an answer with our id, QR set and RCODE 0 is a success. */
export async function dnsCheck(spec: Spec<'DNS_CHECK'>, signal?: AbortSignal, id = Math.floor(Math.random() * 0x10000)): Promise<Outcome> {
  let query: Buffer;
  try {
    query = dnsQuery(id, spec.name, spec.qtype);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const r = await udpExchange(spec.target, query, (m) => dnsReply(id, m).kind !== 'ignore', signal);
  switch (r.kind) {
    case 'timeout':
      return { ok: false, reason: 'read timeout from socket' };
    case 'refused':
      return { ok: false, reason: 'failed to read socket; errno 111 (Connection refused)' };
    case 'error':
      return { ok: false, reason: `failed to read socket; ${r.message}` };
    case 'msg': {
      const v = dnsReply(id, r.msg);
      return v.kind === 'rcode' ? { ok: false, reason: `read error occurred. (rcode = ${v.rcode})` } : { ok: true, reason: 'DNS_CHECK success' };
    }
    default: {
      const never: never = r;
      return { ok: false, reason: String(never) };
    }
  }
}
