/**
 * Reconcile: desired IPVS table vs the kernel's → the fewest operations, touching nothing that is
 * unchanged and removing only what we installed (keepalived's reload and stop behaviour).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config';
import { desiredTable, initialHealth, reconcile, ownedAfter, stopOps, type TableEntry, type IpvsOp } from '../../src/daemon/lvs';
import { SvcFlag, type IpvsDest, type IpvsService } from '../../src/protocol/ipvs';

const svc = (port: number, over: Partial<IpvsService> = {}): IpvsService =>
  ({ family: 4, protocol: 'TCP', address: '192.0.2.10', port, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, ...over }) as IpvsService;
const dst = (n: number, weight = 1, over: Partial<IpvsDest> = {}): IpvsDest =>
  ({ address: `198.51.100.${n}`, family: 4, port: 80, fwd: 'masq', weight, uThreshold: 0, lThreshold: 0, ...over });
/** the kernel's view of a table: HASHED flag set, connection counters present */
const asKernel = (t: TableEntry[]): TableEntry[] =>
  t.map((e) => ({ service: { ...e.service, flags: e.service.flags | SvcFlag.HASHED }, dests: e.dests.map((d) => ({ ...d, activeConns: 3, inactConns: 1, persistConns: 0 })) }));
const names = (ops: IpvsOp[]) => ops.map((o) => ('dest' in o ? `${o.op} ${o.dest.address}:${o.dest.port} w${o.dest.weight}` : 'service' in o && 'port' in o.service ? `${o.op} ${o.service.port}` : o.op));

test('an empty kernel gets every service and destination added', () => {
  const want = [{ service: svc(80), dests: [dst(1), dst(2, 3)] }];
  assert.deepEqual(names(reconcile(want, [], new Set())), ['add-service 80', 'add-dest 198.51.100.1:80 w1', 'add-dest 198.51.100.2:80 w3']);
});

test('re-applying the same table is a no-op (kernel flags and counters are ignored)', () => {
  const want = [{ service: svc(80, { flags: SvcFlag.PERSISTENT, timeout: 300 }), dests: [dst(1), dst(2, 3, { fwd: 'tunnel', tunType: 'ipip' })] }];
  const kernel = asKernel(want);
  assert.deepEqual(reconcile(want, kernel, ownedAfter(new Set(), want, [])), []);
});

test('a changed weight is one SET of that destination, nothing else', () => {
  const want = [{ service: svc(80), dests: [dst(1), dst(2, 5), dst(3)] }, { service: svc(443), dests: [dst(1)] }];
  const kernel = asKernel([{ service: svc(80), dests: [dst(1), dst(2, 3), dst(3)] }, { service: svc(443), dests: [dst(1)] }]);
  assert.deepEqual(names(reconcile(want, kernel, new Set())), ['edit-dest 198.51.100.2:80 w5']);
});

test('a changed scheduler or persistence is a SET of the service, its destinations untouched', () => {
  const want = [{ service: svc(80, { scheduler: 'wlc', flags: SvcFlag.PERSISTENT, timeout: 60 }), dests: [dst(1)] }];
  assert.deepEqual(names(reconcile(want, asKernel([{ service: svc(80), dests: [dst(1)] }]), new Set())), ['edit-service 80']);
});

test('changed forwarding method or thresholds are a SET; a changed port is another destination', () => {
  const want = [{ service: svc(80), dests: [dst(1, 1, { fwd: 'route' }), dst(2, 1, { uThreshold: 10 }), dst(3, 1, { port: 8080 })] }];
  const kernel = asKernel([{ service: svc(80), dests: [dst(1), dst(2), dst(3)] }]);
  const owned = new Set(['TCP 192.0.2.10:80', 'TCP 192.0.2.10:80 -> 198.51.100.3:80']);
  assert.deepEqual(names(reconcile(want, kernel, owned)), [
    'edit-dest 198.51.100.1:80 w1', 'edit-dest 198.51.100.2:80 w1', 'add-dest 198.51.100.3:8080 w1', 'del-dest 198.51.100.3:80 w1',
  ]);
});

test('only what we added is removed: foreign destinations and services stay', () => {
  const want = [{ service: svc(80), dests: [dst(1)] }];
  const kernel = asKernel([
    { service: svc(80), dests: [dst(1), dst(2), dst(7)] },
    { service: svc(443), dests: [dst(1)] },
    { service: svc(8080), dests: [dst(1)] },
  ]);
  const owned = new Set(['TCP 192.0.2.10:80', 'TCP 192.0.2.10:80 -> 198.51.100.2:80', 'TCP 192.0.2.10:443', 'TCP 192.0.2.10:443 -> 198.51.100.1:80']);
  assert.deepEqual(names(reconcile(want, kernel, owned)), ['del-dest 198.51.100.2:80 w1', 'del-service 443']);
  const next = ownedAfter(owned, want, reconcile(want, kernel, owned));
  assert.deepEqual([...next].sort(), ['TCP 192.0.2.10:80', 'TCP 192.0.2.10:80 -> 198.51.100.1:80']);
});

test('reload of a keepalived.conf(5) group config with one real server changed touches only that server', () => {
  const text = (w: number) => `virtual_server_group G { 192.0.2.20-22 80 }
virtual_server group G {
  lb_algo wrr
  lb_kind DR
  real_server 198.51.100.1 80 { weight 1 }
  real_server 198.51.100.2 80 { weight ${w} }
}`;
  const before = parseConfig('/tmp/a.conf', { text: text(1) }).config;
  const after = parseConfig('/tmp/a.conf', { text: text(4) }).config;
  const t0 = desiredTable(before, initialHealth(before)).entries;
  const ops0 = reconcile(t0, [], new Set());
  assert.equal(ops0.length, 9);
  const owned = ownedAfter(new Set(), t0, ops0);
  const t1 = desiredTable(after, initialHealth(after)).entries;
  assert.deepEqual(names(reconcile(t1, asKernel(t0), owned)), ['edit-dest 198.51.100.2:80 w4', 'edit-dest 198.51.100.2:80 w4', 'edit-dest 198.51.100.2:80 w4']);
});

test('stop: default removes our destinations then our services; lvs_flush_on_stop VS only the services; bare lvs_flush_on_stop flushes', () => {
  const kernel = asKernel([{ service: svc(80), dests: [dst(1), dst(2, 0)] }, { service: svc(9999), dests: [dst(5)] }]);
  const owned = new Set(['TCP 192.0.2.10:80', 'TCP 192.0.2.10:80 -> 198.51.100.1:80', 'TCP 192.0.2.10:80 -> 198.51.100.2:80']);
  assert.deepEqual(names(stopOps(kernel, owned, 'none')), ['del-dest 198.51.100.1:80 w1', 'del-dest 198.51.100.2:80 w0', 'del-service 80']);
  assert.deepEqual(names(stopOps(kernel, owned, 'vs')), ['del-service 80']);
  assert.deepEqual(names(stopOps(kernel, owned, 'full')), ['flush']);
});

test('IPv6 written in any form matches the kernel canonical form: re-applying is still a no-op', () => {
  const c = parseConfig('/tmp/v6.conf', { text: 'virtual_server 2001:DB8:0:0::10 80 {\n protocol TCP\n real_server 2001:db8:0000::0001 80 {\n }\n}' }).config;
  const want = desiredTable(c, initialHealth(c)).entries;
  assert.deepEqual(want.map((e) => ['address' in e.service ? e.service.address : '', e.dests[0]!.address]), [['2001:db8::10', '2001:db8::1']]);
  assert.deepEqual(reconcile(want, asKernel(want), new Set()), []);
});
