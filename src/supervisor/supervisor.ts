/**
 * The supervisor (main thread): places actors on hosts, watches hosts with heartbeats, restarts failed
 * actors from their last snapshot with back-off, and declares FAULT past the policy's limit.
 *
 * Failure handling:
 *  - an exception (sync or async) in an actor's handler → that actor alone restarts on the same host;
 *    messages sent to it meanwhile wait in its mailbox in the host; its host-mates are not touched.
 *  - a host silent for `hangAfterMs` (default 2,000 ms; any message counts, a host that spoke within
 *    heartbeatMs is not pinged, so idle threads wake for adverts, not heartbeats) with a ping unanswered
 *    for hangAfterMs − heartbeatMs is declared hung and terminated (worker.terminate() stops even a busy
 *    loop); its actors start on a fresh host from their snapshots and timer tables. The bound is long on
 *    purpose: a host that is merely slow (CPU starvation under load) must not be killed, and what is time
 *    critical does not wait for it (a late VRRP MASTER is covered by the deputy, src/daemon/deputy.ts).
 *    Detection takes hangAfterMs to hangAfterMs + heartbeatMs / 2; a main thread that was itself
 *    stalled (it could not read the pong) blames nobody for that turn. A host that has not said
 *    `ready` within `readyTimeoutMs` (default 10 s) is replaced too. The actor that was inside a handler when the host hung (shared-memory
 *    marker) is charged with the failure and backs off by its policy; its host-mates restart at once
 *    without being charged. If no actor can be blamed, all of them are charged.
 *    Messages already posted to a terminated host are lost (VRRP/checker traffic is periodic).
 *  - restarts, faults and host terminations are logged with their reason, emitted as events and visible
 *    in state() / stats().
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../util/log';
import { log as rootLog } from '../util/log';
import { KtsError } from '../util/errors';
import { monoNow, type ActorKind } from '../actors/runtime';
import { Host } from './host';
import { liveness, LIVENESS_PERIOD_MS } from '../util/liveness';
import { place, DEFAULT_PLACEMENT, type Pool, type PlacementConfig } from './placement';
import { decideRestart, validatePolicy, DEFAULT_RESTART_POLICY, type RestartPolicy } from './policy';
import { packValue, unpackValue, type FaultKind, type FromHost, type TimerTable, type ToHost } from './messages';
import type {
  ActorStatus, ActorErrorInfo, ActorState, HostState, SupervisorStats, SupervisorState, SupervisorEvents, RestartEvent,
} from './types';

export interface SupervisorOptions {
  /** Heartbeat period (ms). Default 1,000: a host that spoke within it is not pinged; the watchdog checks every half period (the liveness monitor's turn). */
  heartbeatMs?: number;
  /** A ping unanswered this long marks the host hung. Default 2,000 (at least 2 × heartbeatMs). */
  hangAfterMs?: number;
  /** A new host that has not said `ready` this long is replaced. Default max(10,000, hangAfterMs). */
  readyTimeoutMs?: number;
  /** `--actor-threads`: bound of the packed VRRP pool. Default 4. */
  actorThreads?: number;
  placement?: Partial<PlacementConfig>;
  /** Default restart policy for kinds registered without one. */
  restartPolicy?: RestartPolicy;
  /** Allow injectFault() and the control socket's fault-inject. Default false. */
  enableFaultInjection?: boolean;
  /** Max messages the supervisor buffers for an actor that is between hosts. Default 10,000. */
  mailboxLimit?: number;
  log?: Logger;
  /** Log level inside hosts. Default: the supervisor logger's level. */
  hostLogLevel?: string;
  hostResourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
}

interface Kind {
  name: string;
  module: string;
  pool: Pool;
  policy: RestartPolicy;
  /** where the kind's actors' messages go (its `Out`, as the module's defineActor declares it) */
  onOut: (id: string, msg: unknown) => void;
  resume: ResumeHook | null;
}

/**
 * Asked when an actor of the kind is (re)started on a host: a state newer than the actor's own last
 * snapshot (its owner kept it going meanwhile, e.g. the VRRP deputy), with the timer table to re-arm.
 */
export type ResumeHook = (id: string) => { snapshot: unknown; timers: TimerTable } | null;

interface Rec {
  id: string;
  kind: Kind;
  init: unknown;
  slot: number;
  host: Host | null;
  status: ActorStatus;
  restarts: number;
  history: number[];
  lastError: ActorErrorInfo | null;
  startedAt: number;
  failedAt: number;
  snapshot: Uint8Array | null;
  timers: TimerTable;
  pending: unknown[];
  restartTimer: NodeJS.Timeout | null;
  manualRestart: string | null;
  stopWaiters: (() => void)[];
}

function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly heartbeatMs: number;
  readonly hangAfterMs: number;
  readonly readyTimeoutMs: number;
  readonly faultInjection: boolean;
  private readonly placement: PlacementConfig;
  private readonly defaultPolicy: RestartPolicy;
  private readonly mailboxLimit: number;
  private readonly log: Logger;
  private readonly hostLogLevel: string;
  private readonly resourceLimits: SupervisorOptions['hostResourceLimits'];
  private readonly kinds = new Map<string, Kind>();
  private readonly actors = new Map<string, Rec>();
  private readonly bySlot = new Map<number, Rec>();
  private readonly hosts = new Map<string, Host>();
  private nextSlot = 0;
  private hostCounter = 0;
  private closed = false;
  private readonly watchdog: NodeJS.Timeout | null;
  private readonly offTurn: (() => void) | null;
  private readonly tickMs: number;
  private lastTick = 0;
  private readonly latencies: number[] = [];
  private readonly recent: RestartEvent[] = [];
  private readonly counters = { spawned: 0, restarts: 0, faults: 0, hostsStarted: 0, hostsTerminated: 0, messagesIn: 0, messagesOut: 0 };
  private readonly dropped: Record<string, number> = {};
  private readonly deadHostDrops: Record<string, number> = {};

  constructor(opts: SupervisorOptions = {}) {
    super();
    this.heartbeatMs = opts.heartbeatMs ?? (opts.hangAfterMs ? Math.min(1000, Math.max(10, opts.hangAfterMs / 2)) : 1000);
    this.hangAfterMs = opts.hangAfterMs ?? Math.max(2_000, 2 * this.heartbeatMs);
    this.readyTimeoutMs = opts.readyTimeoutMs ?? Math.max(10_000, this.hangAfterMs);
    this.faultInjection = opts.enableFaultInjection ?? false;
    this.placement = {
      ...DEFAULT_PLACEMENT,
      // --actor-threads given: the instances are spread over that many threads (placement.ts)
      ...(opts.actorThreads !== undefined ? { vrrpThreads: opts.actorThreads, vrrpPerThread: 1 } : {}),
      ...opts.placement,
    };
    this.defaultPolicy = opts.restartPolicy ?? DEFAULT_RESTART_POLICY;
    this.mailboxLimit = opts.mailboxLimit ?? 10_000;
    this.log = (opts.log ?? rootLog()).child({ component: 'supervisor' });
    this.hostLogLevel = opts.hostLogLevel ?? this.log.level;
    this.resourceLimits = opts.hostResourceLimits;
    // checking twice per period keeps detection within hangAfterMs + heartbeatMs/2 of the last answer
    this.tickMs = Math.max(5, Math.floor(this.heartbeatMs / 2));
    this.lastTick = monoNow();
    // at the default period, ride on the main-loop liveness monitor's timer (one wake, not two)
    const own = this.tickMs !== LIVENESS_PERIOD_MS;
    this.watchdog = own ? setInterval(() => this.tick(), this.tickMs).unref() : null;
    this.offTurn = own ? null : liveness().onTurn(() => this.tick());
  }

  /** Register an actor kind; every message its actors send goes to `onOut` (one handler per kind). */
  register<Init, In, Out>(kind: ActorKind<Init, In, Out>, onOut: (id: string, msg: NoInfer<Out>) => void, resume?: ResumeHook): void {
    let module: string;
    try {
      module = require.resolve(kind.module);
    } catch {
      throw new KtsError('E_ACTOR_MODULE', `actor kind ${kind.name}: module not found: ${kind.module}`);
    }
    const policy = kind.restartPolicy ?? this.defaultPolicy;
    const bad = validatePolicy(policy);
    if (bad) throw new KtsError('E_RESTART_POLICY', `actor kind ${kind.name}: ${bad}`);
    // the host decoded the message from what an actor of this kind sent: its module's Out
    this.kinds.set(kind.name, { name: kind.name, module, pool: kind.pool, policy, onOut: onOut as (id: string, msg: unknown) => void, resume: resume ?? null });
  }

  spawn<Init>(id: string, kind: ActorKind<Init, unknown, unknown>, init: NoInfer<Init>): void {
    if (this.closed) throw new KtsError('E_SUPERVISOR_CLOSED', 'supervisor is shut down');
    const k = this.kinds.get(kind.name);
    if (!k) throw new KtsError('E_ACTOR_KIND', `unknown actor kind ${kind.name}`);
    const old = this.actors.get(id);
    if (old && old.status !== 'stopped' && old.status !== 'fault') throw new KtsError('E_ACTOR_EXISTS', `actor ${id} already exists`);
    if (old) this.bySlot.delete(old.slot);
    const rec: Rec = {
      id, kind: k, init, slot: this.nextSlot++, host: null, status: 'starting', restarts: 0, history: [], lastError: null,
      startedAt: 0, failedAt: 0, snapshot: null, timers: [], pending: [], restartTimer: null, manualRestart: null, stopWaiters: [],
    };
    this.actors.set(id, rec);
    this.bySlot.set(rec.slot, rec);
    this.counters.spawned++;
    this.startOnHost(rec);
  }

  /**
   * Deliver a message to actor `id` of `kind`. Returns false (and counts) when the actor does not
   * exist, is of another kind, or is stopped/FAULT.
   */
  send<In>(kind: ActorKind<unknown, In, unknown>, id: string, msg: NoInfer<In>): boolean {
    const rec = this.actors.get(id);
    if (!rec || rec.status === 'stopped' || rec.status === 'fault') {
      this.drop(rec ? `send-to-${rec.status}` : 'send-to-unknown-actor');
      return false;
    }
    if (rec.kind.name !== kind.name) {
      this.drop('send-to-wrong-kind', id);
      return false;
    }
    this.counters.messagesIn++;
    if (rec.host && !rec.host.dead) {
      rec.host.post({ v: 1, type: 'deliver', actor: id, msg });
    } else {
      if (rec.pending.length >= this.mailboxLimit) {
        rec.pending.shift();
        this.drop('mailbox-full');
      }
      rec.pending.push(msg);
    }
    return true;
  }

  stop(id: string, reason = 'stopped'): Promise<void> {
    const rec = this.actors.get(id);
    if (!rec || rec.status === 'stopped') return Promise.resolve();
    if (rec.restartTimer) clearTimeout(rec.restartTimer);
    rec.restartTimer = null;
    const wasFault = rec.status === 'fault';
    const host = rec.host;
    if (!host || host.dead) {
      this.finishStop(rec, wasFault);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      rec.stopWaiters.push(resolve);
      if (!wasFault) rec.status = 'stopped';
      host.post({ v: 1, type: 'stop', actor: id, reason, final: true });
      // a hung host answers nothing: the watchdog replaces it; do not wait forever
      setTimeout(() => this.finishStop(rec, wasFault), Math.max(2000, 4 * this.hangAfterMs)).unref();
    });
  }

  /** The actor's status, or null when there is no such actor (cheap: for per-advert checks). */
  statusOf(id: string): ActorStatus | null {
    return this.actors.get(id)?.status ?? null;
  }

  /** Restart an actor now from its last snapshot (calls its stop(ctx, reason) first). */
  restart(id: string, reason: string): void {
    const rec = this.actors.get(id);
    if (!rec) throw new KtsError('E_ACTOR_UNKNOWN', `unknown actor ${id}`);
    if (rec.status === 'stopped') throw new KtsError('E_ACTOR_STOPPED', `actor ${id} is stopped`);
    this.log.warn({ actor: id, reason }, 'actor restart requested');
    if (rec.restartTimer) {
      clearTimeout(rec.restartTimer);
      rec.restartTimer = null;
    }
    rec.history = [];
    if (rec.status === 'running' && rec.host && !rec.host.dead) {
      rec.manualRestart = reason;
      rec.status = 'restarting';
      rec.failedAt = monoNow();
      rec.host.post({ v: 1, type: 'stop', actor: id, reason: `restart: ${reason}`, final: false });
      return;
    }
    this.noteRestart(rec, `manual: ${reason}`, 1, 0);
    this.startOnHost(rec);
  }

  injectFault(id: string, fault: FaultKind, ms = 500): void {
    if (!this.faultInjection) throw new KtsError('E_FAULT_INJECTION_DISABLED', 'fault injection is disabled (start with --enable-fault-injection)');
    const rec = this.actors.get(id);
    if (!rec) throw new KtsError('E_ACTOR_UNKNOWN', `unknown actor ${id}`);
    if (!rec.host || rec.host.dead) throw new KtsError('E_ACTOR_NOT_RUNNING', `actor ${id} is not on a host`);
    if (fault !== 'crash' && fault !== 'hang' && fault !== 'slow') throw new KtsError('E_FAULT_KIND', `unknown fault ${String(fault)}`);
    this.log.warn({ actor: id, fault, ms }, 'injecting fault');
    rec.host.postNow({ v: 1, type: 'fault', actor: id, fault, ms });
  }

  /** Test/drill hook: post a raw value to the host running `id`. */
  postRawToHostOf(id: string, v: unknown, transfer?: ArrayBuffer[]): void {
    const rec = this.actors.get(id);
    rec?.host?.postRaw(v, transfer);
  }

  /** Ask every host for a heartbeat now and resolve when all answered (fresh host stats). */
  async refresh(timeoutMs = 1000): Promise<void> {
    const hosts = [...this.hosts.values()].filter((h) => !h.dead);
    const seqs = hosts.map((h) => {
      const seq = ++h.pingSeq;
      h.postNow({ v: 1, type: 'ping', seq });
      if (!h.pingSentAt) h.pingSentAt = monoNow();
      return seq;
    });
    const end = monoNow() + timeoutMs;
    while (monoNow() < end && hosts.some((h, i) => !h.dead && h.lastSeq < seqs[i]!)) {
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  state(): SupervisorState {
    const now = monoNow();
    const actors: ActorState[] = [];
    for (const r of this.actors.values()) {
      let snapshot: unknown = null;
      if (r.snapshot) {
        try {
          snapshot = unpackValue(r.snapshot);
        } catch {
          snapshot = '<undecodable>';
        }
      }
      actors.push({
        id: r.id, kind: r.kind.name, pool: r.kind.pool, host: r.host && !r.host.dead ? r.host.id : null, state: r.status,
        restarts: r.restarts, lastError: r.lastError, uptimeMs: r.status === 'running' ? Math.round(now - r.startedAt) : 0,
        mailbox: r.pending.length + (r.host?.stats.depths[r.id] ?? 0), snapshot, timers: r.timers,
      });
    }
    const hosts: HostState[] = [...this.hosts.values()].map((h) => ({
      id: h.id, pool: h.pool, actors: h.actors.size, handled: h.stats.handled, dropped: h.stats.dropped, heapUsed: h.stats.heapUsed,
      lastPongAgoMs: h.lastPongAt ? Math.round(now - h.lastPongAt) : null, pings: h.pingSeq,
    }));
    return { actors, hosts, stats: this.stats() };
  }

  stats(): SupervisorStats {
    const droppedAtHosts: Record<string, number> = { ...this.deadHostDrops };
    for (const h of this.hosts.values()) for (const [k, v] of Object.entries(h.stats.dropped)) droppedAtHosts[k] = (droppedAtHosts[k] ?? 0) + v;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      actors: this.actors.size, hosts: this.hosts.size, ...this.counters,
      droppedAtSupervisor: { ...this.dropped }, droppedAtHosts,
      restartLatencyMs: { count: sorted.length, p50: pct(sorted, 50), p99: pct(sorted, 99) },
      recentRestarts: this.recent.slice(-20),
    };
  }

  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.offTurn?.();
    const stops = [...this.actors.values()].filter((r) => r.status !== 'stopped').map((r) => this.stop(r.id, 'shutdown'));
    await Promise.race([Promise.all(stops), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    for (const r of this.actors.values()) if (r.restartTimer) clearTimeout(r.restartTimer);
    await Promise.all([...this.hosts.values()].map((h) => h.terminate().catch(() => 0)));
    this.hosts.clear();
  }

  // ---- internals ------------------------------------------------------------------------------

  private drop(reason: string, detail?: unknown): void {
    const n = (this.dropped[reason] = (this.dropped[reason] ?? 0) + 1);
    if (n <= 5 || n % 1000 === 0) this.log.warn({ reason, count: n, detail: typeof detail === 'string' ? detail : undefined }, 'dropped message');
  }

  private newHost(pool: Pool): Host {
    const id = `${pool}-${this.hostCounter++}`;
    const h = new Host({
      id, pool, logLevel: this.hostLogLevel,
      onMessage: (host, m) => this.onHostMessage(host, m),
      onDrop: (_host, reason, detail) => this.drop(reason, detail),
      onExit: (host, code, err) => this.onHostExit(host, code, err),
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    });
    this.hosts.set(id, h);
    this.counters.hostsStarted++;
    this.log.debug({ host: id, pool }, 'actor host started');
    return h;
  }

  private pickHost(pool: Pool): Host {
    const loads = [...this.hosts.values()].filter((h) => !h.dead).map((h) => ({ hostId: h.id, pool: h.pool, actors: h.actors.size }));
    const p = place(pool, loads, this.placement);
    return p.kind === 'existing' ? this.hosts.get(p.hostId)! : this.newHost(pool);
  }

  private startOnHost(rec: Rec): void {
    if (this.closed) return;
    if (!rec.host || rec.host.dead) {
      rec.host = this.pickHost(rec.kind.pool);
      rec.host.actors.add(rec.id);
    }
    rec.status = rec.restarts > 0 ? 'restarting' : 'starting';
    const fresher = rec.restarts > 0 ? rec.kind.resume?.(rec.id) : null;
    if (fresher) {
      rec.snapshot = packValue(fresher.snapshot);
      rec.timers = fresher.timers;
    }
    const spawn: ToHost = {
      v: 1, type: 'spawn', actor: rec.id, slot: rec.slot, kind: rec.kind.name, module: rec.kind.module,
      init: rec.init, snapshot: rec.snapshot, timers: rec.timers,
    };
    rec.host.post(spawn);
    for (const msg of rec.pending) rec.host.post({ v: 1, type: 'deliver', actor: rec.id, msg });
    rec.pending = [];
  }

  private onHostMessage(host: Host, m: FromHost): void {
    host.lastHeardAt = monoNow();
    if (m.type === 'ready') {
      host.ready = true;
      return;
    }
    if (m.type === 'pong') {
      host.pingSentAt = 0;
      host.lastPongAt = monoNow();
      host.stats = m.stats;
      host.lastSeq = m.seq;
      return;
    }
    if (m.type === 'host-error') {
      this.replaceHost(host, `host-error: ${m.error.message}`, null);
      return;
    }
    const rec = this.actors.get(m.actor);
    if (!rec || rec.host !== host) {
      this.drop('stale-actor-message', m.actor);
      return;
    }
    switch (m.type) {
      case 'started':
        if (rec.status === 'stopped' || rec.status === 'fault') return;
        rec.status = 'running';
        rec.startedAt = monoNow();
        if (rec.failedAt) {
          this.latencies.push(rec.startedAt - rec.failedAt);
          if (this.latencies.length > 1000) this.latencies.shift();
          rec.failedAt = 0;
        }
        this.emit('started', { id: rec.id, kind: rec.kind.name, restarts: rec.restarts });
        return;
      case 'out':
        this.counters.messagesOut++;
        rec.kind.onOut(rec.id, m.msg);
        return;
      case 'snapshot':
        rec.snapshot = m.snap;
        return;
      case 'timers':
        rec.timers = m.timers;
        return;
      case 'crashed':
        if (rec.status === 'stopped' || rec.status === 'fault') return;
        this.fail(rec, `${m.phase}: ${m.error.message}`, m.error.message, true);
        return;
      case 'stopped':
        if (!m.final && rec.manualRestart !== null) {
          const reason = rec.manualRestart;
          rec.manualRestart = null;
          this.noteRestart(rec, `manual: ${reason}`, 1, 0);
          this.startOnHost(rec);
          return;
        }
        this.finishStop(rec, rec.status === 'fault');
        return;
      default: {
        const never: never = m;
        this.drop('unknown-type', String(never));
      }
    }
  }

  private finishStop(rec: Rec, keepFault: boolean): void {
    if (rec.restartTimer) clearTimeout(rec.restartTimer);
    rec.restartTimer = null;
    if (!keepFault) rec.status = 'stopped';
    const host = rec.host;
    rec.host = null;
    rec.pending = [];
    if (host) {
      host.actors.delete(rec.id);
      if (host.actors.size === 0 && !host.dead && !this.closed) {
        this.hosts.delete(host.id);
        this.keepDrops(host);
        void host.terminate();
      }
    }
    const w = rec.stopWaiters;
    rec.stopWaiters = [];
    if (w.length) this.emit('stopped', { id: rec.id, kind: rec.kind.name });
    for (const f of w) f();
  }

  private keepDrops(h: Host): void {
    for (const [k, v] of Object.entries(h.stats.dropped)) this.deadHostDrops[k] = (this.deadHostDrops[k] ?? 0) + v;
  }

  private noteRestart(rec: Rec, reason: string, attempt: number, delayMs: number): void {
    rec.restarts++;
    this.counters.restarts++;
    rec.lastError = { reason, message: reason, at: new Date().toISOString() };
    if (!rec.failedAt) rec.failedAt = monoNow();
    const ev: RestartEvent = { id: rec.id, kind: rec.kind.name, reason, attempt, delayMs, at: rec.lastError.at };
    this.recent.push(ev);
    if (this.recent.length > 100) this.recent.shift();
    this.log.warn({ actor: rec.id, kind: rec.kind.name, reason, attempt, delayMs, restarts: rec.restarts }, 'restarting actor');
    this.emit('restart', ev);
  }

  /** An actor failed. `charge`: count it against the restart policy (back-off, FAULT). */
  private fail(rec: Rec, reason: string, message: string, charge: boolean): void {
    const now = monoNow();
    rec.failedAt = now;
    if (rec.restartTimer) {
      clearTimeout(rec.restartTimer);
      rec.restartTimer = null;
    }
    if (!charge) {
      rec.restarts++;
      this.counters.restarts++;
      rec.lastError = { reason, message, at: new Date().toISOString() };
      const ev: RestartEvent = { id: rec.id, kind: rec.kind.name, reason, attempt: 0, delayMs: 0, at: rec.lastError.at };
      this.recent.push(ev);
      if (this.recent.length > 100) this.recent.shift();
      this.log.warn({ actor: rec.id, reason }, 'restarting actor (host replaced)');
      this.emit('restart', ev);
      this.startOnHost(rec);
      return;
    }
    const d = decideRestart(rec.kind.policy, rec.history, now);
    rec.history = d.history;
    if (d.action === 'fault') {
      rec.status = 'fault';
      rec.lastError = { reason, message, at: new Date().toISOString() };
      this.counters.faults++;
      this.log.error({ actor: rec.id, kind: rec.kind.name, reason, restarts: rec.restarts, policy: rec.kind.policy }, 'actor FAULT: restart limit reached');
      if (rec.host && !rec.host.dead) rec.host.post({ v: 1, type: 'stop', actor: rec.id, reason: 'fault', final: true });
      else this.finishStop(rec, true);
      rec.pending = [];
      this.emit('fault', { id: rec.id, kind: rec.kind.name, reason, restarts: rec.restarts });
      return;
    }
    rec.status = 'restarting';
    this.noteRestart(rec, reason, d.attempt, d.delayMs);
    rec.lastError = { reason, message, at: rec.lastError!.at };
    rec.failedAt = now;
    const go = (): void => {
      rec.restartTimer = null;
      if (rec.status !== 'restarting') return;
      this.startOnHost(rec);
    };
    if (d.delayMs <= 0) go();
    else rec.restartTimer = setTimeout(go, d.delayMs);
  }

  private tick(): void {
    const now = monoNow();
    // This thread ran late (CPU starvation, a long task): pongs may be waiting unread behind this
    // timer, so no host is judged on this turn; the next one reads them first.
    const stalled = now - this.lastTick > 3 * this.tickMs;
    this.lastTick = now;
    if (stalled) return;
    for (const h of this.hosts.values()) {
      if (h.dead) continue;
      if (!h.ready) {
        if (now - h.createdMono >= this.readyTimeoutMs) this.replaceHost(h, `not ready after ${Math.round(now - h.createdMono)} ms`, null);
        continue;
      }
      const silent = now - h.lastHeardAt;
      if (h.pingSentAt) {
        // hung: silent for hangAfterMs, a ping unanswered for hangAfterMs − heartbeatMs
        if (now - h.pingSentAt >= this.hangAfterMs - this.heartbeatMs && silent >= this.hangAfterMs) {
          const slot = Atomics.load(h.current, 0) - 1;
          const blamed = slot >= 0 ? this.bySlot.get(slot) : undefined;
          this.replaceHost(h, `missed heartbeats for ${Math.round(silent)} ms`, blamed && blamed.host === h ? blamed : null);
        }
        continue;
      }
      // spoke within the last heartbeat (effects, a snapshot, a pong): alive, no ping, no wake
      if (silent < this.heartbeatMs) continue;
      h.pingSentAt = now;
      h.postNow({ v: 1, type: 'ping', seq: ++h.pingSeq });
    }
  }

  private onHostExit(host: Host, code: number, err?: Error): void {
    if (this.closed || !this.hosts.has(host.id)) return;
    this.replaceHost(host, `host exited (code ${code}${err ? `: ${err.message}` : ''})`, null);
  }

  /** Terminate a host and restart its actors on a fresh one. */
  private replaceHost(host: Host, reason: string, blamed: Rec | null): void {
    if (!this.hosts.has(host.id)) return;
    this.hosts.delete(host.id);
    this.keepDrops(host);
    this.counters.hostsTerminated++;
    void host.terminate().catch(() => 0);
    const recs = [...host.actors].map((id) => this.actors.get(id)).filter((r): r is Rec => !!r && r.host === host);
    this.log.error({ host: host.id, pool: host.pool, reason, actors: recs.length, blamed: blamed?.id ?? null }, 'actor host terminated');
    this.emit('host-terminated', { host: host.id, pool: host.pool, reason, actors: recs.map((r) => r.id), blamed: blamed?.id ?? null });
    if (this.closed) return;
    const live = recs.filter((r) => r.status !== 'stopped' && r.status !== 'fault');
    for (const r of recs) {
      r.host = null;
      if (r.status === 'stopped' || r.status === 'fault') this.finishStop(r, r.status === 'fault');
    }
    if (live.length === 0) return;
    const fresh = this.newHost(host.pool);
    for (const r of live) {
      if (r.manualRestart !== null) r.manualRestart = null;
      const charge = blamed === null || blamed === r;
      if (!charge) {
        r.host = fresh;
        fresh.actors.add(r.id);
      } // a charged actor waits out its back-off between hosts; send() buffers for it meanwhile
      this.fail(r, charge && blamed ? `hang: ${reason}` : `host-restart: ${reason}`, reason, charge);
    }
  }
}
