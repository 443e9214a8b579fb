/**
 * Script security, the one rule for `-t` (src/config) and the running daemon: keepalived 2.2.7's
 * check_script_secure (lib/notify.c) and, over a whole configuration, check_vrrp_script_security
 * (vrrp/vrrp.c) and its checker twin (check/check_data.c). Texts as the real daemon prints them:
 *   Unsafe permissions found for script '/x/s.sh' - disabling.      (enable_script_security)
 *   Unsafe permissions found for script '/x/s.sh'.                   (without it)
 *   Disabling track script chk due to insecure                       (vrrp_script, a config error)
 *   WARNING - script '/x/s.sh' is not executable for uid:gid 0:0 - disabling.
 *   Script /x/s.sh cannot be accessed - No such file or directory
 *   SECURITY VIOLATION - scripts are being executed but script_security not enabled[ There are insecure scripts.]
 * keepalived -t (measured on 2.2.7): exit 5 when a vrrp_script is disabled as insecure (a general
 * config error), exit 6 when scripts are configured without enable_script_security (the SECURITY
 * VIOLATION, whether or not they are insecure); an insecure notify script alone is only logged (exit 0).
 *
 * A script needs protection only when it runs as root (uid 0 or gid 0) or is set-uid/set-gid root.
 * Then every path component from '/' to the file must be owned by root and not writable by a non-root
 * group or by others (a sticky directory such as /tmp may be group/world-writable; a root-group
 * directory such as root:root 0775 is safe).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KeepalivedConfig, NotifyCommand } from '../../config/model';
import { resolveExecutable } from '../monitor/script';

/** keepalived's line when scripts are configured without enable_script_security (vrrp or checker side). */
export function securityViolationMessage(side: 'vrrp' | 'check', insecure: boolean): string {
  return `SECURITY VIOLATION - ${side === 'check' ? 'check ' : ''}scripts are being executed but script_security not enabled.${insecure ? ' There are insecure scripts.' : ''}`;
}

export interface ScriptCheck {
  /** run it? false when missing, not executable, or insecure with script security on */
  allowed: boolean;
  insecure: boolean;
  notFound: boolean;
  executable: boolean;
  /** resolved path of argv[0] */
  path: string;
  /** keepalived's log lines, in order */
  messages: string[];
}

export interface UserIds {
  uid: number;
  gid: number;
  name: string;
}

function parseColonFile(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** getpwnam()/getgrnam() from /etc/passwd and /etc/group (names or numeric ids). */
export function lookupUser(user: string, group?: string, files = { passwd: '/etc/passwd', group: '/etc/group' }):
  UserIds | undefined {
  const pw = parseColonFile(files.passwd).find((f) => f[0] === user || (/^\d+$/.test(user) && f[2] === user));
  if (!pw) return undefined;
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const gr = parseColonFile(files.group).find((f) => f[0] === group || (/^\d+$/.test(group) && f[2] === group));
    if (!gr) return undefined;
    gid = Number(gr[2]);
  }
  return { uid: Number(pw[2]), gid, name: pw[0]! };
}

/**
 * The default script user: `script_user` if configured, else `keepalived_script` if it exists, else
 * root (keepalived then warns). Returns the ids and the message keepalived would log, if any.
 */
export function defaultScriptUser(scriptUser?: { user: string; group?: string }):
  { ids: UserIds; message?: string } | { error: string } {
  if (scriptUser) {
    const ids = lookupUser(scriptUser.user, scriptUser.group);
    if (!ids) return { error: `Unable to set default user ${scriptUser.user} for script` };
    return { ids };
  }
  const ks = lookupUser('keepalived_script');
  if (ks) return { ids: ks, message: `Setting default script user to 'keepalived_script', uid:gid ${ks.uid}:${ks.gid}` };
  return {
    ids: { uid: 0, gid: 0, name: 'root' },
    message: "WARNING - default user 'keepalived_script' for script execution does not exist - please create.",
  };
}

function isExecutable(st: fs.Stats, uid: number, gid: number): boolean {
  const m = st.mode;
  return (
    (uid === 0 && (m & 0o111) !== 0) ||
    (uid === st.uid && (m & 0o100) !== 0) ||
    (uid !== st.uid && ((gid === st.gid && (m & 0o010) !== 0) || (gid !== st.gid && (m & 0o001) !== 0)))
  );
}

/**
 * Is this path component unsafe (keepalived's check_security)? Not owned by root, or — a file, or a
 * directory without the sticky bit — writable by a non-root group or by others. A symbolic link's
 * own mode does not count.
 */
export function unsafeComponent(st: Pick<fs.Stats, 'uid' | 'gid' | 'mode' | 'isFile' | 'isDirectory'>): boolean {
  const sticky = (st.mode & 0o1000) !== 0;
  return (
    st.uid !== 0 ||
    (((st.isDirectory() && !sticky) || st.isFile()) && ((st.gid !== 0 && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0))
  );
}

/** '/', '/a', '/a/b', … for an absolute path. */
function prefixes(abs: string): string[] {
  const parts = abs.split('/').filter(Boolean);
  return ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
}

/**
 * The paths keepalived walks: the canonical path keeping the script's own file name when that names the
 * same file (some programs act on their name), and the fully resolved one.
 */
function pathsToWalk(file: string): string[] {
  const real = fs.realpathSync(file);
  const named = path.join(path.dirname(real), path.basename(file));
  let same = false;
  try {
    const a = fs.statSync(named);
    const b = fs.statSync(real);
    same = a.dev === b.dev && a.ino === b.ino;
  } catch {
    same = false;
  }
  return same && named !== real ? [named, real] : [real];
}

/**
 * keepalived's check_script_secure for a script (argv[0]) that will run as uid:gid.
 * `scriptSecurity` = enable_script_security.
 */
export function checkScriptSecure(
  argv0: string,
  ids: { uid: number; gid: number },
  scriptSecurity: boolean,
): ScriptCheck {
  const messages: string[] = [];
  let file = argv0;
  if (!file.includes('/')) {
    const found = resolveExecutable(file);
    if (!found.ok) {
      messages.push(found.error === 'E_SCRIPT_NOT_EXECUTABLE'
        ? `Permissions failure for script ${file} in path - disabling` : `Cannot find script ${file} in path - disabling`);
      return { allowed: false, insecure: false, notFound: true, executable: false, path: file, messages };
    }
    messages.push(`WARNING - script \`${file}\` resolved by path search to \`${found.path}\`. Please specify full path.`);
    file = found.path;
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message;
    messages.push(`Script ${file} cannot be accessed - ${why}`);
    return { allowed: false, insecure: false, notFound: true, executable: false, path: file, messages };
  }
  const executable = st.isFile() && isExecutable(st, ids.uid, ids.gid);
  if (!executable) {
    messages.push(`WARNING - script '${file}' is not executable for uid:gid ${ids.uid}:${ids.gid} - disabling.`);
    return { allowed: false, insecure: false, notFound: false, executable: false, path: file, messages };
  }
  const needProtection =
    ids.uid === 0 ||
    ids.gid === 0 ||
    (st.uid === 0 && (st.mode & 0o4100) === 0o4100) ||
    (st.gid === 0 && (st.mode & 0o2010) === 0o2010);
  if (!needProtection) return { allowed: true, insecure: false, notFound: false, executable, path: file, messages };

  for (const walked of pathsToWalk(file)) {
    const parts = prefixes(walked);
    for (const [i, p] of parts.entries()) {
      let cst: fs.Stats;
      try {
        cst = fs.lstatSync(p);
      } catch {
        messages.push(`check_script_secure could not find script '${file}' - disabling`);
        return { allowed: false, insecure: false, notFound: true, executable, path: file, messages };
      }
      const last = i === parts.length - 1;
      if ((!last && !cst.isDirectory()) || (last && !cst.isFile() && !cst.isSymbolicLink())) {
        messages.push(`Wrong file type found in script path '${file}'.`);
        // keepalived inhibits it whatever script_security says, without counting it as insecure
        return { allowed: false, insecure: false, notFound: false, executable, path: file, messages };
      }
      if (unsafeComponent(cst)) {
        messages.push(`Unsafe permissions found for script '${file}'${scriptSecurity ? ' - disabling' : ''}.`);
        return { allowed: !scriptSecurity, insecure: true, notFound: false, executable, path: file, messages };
      }
    }
  }
  return { allowed: true, insecure: false, notFound: false, executable, path: file, messages };
}

/** One script of a configuration, where it was written and what keepalived calls it. */
export interface ConfiguredScript {
  argv0: string;
  file: string;
  line: number;
  /** e.g. `vrrp_script chk`, `(VI_1) notify_master`, `MISC_CHECK misc_path` */
  what: string;
  /** the vrrp_script name, for a tracked script */
  track?: string;
  side: 'vrrp' | 'check';
  /** undefined when the script has no user to run as (enable_script_security without one): never run */
  check?: ScriptCheck;
  /** the user it runs as */
  ids?: { uid: number; gid: number };
}

/** What keepalived reports, in its order: `error` lines are its config errors (they set `-t`'s exit code). */
export interface AuditLine {
  severity: 'warning' | 'error';
  /** E_CONFIG_SCRIPT_INSECURE: a script disabled (-t exit 5); E_CONFIG_SCRIPT_SECURITY: SECURITY VIOLATION (exit 6) */
  code: 'E_CONFIG_REFERENCE' | 'E_CONFIG_SCRIPT_SECURITY' | 'E_CONFIG_SCRIPT_INSECURE';
  file: string;
  line: number;
  message: string;
}

export interface ScriptAudit {
  scripts: ConfiguredScript[];
  /** argv[0] of the scripts that must never run (insecure under enable_script_security, or no user to run as) */
  disabled: Set<string>;
  /** argv[0] → the user it runs as (the first configured use of that script decides) */
  runAs: Map<string, { uid: number; gid: number }>;
  lines: AuditLine[];
}

const NOTIFY_KEYS = {
  instance: [['notifyBackup', 'notify_backup'], ['notifyMaster', 'notify_master'], ['notifyFault', 'notify_fault'], ['notifyStop', 'notify_stop'],
    ['notifyDeleted', 'notify_deleted'], ['notify', 'notify'], ['notifyMasterRxLowerPri', 'notify_master_rx_lower_pri']],
  group: [['notifyBackup', 'notify_backup'], ['notifyMaster', 'notify_master'], ['notifyFault', 'notify_fault'], ['notifyStop', 'notify_stop'], ['notify', 'notify']],
} as const;

/**
 * Every script of `cfg` checked as keepalived 2.2.7 checks them after reading its configuration (same
 * order, same user: the script's own `user`/`group`, else script_user, else keepalived_script, else
 * root — but with enable_script_security and neither script_user nor a keepalived_script user, a
 * script without its own user is refused). Reads the filesystem; used by `-t` and by the daemon at
 * start and reload, so both refuse the same scripts.
 */
export function auditConfigScripts(cfg: KeepalivedConfig): ScriptAudit {
  const g = cfg.globalDefs;
  const sec = g.enableScriptSecurity;
  const def = defaultScriptUser(g.scriptUser ? { user: g.scriptUser, group: g.scriptGroup } : undefined);
  const noDefault = sec && !g.scriptUser && !('ids' in def && def.ids.name === 'keepalived_script');
  const defIds = 'ids' in def ? def.ids : { uid: 0, gid: 0, name: 'root' };
  const scripts: ConfiguredScript[] = [];
  const lines: AuditLine[] = [];
  const disabled = new Set<string>();
  const add = (c: NotifyCommand | undefined, at: { file: string; line: number }, what: string, side: 'vrrp' | 'check', track?: string,
    owner: { user?: string; group?: string } = c ?? {}): void => {
    const argv0 = c?.argv[0];
    if (!c || !argv0) return;
    if (owner.user === undefined && noDefault) {
      // keepalived: get_default_script_user fails; the script is dropped while the config is read
      if (!lines.some((l) => l.message.startsWith('Unable to set default user keepalived_script'))) {
        lines.push({ severity: 'error', code: 'E_CONFIG_SCRIPT_INSECURE', file: at.file, line: at.line, message: 'Unable to set default user keepalived_script for script' });
      }
      lines.push(track
        ? { severity: 'error', code: 'E_CONFIG_SCRIPT_INSECURE', file: at.file, line: at.line, message: `Unable to set default user for vrrp script ${track} - removing` }
        : { severity: 'warning', code: 'E_CONFIG_SCRIPT_INSECURE', file: at.file, line: at.line, message: `Failed to set default user for ${what} script ${argv0} - ignoring` });
      disabled.add(argv0);
      scripts.push({ argv0, file: at.file, line: at.line, what, track, side });
      return;
    }
    const ids = (owner.user !== undefined ? lookupUser(owner.user, owner.group) : undefined) ?? defIds;
    const check = checkScriptSecure(argv0, ids, sec);
    scripts.push({ argv0, file: at.file, line: at.line, what, track, side, check, ids: { uid: ids.uid, gid: ids.gid } });
    for (const message of check.messages) {
      lines.push({ severity: 'warning', code: check.notFound ? 'E_CONFIG_REFERENCE' : 'E_CONFIG_SCRIPT_SECURITY', file: at.file, line: at.line, message });
    }
    const wrongType = !check.allowed && !check.insecure && !check.notFound && check.executable;
    if ((check.insecure && sec) || wrongType) {
      disabled.add(argv0);
      if (track) lines.push({ severity: 'error', code: 'E_CONFIG_SCRIPT_INSECURE', file: at.file, line: at.line, message: `Disabling track script ${track} due to insecure` });
    }
  };
  const violation = (side: 'vrrp' | 'check'): void => {
    // keepalived: any script that exists (SC_ISSCRIPT) is being executed, whoever it runs as
    const found = scripts.filter((s) => s.side === side && s.check && !s.check.notFound);
    if (sec || found.length === 0) return;
    const insecure = found.some((s) => s.check?.insecure);
    lines.push({ severity: 'error', code: 'E_CONFIG_SCRIPT_SECURITY', file: cfg.files[0] ?? '', line: 0, message: securityViolationMessage(side, insecure) });
  };
  if (cfg.vrrpInstances.length > 0) {
    for (const s of Object.values(cfg.vrrpScripts)) add(s.script, s, `vrrp_script ${s.name}`, 'vrrp', s.name, s.user !== undefined ? s : (s.script ?? {}));
    for (const vi of cfg.vrrpInstances) for (const [k, kw] of NOTIFY_KEYS.instance) add(vi[k], vi, `(${vi.name}) ${kw}`, 'vrrp');
    for (const sg of cfg.vrrpSyncGroups) for (const [k, kw] of NOTIFY_KEYS.group) add(sg[k], sg, `sync group ${sg.name} ${kw}`, 'vrrp');
    add(g.notifyFifo?.script, g, 'notify_fifo_script', 'vrrp');
    add(g.vrrpNotifyFifo?.script, g, 'vrrp_notify_fifo_script', 'vrrp');
    violation('vrrp');
  }
  if (cfg.virtualServers.length > 0) {
    for (const vs of cfg.virtualServers) {
      add(vs.quorumUp, vs, 'quorum_up', 'check');
      add(vs.quorumDown, vs, 'quorum_down', 'check');
      for (const rs of vs.realServers) {
        add(rs.notifyUp, rs, 'notify_up', 'check');
        add(rs.notifyDown, rs, 'notify_down', 'check');
        for (const c of rs.checkers) add(c.miscPath, c, 'MISC_CHECK misc_path', 'check');
      }
    }
    add(g.lvsNotifyFifo?.script, g, 'lvs_notify_fifo_script', 'check');
    violation('check');
  }
  const runAs = new Map<string, { uid: number; gid: number }>();
  for (const x of scripts) if (x.ids && !runAs.has(x.argv0)) runAs.set(x.argv0, x.ids);
  return { scripts, disabled, runAs, lines };
}
