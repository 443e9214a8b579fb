/** What the supervisor reports: actor and host state, statistics and events (state(), stats(), on()). */
import type { Pool } from './placement';
import type { TimerTable } from './messages';

export type ActorStatus = 'starting' | 'running' | 'restarting' | 'fault' | 'stopped';

export interface ActorErrorInfo { reason: string; message: string; at: string }

export interface ActorState {
  id: string;
  kind: string;
  pool: Pool;
  host: string | null;
  state: ActorStatus;
  restarts: number;
  lastError: ActorErrorInfo | null;
  /** ms since the current incarnation started running; 0 when not running */
  uptimeMs: number;
  /** messages waiting for the actor (supervisor buffer + host mailbox as of the last heartbeat) */
  mailbox: number;
  snapshot: unknown;
  timers: TimerTable;
}

export interface HostState {
  id: string;
  pool: Pool;
  actors: number;
  handled: number;
  dropped: Record<string, number>;
  heapUsed: number;
  lastPongAgoMs: number | null;
  /** heartbeats sent to it: only while it is silent (a host that speaks is not pinged) */
  pings: number;
}

export interface SupervisorStats {
  actors: number;
  hosts: number;
  spawned: number;
  restarts: number;
  faults: number;
  hostsStarted: number;
  hostsTerminated: number;
  messagesIn: number;
  messagesOut: number;
  /** Malformed/unknown messages dropped, by reason, at the supervisor. */
  droppedAtSupervisor: Record<string, number>;
  /** Same, summed over live hosts (as of their last heartbeat). */
  droppedAtHosts: Record<string, number>;
  /** crash → running again, over the last 1,000 restarts */
  restartLatencyMs: { count: number; p50: number | null; p99: number | null };
  recentRestarts: RestartEvent[];
}

export interface SupervisorState {
  actors: ActorState[];
  hosts: HostState[];
  stats: SupervisorStats;
}

export interface RestartEvent { id: string; kind: string; reason: string; attempt: number; delayMs: number; at: string }
export interface FaultEvent { id: string; kind: string; reason: string; restarts: number }
export interface HostTerminatedEvent { host: string; pool: Pool; reason: string; actors: string[]; blamed: string | null }

export interface SupervisorEvents {
  started: [{ id: string; kind: string; restarts: number }];
  restart: [RestartEvent];
  fault: [FaultEvent];
  stopped: [{ id: string; kind: string }];
  'host-terminated': [HostTerminatedEvent];
}
