/**
 * enable_script_security (keepalived check_script_secure) at start and reload: a script that runs as
 * root from a path a non-root user can change is disabled — a vrrp_script stops being tracked, a
 * notify is not run. Returns the insecure script paths (argv[0]); the rule is src/actors/notifier/security.ts.
 */
import type { KeepalivedConfig } from '../config';
import type { Logger } from '../util/log';
import { checkScriptSecure, defaultScriptUser } from '../actors/notifier/security';

export function insecureScripts(cfg: KeepalivedConfig, log: Logger): Set<string> {
  const insecure = new Set<string>();
  const g = cfg.globalDefs;
  if (!g.enableScriptSecurity) return insecure;
  const u = defaultScriptUser(g.scriptUser ? { user: g.scriptUser, group: g.scriptGroup } : undefined);
  const ids = 'ids' in u ? u.ids : { uid: 0, gid: 0 };
  const cmds: { argv0: string; track?: string }[] = [];
  for (const [name, sc] of Object.entries(cfg.vrrpScripts)) if (sc.script?.argv[0]) cmds.push({ argv0: sc.script.argv[0], track: name });
  const notifies = [...cfg.vrrpInstances, ...cfg.vrrpSyncGroups] as Array<Partial<Record<'notify' | 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop', { argv: string[] }>>>;
  for (const o of notifies) {
    for (const k of ['notify', 'notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop'] as const) {
      const a0 = o[k]?.argv[0];
      if (a0) cmds.push({ argv0: a0 });
    }
  }
  const seen = new Set<string>();
  for (const c of cmds) {
    if (seen.has(`${c.argv0}|${c.track ?? ''}`)) continue;
    seen.add(`${c.argv0}|${c.track ?? ''}`);
    const r = checkScriptSecure(c.argv0, ids, true, c.track);
    if (r.insecure) {
      insecure.add(c.argv0);
      for (const m of r.messages) log.warn({ code: 'E_SCRIPT_INSECURE', script: c.argv0 }, m);
    }
  }
  return insecure;
}
