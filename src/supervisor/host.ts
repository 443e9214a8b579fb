/**
 * Actor host, main-thread side: owns one worker thread (./host-worker), batches outgoing messages into
 * one transferred frame per turn, decodes/validates what comes back (malformed → counted, dropped),
 * and keeps the heartbeat bookkeeping the supervisor's watchdog reads.
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import {
  FrameWriter, decodeFrame, validateFromHost, type FromHost, type ToHost, type HostStats,
} from './messages';
import type { Pool } from './placement';
import { monoNow } from '../actors/runtime';

export interface HostOptions {
  id: string;
  pool: Pool;
  logLevel: string;
  onMessage: (h: Host, m: FromHost) => void;
  onDrop: (h: Host, reason: string, detail?: unknown) => void;
  onExit: (h: Host, code: number, err?: Error) => void;
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
}

export class Host {
  readonly id: string;
  readonly pool: Pool;
  readonly worker: Worker;
  readonly actors = new Set<string>();
  /** slot+1 of the actor inside a handler, 0 when idle (written by the worker). */
  readonly current: Int32Array;
  readonly createdAt = Date.now();
  /** monotonic ms at creation (the supervisor's ready timeout) */
  readonly createdMono = monoNow();
  ready = false;
  dead = false;
  pingSeq = 0;
  /** seq of the last pong */
  lastSeq = 0;
  /** monotonic ms when the oldest unanswered ping was sent; 0 when none is outstanding */
  pingSentAt = 0;
  lastPongAt = 0;
  /** monotonic ms of the last message of any kind from the host: each one shows it alive, as a pong does */
  lastHeardAt = monoNow();
  missed = 0;
  stats: HostStats = { handled: 0, dropped: {}, depths: {}, heapUsed: 0 };
  private writer = new FrameWriter();
  private flushScheduled = false;
  private readonly opts: HostOptions;

  constructor(opts: HostOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.pool = opts.pool;
    this.current = new Int32Array(new SharedArrayBuffer(4));
    this.worker = new Worker(path.join(__dirname, 'host-worker.js'), {
      workerData: { hostId: opts.id, pool: opts.pool, current: this.current, logLevel: opts.logLevel },
      ...(opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {}),
    });
    this.worker.on('message', (data: unknown) => {
      if (this.dead) return;
      decodeFrame(data, validateFromHost, (m) => this.opts.onMessage(this, m), (r, d) => this.opts.onDrop(this, r, d));
    });
    this.worker.on('messageerror', () => this.opts.onDrop(this, 'messageerror'));
    let err: Error | undefined;
    this.worker.on('error', (e) => {
      err = e;
    });
    this.worker.on('exit', (code) => {
      const wasDead = this.dead;
      this.dead = true;
      if (!wasDead) this.opts.onExit(this, code, err);
    });
  }

  post(m: ToHost): void {
    if (this.dead) return;
    this.writer.push(m);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Send now (heartbeats must not wait behind a batch). */
  postNow(m: ToHost): void {
    if (this.dead) return;
    this.writer.push(m);
    this.flush();
  }

  /** For tests and fault drills: post an arbitrary value, bypassing encoding. */
  postRaw(v: unknown, transfer?: ArrayBuffer[]): void {
    if (this.dead) return;
    this.worker.postMessage(v, transfer ?? []);
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.dead) return;
    const f = this.writer.take();
    if (f) this.worker.postMessage(f, [f.buffer as ArrayBuffer]);
  }

  /** Stop the thread, even in a busy loop. Does not call onExit. */
  terminate(): Promise<number> {
    this.dead = true;
    return this.worker.terminate();
  }
}
