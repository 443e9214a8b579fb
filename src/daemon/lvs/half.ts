/**
 * The LVS half on the main thread: one CHECKER actor per real-server check (pool 'checker', never
 * a VRRP host), their verdicts folded into each real server's health (health.ts), the desired IPVS
 * table (desired.ts) reconciled into the kernel (apply.ts), and what keepalived does around it:
 * notify_up/notify_down and quorum_up/quorum_down scripts, the FIFO's `RS`/`VS` lines, smtp_alert
 * mails, ha_suspend, lvs_sync_daemon with its VRRP instance, lvs_flush at start, the table left at
 * stop as keepalived leaves it (lvs_flush_on_stop, omega).
 *
 * A checker's requests are served here: MISC_CHECK through the script pool (ScriptJobs, which
 * applies script security and the script user), PING_CHECK through src/io/icmp.
 *
 * Without IPVS in the kernel (E_IPVS_UNAVAILABLE, logged once) the checkers and the VRRP half go on
 * and `--dump-state` shows the table the daemon would set.
 */
import type { KeepalivedConfig } from '../../config/model';
import type { DaemonContext } from '../context';
import { spawnOrLog } from '../context';
import type { ScriptJobs } from '../script-jobs';
import type { NotifyDispatch } from '../notify-dispatch';
import { CHECKER } from '../../actors/kinds';
import type { FromChecker } from '../../actors/checker/actor';
import { lookupUser } from '../../actors/notifier/security';
import { realServerAlert, virtualServerAlert } from '../../actors/notifier/alerts';
import { ipvsAvailable, setTimeouts, IoError } from '../../io';
import type { IpvsTimeouts } from '../../protocol/ipvs';
import { IcmpPinger } from '../../io/icmp';
import { desiredTable, lvsFlushSettings, vsId, type DesiredEntry } from './desired';
import { syncTable, clearTable, applySyncd, applyTimeouts } from './apply';
import { syncDaemonSpec, syncdBecome, syncdShutdown, type SyncdRole } from './syncd';
import { applyResult, carryOver, diffEvents, healthMap, planAll, type CheckerRef, type LvsEvent, type RsTrack } from './health';
import { haSuspended, rsSmtp, vsSmtp, checkName } from './policy';

/** keepalived runs notify scripts at shutdown with a 1 s limit (system_call_script … TIMER_HZ) */
const STOP_SCRIPT_MS = 1000;
const NOTIFY_SCRIPT_MS = 30_000;

export class LvsHalf {
  private cfg: KeepalivedConfig;
  private checkers = new Map<string, { ref: CheckerRef; json: string }>();
  private servers = new Map<string, RsTrack>();
  private quorum: Map<string, boolean> | undefined;
  private aliveBefore = new Map<string, boolean>();
  private desired: DesiredEntry[] = [];
  private owned: ReadonlySet<string> = new Set();
  /** null: not asked yet */
  private ipvs: boolean | null = null;
  private firstSync = true;
  private queue: Promise<void> = Promise.resolve();
  private pending = false;
  private pinger: IcmpPinger | null = null;
  private syncdRole: SyncdRole | null = null;
  private vrrpKey = '';
  /** the kernel's timeouts before lvs_timeouts changed them (restored at stop) */
  private timeoutsFound: IpvsTimeouts | undefined;
  readonly counters = { results: 0, recomputes: 0, ipvsOps: 0, ipvsErrors: 0, pings: 0, scripts: 0 };
  lastResultAt = 0;

  constructor(private readonly ctx: DaemonContext, private readonly jobs: ScriptJobs, private readonly notifiers: NotifyDispatch) {
    this.cfg = ctx.cfg;
    ctx.sup.register(CHECKER, (id, m) => this.onChecker(id, m));
  }

  get active(): boolean {
    return !this.ctx.opts.vrrpOnly && this.cfg.virtualServers.length > 0;
  }

  async start(): Promise<void> {
    if (this.ctx.opts.vrrpOnly) return;
    this.cfg = this.ctx.cfg;
    if (this.cfg.virtualServers.length === 0) return;
    this.ipvs = await ipvsAvailable().catch(() => false);
    if (!this.ipvs) {
      this.ctx.log.error({ code: 'E_IPVS_UNAVAILABLE' }, 'IPVS: the kernel has no IPVS - the health checkers run and --dump-state shows the weights that would be set');
    }
    this.configure(this.cfg);
    // instances reached their first state before IPVS was known: the sync daemon follows them now
    this.vrrpKey = '';
    this.onVrrpChange();
  }

  /** At start and reload: checker actors for the config, then the table. */
  configure(cfg: KeepalivedConfig): void {
    if (this.ctx.opts.vrrpOnly) return;
    if (this.ipvs === null && cfg.virtualServers.length > 0) {
      // virtual servers appeared on reload
      void this.start();
      return;
    }
    this.cfg = cfg;
    const plans = planAll(cfg);
    for (const e of plans.errors) this.ctx.log.error({ code: e.code }, e.message);
    const next = new Map<string, { ref: CheckerRef; json: string }>();
    for (const ref of plans.checkers) next.set(ref.plan.id, { ref: this.resolveUser(ref), json: JSON.stringify(ref.plan) });
    const kept = new Set<string>();
    for (const [id, cur] of this.checkers) {
      const n = next.get(id);
      if (n && n.json === cur.json) kept.add(id);
      else void this.ctx.sup.stop(id, 'reload').catch(() => undefined);
    }
    for (const [id, n] of next) {
      if (kept.has(id)) continue;
      spawnOrLog(this.ctx.sup, this.ctx.log, 'checker', id, CHECKER, { plan: n.ref.plan });
    }
    this.checkers = next;
    carryOver(this.servers, plans.servers, kept);
    this.servers = plans.servers;
    if (this.ipvs) this.enqueue('lvs_timeouts', async () => { this.timeoutsFound = await applyTimeouts(cfg, this.timeoutsFound); });
    this.recompute();
  }

  /** MISC_CHECK `user`: the actor needs ids; without one the script pool applies script_user. */
  private resolveUser(ref: CheckerRef): CheckerRef {
    const s = ref.plan.spec;
    if (s.type !== 'MISC_CHECK' || !s.user) return ref;
    const ids = lookupUser(s.user, s.group);
    if (!ids) {
      this.ctx.log.error({ code: 'E_SCRIPT_USER', checker: ref.plan.id }, `Unable to set uid to ${s.user} for ${s.argv[0] ?? ''}`);
      return ref;
    }
    return { ...ref, plan: { ...ref.plan, spec: { ...s, uid: ids.uid, gid: ids.gid } } };
  }

  private onChecker(id: string, m: FromChecker): void {
    switch (m.type) {
      case 'checker.result': {
        this.counters.results++;
        this.lastResultAt = Date.now();
        const ref = this.checkers.get(id)?.ref;
        const t = ref ? this.servers.get(ref.rs) : undefined;
        if (!ref || !t) return;
        const vs = this.cfg.virtualServers.find((v) => vsId(v) === ref.vs);
        if (vs && rsSmtp(this.cfg, vs, t.smtpAlert)) {
          const body = `=> ${checkName(ref.plan.spec.type)} ${m.up ? 'succeed' : 'failed'} on service <=`;
          this.notifiers.checkerMail(realServerAlert(this.cfg.globalDefs.routerId, t.rsText, t.vsText, m.up, body));
        }
        if (applyResult(t, id, m.up, m.weightOffset)) this.recompute();
        return;
      }
      case 'job':
        this.counters.scripts++;
        this.jobs.handle(id, m, (done) => this.ctx.sup.send(CHECKER, id, done));
        return;
      case 'log':
        this.jobs.handle(id, m);
        return;
      case 'ping': {
        this.counters.pings++;
        this.pinger ??= new IcmpPinger();
        this.pinger.ping(m.dst, m.timeoutMs).then(
          (r) => this.ctx.sup.send(CHECKER, id, r.ok ? { type: 'ping.done', ref: m.ref, ok: true, rttMs: r.rttMs } : { type: 'ping.done', ref: m.ref, ok: false, reason: r.message ?? r.reason }),
          (e: unknown) => this.ctx.sup.send(CHECKER, id, { type: 'ping.done', ref: m.ref, ok: false, reason: (e as Error).message }),
        );
        return;
      }
      default: {
        const never: never = m;
        this.ctx.log.warn({ msg: never }, 'checker: unknown message dropped');
      }
    }
  }

  /** A VRRP instance changed state: ha_suspend services and the sync daemon follow it. */
  onVrrpChange(): void {
    if (!this.active) return;
    const key = [...this.ctx.insts.values()].map((i) => `${i.vi.name}=${i.state?.state ?? 'INIT'}`).join(',');
    if (key === this.vrrpKey) return;
    this.vrrpKey = key;
    this.recompute();
    const spec = syncDaemonSpec(this.cfg);
    if (!spec || !this.ipvs) return;
    const st = this.ctx.insts.get(spec.instance)?.state?.state;
    const role: SyncdRole = st === 'MASTER' ? 'master' : 'backup';
    if (role === this.syncdRole) return;
    this.syncdRole = role;
    this.enqueue('lvs_sync_daemon', () => applySyncd(syncdBecome(role), spec));
  }

  /** Coalesces changes: one computation and one reconcile at a time, the latest state wins. */
  private recompute(): void {
    if (this.pending) return;
    this.pending = true;
    this.enqueue('IPVS', async () => {
      this.pending = false;
      await this.computeAndApply();
    });
  }

  private enqueue(what: string, fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => {
      this.counters.ipvsErrors++;
      const code = e instanceof IoError ? e.code : (e as { code?: string }).code ?? 'E_IPVS';
      this.ctx.log.error({ code, err: e }, `${what}: ${(e as Error).message}`);
    });
  }

  private async computeAndApply(): Promise<void> {
    if (this.ctx.stopping) return;
    this.counters.recomputes++;
    const health = healthMap(this.servers);
    const table = desiredTable(this.cfg, health, this.quorum);
    const alive = new Map([...health].map(([k, h]) => [k, h.up]));
    const events = diffEvents(this.cfg, this.servers, this.aliveBefore, alive, this.quorum, table.quorumUp);
    this.aliveBefore = alive;
    this.quorum = table.quorumUp;
    const suspended = haSuspended(this.cfg, this.ctx.insts);
    this.desired = table.entries.filter((e) => !suspended.has(e.vs));
    for (const ev of events) this.notify(ev, false);
    if (!this.ipvs) return;
    const flush = this.firstSync && lvsFlushSettings(this.cfg).flushAtStart;
    this.firstSync = false;
    const r = await syncTable(this.desired, this.owned, { flush });
    this.owned = r.owned;
    this.counters.ipvsOps += r.ops.length;
  }

  private notify(ev: LvsEvent, stopping: boolean): void {
    const vs = this.cfg.virtualServers.find((v) => vsId(v) === ev.vs);
    if (!vs) return;
    if (ev.kind === 'rs') {
      const t = this.servers.get(ev.rs);
      if (!t) return;
      const verb = ev.up ? (t.inhibit ? 'Enabling' : 'Adding') : (t.inhibit ? 'Disabling' : 'Removing');
      const prep = t.inhibit ? 'of' : ev.up ? 'to' : 'from';
      if (!stopping) this.ctx.log.info(`${verb} service ${t.rsText} ${prep} VS ${t.vsText}`);
      const script = ev.up ? t.notifyUp : t.notifyDown;
      if (script) this.runScript(script, stopping);
      this.notifiers.checkerLine(`RS ${t.rsText} ${t.vsText} ${ev.up ? 'UP' : 'DOWN'}`);
      return;
    }
    const vsText = [...this.servers.values()].find((t) => t.vs === ev.vs)?.vsText ?? ev.vs;
    if (!stopping) this.ctx.log.info(`${ev.text} for VS ${vsText}`);
    const script = ev.up ? vs.quorumUp : vs.quorumDown;
    if (script) this.runScript(script.argv, stopping);
    this.notifiers.checkerLine(`VS ${vsText} ${ev.up ? 'UP' : 'DOWN'}`);
    if (vsSmtp(this.cfg, vs)) {
      const body = stopping ? '=> Shutting down <=' : `=> ${ev.text} <=`;
      this.notifiers.checkerMail(virtualServerAlert(this.cfg.globalDefs.routerId, vsText, ev.up ? 'UP' : 'DOWN', body));
    }
  }

  private runScript(argv: string[], stopping: boolean): void {
    this.counters.scripts++;
    void this.jobs.run({ argv, timeoutMs: stopping ? STOP_SCRIPT_MS : NOTIFY_SCRIPT_MS, umask: 0o177 }).then((r) => {
      if (r.error) this.ctx.log.warn({ code: r.error, script: argv[0] }, r.message ?? `script ${argv[0]} failed`);
    });
  }

  /**
   * SIGTERM: the checkers stop with the supervisor; here the table is left as keepalived leaves it
   * (clearTable), omega's down notifications run (1 s limit), the sync daemon stops.
   */
  async stop(): Promise<void> {
    if (!this.active) return;
    await this.queue;
    for (const vs of this.cfg.virtualServers) {
      if (!vs.omega) continue;
      for (const [k, t] of this.servers) if (t.vs === vsId(vs) && this.aliveBefore.get(k)) this.notify({ kind: 'rs', vs: t.vs, rs: k, up: false }, true);
      if (this.quorum?.get(vsId(vs))) this.notify({ kind: 'vs', vs: vsId(vs), up: false, init: false, text: 'Shutting down' }, true);
    }
    this.pinger?.close();
    if (!this.ipvs) return;
    try {
      await clearTable(this.owned, lvsFlushSettings(this.cfg).flushOnStop);
      const spec = syncDaemonSpec(this.cfg);
      if (spec && this.syncdRole) await applySyncd(syncdShutdown(this.syncdRole), spec);
      if (this.timeoutsFound) await setTimeouts(this.timeoutsFound);
    } catch (e) {
      this.ctx.log.error({ code: (e as { code?: string }).code ?? 'E_IPVS', err: e }, `IPVS at stop: ${(e as Error).message}`);
    }
  }

  /** The `lvs` section of --dump-state: IPVS availability, the table set (or that would be set), every real server's health. */
  state(): Record<string, unknown> {
    if (!this.active) return {};
    const health = healthMap(this.servers);
    return {
      lvs: {
        ipvs: this.ipvs ? 'kernel' : 'unavailable',
        counters: this.counters,
        checkers: this.checkers.size,
        quorum: Object.fromEntries(this.quorum ?? []),
        table: this.desired.map((e) => ({
          vs: e.vs, scheduler: e.service.scheduler,
          dests: e.dests.map((d) => ({ address: d.address, port: d.port, weight: d.weight, fwd: d.fwd })),
        })),
        realServers: [...this.servers].map(([k, t]) => ({
          id: k, rs: t.rsText, vs: t.vsText, vsId: t.vs, up: health.get(k)?.up ?? true, weight: health.get(k)?.weight ?? t.weight,
          inhibit: t.inhibit, checkers: [...t.checkers], failed: [...t.failed],
        })),
      },
    };
  }
}
