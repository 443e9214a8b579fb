/**
 * enable_script_security / script_user, following keepalived 2.2.7 (lib/notify.c check_script_secure)
 * with the log texts seen from the real daemon:
 *   Unsafe permissions found for script '/x/s.sh' - disabling.      (enable_script_security)
 *   Unsafe permissions found for script '/x/s.sh'.                   (without it)
 *   Disabling track script chk due to insecure                       (vrrp_script)
 *   WARNING - script '/x/s.sh' is not executable for uid:gid 0:0 - disabling.
 *   Script /x/s.sh cannot be accessed - No such file or directory
 *   SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.
 * `keepalived -t` exits 5 when a script was disabled as insecure with script security enabled.
 *
 * A script needs protection only when it runs as root (uid 0 or gid 0) or is set-uid/set-gid root.
 * Then every path component from '/' to the file must be owned by root and not writable by a non-root
 * group or by others (a sticky directory such as /tmp may be group/world-writable).
 */
import fs from 'node:fs';
import path from 'node:path';

export const SECURITY_VIOLATION_MSG =
  'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.';
/** keepalived -t exit code when a configured script had to be disabled */
export const CONFIG_TEST_EXIT_INSECURE = 5;

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

/** Is this path component unsafe (keepalived's test)? */
export function unsafeComponent(st: Pick<fs.Stats, 'uid' | 'gid' | 'mode'> & { isFile(): boolean }): boolean {
  const sticky = (st.mode & 0o1000) !== 0;
  return (
    st.uid !== 0 ||
    ((!sticky || st.isFile()) && ((st.gid !== 0 && (st.mode & 0o020) !== 0) || (st.mode & 0o002) !== 0))
  );
}

function searchPath(file: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir || '.', file);
    try {
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Check a script (argv[0]) that will run as uid:gid. `scriptSecurity` = enable_script_security.
 * `trackScriptName` makes the messages those of a vrrp_script.
 */
export function checkScriptSecure(
  argv0: string,
  ids: { uid: number; gid: number },
  scriptSecurity: boolean,
  trackScriptName?: string,
): ScriptCheck {
  const messages: string[] = [];
  let file = argv0;
  if (!file.includes('/')) {
    const found = searchPath(file);
    if (!found) {
      messages.push(`Cannot find script ${file} in path`);
      return { allowed: false, insecure: false, notFound: true, executable: false, path: file, messages };
    }
    messages.push(`WARNING - script \`${file}\` resolved by path search to \`${found}\`. Please specify full path.`);
    file = found;
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

  const abs = path.resolve(file);
  const parts = abs.split('/').filter(Boolean);
  const prefixes = ['/'];
  for (let i = 0; i < parts.length; i++) prefixes.push('/' + parts.slice(0, i + 1).join('/'));
  for (const p of prefixes) {
    let cst: fs.Stats;
    try {
      cst = fs.statSync(p);
    } catch {
      messages.push(`check_script_secure could not find script '${file}'`);
      return { allowed: false, insecure: false, notFound: true, executable, path: file, messages };
    }
    if (unsafeComponent(cst)) {
      messages.push(`Unsafe permissions found for script '${file}'${scriptSecurity ? ' - disabling' : ''}.`);
      if (scriptSecurity && trackScriptName) messages.push(`Disabling track script ${trackScriptName} due to insecure`);
      return { allowed: !scriptSecurity, insecure: true, notFound: false, executable, path: file, messages };
    }
  }
  return { allowed: true, insecure: false, notFound: false, executable, path: file, messages };
}
