/**
 * Signals the way keepalived takes them, real-time ones included. Node's process.on() refuses
 * SIGRTMIN+n and only installs its handler when called; the addon's handler (native/signals.cc)
 * catches any number from the first instruction of bin/keepalived-ts on and hands it to JS on the
 * main loop. Until a handler is set, signals wait in a short queue; SIGTERM and SIGINT then end the
 * process as their default action would (a one-shot mode such as -t has no handler).
 */
import { addon } from './addon';

export type SignalHandler = (signo: number) => void;

const QUEUE_MAX = 64;
const TERMINATING = new Set([2, 15]);

let installed: number[] = [];
let handler: SignalHandler | null = null;
const queue: number[] = [];

function deliver(signo: number): void {
  if (handler) {
    try {
      handler(signo);
    } catch {
      /* a handler's own error must not reach the addon's libuv callback */
    }
    return;
  }
  if (TERMINATING.has(signo)) process.exit(128 + signo);
  if (queue.length < QUEUE_MAX) queue.push(signo);
}

/**
 * Catches `signums` now (their default actions, Node's SIGUSR1 inspector included, no longer
 * apply). Throws E_IO_ADDON when the addon cannot load, E_IO_SIGNAL when sigaction fails.
 */
export function catchSignals(signums: readonly number[]): void {
  addon().installSignals([...signums], deliver);
  installed = [...new Set([...installed, ...signums])];
}

/** The signals caught so far (empty when catchSignals never ran, e.g. without bin/keepalived-ts). */
export function caughtSignals(): readonly number[] {
  return installed;
}

/** SIGRTMIN / SIGRTMAX of the running libc. */
export function realtimeRange(): { min: number; max: number } {
  return addon().signalRange();
}

/**
 * Sets (or with null, clears) the one signal handler. Signals queued before it are delivered to it
 * on the next turn of the loop, in arrival order.
 */
export function setSignalHandler(fn: SignalHandler | null): void {
  handler = fn;
  if (!fn || queue.length === 0) return;
  setImmediate(() => {
    while (handler && queue.length > 0) deliver(queue.shift()!);
  });
}
