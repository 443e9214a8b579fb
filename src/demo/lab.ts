/**
 * `npm run demo` (as root): the README's main job. Builds two VRRP nodes and a client in network
 * namespaces on a bridge, runs keepalived-ts on both with the seed's multicast MASTER/BACKUP pair
 * (config/examples/multicast), shows who holds the VIP, kills the master with SIGKILL, prints the
 * failover timeline measured on the wire, then restarts the old master and shows it taking the VIP back.
 * Everything it creates is removed at the end, also on failure or Ctrl-C.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withLab, type Host } from '../../test/helpers/lab';
import { startKeepalivedTs, repoRoot, type DaemonHandle } from '../../test/helpers/keepalived';
import { isVrrpAdvert, vrrpInfo, isGratuitousArp, ethSrc } from '../../test/helpers/pcap';

const VIP = '192.0.2.100';

function progress(msg: string): void {
  process.stderr.write(`[demo ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

async function holder(hosts: Host[]): Promise<string> {
  const who: string[] = [];
  for (const h of hosts) if (await h.hasAddress(VIP)) who.push(`${h.name} (${h.ip4})`);
  return who.length ? who.join(' and ') : 'nobody';
}

export async function runDemo(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: must run as root (network namespaces, raw sockets): sudo npm run demo\n');
    return 3;
  }
  const examples = path.join(repoRoot(), 'config', 'examples', 'multicast');
  const conf1 = fs.readFileSync(path.join(examples, 'node1.conf'), 'utf8');
  const conf2 = fs.readFileSync(path.join(examples, 'node2.conf'), 'utf8');
  return withLab({ hosts: ['node1', 'node2', 'client'], timeoutMs: 120_000 }, async (lab) => {
    const [n1, n2, client] = lab.hosts as [Host, Host, Host];
    progress(`lab ${lab.name}: node1 ${n1.ip4}, node2 ${n2.ip4}, client ${client.ip4} on one bridge`);
    const cap = await lab.capture('vrrp or arp');
    let a: DaemonHandle = startKeepalivedTs(n1, conf1, { label: 'node1' });
    const b = startKeepalivedTs(n2, conf2, { label: 'node2' });
    try {
      progress('started keepalived-ts on node1 (MASTER, priority 100) and node2 (BACKUP, priority 90); waiting for the VIP');
      const t0 = Date.now();
      await n1.waitForAddress(VIP, { present: true, timeoutMs: 10_000 });
      progress(`node1 took ${VIP} after ${Date.now() - t0} ms (state MASTER below 255 waits for its master-down timer, as keepalived)`);
      const ping1 = await client.exec(['ping', '-c', '1', '-W', '1', VIP]);
      process.stdout.write(`VIP ${VIP} held by: ${await holder([n1, n2])}; client ping: ${ping1.code === 0 ? 'ok' : 'FAILED'}\n`);

      await new Promise((r) => setTimeout(r, 2500));
      progress('kill -9 of node1 (the master)');
      const killedAt = Date.now();
      await a.kill9();
      await n2.waitForAddress(VIP, { present: true, timeoutMs: 10_000 });
      progress(`node2 holds ${VIP} ${Date.now() - killedAt} ms after the kill`);
      await new Promise((r) => setTimeout(r, 300));
      const frames = cap.frames();
      const adverts = frames.filter((f) => isVrrpAdvert(f.frame));
      const lastOld = [...adverts].reverse().find((f) => vrrpInfo(f.frame)?.src === n1.ip4);
      const firstNew = adverts.find((f) => vrrpInfo(f.frame)?.src === n2.ip4 && (!lastOld || f.tsUs > lastOld.tsUs));
      const firstGarp = frames.find((f) => isGratuitousArp(f.frame, VIP) && ethSrc(f.frame) === n2.mac && (!lastOld || f.tsUs > lastOld.tsUs));
      const bound = 3 * 1000 + ((256 - 90) / 256) * 1000;
      process.stdout.write('\nFailover timeline (measured on the bridge):\n');
      if (lastOld && firstNew) {
        process.stdout.write(`  node1 last advert           t = 0 ms\n`);
        process.stdout.write(`  node2 first advert (MASTER) t = ${((firstNew.tsUs - lastOld.tsUs) / 1000).toFixed(1)} ms   (RFC bound 3 x advert_int + skew = ${bound.toFixed(1)} ms)\n`);
        if (firstGarp) process.stdout.write(`  node2 first gratuitous ARP t = ${((firstGarp.tsUs - lastOld.tsUs) / 1000).toFixed(1)} ms\n`);
      } else {
        process.stdout.write('  (adverts not found in the capture)\n');
      }
      const ping2 = await client.exec(['ping', '-c', '1', '-W', '1', VIP]);
      process.stdout.write(`VIP ${VIP} held by: ${await holder([n1, n2])}; client ping: ${ping2.code === 0 ? 'ok' : 'FAILED'}\n`);
      process.stdout.write('  (a killed node keeps the address in its kernel, as with keepalived; node2\'s gratuitous ARPs moved the clients)\n');

      progress('restarting node1: it preempts node2 when its own master-down timer expires');
      a = startKeepalivedTs(n1, conf1, { label: 'node1-restarted' });
      const r0 = Date.now();
      await n1.waitForAddress(VIP, { present: true, timeoutMs: 10_000 });
      await n2.waitForAddress(VIP, { present: false, timeoutMs: 5_000 });
      process.stdout.write(`\nRestored: node1 took ${VIP} back after ${Date.now() - r0} ms; VIP held by: ${await holder([n1, n2])}\n`);
      await cap.stop();
      return 0;
    } catch (e) {
      process.stderr.write(`demo failed: ${(e as Error).message}\n--- node1 log ---\n${a.logs().slice(-20).join('\n')}\n--- node2 log ---\n${b.logs().slice(-20).join('\n')}\n`);
      return 1;
    } finally {
      await a.stop().catch(() => undefined);
      await b.stop().catch(() => undefined);
      progress('lab removed');
    }
  });
}

if (require.main === module) {
  runDemo().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`demo: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
