/**
 * notify_fifo / vrrp_notify_fifo writer actor (pool 'notifier'), one per daemon. Owns the FIFO
 * (FifoWriter: opened O_RDWR|O_NONBLOCK, created with mkfifo when missing) and writes keepalived's
 * lines (`INSTANCE "VI_1" MASTER 100`, `GROUP "VG_1" FAULT 0`). A line that does not fit (no reader,
 * pipe full) is dropped and counted, never waited for.
 *
 * Restarts: lines carry a `seq`; the snapshot keeps the last one written, so a restarted actor
 * writes the lines queued behind the crash once each; the line being written at the crash may be lost.
 */
import { defineActor, type ActorContext } from '../runtime';
import { FifoWriter, fifoLine, type FifoEvent } from './notify';
import type { LogRequest } from './job-messages';

export interface FifoActorInit {
  path: string;
}

export type ToFifoActor =
  | { type: 'transition'; seq: number; kind: 'INSTANCE' | 'GROUP'; name: string; event: FifoEvent; priority: number }
  /** a checker line as keepalived writes it ("RS [198.51.100.2]:tcp:80 [192.0.2.1]:tcp:80 DOWN") */
  | { type: 'line'; seq: number; line: string }
  | { type: 'config'; path: string }
  | { type: 'flush'; token: number };

export type FromFifoActor = LogRequest | { type: 'flushed'; token: number };

export interface FifoActorSnapshot {
  path: string;
  lastSeq: number;
  written: number;
  dropped: number;
}

interface Working {
  snap: FifoActorSnapshot;
  fifo: FifoWriter;
}

/** The live writer per actor id on this host: a crashed incarnation's fd is closed by the next start(). */
const live = new Map<string, Working>();

function open(ctx: ActorContext<FromFifoActor, Working>, path: string): FifoWriter {
  const f = new FifoWriter(path, { create: true });
  try {
    f.open();
  } catch (e) {
    ctx.send({ type: 'log', level: 'warn', fields: { code: 'E_FIFO', fifo: path }, msg: `notify fifo ${path}: ${(e as Error).message}` });
  }
  return f;
}

export const actor = defineActor<ToFifoActor, FromFifoActor, FifoActorInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as FifoActorSnapshot | undefined;
    const snap: FifoActorSnapshot = s && typeof s.path === 'string' ? s : { path: init.path, lastSeq: 0, written: 0, dropped: 0 };
    live.get(ctx.id)?.fifo.close();
    ctx.state = { snap, fifo: open(ctx, snap.path) };
    live.set(ctx.id, ctx.state);
    ctx.report(snap);
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'transition':
        if (msg.seq <= w.snap.lastSeq) return;
        w.snap.lastSeq = msg.seq;
        if (w.fifo.write(fifoLine(msg.kind, msg.name, msg.event, msg.priority))) w.snap.written++;
        else w.snap.dropped++;
        break;
      case 'line':
        if (msg.seq <= w.snap.lastSeq) return;
        w.snap.lastSeq = msg.seq;
        if (w.fifo.write(msg.line.endsWith('\n') ? msg.line : `${msg.line}\n`)) w.snap.written++;
        else w.snap.dropped++;
        break;
      case 'config':
        if (msg.path === w.snap.path) return;
        w.fifo.close();
        w.snap.path = msg.path;
        w.fifo = open(ctx, msg.path);
        break;
      case 'flush':
        ctx.send({ type: 'flushed', token: msg.token });
        return;
      default: {
        const never: never = msg;
        ctx.log.warn({ msg: never }, 'fifo actor: unknown message dropped');
        return;
      }
    }
    ctx.report(w.snap);
  },

  stop(ctx) {
    ctx.state?.fifo.close();
    if (ctx.state && live.get(ctx.id) === ctx.state) live.delete(ctx.id);
  },
});
