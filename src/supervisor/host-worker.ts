/**
 * Actor host: the worker-thread side. Runs many actors; isolates them from each other:
 *  - every handler call (start/receive/timer/stop) is wrapped; a sync throw or a rejected promise crashes
 *    that actor only. Its later messages stay queued here until the supervisor restarts it.
 *  - stray async errors (a throw in an actor's own setTimeout, an unhandled rejection) are attributed to the
 *    actor through AsyncLocalStorage and crash only that actor; unattributable ones are reported as
 *    `host-error` (the supervisor then replaces the whole host).
 *  - the slot of the actor currently inside a handler is written to a SharedArrayBuffer, so when this
 *    thread stops answering heartbeats the supervisor knows which actor hung it.
 * Messages in and out are validated/encoded by ./messages; nothing malformed is ever thrown.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActorContext, ActorModule } from '../actors/runtime';
import { monoNow } from '../actors/runtime';
import { createLogger } from '../util/log';
import {
  FrameWriter, decodeFrame, validateToHost, packValue, unpackValue, wireError,
  type ToHost, type FromHost, type CrashPhase, type TimerTable, type FaultKind,
} from './messages';

interface HostWorkerData {
  hostId: string;
  pool: string;
  current: Int32Array;
  logLevel: string;
}

type Item =
  | { k: 'msg'; msg: unknown }
  | { k: 'timer'; name: string; entry: TimerEntry }
  | { k: 'start'; init: unknown; snapshot: unknown; hasSnapshot: boolean; timers: TimerTable }
  | { k: 'stop'; reason: string; final: boolean }
  | { k: 'crash' };

interface TimerEntry { at: number; handle: NodeJS.Timeout | null }

interface Slot {
  id: string;
  slot: number;
  kind: string;
  mod: ActorModule;
  ctx: ActorContext | null;
  live: boolean;
  busy: boolean;
  control: Item[];
  queue: Item[];
  timers: Map<string, TimerEntry>;
  timersDirty: boolean;
}

const port = parentPort!;
const wd = workerData as HostWorkerData;
const current = wd.current;
nameThisThread(`kts-${wd.hostId}`);
const log = createLogger({ name: `host:${wd.hostId}`, level: wd.logLevel });
const als = new AsyncLocalStorage<Slot>();
const slots = new Map<string, Slot>();
const modules = new Map<string, ActorModule>();
const ready = new Set<Slot>();
const writer = new FrameWriter();
const dropped: Record<string, number> = {};
let handled = 0;
let pumpScheduled = false;
let flushScheduled = false;
let dropLogged = 0;
const BUDGET = 64;

/**
 * Bookkeeping (snapshots, timer tables) from hosts off the VRRP pool goes out with the next other
 * message, or after BOOKKEEPING_MS: 1,000 checkers re-arm a timer each a second, and posting each
 * alone woke the main thread, which sends the adverts, 1,000 times a second. A VRRP host posts at once.
 */
const LAZY_BOOKKEEPING = wd.pool !== 'vrrp';
const BOOKKEEPING_MS = 100;
let lazyFlush: NodeJS.Timeout | null = null;

function out(m: FromHost): void {
  writer.push(m);
  scheduleFlush(m.type === 'snapshot');
}

function scheduleFlush(bookkeeping: boolean): void {
  if (flushScheduled) return;
  if (bookkeeping && LAZY_BOOKKEEPING) {
    lazyFlush ??= setTimeout(flush, BOOKKEEPING_MS);
    return;
  }
  flushScheduled = true;
  setImmediate(flush);
}

function flush(): void {
  flushScheduled = false;
  if (lazyFlush) clearTimeout(lazyFlush);
  lazyFlush = null;
  for (const s of slots.values()) if (s.timersDirty) sendTimers(s);
  const f = writer.take();
  if (f) port.postMessage(f, [f.buffer as ArrayBuffer]);
}

function sendTimers(s: Slot): void {
  s.timersDirty = false;
  const t: TimerTable = [];
  for (const [name, e] of s.timers) t.push([name, e.at]);
  writer.push({ v: 1, type: 'timers', actor: s.id, timers: t });
}

function drop(reason: string, detail?: unknown): void {
  dropped[reason] = (dropped[reason] ?? 0) + 1;
  // log the first few and then one in 1,000, so a flood cannot flood the log too
  if (dropLogged < 5 || dropped[reason]! % 1000 === 0) {
    dropLogged++;
    log.warn({ reason, count: dropped[reason], detail: typeof detail === 'string' ? detail : undefined }, 'dropped malformed message');
  }
}

function loadModule(path: string): ActorModule {
  let m = modules.get(path);
  if (!m) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exp = require(path) as { actor?: ActorModule };
    if (!exp.actor || typeof exp.actor.start !== 'function' || typeof exp.actor.receive !== 'function') {
      throw new Error(`${path} does not export actor: ActorModule`);
    }
    m = exp.actor;
    modules.set(path, m);
  }
  return m;
}

function makeCtx(s: Slot): ActorContext {
  const ctx: ActorContext = {
    id: s.id,
    state: undefined,
    send(msg: unknown) {
      if (s.ctx !== ctx) return; // an old incarnation's late callback
      out({ v: 1, type: 'out', actor: s.id, msg });
    },
    report(snapshot: unknown) {
      if (s.ctx !== ctx) return;
      out({ v: 1, type: 'snapshot', actor: s.id, snap: packValue(snapshot) });
    },
    setTimer(name: string, atMs: number) {
      if (s.ctx !== ctx) return;
      armTimer(s, name, atMs);
    },
    clearTimer(name: string) {
      if (s.ctx !== ctx) return;
      const e = s.timers.get(name);
      if (e) {
        if (e.handle) clearTimeout(e.handle);
        s.timers.delete(name);
        markTimers(s);
      }
    },
    now: monoNow,
    log: log.child({ actor: s.id, kind: s.kind }),
  };
  return ctx;
}

function markTimers(s: Slot): void {
  s.timersDirty = true;
  scheduleFlush(true);
}

/**
 * How early a timer's setTimeout is armed before its deadline (see armTimer). libuv counts whole
 * milliseconds and fires a timeout anywhere from ~1 ms early to ~1 ms late; armed 1 ms early it
 * fires before the deadline nearly always (measured here: median 1.2 ms, at most ~2.7 ms early).
 */
const TIMER_EARLY_MS = 1;
/** A timer that fires more than this before its deadline is armed again instead of napping. */
const NAP_MAX_MS = 3;
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleep (not spin) this thread for a sub-millisecond to few-millisecond remainder, µs-precise (futex). */
function nap(ms: number): void {
  Atomics.wait(napCell, 0, 0, ms);
}

function armTimer(s: Slot, name: string, at: number): void {
  const old = s.timers.get(name);
  if (old?.handle) clearTimeout(old.handle);
  const entry: TimerEntry = { at, handle: null };
  // VRRP's master-down timer is measured against keepalived to the millisecond, and libuv's timers
  // have 1 ms granularity: arm a little early and sleep the remainder. The sleep blocks this host for
  // at most NAP_MAX_MS (other actors' messages wait that long); it burns no CPU, unlike polling with
  // setImmediate turns, which with 100 instances was most of an idle daemon's CPU.
  const fire = (): void => {
    entry.handle = null;
    if (s.timers.get(name) !== entry || !s.live) return;
    const left = entry.at - monoNow();
    if (left > NAP_MAX_MS) {
      entry.handle = setTimeout(fire, Math.floor(left) - TIMER_EARLY_MS);
      return;
    }
    if (left > 0) nap(left);
    enqueue(s, { k: 'timer', name, entry }, false);
    // a due timer runs now (this is already a macrotask of its own), not after a setImmediate hop
    if (!pumping) pump();
  };
  entry.handle = setTimeout(fire, Math.max(0, Math.floor(at - monoNow()) - TIMER_EARLY_MS));
  s.timers.set(name, entry);
  markTimers(s);
}

function disarmAll(s: Slot): void {
  for (const e of s.timers.values()) if (e.handle) {
    clearTimeout(e.handle);
    e.handle = null;
  }
}

function enqueue(s: Slot, item: Item, control: boolean): void {
  (control ? s.control : s.queue).push(item);
  ready.add(s);
  schedulePump();
}

function schedulePump(): void {
  if (!pumpScheduled) {
    pumpScheduled = true;
    setImmediate(pump);
  }
}

/** Round-robin over actors with work, at most BUDGET items each per turn so nobody starves. */
let pumping = false;

function pump(): void {
  pumpScheduled = false;
  pumping = true;
  try {
    pumpOnce();
  } finally {
    pumping = false;
  }
  // Post what this pass produced now rather than one more loop turn later: a VRRP actor's advert
  // decided in this pass should reach the main thread's socket without waiting for the next check phase.
  if (flushScheduled) flush();
}

function pumpOnce(): void {
  for (const s of [...ready]) {
    let n = 0;
    while (!s.busy && n < BUDGET) {
      const item = s.control.length > 0 ? s.control.shift()! : s.live ? s.queue.shift() : undefined;
      if (!item) break;
      n++;
      run(s, item);
    }
    if (s.busy || (s.control.length === 0 && (!s.live || s.queue.length === 0))) ready.delete(s);
  }
  if (ready.size > 0) schedulePump();
}

function phaseOf(item: Item): CrashPhase {
  switch (item.k) {
    case 'msg': return 'receive';
    case 'timer': return 'timer';
    case 'start': return 'start';
    case 'stop': return 'stop';
    case 'crash': return 'fault-inject';
  }
}

/** Run one item for one actor. Sync handlers complete inline; async ones mark the actor busy. */
function run(s: Slot, item: Item): void {
  let r: void | Promise<void>;
  current[0] = s.slot + 1;
  try {
    r = als.run(s, () => invoke(s, item));
  } catch (e) {
    current[0] = 0;
    crash(s, phaseOf(item), e);
    return;
  }
  current[0] = 0;
  if (r && typeof (r as Promise<void>).then === 'function') {
    s.busy = true;
    (r as Promise<void>).then(
      () => { s.busy = false; after(s, item); ready.add(s); schedulePump(); },
      (e) => { s.busy = false; crash(s, phaseOf(item), e); ready.add(s); schedulePump(); },
    );
  } else {
    after(s, item);
  }
}

function invoke(s: Slot, item: Item): void | Promise<void> {
  switch (item.k) {
    case 'msg': {
      if (!s.ctx) return;
      handled++;
      return s.mod.receive(s.ctx, item.msg);
    }
    case 'timer': {
      if (!s.ctx || s.timers.get(item.name) !== item.entry) return;
      handled++;
      return s.mod.timer?.(s.ctx, item.name);
    }
    case 'start': {
      s.ctx = makeCtx(s);
      s.live = true;
      // re-arm what the previous incarnation had pending (start() may override)
      for (const [name, at] of item.timers) armTimer(s, name, at);
      return item.hasSnapshot ? s.mod.start(s.ctx, item.init, item.snapshot) : s.mod.start(s.ctx, item.init);
    }
    case 'stop': {
      if (!s.ctx) return;
      const ctx = s.ctx;
      return s.mod.stop?.(ctx, item.reason);
    }
    case 'crash':
      throw new Error('injected crash');
  }
}

function after(s: Slot, item: Item): void {
  switch (item.k) {
    case 'start':
      out({ v: 1, type: 'started', actor: s.id });
      break;
    case 'timer':
      // fired and handled: drop it unless the handler re-armed the same name
      if (s.timers.get(item.name) === item.entry) {
        s.timers.delete(item.name);
        markTimers(s);
      }
      break;
    case 'stop':
      finishStop(s, item.final);
      break;
    default:
      break;
  }
}

function finishStop(s: Slot, final: boolean): void {
  disarmAll(s);
  s.live = false;
  s.ctx = null;
  if (final) {
    slots.delete(s.id);
    ready.delete(s);
    if (s.queue.length) drop('actor-stopped-queue', String(s.queue.length));
  } else {
    s.timers.clear(); // the supervisor holds the table and sends it back with the next spawn
  }
  out({ v: 1, type: 'stopped', actor: s.id, final });
}

function crash(s: Slot, phase: CrashPhase, e: unknown): void {
  if (phase === 'stop') {
    // a failing stop() still stops
    log.warn({ actor: s.id, err: wireError(e) }, 'actor stop handler failed');
    const pending = s.control.find((i) => i.k === 'stop') as Extract<Item, { k: 'stop' }> | undefined;
    finishStop(s, pending?.final ?? true);
    return;
  }
  if (!s.live && phase !== 'start') return;
  disarmAll(s); // keep the table: the restart re-arms it
  if (s.timersDirty) sendTimers(s); // a table still waiting for a lazy flush goes before the crash
  s.live = false;
  s.ctx = null;
  out({ v: 1, type: 'crashed', actor: s.id, phase, error: wireError(e) });
}

function handle(m: ToHost): void {
  switch (m.type) {
    case 'spawn': {
      let mod: ActorModule;
      let s = slots.get(m.actor);
      try {
        mod = loadModule(m.module);
      } catch (e) {
        const tmp: Slot = s ?? newSlot(m.actor, m.slot, m.kind, null as unknown as ActorModule);
        slots.set(m.actor, tmp);
        out({ v: 1, type: 'crashed', actor: m.actor, phase: 'start', error: wireError(e) });
        return;
      }
      if (s && s.live) {
        drop('spawn-live-actor', m.actor);
        return;
      }
      if (!s) {
        s = newSlot(m.actor, m.slot, m.kind, mod);
        slots.set(m.actor, s);
      }
      s.mod = mod;
      s.slot = m.slot;
      let snapshot: unknown;
      let hasSnapshot = false;
      if (m.snapshot) {
        try {
          snapshot = unpackValue(m.snapshot);
          hasSnapshot = true;
        } catch {
          drop('bad-snapshot', m.actor);
        }
      }
      enqueue(s, { k: 'start', init: m.init, snapshot, hasSnapshot, timers: m.timers }, true);
      return;
    }
    case 'deliver': {
      const s = slots.get(m.actor);
      if (!s) {
        drop('unknown-actor', m.actor);
        return;
      }
      enqueue(s, { k: 'msg', msg: m.msg }, false);
      return;
    }
    case 'stop': {
      const s = slots.get(m.actor);
      if (!s) {
        out({ v: 1, type: 'stopped', actor: m.actor, final: m.final });
        return;
      }
      if (!s.live) {
        finishStop(s, m.final);
        return;
      }
      enqueue(s, { k: 'stop', reason: m.reason, final: m.final }, true);
      return;
    }
    case 'ping': {
      const depths: Record<string, number> = {};
      for (const s of slots.values()) {
        const d = s.queue.length + (s.busy ? 1 : 0);
        if (d > 0) depths[s.id] = d;
      }
      writer.push({ v: 1, type: 'pong', seq: m.seq, stats: { handled, dropped: { ...dropped }, depths, heapUsed: process.memoryUsage().heapUsed } });
      flush(); // answer heartbeats right away
      return;
    }
    case 'fault':
      fault(m.actor, m.fault, m.ms);
      return;
    default: {
      const never: never = m;
      drop('unknown-type', String(never));
    }
  }
}

function fault(actor: string, f: FaultKind, ms: number): void {
  const s = slots.get(actor);
  if (!s) {
    drop('unknown-actor', actor);
    return;
  }
  log.warn({ actor, fault: f, ms }, 'fault injection');
  switch (f) {
    case 'crash':
      enqueue(s, { k: 'crash' }, true);
      return;
    case 'hang':
      current[0] = s.slot + 1;
      for (;;) { /* hang until the supervisor terminates this thread */ }
    case 'slow': {
      current[0] = s.slot + 1;
      const end = monoNow() + ms;
      while (monoNow() < end) { /* busy */ }
      current[0] = 0;
      return;
    }
  }
}

function newSlot(id: string, slot: number, kind: string, mod: ActorModule): Slot {
  return { id, slot, kind, mod, ctx: null, live: false, busy: false, control: [], queue: [], timers: new Map(), timersDirty: false };
}

function onAsyncError(e: unknown, what: string): void {
  const s = als.getStore();
  if (s && slots.get(s.id) === s && s.live) {
    crash(s, 'async', e);
    return;
  }
  log.error({ err: wireError(e), what }, 'unattributed error in actor host');
  out({ v: 1, type: 'host-error', error: wireError(e) });
}

process.on('uncaughtException', (e) => onAsyncError(e, 'uncaughtException'));
process.on('unhandledRejection', (e) => onAsyncError(e, 'unhandledRejection'));

port.on('message', (data: unknown) => {
  decodeFrame(data, validateToHost, (m) => {
    try {
      handle(m);
    } catch (e) {
      drop('handler-error', (e as Error).message);
    }
  }, drop);
});
port.on('messageerror', () => drop('messageerror'));
// at once, not on the next turn: messages already queued for this thread (a spawn, a fault drill)
// run before a setImmediate, and a host that hangs in one of them must still be known as started
out({ v: 1, type: 'ready' });
flush();

/**
 * `top -H`, `ps -L` and the cost bench's per-thread CPU (bench/measure.ts) tell actor hosts from
 * the main thread ("keepalived-ts"/"node") and from V8's and libuv's helper threads ("node").
 * Linux keeps 15 bytes of a thread's name.
 */
function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    /* not Linux: the name is cosmetic */
  }
}
