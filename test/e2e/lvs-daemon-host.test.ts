/**
 * The LVS half of the daemon on the host (no IPVS here: E_IPVS_UNAVAILABLE once, the weights it
 * would set in --dump-state). Real servers are HTTP servers on 127.0.0.1 inside the lab's namespace
 * whose behaviour a mode file switches (answer, refuse, drop); a MISC_CHECK reads its exit code from
 * a file. Checked: the table in --dump-state follows the checkers (removal, inhibit_on_failure weight
 * 0, misc_dynamic weight), within delay_loop + retry × (connect_timeout + delay_before_retry) + 2 s;
 * notify_up/notify_down and quorum_up/quorum_down scripts; keepalived's RS/VS lines on
 * lvs_notify_fifo; smtp_alert mails for real and virtual servers; a crashed or hung checker actor
 * changes no weight and still checks after its restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withLab, type Host, type ProcessHandle } from '../helpers/lab';
import { repoRoot, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpState, sleep, until } from '../helpers/bench-daemon';
import { notifyRecorder, withDaemons } from '../helpers/e2e';
import { request } from '../../src/supervisor';

const SMTP_PORT = 2525;

/** HTTP servers on the ports given; `modes.json` says per port: up (200 "ok"), refuse (closed), drop (accept, never answer). */
const SERVERS_JS = `
const http = require('node:http');
const fs = require('node:fs');
const [, , modeFile, ...ports] = process.argv;
const state = {};
for (const p of ports) {
  const sockets = new Set();
  const srv = http.createServer((req, res) => { if (state[p].mode === 'up') res.end('ok'); });
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  state[p] = { srv, sockets, mode: 'closed' };
}
function apply() {
  let modes = {};
  try { modes = JSON.parse(fs.readFileSync(modeFile, 'utf8')); } catch {}
  for (const p of ports) {
    const want = modes[p] || 'up';
    const s = state[p];
    if (want === s.mode) continue;
    const listening = s.mode !== 'closed' && s.mode !== 'refuse';
    s.mode = want;
    if (want === 'refuse') { if (listening) s.srv.close(); for (const k of s.sockets) k.destroy(); }
    else if (!listening) s.srv.listen(Number(p), '127.0.0.1');
  }
}
apply();
setInterval(apply, 50);
setTimeout(() => console.log('LISTENING'), 200);
`;

const SMTP_JS = `
const { SMTPServer } = require(process.argv[2]);
const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => { console.log('MAIL ' + JSON.stringify(Buffer.concat(chunks).toString())); cb(); });
  },
});
server.listen(Number(process.argv[3]), '127.0.0.1', () => console.log('LISTENING'));
`;

const subjects = (p: ProcessHandle): string[] =>
  p.output().stdout.filter((l) => l.startsWith('MAIL ')).map((l) => /^Subject: (.*)$/m.exec((JSON.parse(l.slice(5)) as string).replace(/\r?\n[ \t]+/g, ' '))?.[1]?.trim() ?? '');

interface LvsDump {
  ipvs: string;
  quorum: Record<string, boolean>;
  table: { vs: string; dests: { address: string; port: number; weight: number }[] }[];
  realServers: { rs: string; up: boolean; weight: number }[];
}

async function lvs(d: DaemonHandle): Promise<LvsDump> {
  return ((await dumpState(d)) as unknown as { lvs: LvsDump }).lvs;
}

/** port → weight in the one service's table (absent: not in the table). */
async function weights(d: DaemonHandle): Promise<Record<number, number>> {
  const t = (await lvs(d)).table[0];
  return Object.fromEntries((t?.dests ?? []).map((x) => [x.port, x.weight]));
}

const VS = '[192.0.2.100]:tcp:80';
const rsText = (port: number): string => `[127.0.0.1]:tcp:${port}`;

function config(p: { dir: string; rec: string; fifo: string }): string {
  const base = vrrpConfig({
    state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'],
    extraGlobal: [
      'router_id lb-test', 'notification_email {', '  ops@example.org', '}', 'notification_email_from keepalived@example.org',
      `smtp_server 127.0.0.1 ${SMTP_PORT}`, 'smtp_connect_timeout 3', `lvs_notify_fifo ${p.fifo}`,
    ],
  });
  return `${base}
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum 4
  quorum_up "${p.rec} quorum_up"
  quorum_down "${p.rec} quorum_down"
  smtp_alert
  real_server 127.0.0.1 8081 {
    weight 1
    notify_up "${p.rec} up 8081"
    notify_down "${p.rec} down 8081"
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
  real_server 127.0.0.1 8082 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 127.0.0.1 8083 {
    weight 3
    MISC_CHECK {
      misc_path "${path.join(p.dir, 'misc.sh')}"
      misc_timeout 2
    }
  }
}
`;
}

/** delay_loop + retry × (connect_timeout + delay_before_retry) + 2 s, in ms */
const DETECT_MS = (1 + 1 * (1 + 1) + 2) * 1000;

test('LVS on the host: checkers drive the weights in --dump-state, scripts, FIFO, mail; a crashed or hung checker changes no weight', { timeout: 120_000 }, async () => {
  const rec = notifyRecorder('kts-lvs-');
  const dir = rec.dir;
  const modes = path.join(dir, 'modes.json');
  const setModes = (m: Record<number, string>): void => fs.writeFileSync(modes, JSON.stringify(m));
  const miscCode = path.join(dir, 'misc.code');
  fs.writeFileSync(miscCode, '0');
  fs.writeFileSync(path.join(dir, 'misc.sh'), `#!/bin/sh\nexit $(cat ${miscCode})\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'servers.js'), SERVERS_JS);
  fs.writeFileSync(path.join(dir, 'smtp.js'), SMTP_JS);
  const fifo = path.join(dir, 'lvs.fifo');
  setModes({});
  try {
    await withLab({ hosts: 1, timeoutMs: 115_000 }, async (lab) => {
      const h: Host = lab.hosts[0]!;
      const servers = h.spawn([process.execPath, path.join(dir, 'servers.js'), modes, '8081', '8082'], { label: 'rs' });
      const smtp = h.spawn([process.execPath, path.join(dir, 'smtp.js'), path.join(repoRoot(), 'node_modules', 'smtp-server'), String(SMTP_PORT)], { label: 'smtp' });
      await servers.waitForOutput(/LISTENING/, 5000);
      await smtp.waitForOutput(/LISTENING/, 5000);
      await withDaemons(async (keep) => {
        const d = keep(startKeepalivedTs(h, config({ dir, rec: rec.script, fifo }), { args: ['--enable-fault-injection'] }));
        await until('the daemon created the FIFO', () => fs.existsSync(fifo), 10_000);
        const reader = h.spawn(['cat', fifo], { label: 'fifo' });
        const fifoLines = (): string[] => reader.output().stdout;

        // start: every real server up, the table it would set (no IPVS on the host)
        await until('all three real servers in the table', async () => JSON.stringify(await weights(d)) === JSON.stringify({ 8081: 1, 8082: 1, 8083: 3 }), 15_000, 200);
        assert.equal((await lvs(d)).ipvs, 'unavailable');
        assert.equal(d.logs().filter((l) => l.includes('E_IPVS_UNAVAILABLE')).length, 1, 'E_IPVS_UNAVAILABLE logged once');

        // refused: removed within the bound, notify_down, FIFO RS line, mail
        let t0 = Date.now();
        setModes({ 8081: 'refuse' });
        await until('8081 (refused) removed', async () => !(8081 in (await weights(d))), DETECT_MS + 2000, 100);
        const refusedMs = Date.now() - t0;
        console.log(`refused real server removed after ${refusedMs} ms (bound ${DETECT_MS} ms)`);
        assert.ok(refusedMs <= DETECT_MS, `removed after ${refusedMs} ms`);
        await until('notify_down ran', () => rec.lines().includes('down 8081'), 5000);
        await until('FIFO RS DOWN', () => fifoLines().includes(`RS ${rsText(8081)} ${VS} DOWN`), 5000);
        await until('mail RS DOWN', () => subjects(smtp).includes(`[lb-test] Realserver ${rsText(8081)} of virtual server ${VS} - DOWN`), 10_000);

        // back: notify_up, FIFO RS UP, weight 1 again
        setModes({});
        await until('8081 back', async () => (await weights(d))[8081] === 1, DETECT_MS + 2000, 100);
        await until('notify_up ran', () => rec.lines().includes('up 8081'), 5000);
        await until('FIFO RS UP', () => fifoLines().includes(`RS ${rsText(8081)} ${VS} UP`), 5000);

        // dropped (accepts, never answers): removed within the bound
        t0 = Date.now();
        setModes({ 8081: 'drop' });
        await until('8081 (dropped) removed', async () => !(8081 in (await weights(d))), DETECT_MS + 2000, 100);
        const droppedMs = Date.now() - t0;
        console.log(`dropped real server removed after ${droppedMs} ms (bound ${DETECT_MS} ms)`);
        assert.ok(droppedMs <= DETECT_MS, `removed after ${droppedMs} ms`);

        // inhibit_on_failure: 8082 refused stays at weight 0; live weight 3 < quorum 4: quorum lost
        setModes({ 8081: 'drop', 8082: 'refuse' });
        await until('8082 inhibited (weight 0)', async () => (await weights(d))[8082] === 0, DETECT_MS + 2000, 100);
        await until('quorum lost', async () => (await lvs(d)).quorum['TCP 192.0.2.100:80'] === false, 5000, 100);
        await until('quorum_down ran', () => rec.lines().includes('quorum_down'), 5000);
        await until('FIFO VS DOWN', () => fifoLines().includes(`VS ${VS} DOWN`), 5000);
        await until('mail VS DOWN', () => subjects(smtp).includes(`[lb-test] Virtualserver ${VS} - DOWN`), 10_000);
        assert.ok(!rec.lines().includes('quorum_up'), 'no quorum_up at start (keepalived notifies a quorum that starts up only through its transitions)');

        // all back: quorum regained
        setModes({});
        await until('all back', async () => JSON.stringify(await weights(d)) === JSON.stringify({ 8081: 1, 8082: 1, 8083: 3 }), 3 * DETECT_MS, 200);
        await until('quorum_up ran', () => rec.lines().includes('quorum_up'), 5000);
        await until('FIFO VS UP', () => fifoLines().includes(`VS ${VS} UP`), 5000);

        // MISC_CHECK exit 1: 8083 removed; exit 0: back
        fs.writeFileSync(miscCode, '1');
        await until('8083 removed (misc exit 1)', async () => !(8083 in (await weights(d))), DETECT_MS + 3000, 100);
        fs.writeFileSync(miscCode, '0');
        await until('8083 back (misc exit 0)', async () => (await weights(d))[8083] === 3, DETECT_MS + 3000, 100);

        // a crashed, then a hung checker actor: no weight changes, no RS line; its restart still checks
        const actor = `${VS}/${rsText(8081)}/HTTP_GET#0`;
        const before = JSON.stringify(await weights(d));
        const linesBefore = fifoLines().length;
        const crash = await request(d.controlSocket, { cmd: 'fault-inject', actor, fault: 'crash' });
        assert.equal(crash.ok, true, JSON.stringify(crash));
        for (let i = 0; i < 10; i++) {
          assert.equal(JSON.stringify(await weights(d)), before, 'a crash changed a weight');
          await sleep(200);
        }
        const hang = await request(d.controlSocket, { cmd: 'fault-inject', actor, fault: 'hang', ms: 1500 });
        assert.equal(hang.ok, true, JSON.stringify(hang));
        for (let i = 0; i < 15; i++) {
          assert.equal(JSON.stringify(await weights(d)), before, 'a hang changed a weight');
          await sleep(200);
        }
        assert.equal(fifoLines().length, linesBefore, 'no FIFO line from a crash or a hang');
        await until('the checker was restarted', () => d.logs().some((l) => l.includes('E_ACTOR_RESTART') && l.includes('HTTP_GET#0')), 10_000);
        setModes({ 8081: 'refuse' });
        await until('the restarted checker still removes 8081', async () => !(8081 in (await weights(d))), DETECT_MS + 4000, 100);
      }, { logLines: 60 });
    });
  } finally {
    rec.cleanup();
  }
});
