/**
 * The layer-4 part every TCP-based check shares (keepalived core/layer4.c tcp_bind_connect /
 * tcp_socket_state): bind to `bindto`/`bind_port` when given, connect within `connect_timeout`, and
 * name the failure as keepalived's checkers log it. Plain sockets or TLS (SSL_GET) alike.
 *
 * Not applied here: `fwmark` (SO_MARK) and `bind_if` (SO_BINDTODEVICE): node:net cannot set either
 * option on its sockets and only src/io may load a native addon; a checker that has them runs without
 * them and says so once (see actor.ts, `E_CHECKER_SOCKOPT`).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Target } from './config';

export type ConnectFailure = 'refused' | 'timeout' | 'unreachable' | 'error' | 'tls';

export type Connected = { ok: true; socket: net.Socket } | { ok: false; failure: ConnectFailure; message: string };

export interface TlsOptions {
  servername?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
}

function classify(e: NodeJS.ErrnoException): ConnectFailure {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return 'unreachable';
    default:
      return 'error';
  }
}

/**
 * Connect to `t` (TLS when `tlsOpts` is given: no certificate verification, as keepalived's SSL_GET
 * never sets SSL_VERIFY_PEER). Resolves once connected (and the handshake done), never rejects.
 */
export function connectTarget(t: Target, tlsOpts?: TlsOptions, signal?: AbortSignal): Promise<Connected> {
  return new Promise((resolve) => {
    let settled = false;
    const base: net.TcpNetConnectOpts = {
      host: t.host, port: t.port,
      ...(t.bindto ? { localAddress: t.bindto } : {}),
      ...(t.bindPort ? { localPort: t.bindPort } : {}),
    };
    const raw = net.connect(base);
    let sock: net.Socket = raw;
    let phase: 'connect' | 'tls' = 'connect';
    const finish = (r: Connected): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.removeAllListeners('error');
      raw.removeAllListeners('error');
      if (!r.ok) sock.destroy();
      else sock.on('error', () => undefined); // later errors are the caller's to read via close
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, failure: 'error', message: 'aborted' });
    const timer = setTimeout(() => finish({ ok: false, failure: 'timeout', message: phase === 'tls' ? 'TLS handshake timeout' : 'connect timeout' }), t.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    raw.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, failure: phase === 'tls' ? 'tls' : classify(e), message: e.message }));
    raw.once('connect', () => {
      if (!tlsOpts) {
        finish({ ok: true, socket: raw });
        return;
      }
      phase = 'tls';
      const s = tls.connect({
        socket: raw, rejectUnauthorized: false,
        ...(tlsOpts.servername && !net.isIP(tlsOpts.servername) ? { servername: tlsOpts.servername } : {}),
        ...(tlsOpts.ca ? { ca: tlsOpts.ca } : {}),
        ...(tlsOpts.cert ? { cert: tlsOpts.cert } : {}),
        ...(tlsOpts.key ? { key: tlsOpts.key } : {}),
        ...(tlsOpts.passphrase ? { passphrase: tlsOpts.passphrase } : {}),
      });
      sock = s;
      s.once('error', (e) => finish({ ok: false, failure: 'tls', message: e.message }));
      s.once('secureConnect', () => finish({ ok: true, socket: s }));
    });
  });
}

/**
 * Talk over a connected socket: `onData` sees each chunk and returns true when it has what it needs.
 * The timer restarts at every chunk (keepalived re-arms connection_to for each read). Resolves with how
 * the exchange ended; destroys the socket.
 */
export function converse(
  sock: net.Socket,
  timeoutMs: number,
  onData: (chunk: Buffer) => boolean,
  signal?: AbortSignal,
): Promise<'done' | 'eof' | 'timeout' | 'error'> {
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish('timeout'), timeoutMs);
    };
    const finish = (r: 'done' | 'eof' | 'timeout' | 'error'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.removeAllListeners('data');
      sock.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish('error');
    signal?.addEventListener('abort', onAbort, { once: true });
    arm();
    sock.on('data', (c: Buffer) => {
      arm();
      if (onData(c)) finish('done');
    });
    sock.once('end', () => finish('eof'));
    sock.once('close', () => finish('eof'));
    sock.on('error', () => finish('error'));
  });
}
