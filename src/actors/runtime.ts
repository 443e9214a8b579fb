/**
 * The API an actor module implements (issue 3). Generic: the runtime knows nothing about VRRP.
 *
 * An actor kind is a module file exporting `actor: ActorModule`. A host (worker thread) loads it with
 * require() and runs one or more actors of one or more kinds. Every handler call of one actor is
 * serialised (an async handler is awaited before the next message, timer or stop is delivered to that
 * actor); actors on the same host interleave between handler turns.
 *
 * Clock: `ctx.now()` and `setTimer(name, atMs)` use {@link monoNow}: milliseconds of CLOCK_MONOTONIC
 * (`process.hrtime`), the same clock in every thread of the process and in the supervisor, not moved by
 * wall-clock steps. Store deadlines on this clock in snapshots; never Date.now().
 *
 * Timers are tracked by the host and mirrored to the supervisor: after a restart (same host or a fresh one)
 * the runtime re-arms every timer the actor had pending, before `start()` is called; an overdue timer fires
 * right after `start()` returns. A timer whose handler threw stays pending, so it fires again after the
 * restart. `start()` may re-set or clear timers (same name replaces).
 *
 * State: each (re)start gets a fresh context; keep the actor's working state in `ctx.state` (or in a
 * WeakMap keyed by ctx), never in module-level variables (several actors of a kind share one module).
 * Whatever must survive a crash goes through `ctx.report(snapshot)`; the supervisor keeps the last one and
 * hands it back as `start(ctx, init, snapshot)`. A snapshot is encoded when report() is called, so later
 * mutation of the object does not change it.
 */
import type { Logger } from '../util/log';
import type { Pool, RestartPolicy } from '../supervisor';

export type { Logger };

export interface ActorContext<Out = unknown, S = unknown> {
  /** The actor id given to Supervisor.spawn(). */
  readonly id: string;
  /** Working state slot for the actor's own use; undefined at every (re)start. */
  state: S | undefined;
  /** Send a message to the supervisor (main thread); it is emitted there as an `out` event. */
  send(msg: Out): void;
  /** Report the state snapshot the supervisor keeps and replays on restart. */
  report(snapshot: unknown): void;
  /** Arm (or re-arm) the named timer to fire at `atMs` on the {@link monoNow} clock. */
  setTimer(name: string, atMs: number): void;
  clearTimer(name: string): void;
  /** Monotonic milliseconds ({@link monoNow}). */
  now(): number;
  log: Logger;
}

export interface ActorModule<In = unknown, Out = unknown, Init = unknown, S = unknown> {
  start(ctx: ActorContext<Out, S>, init: Init, snapshot?: unknown): void | Promise<void>;
  receive(ctx: ActorContext<Out, S>, msg: In): void | Promise<void>;
  timer?(ctx: ActorContext<Out, S>, name: string): void | Promise<void>;
  stop?(ctx: ActorContext<Out, S>, reason: string): void | Promise<void>;
}

/** Typing helper: `export const actor = defineActor<In, Out, Init, S>({ ... })`. */
export function defineActor<In, Out, Init, S = unknown>(m: ActorModule<In, Out, Init, S>): ActorModule<In, Out, Init, S> {
  return m;
}

/**
 * An actor kind: the module a host runs, the pool it runs in, its restart policy, and the message
 * types its module declares (`defineActor<In, Out, Init>`), so a message is typed from the sender
 * to the receiver: `Supervisor.spawn` takes the kind's `Init`, `send` its `In`, and the handler
 * given to `register` receives its `Out`. src/actors/kinds.ts defines every kind the daemon runs.
 */
export interface ActorKind<Init = unknown, In = unknown, Out = unknown> {
  readonly name: string;
  /** absolute path of the module exporting `actor` */
  readonly module: string;
  readonly pool: Pool;
  readonly restartPolicy?: RestartPolicy;
  /** never set: carries the message types */
  readonly types?: { init: Init; in: In; out: Out };
}

/** The kind of an actor module's type: `ActorKindOf<typeof import('./x/actor').actor>`. */
export type ActorKindOf<M> = M extends ActorModule<infer In, infer Out, infer Init, infer _S> ? ActorKind<Init, In, Out> : never;

/**
 * Define a kind from its module's type (a type-only import: the main thread never loads the module):
 * `actorKind<typeof import('./vrrp/actor').actor>({ name: 'vrrp', module: require.resolve('./vrrp/actor'), pool: 'vrrp' })`.
 */
export function actorKind<M extends ActorModule<never, unknown, never, never>>(spec: Omit<ActorKind, 'types'>): ActorKindOf<M> {
  return spec as ActorKindOf<M>; // the type parameters only describe the messages; the object is the spec
}

/** Milliseconds on CLOCK_MONOTONIC, identical across worker threads of one process. */
export function monoNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
