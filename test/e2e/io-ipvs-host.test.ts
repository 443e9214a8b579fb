/**
 * src/io/ipvs.ts on this host's kernel. Without IPVS (no CONFIG_IP_VS, as here) every call fails
 * with E_IPVS_UNAVAILABLE and the kernel is asked once; with IPVS, the table reads. The IPVS
 * operations themselves are tested on a real IPVS kernel in ipvs-vm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ipvsAvailable, ipvsCounters, readTable, addService, closeIpvs } from '../../src/io/ipvs';

test('a kernel without IPVS is detected once and answered with E_IPVS_UNAVAILABLE', async () => {
  try {
    const hasIpvs = existsSync('/proc/net/ip_vs');
    assert.equal(await ipvsAvailable(), hasIpvs);
    if (hasIpvs) {
      assert.ok(Array.isArray(await readTable()));
      return;
    }
    for (let i = 0; i < 3; i++) {
      await assert.rejects(readTable(), (e: { code?: string }) => e.code === 'E_IPVS_UNAVAILABLE');
      await assert.rejects(addService({ family: 4, protocol: 'TCP', address: '192.0.2.1', port: 80, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff }),
        (e: { code?: string }) => e.code === 'E_IPVS_UNAVAILABLE');
    }
    assert.equal(ipvsCounters().probes, 1, 'the IPVS family is looked up once');
    assert.equal(ipvsCounters().changes, 0);
  } finally {
    closeIpvs();
  }
});
