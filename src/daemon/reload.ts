/**
 * Reload (SIGHUP, control socket `reload`): the new config replaces the running one only when it
 * loads cleanly. Instances are diffed by fingerprint: unchanged ones keep running untouched, removed
 * ones stop gracefully, another router (interface, VRID or family changed) restarts afresh, and a
 * changed one restarts carrying its state — a MASTER keeps the VIPs it still has (runner.carryVips).
 */
import type { KeepalivedConfig } from '../config';
import type { DaemonContext } from './context';
import { instanceFingerprint } from './instance';
import type { InstanceLifecycle } from './lifecycle';
import type { IntentRunner } from './runner';

export interface ReloadResult {
  unchanged: string[];
  restarted: string[];
  added: string[];
  removed: string[];
}

export interface ReloadSteps {
  /** parse and check the config file; null when it has errors (already logged) */
  load: () => KeepalivedConfig | null;
  /** everything derived from the whole config (groups, script security, file/process trackers, notifiers) */
  beforeInstances: () => void;
  /** after the instances changed: tracked scripts and interfaces */
  afterInstances: () => void;
}

export async function reloadConfig(ctx: DaemonContext, lifecycle: InstanceLifecycle, runner: IntentRunner, steps: ReloadSteps): Promise<ReloadResult> {
  ctx.log.info({ config: ctx.opts.configFile }, 'Reloading');
  const cfg = steps.load();
  const res: ReloadResult = { unchanged: [], restarted: [], added: [], removed: [] };
  if (!cfg) {
    ctx.log.error({ code: 'E_CONFIG' }, 'new configuration has errors - keeping the running one');
    return res;
  }
  ctx.cfg = cfg;
  steps.beforeInstances();
  const want = new Map(cfg.vrrpInstances.map((v) => [v.name, v]));
  for (const [name, inst] of [...ctx.insts]) {
    if (!want.has(name)) {
      await lifecycle.stop(inst, true);
      res.removed.push(name);
    }
  }
  for (const vi of cfg.vrrpInstances) {
    const cur = ctx.insts.get(vi.name);
    if (!cur) {
      await lifecycle.start(vi);
      res.added.push(vi.name);
      continue;
    }
    const r = await lifecycle.resolve(vi);
    if (instanceFingerprint(r, vi) === cur.fingerprint) {
      cur.vi = vi;
      res.unchanged.push(vi.name);
      continue;
    }
    if (r.ifname !== cur.r.ifname || r.params.vrid !== cur.r.params.vrid || r.family !== cur.r.family) {
      // another router altogether: leave the old one as on stop, start the new one afresh
      await lifecycle.stop(cur, true);
      await lifecycle.start(vi);
      res.restarted.push(vi.name);
      continue;
    }
    const carry = cur.state;
    await lifecycle.stop(cur, false);
    await lifecycle.start(vi, carry);
    const ni = ctx.insts.get(vi.name);
    if (ni && cur.vipsHeld) runner.carryVips(cur, ni);
    res.restarted.push(vi.name);
  }
  steps.afterInstances();
  ctx.log.info(res, 'Reload finished');
  return res;
}
