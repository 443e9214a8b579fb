/**
 * Control socket: a Unix stream socket (default /run/keepalived-ts/control.sock) speaking
 * newline-delimited JSON. The file is created with mode 0600 (umask held at 0177 around bind), so the
 * kernel refuses connect() from any non-root user (EACCES). A stale socket file left by a dead daemon is
 * removed at start; a live one is refused with E_CONTROL_IN_USE.
 *
 * Requests (one JSON object per line) and responses (one line each):
 *   {"cmd":"dump-state"}  → {"ok":true,"cmd":"dump-state","data":{"version":1,"pid":…,"time":…,
 *                            "actors":[ActorState…],"hosts":[HostState…],"stats":SupervisorStats, …extra}}
 *   {"cmd":"stats"}       → {"ok":true,"cmd":"stats","data":SupervisorStats}
 *   {"cmd":"fault-inject","actor":"VI_1","fault":"crash"|"hang"|"slow","ms":500}
 *                         → {"ok":true,"cmd":"fault-inject","data":{"actor":…,"fault":…}}
 *                            or {"ok":false,"error":{"code":"E_FAULT_INJECTION_DISABLED",…}}
 *   {"cmd":"block-main","ms":1000}
 *                         → blocks the main thread itself for ms (at most 10 s), then
 *                            {"ok":true,"cmd":"block-main","data":{"ms":…}}; with fault injection only
 *   {"cmd":"reload"}      → {"ok":true,"cmd":"reload","data":…}
 *   health, ready, status: see docs/control-protocol.md (the whole protocol)
 * Errors: {"ok":false,"cmd":…,"error":{"code":"E_CONTROL_BAD_REQUEST"|"E_CONTROL_UNKNOWN_CMD"|…,"message":…}}
 */
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KtsError } from '../util/errors';
import type { Supervisor } from './supervisor';
import type { FaultKind } from './messages';

export const DEFAULT_CONTROL_SOCKET = '/run/keepalived-ts/control.sock';

export interface ControlHandlers {
  supervisor: Supervisor;
  /** Extra state from the daemon (VRRP instances, …): its keys are merged into dump-state's data. */
  extraState?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Handles {"cmd":"reload"}; absent → E_CONTROL_UNSUPPORTED. */
  reload?: () => unknown | Promise<unknown>;
  /** More commands by name (health, ready, status: src/observe); docs/control-protocol.md lists them all. */
  verbs?: Record<string, (req: Record<string, unknown>) => unknown>;
}

export type ControlResponse =
  | { ok: true; cmd: string; data: unknown }
  | { ok: false; cmd: string | null; error: { code: string; message: string } };

const MAX_LINE = 64 * 1024;

export class ControlServer {
  readonly path: string;
  private readonly handlers: ControlHandlers;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(socketPath: string, handlers: ControlHandlers) {
    this.path = socketPath;
    this.handlers = handlers;
  }

  async listen(): Promise<void> {
    fs.mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o755 });
    await removeStale(this.path);
    const server = net.createServer((s) => this.onConnection(s));
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    fs.chmodSync(this.path, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const c of this.sockets) c.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
    try {
      fs.unlinkSync(this.path);
    } catch {
      /* gone */
    }
  }

  /** Handle one request object (exported for tests and in-process callers). */
  async handle(req: unknown): Promise<ControlResponse> {
    if (typeof req !== 'object' || req === null || Array.isArray(req) || typeof (req as { cmd?: unknown }).cmd !== 'string') {
      return { ok: false, cmd: null, error: { code: 'E_CONTROL_BAD_REQUEST', message: 'request must be a JSON object with a string "cmd"' } };
    }
    const r = req as { cmd: string; actor?: unknown; fault?: unknown; ms?: unknown };
    const sup = this.handlers.supervisor;
    try {
      switch (r.cmd) {
        case 'dump-state': {
          const st = sup.state();
          const extra = this.handlers.extraState ? await this.handlers.extraState() : {};
          return { ok: true, cmd: r.cmd, data: { version: 1, pid: process.pid, time: new Date().toISOString(), ...st, ...extra } };
        }
        case 'stats':
          return { ok: true, cmd: r.cmd, data: sup.stats() };
        case 'fault-inject': {
          if (!sup.faultInjection) throw new KtsError('E_FAULT_INJECTION_DISABLED', 'fault injection is disabled (start with --enable-fault-injection)');
          if (typeof r.actor !== 'string') throw new KtsError('E_CONTROL_BAD_REQUEST', 'fault-inject needs "actor"');
          if (r.fault !== 'crash' && r.fault !== 'hang' && r.fault !== 'slow') throw new KtsError('E_CONTROL_BAD_REQUEST', 'fault must be crash, hang or slow');
          const ms = typeof r.ms === 'number' ? r.ms : undefined;
          sup.injectFault(r.actor, r.fault as FaultKind, ms);
          return { ok: true, cmd: r.cmd, data: { actor: r.actor, fault: r.fault, ...(ms !== undefined ? { ms } : {}) } };
        }
        case 'block-main': {
          // the one thread the supervisor cannot watch: systemd's WATCHDOG=1 must stop while it is blocked
          if (!sup.faultInjection) throw new KtsError('E_FAULT_INJECTION_DISABLED', 'fault injection is disabled (start with --enable-fault-injection)');
          const ms = typeof r.ms === 'number' && r.ms > 0 ? Math.min(r.ms, 10_000) : 1000;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
          return { ok: true, cmd: r.cmd, data: { ms } };
        }
        case 'reload': {
          if (!this.handlers.reload) throw new KtsError('E_CONTROL_UNSUPPORTED', 'reload is not supported here');
          const data = await this.handlers.reload();
          return { ok: true, cmd: r.cmd, data: data ?? null };
        }
        default: {
          const verb = this.handlers.verbs?.[r.cmd];
          if (verb && Object.hasOwn(this.handlers.verbs!, r.cmd)) return { ok: true, cmd: r.cmd, data: (await verb(r as Record<string, unknown>)) ?? null };
          throw new KtsError('E_CONTROL_UNKNOWN_CMD', `unknown command ${JSON.stringify(r.cmd)}`);
        }
      }
    } catch (e) {
      const code = e instanceof KtsError ? e.code : 'E_CONTROL_INTERNAL';
      return { ok: false, cmd: r.cmd, error: { code, message: (e as Error).message } };
    }
  }

  private onConnection(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
    s.setEncoding('utf8');
    let buf = '';
    let chain = Promise.resolve();
    s.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        s.end(JSON.stringify({ ok: false, cmd: null, error: { code: 'E_CONTROL_BAD_REQUEST', message: 'request line too long' } }) + '\n');
        buf = '';
        return;
      }
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        chain = chain.then(async () => {
          let req: unknown;
          let resp: ControlResponse;
          try {
            req = JSON.parse(line);
            resp = await this.handle(req);
          } catch {
            resp = { ok: false, cmd: null, error: { code: 'E_CONTROL_BAD_REQUEST', message: 'request is not valid JSON' } };
          }
          if (!s.destroyed) s.write(JSON.stringify(resp) + '\n');
        });
      }
    });
  }
}

/** Remove a socket file nobody listens on; refuse if a daemon still answers there. */
async function removeStale(p: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new KtsError('E_CONTROL_PATH', `${p} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new KtsError('E_CONTROL_IN_USE', `another daemon is listening on ${p}`);
  fs.unlinkSync(p);
}

/** Send one request and read one response line. */
export function request(socketPath: string, req: unknown, timeoutMs = 5000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath);
    let buf = '';
    const t = setTimeout(() => {
      c.destroy();
      reject(new KtsError('E_CONTROL_TIMEOUT', `no answer from ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
    c.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(t);
        c.end();
        try {
          resolve(JSON.parse(buf.slice(0, i)) as ControlResponse);
        } catch {
          reject(new KtsError('E_CONTROL_BAD_RESPONSE', 'response is not valid JSON'));
        }
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      const code = e.code === 'EACCES' ? 'E_CONTROL_DENIED' : e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'E_CONTROL_NO_DAEMON' : 'E_CONTROL_CONNECT';
      const why = e.code === 'EACCES' ? 'permission denied (the control socket is root-only)' : e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'no daemon is listening' : e.message;
      reject(new KtsError(code, `${socketPath}: ${why}`));
    });
  });
}
