/**
 * Script security at start and reload (keepalived check_script_secure, the same rule `-t` applies, in
 * src/actors/notifier/security.ts): with enable_script_security an insecure script is disabled (a
 * vrrp_script stops being tracked, a notify is not run); without it every script runs and keepalived's
 * SECURITY VIOLATION line is logged. Also gives each script the user it runs as.
 */
import type { KeepalivedConfig } from '../config';
import type { Logger } from '../util/log';
import { auditConfigScripts } from '../actors/notifier/security';

export interface ScriptPolicy {
  /** script paths (argv[0]) never run */
  disabled: Set<string>;
  /** argv[0] → the user it runs as (script_user or the script's own, as keepalived) */
  runAs: Map<string, { uid: number; gid: number }>;
}

export function scriptPolicy(cfg: KeepalivedConfig, log: Logger): ScriptPolicy {
  const audit = auditConfigScripts(cfg);
  for (const l of audit.lines) log[l.severity === 'error' ? 'error' : 'warn']({ code: l.code }, l.message);
  return { disabled: audit.disabled, runAs: audit.runAs };
}
