/** `--dump-state` (text), `--reload`, `--health`, `--ready`: what the command line prints. */
import { table, fmtMs } from '../supervisor';
import type { ObsChecker, ObsLvs, ObsRealServer, ObsView } from './view';

const when = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function renderView(v: ObsView): string {
  let s = `keepalived-ts pid ${v.pid}, up ${fmtMs(v.uptimeMs)}, main-loop lag ${Math.round(v.loopLagMs)} ms, reloads ${v.reloads}, config errors ${v.configErrors}\n\nINSTANCES\n`;
  s += table([
    ['NAME', 'INTF', 'VRID', 'STATE', 'PRIO', 'EFFECTIVE', 'MASTER', 'VIPS HELD', 'LAST TRANSITION', 'WHY'],
    ...v.instances.map((i) => {
      const t = i.transitions.at(-1);
      return [
        i.name, i.interface, String(i.vrid), i.state, String(i.priority), String(i.effectivePriority), i.master ?? '-',
        i.vipsHeld ? i.vips.join(',') || '-' : '-', t ? `${when(t.atMs)} ${t.from}->${t.to}` : '-', t ? t.reason : (i.faultReasons.join(', ') || ''),
      ];
    }),
  ]);
  s += '\nACTORS\n';
  s += table([
    ['ID', 'KIND', 'STATE', 'HOST', 'RESTARTS', 'BY REASON', 'HANGS', 'LAST ERROR'],
    ...v.actors.map((a) => [
      a.id, a.kind, a.givenUp ? 'GIVEN UP' : a.state.toUpperCase(), a.host ?? '-', String(a.restarts),
      Object.entries(a.restartsByReason).map(([k, n]) => `${k}=${n}`).join(' ') || '-', String(a.hangs), a.lastError ?? '',
    ]),
  ]);
  s += '\nHOSTS\n';
  s += table([
    ['ID', 'POOL', 'ACTORS', 'HANDLED', 'HEAP', 'LAST PONG'],
    ...v.hosts.map((h) => [h.id, h.pool, String(h.actors), String(h.handled), `${(h.heapUsed / 1048576).toFixed(1)}MB`, h.lastPongAgoMs === null ? '-' : `${h.lastPongAgoMs}ms ago`]),
  ]);
  if (v.lvs) s += renderLvs(v.lvs);
  if (v.drops.length) {
    s += '\nDROPS\n';
    s += table([['WHERE', 'REASON', 'COUNT'], ...v.drops.map((d) => [d.where, d.reason, String(d.count)])]);
  }
  const nf = Object.entries(v.notifyFailures).flatMap(([k, codes]) => Object.entries(codes).map(([c, n]) => [k, c, String(n)]));
  if (nf.length) s += '\nNOTIFIER FAILURES\n' + table([['NOTIFIER', 'CODE', 'COUNT'], ...nf]);
  return s;
}

/** The checker whose verdict explains the real server: the first failing one, else the last one that ran. */
export function explainingChecker(r: ObsRealServer): ObsChecker | undefined {
  return r.checkers.find((c) => !c.up) ?? r.checkers.find((c) => c.lastOk !== null);
}

function renderLvs(l: ObsLvs): string {
  let s = `\nVIRTUAL SERVERS (IPVS ${l.ipvs})\n`;
  s += table([['VS', 'QUORUM', 'REAL SERVERS UP'], ...l.virtualServers.map((x) => [x.vs, x.quorumUp ? 'UP' : 'DOWN', `${x.up}/${x.realServers}`])]);
  s += '\nREAL SERVERS\n';
  s += table([
    ['VS', 'RS', 'STATE', 'WEIGHT', 'IPVS WEIGHT', 'CHECKS (OK/FAIL/LOST)', 'LAST CHECK', 'WHY'],
    ...l.realServers.map((r) => {
      const c = explainingChecker(r);
      return [
        r.vs, r.rs, r.up ? 'UP' : 'DOWN', String(r.weight), r.tableWeight === null ? '-' : String(r.tableWeight),
        r.checkers.map((x) => `${x.name} ${x.success}/${x.failure}/${x.lost}`).join(' ') || '-',
        c?.lastMs != null ? `${c.lastMs.toFixed(1)}ms` : '-', c ? c.lastReason : '',
      ];
    }),
  ]);
  return s;
}

export interface ReloadAnswer { unchanged?: string[]; restarted?: string[]; added?: string[]; removed?: string[]; applied?: boolean; configErrors?: number }

export function renderReload(r: ReloadAnswer): string {
  if (r.applied === false) return `reload refused: the new configuration has ${r.configErrors ?? 0} error(s); the running one is kept (see the daemon's log)\n`;
  const line = (k: string, l: string[] | undefined): string => `${k.padEnd(10)} ${l && l.length ? l.join(' ') : '-'}\n`;
  return `reload applied${r.configErrors ? ` with ${r.configErrors} config error(s)` : ''}\n` +
    line('added', r.added) + line('removed', r.removed) + line('restarted', r.restarted) + line('unchanged', r.unchanged);
}
