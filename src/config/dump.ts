/** -d / --dump-conf: the effective configuration as indented text (keepalived-like block layout). */
import type { KeepalivedConfig } from './model';

function render(v: unknown, indent: string, out: string[], key: string): void {
  if (v === undefined || key === 'file' || key === 'line') return;
  const k = key.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  if (Array.isArray(v)) {
    if (v.length === 0) return;
    if (v.every((x) => typeof x !== 'object' || x === null)) {
      out.push(`${indent}${k} ${v.map(String).join(' ')}`);
      return;
    }
    for (const x of v) render(x, indent, out, key);
    return;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.argv) && typeof o.raw === 'string') {
      out.push(`${indent}${k} ${JSON.stringify(o.argv)}${o.user ? ` user ${String(o.user)}` : ''}${o.group ? ` group ${String(o.group)}` : ''}`);
      return;
    }
    const entries = Object.entries(o).filter(([kk, x]) => x !== undefined && !(kk === 'extra' && Object.keys(x as object).length === 0));
    if (entries.length === 0) return;
    const where = typeof o.file === 'string' && o.file ? `  # ${o.file}:${String(o.line)}` : '';
    const label = typeof o.name === 'string' ? `${k} ${o.name}` : typeof o.address === 'string' && !('family' in o && 'raw' in o) ? `${k} ${o.address}` : k;
    if ('raw' in o && typeof o.raw === 'string' && 'family' in o) {
      out.push(`${indent}${k} ${o.raw}${where}`);
      return;
    }
    out.push(`${indent}${label} {${where}`);
    for (const [kk, x] of entries) if (kk !== 'name') render(x, indent + '  ', out, kk);
    out.push(`${indent}}`);
    return;
  }
  out.push(`${indent}${k} ${String(v)}`);
}

export function dumpConfigText(cfg: KeepalivedConfig): string {
  const out: string[] = [];
  render(cfg.globalDefs, '', out, 'globalDefs');
  for (const s of Object.values(cfg.vrrpScripts)) render(s, '', out, 'vrrpScript');
  for (const t of Object.values(cfg.trackFiles)) render(t, '', out, 'trackFile');
  for (const t of Object.values(cfg.trackProcesses)) render(t, '', out, 'vrrpTrackProcess');
  for (const g of cfg.vrrpSyncGroups) render(g, '', out, 'vrrpSyncGroup');
  for (const vi of cfg.vrrpInstances) render(vi, '', out, 'vrrpInstance');
  for (const g of Object.values(cfg.virtualServerGroups)) render(g, '', out, 'virtualServerGroup');
  for (const vs of cfg.virtualServers) render(vs, '', out, 'virtualServer');
  if (cfg.staticIpaddress.length) { out.push('static_ipaddress {'); for (const a of cfg.staticIpaddress) out.push(`  ${a.raw}`); out.push('}'); }
  if (cfg.staticRoutes.length) { out.push('static_routes {'); for (const a of cfg.staticRoutes) out.push(`  ${a.raw}`); out.push('}'); }
  if (cfg.staticRules.length) { out.push('static_rules {'); for (const a of cfg.staticRules) out.push(`  ${a.raw}`); out.push('}'); }
  return out.join('\n') + '\n';
}
