/**
 * Statement tree -> typed KeepalivedConfig, applying keepalived's defaults and rules.
 * Unknown keywords are warnings (keepalived carries on); invalid values are errors with a code.
 */
import type { KeepalivedConfig } from './model';
import { LvsBuilder } from './parse-lvs';
import type { N } from './parse-base';

export { splitCommand } from './parse-base';

const TOP_EXTRA = new Set(['bfd_instance', 'garp_group', 'track_group', 'vrrp_garp_group', 'linkbeat_interfaces', 'interface_up_down_delays', 'SSL']);
/** Daemon facilities keepalived.conf(5) lists before global_defs; they are written at the top level. */
const TOP_GLOBAL = new Set(['use_polling', 'old_unicast_checksum', 'use_pid_dir', 'linkbeat_use_polling', 'child_wait_time', 'namespace_with_ipsets', 'net_namespace_ipvs']);

/** keepalived 2.2.7: the first rule without a preference gets 16384, each further one of the same family one less. */
export const FIRST_DEFAULT_RULE_PRIORITY = 16384;

/** The whole builder: the top level here, the sections in parse-global / parse-vrrp / parse-lvs, the helpers in parse-base. */
export class ConfigBuilder extends LvsBuilder {
  // ---------- top level ----------
  build(nodes: N[], files: string[]): KeepalivedConfig {
    const cfg: KeepalivedConfig = {
      globalDefs: this.defaultGlobals(),
      vrrpScripts: {}, vrrpSyncGroups: [], vrrpInstances: [], trackFiles: {}, trackProcesses: {},
      virtualServerGroups: {}, virtualServers: [], staticIpaddress: [], staticRoutes: [], staticRules: [],
      linkbeatInterfaces: [], extra: {}, files,
    };
    const instances: N[] = [];
    this.unprioritized = [];
    for (const n of nodes) {
      switch (n.keyword) {
        case 'global_defs': this.globalDefs(n, cfg.globalDefs); break;
        case 'vrrp_script': {
          const s = this.vrrpScript(n);
          if (s) cfg.vrrpScripts[s.name] = s;
          break;
        }
        case 'vrrp_sync_group': { const g = this.syncGroup(n); if (g) cfg.vrrpSyncGroups.push(g); break; }
        case 'vrrp_instance': instances.push(n); break;
        case 'track_file': case 'vrrp_track_file': { const t = this.trackFile(n); if (t) cfg.trackFiles[t.name] = t; break; }
        case 'vrrp_track_process': { const t = this.trackProcess(n); if (t) cfg.trackProcesses[t.name] = t; break; }
        case 'virtual_server_group': { const g = this.vsGroup(n); if (g) cfg.virtualServerGroups[g.name] = g; break; }
        case 'virtual_server': { const v = this.virtualServer(n); if (v) cfg.virtualServers.push(v); break; }
        case 'static_ipaddress': for (const c of this.items(n)) { const a = this.address(c); if (a) cfg.staticIpaddress.push(a); } break;
        case 'static_routes': for (const c of this.items(n)) { const r = this.route(c); if (r) cfg.staticRoutes.push(r); } break;
        case 'static_rules': for (const c of this.items(n)) { const r = this.rule(c); if (r) cfg.staticRules.push(r); } break;
        case 'linkbeat_interfaces': for (const c of this.items(n)) cfg.linkbeatInterfaces.push(c.keyword); (cfg.extra[n.keyword] ??= []).push(n); break;
        case 'net_namespace': cfg.globalDefs.netNamespace = n.args[0]; break;
        case 'instance': cfg.globalDefs.instance = n.args[0]; break;
        default:
          if (TOP_GLOBAL.has(n.keyword)) (cfg.globalDefs.extra[n.keyword] ??= []).push(n.args);
          else if (TOP_EXTRA.has(n.keyword)) (cfg.extra[n.keyword] ??= []).push(n);
          else if (n.children) this.d.error('E_CONFIG_UNKNOWN_BLOCK', n.file, n.line, `Unknown block '${n.keyword}' - ignoring it and its contents`);
          else this.d.warn('E_CONFIG_UNKNOWN_KEYWORD', n.file, n.line, `Unknown keyword '${n.keyword}'`);
      }
    }
    for (const n of instances) {
      const vi = this.vrrpInstance(n, cfg.globalDefs);
      if (vi) cfg.vrrpInstances.push(vi);
    }
    this.numberRules(nodes);
    return cfg;
  }

  /**
   * keepalived gives a static or virtual rule without a preference the next number of a per-family
   * counter that starts at 16384 and counts down, in the order the rules are written (a rule that
   * could be either family counts as IPv4). vrrp_instance blocks are built after the others here,
   * so the order comes from the statement tree, not from the build order.
   */
  protected numberRules(nodes: N[]): void {
    const order = new Map<N, number>();
    const visit = (list: N[]): void => {
      for (const x of list) {
        order.set(x, order.size);
        if (x.children) visit(x.children);
      }
    };
    visit(nodes);
    const next = { 4: FIRST_DEFAULT_RULE_PRIORITY, 6: FIRST_DEFAULT_RULE_PRIORITY };
    for (const { r, n } of this.unprioritized.sort((a, b) => (order.get(a.n) ?? 0) - (order.get(b.n) ?? 0))) {
      const fam = r.family ?? 4;
      r.priority = next[fam]--;
      this.d.warn('E_CONFIG_MISSING', n.file, n.line, `Rule has no preference specified - setting to ${r.priority}. This is probably not what you want.`);
    }
    this.unprioritized = [];
  }
}
