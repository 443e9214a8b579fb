/**
 * Child process for the io e2e tests: a test cannot enter a network namespace itself (no setns in
 * node), so it runs `ip netns exec NS node io-child.js '<json command>'` and reads JSON lines.
 *
 * Commands (argv[2], JSON):
 *   {op:'listen', socket:VrrpSocketOptions}          → {ready}, then {advert:{…, payload:hex}, stats}
 *   {op:'send', socket, payloadHex, count?, intervalMs?, dst?} → {sent:n, stats}
 *   {op:'garp', ifname, ip}                          → {sent:true, mac, frame:hex}
 *   {op:'na', ifname, ip}                            → {sent:true, mac, frame:hex}
 *   {op:'frame', ifname, frameHex}                   → {sent:true}
 *   {op:'addr-add'|'addr-del', vip}                  → {ok:true} | {error:{code,errno,message}}
 *   {op:'addr-list', ifname?}                        → {addresses:[…]}
 *   {op:'watch-links'}                               → {ready}, then {link:ev} / {address:ev}
 *   {op:'macvlan-add', parent, name, mac, mode}      → {ok:true, link}
 *   {op:'link-del', name}                            → {ok:true}
 *   {op:'get-link', ifname}                          → {link}
 * Long-running commands stop on SIGTERM.
 */
import * as io from '../../src/io';
import { gratuitousArp, unsolicitedNaFrame } from '../../src/protocol';
import type { IoCmd } from './io-run';

function out(o: unknown): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

function errOut(e: unknown): void {
  const x = e as { code?: string; errno?: string; message?: string };
  out({ error: { code: x.code, errno: x.errno, message: x.message } });
}

/** Long-running commands live until SIGTERM (the lab spawns children with stdin ignored). */
function untilTerminated(cleanup: () => void): void {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  process.once('SIGTERM', () => {
    clearInterval(keepAlive);
    cleanup();
    process.exit(0);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const cmd = JSON.parse(process.argv[2] ?? '{}') as IoCmd;
  switch (cmd.op) {
    case 'listen': {
      const s = io.openVrrpSocket(cmd.socket);
      s.on('error', (e) => errOut(e));
      s.on('advert', (a) => out({ advert: { ...a, payload: a.payload.toString('hex') }, stats: s.stats }));
      out({ ready: true, src: s.src, ifindex: s.ifindex });
      untilTerminated(() => s.close());
      return;
    }
    case 'send': {
      const s = io.openVrrpSocket(cmd.socket);
      const payload = Buffer.from(cmd.payloadHex, 'hex');
      const count = cmd.count ?? 1;
      for (let i = 0; i < count; i++) {
        await s.send(payload, cmd.dst);
        if (i + 1 < count) await sleep(cmd.intervalMs ?? 50);
      }
      out({ sent: count, stats: s.stats, src: s.src });
      s.close();
      return;
    }
    case 'garp': {
      const p = io.openPacketSocket(cmd.ifname);
      const frame = gratuitousArp(p.mac, cmd.ip);
      p.send(frame);
      out({ sent: true, mac: p.mac, ifindex: p.ifindex, frame: frame.toString('hex') });
      p.close();
      return;
    }
    case 'na': {
      const p = io.openPacketSocket(cmd.ifname);
      const frame = unsolicitedNaFrame({ mac: p.mac, src: cmd.ip, target: cmd.ip, router: false });
      p.send(frame);
      out({ sent: true, mac: p.mac, frame: frame.toString('hex') });
      p.close();
      return;
    }
    case 'frame': {
      const p = io.openPacketSocket(cmd.ifname);
      p.send(Buffer.from(cmd.frameHex, 'hex'));
      out({ sent: true });
      p.close();
      return;
    }
    case 'addr-add':
    case 'addr-del': {
      try {
        await (cmd.op === 'addr-add' ? io.addAddress(cmd.vip) : io.removeAddress(cmd.vip));
        out({ ok: true });
      } catch (e) {
        errOut(e);
      }
      io.closeNetlink();
      return;
    }
    case 'addr-list': {
      out({ addresses: await io.listAddresses(cmd.ifname) });
      io.closeNetlink();
      return;
    }
    case 'watch-links': {
      const w = io.watchLinks((ev) => out({ link: ev }));
      const a = io.watchAddresses((ev) => out({ address: ev }));
      // subscriptions are live once the sockets exist; a short settle keeps the test deterministic
      await sleep(100);
      out({ ready: true });
      untilTerminated(() => {
        w.close();
        a.close();
        io.closeNetlink();
      });
      return;
    }
    case 'macvlan-add': {
      try {
        await io.createMacvlan(cmd.parent, cmd.name, cmd.mac, cmd.mode);
        out({ ok: true, link: await io.getLink(cmd.name) });
      } catch (e) {
        errOut(e);
      }
      io.closeNetlink();
      return;
    }
    case 'link-del': {
      try {
        await io.deleteLink(cmd.name);
        out({ ok: true });
      } catch (e) {
        errOut(e);
      }
      io.closeNetlink();
      return;
    }
    case 'get-link': {
      out({ link: await io.getLink(cmd.ifname) });
      io.closeNetlink();
      return;
    }
    default:
      throw new Error(`io-child: unknown op ${String((cmd as { op: unknown }).op)}`);
  }
}

main().catch((e: unknown) => {
  errOut(e);
  process.exitCode = 1;
});
