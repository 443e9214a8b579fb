/**
 * The daemon's main thread: config → supervisor → actors, with io at the edge (DESIGN.md "Shape",
 * src/daemon/README.md). The Daemon builds the parts of this folder and connects them; each part
 * does one thing (see the README for which).
 */
import { parseConfig, formatDiagnostic, type KeepalivedConfig } from '../config';
import { createLogger, setLogger, type Logger } from '../util/log';
import { liveness } from '../util/liveness';
import { Supervisor, ControlServer, DEFAULT_CONTROL_SOCKET } from '../supervisor';
import { closeNetlink, listAddresses, SdNotifier } from '../io';
import { monoNow } from '../actors/runtime';
import { VRRP } from '../actors/kinds';
import type { DaemonContext, DaemonOptions } from './context';
import { writePidFiles, removePidFiles, forkToBackground, takeOverSignals, signalReady } from './process';
import type { SignalDispatcher } from './signal-dispatch';
import { DumpFiles } from './dumps';
import { buildDumpView } from './dump-view';
import type { DumpView } from './dump-files';
import { AdvertIntake } from './intake';
import { IntentRunner } from './runner';
import { Trackers } from './trackers';
import { SyncGroups } from './sync-groups';
import { InstanceLifecycle } from './lifecycle';
import { reloadConfig, type ReloadResult } from './reload';
import { vrrpState } from './state';
import { scriptPolicy, type ScriptPolicy } from './script-security';
import { ScriptJobs } from './script-jobs';
import { NotifyDispatch, notifyTimeoutMs } from './notify-dispatch';
import { installStatic, removeStatic } from './routes';
import { VmacManager } from './vmac';
import { AhAuth } from './ah-auth';
import { LvsHalf } from './lvs';
import { Observability } from '../observe/service';

export type { DaemonOptions } from './context';

/** -R: no restart; the first crash is a fault, and the daemon stops. */
const NO_RESPAWN_POLICY = { maxRestarts: 0, withinMs: 60_000, backoffMs: [0] };

export class Daemon {
  readonly log: Logger;
  private ctx!: DaemonContext;
  private control: ControlServer | null = null;
  /** vrrp_script/link monitors (pool 'checker'), notify/FIFO/SMTP notifiers (pool 'notifier') and the script pool their jobs run on */
  private jobs!: ScriptJobs;
  private notifiers!: NotifyDispatch;
  private sync!: SyncGroups;
  private trackers!: Trackers;
  private intake!: AdvertIntake;
  private runner!: IntentRunner;
  private lifecycle!: InstanceLifecycle;
  /** the LVS half: checker actors, IPVS (src/daemon/lvs) */
  private lvs!: LvsHalf;
  private readonly vmacs: VmacManager;
  private readonly ah: AhAuth;
  /** script security: paths never run (enable_script_security) and the user each script runs as */
  private scripts: ScriptPolicy = { disabled: new Set(), runAs: new Map() };
  private readonly startedAt = Date.now();
  private reloads = 0;
  /** error diagnostics of every configuration read (start and reloads) */
  private configErrors = 0;
  private obs: Observability | null = null;
  private exit: (code: number) => void = () => undefined;
  /** systemd's notify socket (READY/RELOADING/STOPPING/STATUS/WATCHDOG); a no-op outside systemd */
  private sd!: SdNotifier;
  private signals!: SignalDispatcher;
  private readonly dumps: DumpFiles;
  private lastStatus = '';

  constructor(readonly opts: DaemonOptions) {
    this.log = createLogger({
      daemon: true, console: opts.logConsole, file: opts.logFile, level: opts.logDetail ? 'debug' : undefined,
      facility: opts.logFacility, noSyslog: opts.noSyslog, format: opts.logFormat,
    });
    setLogger(this.log);
    this.vmacs = new VmacManager(this.log);
    this.ah = new AhAuth(this.log);
    this.dumps = new DumpFiles({ dataFile: opts.dataFile, statsFile: opts.statsFile }, this.log);
  }

  /**
   * Before anything else (the pid file included): the signals are ours, held until ready, and
   * NOTIFY_SOCKET / WATCHDOG_* leave the environment so the scripts we run do not inherit them.
   */
  private takeOverProcess(): void {
    this.sd = new SdNotifier({ onError: (e) => this.log.warn({ code: e.code, err: e }, e.message) });
    this.signals = takeOverSignals(this.log, {
      stop: (signal) => this.stop(signal),
      reload: async () => void (await this.reload()),
      data: () => this.writeDump('data'),
      stats: () => this.writeDump('stats'),
      'stats-clear': () => this.writeDump('stats-clear'),
      json: () => this.writeDump('json'),
    });
  }

  private loadConfig(): KeepalivedConfig | null {
    const r = parseConfig(this.opts.configFile, { configId: this.opts.configId, checkScripts: false, includeCheck: this.opts.includeCheck }); // scripts: scriptPolicy (logged once)
    this.configErrors += r.diagnostics.filter((d) => d.severity === 'error').length;
    for (const d of r.diagnostics) {
      const line = formatDiagnostic(d);
      if (d.severity === 'error') this.log.error({ code: d.code, file: d.file, line: d.line }, line);
      else this.log.warn({ code: d.code, file: d.file, line: d.line }, line);
    }
    if (r.fatal) return null;
    // keepalived's process split: -P runs only the VRRP half (no virtual server), -C only the LVS half
    if (this.opts.vrrpOnly) Object.assign(r.config, { virtualServers: [], virtualServerGroups: {} });
    if (this.opts.checkOnly) {
      // -C: keepalived starts only its checker child; nothing of the VRRP side runs (its static addresses included)
      this.log.info({ code: 'E_CLI_CHECK_ONLY' }, '-C/--check: only the health-checker side runs - no VRRP instance is started');
      Object.assign(r.config, { vrrpInstances: [], vrrpSyncGroups: [], staticIpaddress: [], staticRoutes: [], staticRules: [] });
    }
    return r.config;
  }

  async start(): Promise<number> {
    const log = this.log;
    this.takeOverProcess();
    log.info({ version: '0.1.0', config: this.opts.configFile }, 'Starting keepalived-ts');
    const cfg = this.loadConfig();
    if (!cfg) {
      log.error({ code: 'E_CONFIG' }, `Configuration ${this.opts.configFile} cannot be used - exiting`);
      return 3;
    }
    if (!writePidFiles(this.opts, log)) return 3;
    await installStatic(cfg, log);

    // KTS_ACTOR_HANG_MS: how long a silent actor host with a heartbeat unanswered is taken for hung (default 2,000 ms);
    // raised only where the whole machine runs several times slower (the emulated VM of the IPVS tests)
    const hang = Number(process.env.KTS_ACTOR_HANG_MS);
    const sup = new Supervisor({
      log, actorThreads: this.opts.actorThreads, enableFaultInjection: this.opts.enableFaultInjection,
      ...(hang > 0 ? { hangAfterMs: hang } : {}),
    });
    const ctx: DaemonContext = (this.ctx = {
      log, opts: this.opts, cfg, sup, insts: new Map(), stopping: false,
      counters: { rxTotal: 0, rxDropped: 0, txAdverts: 0, txErrors: 0, garpSent: 0, vipOpsFailed: 0 },
    });
    // each actor kind's output goes to one handler: VRRP effects to the runner; the monitor and
    // notifier kinds register theirs in the dispatchers below
    sup.register(this.opts.dontRespawn ? { ...VRRP, restartPolicy: NO_RESPAWN_POLICY } : VRRP, (id, msg) => {
      this.runner.onEffects(id, msg);
      // the status line counts states: only a transition can change it (not every advert); the LVS
      // half follows the instances' states (ha_suspend, lvs_sync_daemon)
      if (msg.intents.some((i) => i.type === 'transition')) {
        this.updateStatus();
        this.lvs.onVrrpChange();
      }
    }, (id) => this.runner.deputy.resume(id));
    this.jobs = new ScriptJobs(log, { isInsecure: (a) => this.scripts.disabled.has(a), runAs: (a) => this.scripts.runAs.get(a) });
    this.notifiers = new NotifyDispatch(sup, log, this.jobs);
    this.lvs = new LvsHalf(ctx, this.jobs, this.notifiers);
    this.sync = new SyncGroups(ctx, this.notifiers);
    this.trackers = new Trackers(ctx, this.jobs, this.sync, () => this.scripts.disabled);
    this.intake = new AdvertIntake(ctx, this.ah);
    this.runner = new IntentRunner(ctx, this.ah, this.notifiers, this.sync);
    this.intake.heard = (inst, e) => this.runner.deputy.heard(inst, e);
    sup.on('started', (e) => {
      if (e.kind === VRRP.name && e.restarts > 0) this.runner.deputy.restarted(e.id);
    });
    this.lifecycle = new InstanceLifecycle(ctx, { vmacs: this.vmacs, intake: this.intake, runner: this.runner, trackers: this.trackers, sync: this.sync });
    sup.on('restart', (e) => log.warn({ code: 'E_ACTOR_RESTART', actor: e.id, reason: e.reason, attempt: e.attempt }, `actor ${e.id} restarted (${e.reason})`));
    if (this.opts.dontRespawn) {
      // -R: keepalived's parent stops when a child dies ("VRRP child process(PID) died: Exiting")
      const exit = (e: { id: string; reason: string }): void => {
        log.error({ code: 'E_ACTOR_NO_RESPAWN', actor: e.id, reason: e.reason }, `actor ${e.id} died: Exiting`);
        void this.stop('dont-respawn');
      };
      sup.on('restart', exit);
      sup.on('fault', exit);
    }
    sup.on('fault', (e) => {
      log.error({ code: 'E_ACTOR_FAULT', actor: e.id, reason: e.reason }, `actor ${e.id} gave up after ${e.restarts} restarts: ${e.reason}`);
      if (e.kind === VRRP.name) this.runner.actorGaveUp(e.id);
    });

    this.configureWhole();
    await this.trackers.start(); // init_file, first read of files and /proc before any instance runs
    for (const vi of cfg.vrrpInstances) {
      try {
        await this.lifecycle.start(vi);
      } catch (e) {
        log.error({ code: (e as { code?: string }).code ?? 'E_INSTANCE', instance: vi.name, err: e }, `(${vi.name}) cannot start: ${(e as Error).message}`);
      }
    }
    this.trackers.startScripts(false);
    await this.lvs.start();

    const obs = (this.obs = new Observability({ sup, log, vrrp: () => this.vrrpState(), listen: this.opts.metricsListen ?? cfg.globalDefs.metricsListen }));
    ctx.observe = obs;
    this.jobs.onActorLog = (actor, level, fields) => obs.recorder.actorLog(actor, level, fields);
    await obs.start().catch((e) => log.error({ code: (e as { code?: string }).code ?? 'E_METRICS_LISTEN', err: e }, (e as Error).message));
    const sockPath = this.opts.controlSocket ?? DEFAULT_CONTROL_SOCKET;
    this.control = new ControlServer(sockPath, { supervisor: sup, extraState: () => this.vrrpState(), reload: () => obs.reload(() => this.reload()), verbs: obs.verbs });
    try {
      await this.control.listen();
    } catch (e) {
      log.error({ code: 'E_CONTROL_LISTEN', err: e, path: sockPath }, `control socket ${sockPath}: ${(e as Error).message}`);
      this.control = null;
    }
    await this.firstStates(2000);
    this.signals.markReady();
    this.sd.ready(this.statusLine());
    this.sd.startWatchdog(() => liveness().alive());
    signalReady();
    return await new Promise<number>((resolve) => {
      this.exit = resolve;
    });
  }

  /** What follows the whole config: notifiers (the FIFO, SMTP and notify-script actors), sync groups, script security. */
  private configureWhole(): void {
    const cfg = this.ctx.cfg;
    this.notifiers.configure(cfg, notifyTimeoutMs(cfg.globalDefs));
    this.sync.configure();
    this.scripts = scriptPolicy(cfg, this.log);
  }

  vrrpState(): Record<string, unknown> {
    const s = vrrpState(this.ctx, { intake: this.intake, trackers: this.trackers, startedAt: this.startedAt, reloads: () => this.reloads, deputy: this.runner.deputy.stats });
    return { ...s, daemon: { ...(s.daemon as object), configErrors: this.configErrors }, ...this.lvs.state() };
  }

  /** READY=1 waits for every instance's first state (its actor reported a snapshot), at most `ms`. */
  private async firstStates(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && [...this.ctx.insts.values()].some((i) => i.state === null)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** sd_notify STATUS=: one line. */
  private statusLine(): string {
    const n: Record<string, number> = {};
    for (const i of this.ctx.insts.values()) n[i.state?.state ?? 'INIT'] = (n[i.state?.state ?? 'INIT'] ?? 0) + 1;
    const parts = Object.entries(n).map(([st, c]) => `${c} ${st}`);
    return `VRRP instances: ${parts.length ? parts.join(', ') : 'none'}`;
  }

  /** STATUS= again when an instance changed state. */
  private updateStatus(): void {
    const line = this.statusLine();
    if (line === this.lastStatus) return;
    this.lastStatus = line;
    this.sd.status(line);
  }

  private async writeDump(kind: 'data' | 'stats' | 'stats-clear' | 'json'): Promise<void> {
    this.dumps.write(kind, await this.dumpView(kind === 'data'));
  }

  /** The plain view keepalived's dump files are formatted from (dump-view.ts). */
  private async dumpView(withInterfaces: boolean): Promise<DumpView> {
    const addresses = withInterfaces ? await listAddresses().catch(() => []) : [];
    const facts = [...this.ctx.insts.values()].map((i) => ({ ...i, syncGroup: this.sync.groupOf.get(i.vi.name) }));
    const links = withInterfaces ? this.trackers.linkTable() : [];
    return buildDumpView(this.ctx.cfg, facts, links, addresses, { monoMs: monoNow(), epochMs: Date.now(), umask: process.umask() });
  }

  /** SIGHUP and the control socket's reload: RELOADING=1 … READY=1 around it for systemd. */
  async reload(): Promise<ReloadResult> {
    this.sd.reloading('Reloading');
    try {
      return await this.reloadConfig();
    } finally {
      if (!this.ctx.stopping) this.sd.ready(this.statusLine());
    }
  }

  private async reloadConfig(): Promise<ReloadResult> {
    return reloadConfig(this.ctx, this.lifecycle, this.runner, {
      load: () => this.loadConfig(),
      beforeInstances: () => {
        this.reloads++;
        this.sync.configure();
        this.scripts = scriptPolicy(this.ctx.cfg, this.log);
        this.trackers.reconfigure();
      },
      afterInstances: () => {
        this.trackers.startScripts(true);
        this.lvs.configure(this.ctx.cfg);
      },
    });
  }

  async stop(signal: string): Promise<void> {
    const ctx = this.ctx;
    if (ctx.stopping) return;
    ctx.stopping = true;
    this.log.info({ signal }, 'Stopping');
    this.sd.stopping('Stopping');
    this.sd.stopWatchdog();
    await Promise.all([...ctx.insts.values()].map((i) => this.lifecycle.stop(i, true).catch(() => undefined)));
    // keepalived's nft_end: the drop table goes with the daemon (kept with -X, like the VIPs it guards)
    if (!this.opts.dontReleaseVrrp) await this.runner.cleanupFirewall();
    // keepalived's clear_services: the table as keepalived leaves it, omega's notifications
    await this.lvs.stop();
    // the STOP notifies reach the script pool and run (STOP scripts are killed after 1 s) before the actors stop
    this.trackers.abortScripts();
    await this.notifiers.drain(1000).catch(() => undefined);
    await this.jobs.idle(1500);
    await ctx.sup.shutdown().catch(() => undefined);
    await this.jobs.close();
    this.intake.close();
    this.runner.close();
    this.trackers.close();
    await this.control?.close().catch(() => undefined);
    await this.obs?.close();
    if (!this.opts.dontReleaseVrrp) await removeStatic(ctx.cfg, this.log).catch(() => 0);
    closeNetlink();
    removePidFiles(this.opts);
    this.log.info('Stopped Keepalived');
    this.log.flush?.();
    this.exit(0);
  }
}

export async function runDaemon(opts: DaemonOptions): Promise<number> {
  if (!opts.dontFork) return forkToBackground(opts);
  return new Daemon(opts).start();
}
