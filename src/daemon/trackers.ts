/**
 * Main-thread side of the monitor actors (pool 'checker'):
 *  - `script:<name>` (src/actors/monitor/actor-script.ts), one per vrrp_script in use: runs it every
 *    interval through the script pool and reports rise/fall status changes;
 *  - `link:<ifname>` (actor-link.ts), one per tracked interface: fed by the main thread's netlink
 *    reflector, reports carrier up/down changes.
 * Their reports land in the daemon's tracker tables (the script records, the link table here) and
 * `onChange` makes the daemon recompute each instance's effective priority / fault (computeEffective,
 * sync-group coupling) and tell its VRRP actor. Monitors run on other threads than the VRRP actors,
 * so a slow script never delays a VRRP timer.
 */
import type { Logger } from '../util/log';
import type { Supervisor, ActorOut } from '../supervisor';
import type { KeepalivedConfig } from '../config';
import { initialScriptState, type ScriptState } from '../actors/monitor/script';
import type { ScriptMonitorInit, FromScriptMonitor } from '../actors/monitor/actor-script';
import type { LinkMonitorInit, FromLinkMonitor, ToLinkMonitor } from '../actors/monitor/actor-link';
import type { ScriptJobs } from './script-jobs';

export const MONITOR_KINDS = { script: 'vrrp-script', link: 'link' } as const;

/** The record the daemon reads for a tracked script (same shape as its own ScriptRec). */
export interface ScriptStatusRec {
  name: string;
  state: ScriptState;
  timer: NodeJS.Timeout | null;
  running: boolean;
  lastResult: string | null;
}

/** Interfaces an instance set tracks: each instance's own (unless dont_track_primary), its and its sync group's track_interface. */
export function trackedInterfaces(cfg: KeepalivedConfig, groupOf: ReadonlyMap<string, string>): string[] {
  const out = new Set<string>();
  for (const vi of cfg.vrrpInstances) {
    if (vi.interface && !vi.dontTrackPrimary) out.add(vi.interface);
    for (const t of vi.trackInterfaces) out.add(t.name);
    const g = groupOf.get(vi.name);
    const sg = g ? cfg.vrrpSyncGroups.find((x) => x.name === g) : undefined;
    for (const t of sg?.trackInterfaces ?? []) out.add(t.name);
  }
  return [...out];
}

export interface MonitorDispatchOptions {
  /** a script or link status changed: recompute the instances that track it */
  onChange: (what: { kind: 'script' | 'link'; name: string }) => void;
}

export class MonitorDispatch {
  /** script name → current actor id (a reload starts a new generation) */
  private readonly scriptActors = new Map<string, string>();
  private scriptRecs: Map<string, ScriptStatusRec> = new Map();
  /** tracked interface → status as its monitor reported it */
  private readonly links = new Map<string, boolean>();
  private netlinkUp: (ifname: string) => boolean = () => false;
  private gen = 0;

  constructor(private readonly sup: Supervisor, private readonly log: Logger, private readonly jobs: ScriptJobs, private readonly opts: MonitorDispatchOptions) {
    sup.register(MONITOR_KINDS.script, { module: require.resolve('../actors/monitor/actor-script'), pool: 'checker' });
    sup.register(MONITOR_KINDS.link, { module: require.resolve('../actors/monitor/actor-link'), pool: 'checker' });
    sup.on('out', (o) => this.onOut(o));
    sup.on('started', (e) => {
      // a (re)started link monitor may have missed events: give it the current status (a no-op when unchanged)
      if (e.kind === MONITOR_KINDS.link) {
        const ifname = e.id.slice('link:'.length);
        this.sup.send(e.id, { type: 'link', up: this.netlinkUp(ifname) } satisfies ToLinkMonitor);
      }
    });
  }

  /**
   * Start (or, on reload, restart with fresh state — as before) the script monitors for `names`,
   * filling `recs` (the daemon's script table) with their initial records; and spawn a link monitor
   * for each tracked interface not monitored yet. `netlinkUp` reads the reflector's current status.
   */
  configure(cfg: KeepalivedConfig, names: Iterable<string>, insecure: ReadonlySet<string>, recs: Map<string, ScriptStatusRec>,
    links: { tracked: string[]; netlinkUp: (ifname: string) => boolean }): void {
    this.scriptRecs = recs;
    this.netlinkUp = links.netlinkUp;
    const old = [...this.scriptActors.values()];
    this.scriptActors.clear();
    const gen = this.gen++;
    const stops = old.map((id) => {
      this.jobs.abortActor(id);
      return this.sup.stop(id, 'reload');
    });
    for (const name of names) {
      const sc = cfg.vrrpScripts[name];
      if (!sc?.script || recs.has(name) || insecure.has(sc.script.argv[0] ?? '')) continue;
      recs.set(name, { name, state: initialScriptState({ rise: sc.rise, fall: sc.fall, initFail: sc.initFail }), timer: null, running: false, lastResult: null });
      const intervalMs = Math.max(10, Math.round(sc.interval * 1000));
      const init: ScriptMonitorInit = {
        name, argv: sc.script.argv, intervalMs, timeoutMs: Math.max(10, Math.round((sc.timeout || sc.interval) * 1000)),
        rise: sc.rise, fall: sc.fall, initFail: sc.initFail,
      };
      const id = gen === 0 ? `script:${name}` : `script:${name}#${gen}`;
      this.scriptActors.set(name, id);
      this.spawn(id, MONITOR_KINDS.script, init);
    }
    void Promise.all(stops);
    for (const ifname of links.tracked) {
      if (this.links.has(ifname)) continue;
      const up = links.netlinkUp(ifname);
      this.links.set(ifname, up);
      this.spawn(`link:${ifname}`, MONITOR_KINDS.link, { ifname, up } satisfies LinkMonitorInit);
    }
  }

  /** Shutdown: kill the vrrp_script runs in flight (their monitors stop with the supervisor). */
  abortScripts(): void {
    for (const id of this.scriptActors.values()) this.jobs.abortActor(id);
  }

  /** The monitored status of an interface, or undefined when it has no monitor. */
  linkUp(ifname: string): boolean | undefined {
    return this.links.get(ifname);
  }

  /** The netlink reflector saw an interface change: feed its monitor. false when it has none. */
  onNetlink(ifname: string, up: boolean): boolean {
    if (!this.links.has(ifname)) return false;
    this.sup.send(`link:${ifname}`, { type: 'link', up } satisfies ToLinkMonitor);
    return true;
  }

  private onOut(o: ActorOut): void {
    if (o.kind === MONITOR_KINDS.script) {
      const m = o.msg as FromScriptMonitor;
      if (m?.type !== 'script') return; // job/log requests: ScriptJobs
      if (this.scriptActors.get(m.name) !== o.id) return; // an older generation
      const rec = this.scriptRecs.get(m.name);
      if (!rec) return;
      rec.state = m.state;
      rec.lastResult = m.lastResult;
      this.opts.onChange({ kind: 'script', name: m.name });
      return;
    }
    if (o.kind === MONITOR_KINDS.link) {
      const m = o.msg as FromLinkMonitor;
      if (m?.type !== 'link' || typeof m.ifname !== 'string') return;
      if (this.links.get(m.ifname) === m.up) return;
      this.links.set(m.ifname, m.up === true);
      this.opts.onChange({ kind: 'link', name: m.ifname });
    }
  }

  private spawn(id: string, kind: string, init: unknown): void {
    try {
      this.sup.spawn(id, kind, init);
    } catch (e) {
      this.log.error({ code: (e as { code?: string }).code ?? 'E_ACTOR_SPAWN', actor: id, err: e }, `cannot start monitor ${id}: ${(e as Error).message}`);
    }
  }
}
