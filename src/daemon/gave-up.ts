/**
 * The supervisor gave up on an instance's actor (restart limit reached): nothing advertises for it
 * any more, so the main thread takes the instance to FAULT with the state machine's own fault step
 * (src/actors/vrrp/machine.ts), from the last state the actor reported — pure, no IO.
 * A MASTER sends priority 0 and releases its VIPs, a BACKUP stops waiting, and an instance whose
 * actor never got past INIT (or was stopped) enters FAULT as with a fault reported at startup.
 */
import { step, initialState } from '../actors/vrrp/machine';
import type { InstanceParams, InstanceState, Intent } from '../actors/vrrp/types';

export const GAVE_UP_REASON = 'actor gave up';

export function gaveUpStep(p: InstanceParams, last: InstanceState | null, now: number): { state: InstanceState; intents: Intent[] } {
  const fault = step(p, last ?? initialState(p), { type: 'fault', now, fault: true, reason: GAVE_UP_REASON });
  if (fault.state.state !== 'INIT' && fault.state.state !== 'STOP') return fault;
  const started = step(p, fault.state, { type: 'startup', now });
  return { state: started.state, intents: [...fault.intents, ...started.intents] };
}
