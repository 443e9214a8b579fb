import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createLab, listNamespaces, requireLabPrerequisites, sweepStaleLabs, withLab, type Host, type Lab } from '../helpers/lab';
import { ethSrc, icmpInfo, isEchoReply, isEchoRequest } from '../helpers/pcap';

// Fails loudly (never skips) without root, ip or tcpdump.
requireLabPrerequisites();

async function ping(from: Host, to: string, waitS = '0.5'): Promise<boolean> {
  return (await from.exec(['ping', '-n', '-c', '1', '-W', waitS, to])).code === 0;
}

/** Retries briefly: a port that just came back may need a moment before forwarding. */
async function pingEventually(from: Host, to: string, withinMs = 3_000): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < withinMs) if (await ping(from, to)) return true;
  return false;
}

function labNamespaces(lab: Lab | string): string[] {
  const name = typeof lab === 'string' ? lab : lab.name;
  return listNamespaces().filter((n) => n.startsWith(`${name}-`));
}

test('lab: three hosts on one bridge ping each other over IPv4 and IPv6, and the bridge capture sees it', async (t) => {
  await withLab({ hosts: 3, signal: t.signal }, async (lab) => {
    const [h1, h2, h3] = lab.hosts;
    assert.deepEqual(
      lab.hosts.map((h) => [h.ip4, h.ip6, h.mac]),
      [
        ['192.0.2.11', '2001:db8::11', '02:00:c0:00:02:0b'],
        ['192.0.2.12', '2001:db8::12', '02:00:c0:00:02:0c'],
        ['192.0.2.13', '2001:db8::13', '02:00:c0:00:02:0d'],
      ],
    );
    assert.equal(labNamespaces(lab).length, 4);
    const link = await h1.exec(['ip', '-j', 'link', 'show', 'eth0'], { check: true });
    assert.equal(JSON.parse(link.stdout)[0].address, h1.mac);
    assert.equal(await h1.hasAddress('2001:db8::11'), true);
    assert.equal(await h1.hasAddress('2001:0db8:0:0::11'), true, 'addresses compare in canonical form');
    assert.equal(await h1.hasAddress('192.0.2.12'), false);

    const cap = await lab.capture('icmp or icmp6');
    assert.equal(await ping(h1, h2.ip4), true, 'IPv4 ping h1 -> h2');
    assert.equal(await ping(h1, h2.ip6), true, 'IPv6 ping h1 -> h2');
    assert.equal(await ping(h3, h1.ip4), true, 'IPv4 ping h3 -> h1');
    const frames = await cap.stop();
    const requests = frames.filter((f) => isEchoRequest(f.frame)).map((f) => icmpInfo(f.frame));
    assert.deepEqual(
      requests.map((i) => [i?.family, i?.src, i?.dst]),
      [
        [4, h1.ip4, h2.ip4],
        [6, h1.ip6, h2.ip6],
        [4, h3.ip4, h1.ip4],
      ],
    );
    const replies = frames.filter((f) => isEchoReply(f.frame));
    assert.equal(replies.length, 3);
    assert.equal(ethSrc(replies[0].frame), h2.mac);
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].tsUs >= frames[i - 1].tsUs, 'frames are in time order');
    const now = Date.now() * 1000;
    assert.ok(Math.abs(frames[0].tsUs - now) < 60e6, 'timestamps are µs since the epoch');
  });
});

test('lab: cutLink takes a host off the bridge (carrier down) and healLink brings it back', async (t) => {
  await withLab({ hosts: 2, signal: t.signal }, async (lab) => {
    const [h1, h2] = lab.hosts;
    assert.equal(await ping(h1, h2.ip4), true);
    await lab.cutLink(h2);
    assert.equal(await ping(h1, h2.ip4), false, 'ping must fail while the link is cut');
    assert.equal(await ping(h1, h2.ip6), false);
    const oper = JSON.parse((await h2.exec(['ip', '-j', 'link', 'show', 'eth0'], { check: true })).stdout)[0].operstate;
    assert.notEqual(oper, 'UP', 'the host sees its link go down');
    await lab.healLink(h2);
    assert.equal(await pingEventually(h1, h2.ip4), true, 'ping works again after healLink');
    assert.equal(await pingEventually(h1, h2.ip6), true);
  });
});

test('lab: partition splits the hosts in two groups without a carrier change; heal joins them', async (t) => {
  await withLab({ hosts: 3, signal: t.signal }, async (lab) => {
    const [h1, h2, h3] = lab.hosts;
    const cap = await lab.capture('icmp');
    await lab.partition([h1], [h2, h3]);
    assert.equal(await ping(h1, h2.ip4), false, 'no traffic across the partition');
    assert.equal(await ping(h3, h1.ip4), false);
    assert.equal(await ping(h2, h3.ip4), true, 'traffic inside a group still flows');
    const oper = JSON.parse((await h2.exec(['ip', '-j', 'link', 'show', 'eth0'], { check: true })).stdout)[0].operstate;
    assert.equal(oper, 'UP', 'a partition is not a link failure');
    await lab.heal();
    assert.equal(await pingEventually(h1, h2.ip4), true, 'healed');
    assert.equal(await pingEventually(h3, h1.ip4), true);
    const frames = await cap.stop();
    const inside = frames.filter((f) => isEchoRequest(f.frame) && icmpInfo(f.frame)?.src === h2.ip4);
    assert.equal(inside.length, 1);
    assert.equal(inside[0].bridge, 'br1', 'the capture also sees the far side of a partition');
  });
});

test('lab: addHost joins a new host to the running lab; addVethSpare gives a spare interface', async (t) => {
  await withLab({ hosts: 1, signal: t.signal }, async (lab) => {
    const h2 = await lab.addHost();
    assert.equal(h2.ip4, '192.0.2.12');
    assert.equal(await ping(lab.hosts[0], h2.ip4), true);
    const spare = await h2.addVethSpare('track0');
    const state = JSON.parse((await h2.exec(['ip', '-j', 'link', 'show', spare.name], { check: true })).stdout)[0];
    assert.equal(state.operstate, 'UP');
    await h2.setLink(spare.peer, false);
    const after = JSON.parse((await h2.exec(['ip', '-j', 'link', 'show', spare.name], { check: true })).stdout)[0];
    assert.notEqual(after.operstate, 'UP', 'taking the peer down drops the spare interface carrier');
  });
});

test('lab: waitForAddress sees an address come and go', async (t) => {
  await withLab({ hosts: 1, signal: t.signal }, async (lab) => {
    const [h1] = lab.hosts;
    setTimeout(() => void h1.exec(['ip', 'addr', 'add', '192.0.2.100/24', 'dev', 'eth0']), 100);
    const waited = await h1.waitForAddress('192.0.2.100', { timeoutMs: 3_000 });
    assert.ok(waited >= 50, `waited ${waited} ms`);
    await h1.exec(['ip', 'addr', 'del', '192.0.2.100/24', 'dev', 'eth0'], { check: true });
    await h1.waitForAddress('192.0.2.100', { present: false, timeoutMs: 1_000 });
    await assert.rejects(h1.waitForAddress('192.0.2.101', { timeoutMs: 100 }), /still absent/);
  });
});

test('lab: a body that throws still leaves no namespace and no process behind', async () => {
  let name = '';
  let pid = 0;
  await assert.rejects(
    withLab({ hosts: 2 }, async (lab) => {
      name = lab.name;
      pid = lab.hosts[0].spawn(['sleep', '600']).pid;
      assert.equal(labNamespaces(lab).length, 3);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.notEqual(name, '');
  assert.deepEqual(labNamespaces(name), []);
  assert.equal(spawnSync('kill', ['-0', String(pid)]).status, 1, 'the process started in the lab is gone');
});

test('lab: a body that hangs past timeoutMs is cut off and the lab removed', async () => {
  let name = '';
  await assert.rejects(
    withLab({ hosts: 1, timeoutMs: 300 }, async (lab) => {
      name = lab.name;
      await new Promise(() => undefined);
    }),
    /did not finish within 300 ms/,
  );
  assert.deepEqual(labNamespaces(name), []);
});

test('lab: destroy is idempotent', async () => {
  const lab = await createLab({ hosts: 1 });
  try {
    await Promise.all([lab.destroy(), lab.destroy()]);
    await lab.destroy();
    assert.deepEqual(labNamespaces(lab), []);
  } finally {
    await lab.destroy(); // a failed assertion above must not leave the namespaces behind
  }
});

test('lab: sweepStaleLabs removes namespaces left by a dead test process, not live ones', async () => {
  const dead = spawnSync('true');
  assert.ok(dead.pid && dead.pid > 0);
  const stale = `kts-${(dead.pid as number).toString(36)}-zz-b`;
  const live = `kts-${process.pid.toString(36)}-zz-b`;
  try {
    spawnSync('ip', ['netns', 'add', stale]);
    spawnSync('ip', ['netns', 'add', live]);
    await sweepStaleLabs(); // (a concurrent test process may sweep it first: only the outcome counts)
    assert.equal(listNamespaces().includes(stale), false);
    assert.equal(listNamespaces().includes(live), true);
  } finally {
    spawnSync('ip', ['netns', 'del', stale]);
    spawnSync('ip', ['netns', 'del', live]);
  }
});
