/**
 * Generated keepalived.conf files for the differential -t test (test/e2e/config-differential):
 * keywords of keepalived.conf(5) with valid, edge and invalid values, parameters and ~SEQ/~LST with
 * $ arguments, includes, VRIDs shared by IPv4 and IPv6 instances, unicast and multicast instances on
 * one interface, routes and rules, vrrp_strict combinations. Add a case here for every -t bug found.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GenCase {
  name: string;
  /** the main file, relative to the case's directory */
  main: string;
  files: Record<string, string>;
}

/** An instance block with `body` lines added. */
function inst(name: string, ifname: string, vrid: number | string, body: string[] = [], vip = '192.0.2.10/24'): string {
  return [`vrrp_instance ${name} {`, `  interface ${ifname}`, `  virtual_router_id ${vrid}`, '  priority 100', '  advert_int 1', ...body.map((b) => '  ' + b), '  virtual_ipaddress {', `    ${vip}`, '  }', '}', ''].join('\n');
}

/** Cases for an interface that exists on the machine (`ifname`, not lo). */
export function generateCases(ifname: string): GenCase[] {
  const cases: GenCase[] = [];
  const one = (name: string, text: string): void => { cases.push({ name, main: 'keepalived.conf', files: { 'keepalived.conf': text } }); };

  // global_defs keywords: valid, edge, invalid
  const globals: [string, string[]][] = [
    ['router_id', ['node1']],
    ['vrrp_version', ['2', '3', '4', 'x']],
    ['vrrp_garp_master_delay', ['0', '5', '-1', 'abc']],
    ['vrrp_garp_master_repeat', ['1', '65535']],
    ['vrrp_garp_interval', ['0.001', '0', '1.5']],
    ['vrrp_gna_interval', ['0.001', '0']],
    ['vrrp_mcast_group4', ['224.0.0.18', '239.1.1.1', '10.0.0.1', 'bogus']],
    ['vrrp_mcast_group6', ['ff02::12', 'bogus']],
    ['smtp_connect_timeout', ['30', '0', 'x']],
    ['vrrp_priority', ['-20', '19', '20']],
    ['max_auto_priority', ['', '99', '100']],
    ['vrrp_startup_delay', ['5', 'x']],
    ['notify_fifo', ['/tmp/kts-diff.fifo']],
    ['vrrp_skip_check_adv_addr', ['']],
    ['vrrp_check_unicast_src', ['']],
    ['vrrp_lower_prio_no_advert', ['', 'true', 'maybe']],
    ['enable_snmp_vrrp', ['']],
    ['enable_dbus', ['']],
    ['no_such_keyword', ['1']],
  ];
  for (const [k, vals] of globals) {
    vals.forEach((v, i) => one(`global-${k}-${i}`, `global_defs {\n  ${k}${v === '' ? '' : ' ' + v}\n}\n${inst('VI_1', ifname, 51)}`));
  }

  // vrrp_instance keywords: valid, edge, invalid
  const instance: [string, string[]][] = [
    ['priority', ['1', '254', '255', '0', '256', 'abc']],
    ['advert_int', ['1', '0.5', '3', '0', '300', 'x']],
    ['state', ['MASTER', 'BACKUP', 'bogus']],
    ['nopreempt', ['']],
    ['preempt_delay', ['10', '1001', 'x']],
    ['garp_master_delay', ['5', 'x']],
    ['authentication {\n    auth_type PASS\n    auth_pass secret1\n  }', ['']],
    ['authentication {\n    auth_type PASS\n    auth_pass averyverylongpassword\n  }', ['']],
    ['authentication {\n    auth_type AH\n    auth_pass secret\n  }', ['']],
    ['authentication {\n    auth_type BOGUS\n  }', ['']],
    ['version', ['2', '3', '1']],
    ['track_interface {\n    ' + ifname + ' weight 10\n  }', ['']],
    ['track_interface {\n    nosuchif0\n  }', ['']],
    ['unicast_src_ip', ['192.0.2.1', 'bogus']],
    ['mcast_src_ip', ['192.0.2.1']],
    ['accept', ['']],
    ['no_accept', ['']],
    ['dont_track_primary', ['']],
    ['use_vmac', ['', 'vrrp51']],
    ['bogus_keyword', ['1']],
    ['track_bfd {\n    bfd1\n  }', ['']],
  ];
  for (const [k, vals] of instance) {
    vals.forEach((v, i) => one(`instance-${k.split(/\s/)[0]}-${i}`, inst('VI_1', ifname, 51, [`${k}${v === '' ? '' : ' ' + v}`])));
  }
  for (const vrid of ['1', '255', '0', '256', 'x']) one(`vrid-${vrid}`, inst('VI_1', ifname, vrid));
  one('no-interface', ['vrrp_instance VI_1 {', '  virtual_router_id 51', '  priority 100', '  virtual_ipaddress {', '    192.0.2.10', '  }', '}', ''].join('\n'));
  one('missing-interface', inst('VI_1', 'nosuchif0', 51));
  one('vip-invalid', inst('VI_1', ifname, 51, [], '192.0.2.300/24'));
  one('vip-options', inst('VI_1', ifname, 51, [], `192.0.2.10/24 dev ${ifname} scope link label ${ifname}:1`));
  one('vip-missing-dev', inst('VI_1', ifname, 51, [], '192.0.2.10/24 dev nosuchif0'));

  // VRIDs shared by IPv4 and IPv6; unicast and multicast on one interface; duplicates
  one('vrid-v4-v6', inst('VI_4', ifname, 51) + inst('VI_6', ifname, 51, [], '2001:db8::10/64'));
  one('vrid-dup-v4', inst('VI_1', ifname, 51) + inst('VI_2', ifname, 51, [], '192.0.2.20/24'));
  one('unicast-and-multicast', inst('VI_M', ifname, 51) + inst('VI_U', ifname, 51, ['unicast_src_ip 192.0.2.1', 'unicast_peer {', '  192.0.2.2', '}'], '192.0.2.20/24'));
  one('unicast-peer-family', inst('VI_U', ifname, 52, ['unicast_peer {', '  2001:db8::2', '}']));
  one('mixed-family-vips', inst('VI_1', ifname, 51, ['virtual_ipaddress_excluded {', '  2001:db8::10/64', '}']));

  // vrrp_strict combinations
  const strictBodies: [string, string[]][] = [
    ['plain', []],
    ['auth', ['authentication {', '  auth_type PASS', '  auth_pass secret', '}']],
    ['unicast', ['unicast_peer {', '  192.0.2.2', '}']],
    ['master', ['state MASTER']],
    ['accept-v2', ['accept']],
    ['v3-accept', ['version 3', 'accept']],
    ['fraction', ['version 3', 'advert_int 0.5']],
  ];
  for (const [n, body] of strictBodies) one(`strict-${n}`, `global_defs {\n  vrrp_strict\n}\n${inst('VI_1', ifname, 51, body)}`);
  one('strict-mode-instance', inst('VI_1', ifname, 51, ['strict_mode on', 'state MASTER']));

  // routes and rules
  const routes = [
    '192.0.2.0/24 via 198.51.100.1', `198.51.100.0/24 dev ${ifname}`, 'blackhole 203.0.113.0/24', 'unreachable 203.0.113.0/24',
    'prohibit 203.0.113.0/24', 'throw 203.0.113.0/24', `192.0.2.0/24 via 198.51.100.1 dev ${ifname} metric 10 table 100`,
    `192.0.2.0/24 src 198.51.100.5 dev ${ifname} scope link`, '192.0.2.0/24 gw 198.51.100.1', '2001:db8:1::/48 via 2001:db8::1',
    `192.0.2.0/24 nexthop via 198.51.100.1 dev ${ifname} weight 1 nexthop via 198.51.100.2 dev ${ifname} weight 2`,
    '192.0.2.0/24 via bogus', 'bogus/24', '192.0.2.0/24 dev nosuchif0',
  ];
  routes.forEach((r, i) => one(`route-${i}`, inst('VI_1', ifname, 51, ['virtual_routes {', `  ${r}`, '}'])));
  const rules = [
    'from 192.0.2.0/24 table 100', 'to 198.51.100.0/24 table 100 priority 100', 'from 192.0.2.1 lookup main', `iif ${ifname} table 100 pref 10`,
    'fwmark 1 table 100', 'from all table 100', 'from 2001:db8::/64 table 100', 'from 192.0.2.300 table 100', 'from 192.0.2.0/24',
  ];
  rules.forEach((r, i) => one(`rule-${i}`, inst('VI_1', ifname, 51, ['virtual_rules {', `  ${r}`, '}'])));
  one('static', `static_ipaddress {\n  192.0.2.50/24 dev ${ifname}\n}\nstatic_routes {\n  198.51.100.0/24 via 192.0.2.1 dev ${ifname}\n}\nstatic_rules {\n  from 192.0.2.50 table 100\n}\n`);

  // parameters and generators
  one('param-simple', `$IF=${ifname}\n$VRID=51\nvrrp_instance VI_1 {\n  interface $IF\n  virtual_router_id $VRID\n  priority 100\n  virtual_ipaddress {\n    192.0.2.10\n  }\n}\n`);
  one('param-args', `$INST=vrrp_instance VI_$1 {\\\n  interface ${ifname}\\\n  virtual_router_id $2\\\n  priority 100\\\n  virtual_ipaddress {\\\n    192.0.2.$2\\\n  }\\\n}\n$INST 1 51\n$INST 2 52\n`);
  one('param-undefined', `vrrp_instance VI_1 {\n  interface ${ifname}\n  virtual_router_id $UNDEFINED\n  priority 100\n}\n`);
  one('seq', `~SEQ(n, 1, 3) vrrp_instance VI_$n {\n  interface ${ifname}\n  virtual_router_id 5$n\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1$n\n  }\n}\n`);
  one('lst', `~LST(n, 1, 2) vrrp_instance VI_$n {\n  interface ${ifname}\n  virtual_router_id 6$n\n  priority 100\n  virtual_ipaddress {\n    192.0.2.2$n\n  }\n}\n`);
  one('seq-bad', `~SEQ(n, 1) vrrp_instance VI_$n {\n}\n`);

  // includes
  cases.push({ name: 'include-ok', main: 'keepalived.conf', files: { 'keepalived.conf': 'include conf.d/*.conf\n', 'conf.d/a.conf': inst('VI_1', ifname, 51), 'conf.d/b.conf': inst('VI_2', ifname, 52, [], '192.0.2.20') } });
  cases.push({ name: 'include-missing', main: 'keepalived.conf', files: { 'keepalived.conf': `include missing.conf\n${inst('VI_1', ifname, 51)}` } });
  cases.push({ name: 'include-glob-empty', main: 'keepalived.conf', files: { 'keepalived.conf': `include none.d/*.conf\n${inst('VI_1', ifname, 51)}` } });
  cases.push({ name: 'include-error-inside', main: 'keepalived.conf', files: { 'keepalived.conf': 'include inc.conf\n', 'inc.conf': inst('VI_1', ifname, 300) } });

  // blocks and braces
  one('unknown-block', `bogus_block {\n  x 1\n}\n${inst('VI_1', ifname, 51)}`);
  one('missing-brace', inst('VI_1', ifname, 51).replace(/\}\n$/, ''));
  one('extra-brace', `${inst('VI_1', ifname, 51)}}\n`);
  one('empty', '');
  one('sync-group', `vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_X\n  }\n}\n${inst('VI_1', ifname, 51)}`);
  one('lvs', 'virtual_server 192.0.2.100 80 {\n  delay_loop 6\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 192.0.2.101 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n}\n');
  // vrrp_script, track files and processes, sync groups
  const scriptKw: [string, string[]][] = [
    ['interval', ['1', '0.5', '0', 'x']], ['timeout', ['2', '0', 'x']], ['weight', ['10', '-10', '253', '254', '-254', '10 reverse', 'x']],
    ['rise', ['1', '0', 'x']], ['fall', ['3', '0']], ['user', ['root', 'nosuchuser']], ['init_fail', ['']], ['bogus', ['1']],
  ];
  for (const [k, vals] of scriptKw) {
    vals.forEach((v, i) => one(`vrrp_script-${k}-${i}`, `vrrp_script chk {\n  script "/bin/true"\n  ${k}${v === '' ? '' : ' ' + v}\n}\n${inst('VI_1', ifname, 51, ['track_script {', '  chk', '}'])}`));
  }
  const trackFileKw: [string, string[]][] = [['file', ['/tmp/kts-diff-track', '']], ['weight', ['1', '-254', '255', '0 reverse', 'x']], ['init_file', ['', '5', '5 overwrite']]];
  for (const [k, vals] of trackFileKw) {
    vals.forEach((v, i) => one(`track_file-${k}-${i}`, `vrrp_track_file tf {\n  ${k === 'file' ? '' : 'file /tmp/kts-diff-track\n  '}${k}${v === '' ? '' : ' ' + v}\n}\n${inst('VI_1', ifname, 51, ['track_file {', '  tf', '}'])}`));
  }
  const processKw: [string, string[]][] = [['param_match', ['initial', 'partial', 'bogus']], ['weight', ['10', '300', 'x']], ['quorum', ['1', '0', 'x']], ['quorum_max', ['2']], ['delay', ['1', 'x']], ['fork_delay', ['1']], ['terminate_delay', ['1']], ['full_command', ['']]];
  for (const [k, vals] of processKw) {
    vals.forEach((v, i) => one(`track_process-${k}-${i}`, `vrrp_track_process tp {\n  process sshd\n  ${k}${v === '' ? '' : ' ' + v}\n}\n${inst('VI_1', ifname, 51, ['track_process {', '  tp', '}'])}`));
  }
  const groupKw = ['global_tracking', 'sync_group_tracking_weight', 'smtp_alert', 'notify_master "/bin/true"', 'bogus 1'];
  groupKw.forEach((k, i) => one(`sync_group-${i}`, `vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  ${k}\n}\n${inst('VI_1', ifname, 51)}`));
  const moreInstance: [string, string[]][] = [
    ['garp_master_repeat', ['1', '0', 'x']], ['garp_master_refresh', ['60', 'x']], ['garp_lower_prio_repeat', ['1']], ['lower_prio_no_advert', ['', 'false']],
    ['higher_prio_send_advert', ['', 'bogus']], ['smtp_alert', ['', 'no']], ['notify_master', ['"/bin/true"', '/nonexistent/x.sh']], ['debug', ['', '4', '5']],
    ['mcast_src_ip', ['2001:db8::1', 'x']], ['unicast_ttl', ['255', '0', '256']], ['preempt', ['']], ['skip_check_adv_addr', ['']], ['check_unicast_src', ['']],
  ];
  for (const [k, vals] of moreInstance) vals.forEach((v, i) => one(`instance2-${k}-${i}`, inst('VI_1', ifname, 51, [`${k}${v === '' ? '' : ' ' + v}`])));

  // LVS: virtual_server and real_server keywords, checkers
  const vs = (body: string[], rs: string[] = ['weight 1']): string => ['virtual_server 192.0.2.100 80 {', '  lb_algo rr', '  protocol TCP', ...body.map((b) => '  ' + b), '  real_server 192.0.2.101 80 {', ...rs.map((r) => '    ' + r), '  }', '}', ''].join('\n');
  const vsKw: [string, string[]][] = [
    ['delay_loop', ['6', '0', 'x']], ['lb_kind', ['NAT', 'DR', 'TUN', 'bogus']], ['persistence_timeout', ['', '50', '0', 'x']], ['quorum', ['1', '5', '0']],
    ['hysteresis', ['0', '2']], ['sorry_server', ['192.0.2.200 80', 'bogus']], ['alpha', ['']], ['omega', ['']], ['ops', ['']], ['ha_suspend', ['']], ['virtualhost', ['www.example.org']],
  ];
  for (const [k, vals] of vsKw) vals.forEach((v, i) => one(`vs-${k}-${i}`, vs([`${k}${v === '' ? '' : ' ' + v}`])));
  const rsKw = ['weight 0', 'weight 65536', 'inhibit_on_failure', 'notify_up "/bin/true"', 'TCP_CHECK {\n      connect_timeout 3\n    }', 'HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n    }',
    'HTTP_GET {\n      url {\n        path /\n        digest 123\n      }\n    }', 'MISC_CHECK {\n      misc_path "/bin/true"\n    }', 'MISC_CHECK {\n    }', 'PING_CHECK {\n    }', 'DNS_CHECK {\n      name example.org\n    }', 'BOGUS_CHECK {\n    }'];
  rsKw.forEach((r, i) => one(`rs-${i}`, vs([], ['weight 1', r])));

  // found by the differential test (keep one case per fix)
  one('bfd-no-neighbor', 'bfd_instance b1 {\n  min_rx 10\n}\n');
  one('bfd-neighbor', 'bfd_instance b1 {\n  neighbor_ip 192.0.2.9\n}\n');
  one('track-own-interface', inst('VI_1', ifname, 51, ['track_interface {', `  ${ifname}`, '}']));
  one('track-script-missing', `vrrp_script chk {\n  script /nonexistent/check.sh\n}\n${inst('VI_1', ifname, 51, ['track_script {', '  chk', '}'])}`);
  one('track-script-system', `vrrp_script chk {\n  script "</dev/tcp/127.0.0.1/80"\n}\n${inst('VI_1', ifname, 51, ['track_script {', '  chk', '}'])}`);
  one('vrrp-script-empty', `vrrp_script chk {\n  interval 2\n}\n${inst('VI_1', ifname, 51, ['track_script {', '  chk', '}'])}`);
  one('sync-group-track-missing-if', `vrrp_sync_group G {\n  group {\n    VI_1\n  }\n  track_interface {\n    nosuchif0\n  }\n}\n${inst('VI_1', ifname, 51)}`);
  one('unicast-peer-first-v6', inst('VI_1', ifname, 51, ['unicast_peer {', '  2001:db8::2', '}']));
  one('route-or', inst('VI_1', ifname, 51, ['virtual_routes {', `  192.0.2.0/24 via 198.51.100.1 dev ${ifname} or 198.51.100.2 dev ${ifname}`, '}']));
  one('rule-iif-missing', inst('VI_1', ifname, 51, ['virtual_rules {', '  from 192.0.2.0/24 table 100 iif nosuchif0 priority 5', '}']));
  one('garp-group-missing-if', 'garp_group {\n  garp_interval 0.01\n  interfaces {\n    nosuchif0\n  }\n}\n');
  for (const kind of ['DR', 'NAT']) {
    one(`vs-fwmark-port-${kind}`, `virtual_server_group G {\n  fwmark 7\n}\nvirtual_server group G {\n  lb_kind ${kind}\n  protocol TCP\n  real_server 192.0.2.101 80 {\n    weight 1\n  }\n}\n`);
  }
  return cases;
}

/** Writes the cases under `dir` and returns each case's main file. */
export function writeCases(dir: string, cases: GenCase[]): { name: string; file: string }[] {
  return cases.map((c) => {
    const base = path.join(dir, c.name);
    for (const [rel, text] of Object.entries(c.files)) {
      fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
      fs.writeFileSync(path.join(base, rel), text);
    }
    return { name: c.name, file: path.join(base, c.main) };
  });
}
