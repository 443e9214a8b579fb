/**
 * virtual_routes / virtual_rules of a vrrp_instance, and the global static_routes /
 * static_rules / static_ipaddress, carried out through src/io.
 *
 * keepalived (vrrp.c vrrp_state_become_master / vrrp_restore_interface): on becoming MASTER it
 * sets the VIPs, then the virtual routes, then the virtual rules; on leaving MASTER it removes
 * the rules, then the routes, then the VIPs. Static entries are set at start and removed at stop.
 * A route or rule that is already there (or already gone) is not an error, as in keepalived.
 */
import type { Logger } from '../util/log';
import type { VirtualAddress, VirtualRoute, VirtualRule } from '../config';
import {
  addAddress, addRoute, addRule, alreadyDone, removeAddress, removeRoute, removeRule,
  type RouteSpec, type RouteType, type RuleSpec, type ScopeName,
} from '../io';

/** keepalived's rule without a preference gets 16383 (its config warning says so). */
export const DEFAULT_RULE_PRIORITY = 16383;

export function routeSpecOf(r: VirtualRoute, defaultDev?: string): RouteSpec {
  const proto = r.options['protocol'] ?? r.options['proto'];
  return {
    to: r.to,
    family: r.family,
    via: r.via,
    // a unicast route needs a gateway or a device: without either it goes on the instance's interface
    dev: r.dev ?? (!r.via && (r.type === undefined || r.type === 'unicast') ? defaultDev : undefined),
    src: r.src,
    table: r.table,
    metric: r.metric ?? (r.options['pref'] !== undefined ? Number(r.options['pref']) : undefined),
    scope: r.scope === 'universe' ? 'global' : (r.scope as ScopeName | undefined),
    type: r.type as RouteType | undefined,
    protocol: proto !== undefined && /^\d+$/.test(proto) ? Number(proto) : undefined,
    onlink: r.options['onlink'] === 'true',
  };
}

export function ruleSpecOf(r: VirtualRule): RuleSpec {
  const type = r.options['type'];
  const mark = r.options['fwmark'];
  return {
    family: r.family,
    from: r.from === 'all' ? undefined : r.from,
    to: r.to === 'all' ? undefined : r.to,
    table: r.table,
    priority: r.priority ?? DEFAULT_RULE_PRIORITY,
    fwmark: mark !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(mark.split('/')[0] ?? '') ? Number(mark.split('/')[0]) : undefined,
    iif: r.options['iif'],
    oif: r.options['oif'],
    action: type === 'blackhole' || type === 'unreachable' || type === 'prohibit' ? type : undefined,
  };
}

const errText = (e: unknown): string => String((e as Error)?.message ?? e);

export interface RouteSet {
  routes: VirtualRoute[];
  rules: VirtualRule[];
  /** the interface a route without via/dev goes on */
  defaultDev?: string;
}

/**
 * Installs routes then rules (keepalived's order after the VIPs). Each failure is logged with its
 * code and counted; the rest still go in. Resolves with the number of failures.
 */
export async function installRoutes(set: RouteSet, log: Logger, label: string): Promise<number> {
  let failed = 0;
  if (set.routes.length > 0) log.info({ label }, `${label} setting Virtual Routes`);
  for (const r of set.routes) {
    try {
      await addRoute(routeSpecOf(r, set.defaultDev));
    } catch (e) {
      if (alreadyDone('add', e)) continue;
      failed++;
      log.error({ code: (e as { code?: string }).code ?? 'E_ROUTE', route: r.raw, err: e }, `${label} cannot add route ${r.raw}: ${errText(e)}`);
    }
  }
  if (set.rules.length > 0) log.info({ label }, `${label} setting Virtual Rules`);
  for (const r of set.rules) {
    try {
      await addRule(ruleSpecOf(r));
    } catch (e) {
      if (alreadyDone('add', e)) continue;
      failed++;
      log.error({ code: (e as { code?: string }).code ?? 'E_RULE', rule: r.raw, err: e }, `${label} cannot add rule ${r.raw}: ${errText(e)}`);
    }
  }
  return failed;
}

/** Removes rules then routes (keepalived's order before the VIPs go). Resolves with the failures. */
export async function removeRoutes(set: RouteSet, log: Logger, label: string): Promise<number> {
  let failed = 0;
  if (set.rules.length > 0) log.info({ label }, `${label} removing Virtual Rules`);
  for (const r of set.rules) {
    try {
      await removeRule(ruleSpecOf(r));
    } catch (e) {
      if (alreadyDone('del', e)) continue;
      failed++;
      log.error({ code: (e as { code?: string }).code ?? 'E_RULE', rule: r.raw, err: e }, `${label} cannot remove rule ${r.raw}: ${errText(e)}`);
    }
  }
  if (set.routes.length > 0) log.info({ label }, `${label} removing Virtual Routes`);
  for (const r of set.routes) {
    try {
      await removeRoute(routeSpecOf(r, set.defaultDev));
    } catch (e) {
      if (alreadyDone('del', e)) continue;
      failed++;
      log.error({ code: (e as { code?: string }).code ?? 'E_ROUTE', route: r.raw, err: e }, `${label} cannot remove route ${r.raw}: ${errText(e)}`);
    }
  }
  return failed;
}

export interface StaticConfig {
  staticIpaddress: VirtualAddress[];
  staticRoutes: VirtualRoute[];
  staticRules: VirtualRule[];
}

function addressSpec(v: VirtualAddress): Parameters<typeof addAddress>[0] | undefined {
  if (!v.dev) return undefined;
  return {
    address: v.address, prefixLen: v.prefixLen, family: v.family, dev: v.dev, brd: v.brd,
    scope: v.scope as ScopeName | undefined, label: v.label, nodad: v.family === 6 ? true : v.nodad, noprefixroute: v.noprefixroute,
  };
}

/** static_ipaddress, static_routes, static_rules at start (addresses first, as keepalived). */
export async function installStatic(cfg: StaticConfig, log: Logger): Promise<number> {
  let failed = 0;
  for (const v of cfg.staticIpaddress) {
    const spec = addressSpec(v);
    if (!spec) {
      failed++;
      log.error({ code: 'E_CONFIG_INTERFACE', address: v.raw }, `static_ipaddress ${v.raw}: no dev - not added`);
      continue;
    }
    try {
      await addAddress(spec);
    } catch (e) {
      if (alreadyDone('add', e)) continue;
      failed++;
      log.error({ code: (e as { code?: string }).code ?? 'E_ADDR', address: v.raw, err: e }, `static_ipaddress ${v.raw}: ${errText(e)}`);
    }
  }
  return failed + (await installRoutes({ routes: cfg.staticRoutes, rules: cfg.staticRules }, log, 'static'));
}

/** Removes the static entries at stop (rules, routes, then addresses). */
export async function removeStatic(cfg: StaticConfig, log: Logger): Promise<number> {
  let failed = await removeRoutes({ routes: cfg.staticRoutes, rules: cfg.staticRules }, log, 'static');
  for (const v of cfg.staticIpaddress) {
    const spec = addressSpec(v);
    if (!spec) continue;
    try {
      await removeAddress(spec);
    } catch (e) {
      if (alreadyDone('del', e)) continue;
      failed++;
      log.error({ code: (e as { code?: string }).code ?? 'E_ADDR', address: v.raw, err: e }, `static_ipaddress ${v.raw}: ${errText(e)}`);
    }
  }
  return failed;
}

/** An instance's virtual_routes and virtual_rules (routes without via/dev go on its interface). */
export function instanceRouteSet(vi: { virtualRoutes: VirtualRoute[]; virtualRules: VirtualRule[]; interface?: string }): RouteSet {
  return { routes: vi.virtualRoutes, rules: vi.virtualRules, defaultDev: vi.interface };
}
