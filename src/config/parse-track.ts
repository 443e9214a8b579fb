/** vrrp_script, vrrp_track_file and vrrp_track_process blocks (keepalived.conf(5) "tracking"). */
import type { ConfigBuilder } from './parse';
import type { GenericNode as N, TrackFile, VrrpScript, VrrpTrackProcess } from './model';
import { blockEnd } from './tree';
import { lookupUser } from '../actors/notifier/security';

export function vrrpScript(cb: ConfigBuilder, b: N): VrrpScript | undefined {
  if (!cb.need(b, 1, 'a script name')) return undefined;
  const s: VrrpScript = { name: b.args[0], file: b.file, line: b.line, interval: 1, timeout: 0, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false, extra: {} };
  let timeoutSet = false;
  let badUser: N | undefined;
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'script': s.script = cb.cmd(n); break;
      case 'interval': {
        // keepalived 2.2.7: whole seconds only
        const v = n.args[0] ?? '';
        if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 4294) s.interval = Number(v);
        else cb.d.error('E_CONFIG_RANGE', n.file, n.line, `(${s.name}): vrrp script interval '${v}' must be between 1 and 4294 - ignoring`);
        break;
      }
      case 'timeout': { const t = cb.secs(n, 0, 0.000001, 4294); if (t !== undefined) { s.timeout = t; timeoutSet = true; } break; }
      case 'weight':
        s.weight = cb.int(n, 0, -253, 253) ?? 0;
        s.weightReverse = n.args[1] === 'reverse';
        break;
      case 'rise': s.rise = cb.int(n, 0, 1, 4294967295) ?? s.rise; break;
      case 'fall': s.fall = cb.int(n, 0, 1, 4294967295) ?? s.fall; break;
      case 'user':
        if (cb.need(n, 1, 'username [groupname]')) {
          s.user = n.args[0];
          s.group = n.args[1];
          if (!lookupUser(n.args[0]!, n.args[1])) badUser = n;
        }
        break;
      case 'init_fail': s.initFail = true; break;
      default: cb.unknown(n, `vrrp_script ${s.name}`);
    }
  }
  if (!timeoutSet) s.timeout = s.interval;
  // keepalived says it when the block closes
  const end = blockEnd.get(b) ?? b;
  if (!s.script) cb.d.warn('E_CONFIG_MISSING', end.file, end.line, `No script set for vrrp_script ${s.name} - removing`);
  else if (badUser) {
    // keepalived (vrrp_vscript_user_handler): a user or group that does not exist removes the script
    cb.d.error('E_CONFIG_REFERENCE', badUser.file, badUser.line, `Unable to set uid/gid for script '${s.script.argv.join(' ')}'`);
    delete s.script;
  }
  return s;
}

export function trackFile(cb: ConfigBuilder, b: N): TrackFile | undefined {
  if (!cb.need(b, 1, 'a name')) return undefined;
  const t: TrackFile = { name: b.args[0], file: b.file, line: b.line, weight: 1, weightReverse: false };
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'file':
        if (n.args[0]) t.path = n.args[0];
        else cb.d.error('E_CONFIG_MISSING', n.file, n.line, 'track file file name missing');
        break;
      case 'weight': t.weight = cb.int(n, 0, -254, 254) ?? 1; t.weightReverse = n.args[1] === 'reverse'; break;
      case 'init_file': {
        const v = n.args[0] !== undefined && n.args[0] !== 'overwrite' ? cb.int(n, 0, -254, 254) : undefined;
        t.initFile = { overwrite: n.args.includes('overwrite'), ...(v !== undefined ? { value: v } : {}) };
        break;
      }
      default: cb.unknown(n, `track_file ${t.name}`);
    }
  }
  const end = blockEnd.get(b) ?? b;
  if (!t.path) {
    cb.d.warn('E_CONFIG_MISSING', end.file, end.line, `No file set for track_file ${t.name} - ignoring`);
    return undefined;
  }
  return t;
}

export function trackProcess(cb: ConfigBuilder, b: N): VrrpTrackProcess | undefined {
  if (!cb.need(b, 1, 'a name')) return undefined;
  const t: VrrpTrackProcess = { name: b.args[0], file: b.file, line: b.line, quorum: 1, weight: 0, weightReverse: false, fullCommand: false, extra: {} };
  for (const n of b.children ?? []) {
    switch (n.keyword) {
      case 'process': if (cb.need(n, 1, 'a process name')) { t.process = n.args[0]; if (n.args.length > 1) t.param = n.args.slice(1); } break;
      case 'param_match':
        if (n.args[0] === 'initial' || n.args[0] === 'partial') t.paramMatch = n.args[0];
        else cb.d.warn('E_CONFIG_SYNTAX', n.file, n.line, `Invalid param_match type ${n.args[0] ?? ''} - ignoring`);
        break;
      case 'quorum': t.quorum = cb.int(n, 0, 1, 65535) ?? 1; break;
      case 'quorum_max': t.quorumMax = cb.int(n, 0, 1, 65535); break;
      case 'weight': t.weight = cb.int(n, 0, -254, 254) ?? 0; t.weightReverse = n.args[1] === 'reverse'; break;
      case 'delay': t.delay = cb.secs(n, 0, 0, 3600); break;
      case 'terminate_delay': t.terminateDelay = cb.secs(n, 0, 0, 3600); break;
      case 'fork_delay': t.forkDelay = cb.secs(n, 0, 0, 3600); break;
      case 'full_command': t.fullCommand = true; break;
      default: cb.unknown(n, `vrrp_track_process ${t.name}`);
    }
  }
  return t;
}
