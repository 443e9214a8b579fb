/**
 * keepalived-ts -t against keepalived 2.2.7's -t (the binary installed by scripts/setup.sh), on the
 * configs of test/fixtures/config and config/examples, the shared corpus of upstream samples
 * (../shared/corpus beside the clone, read in place) and the generated set of test/helpers/config-gen.
 * Equal: the exit code, and for every keepalived diagnostic that names a file and line, one of ours at
 * the same file and line. A difference kept on purpose is in KEPT below and in config/README.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { generateCases, writeCases } from '../helpers/config-gen';
import { configFiles, configIdOf, repoRoot } from '../helpers/config-golden';
import { KEEPALIVED_BIN } from '../helpers/keepalived';

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin', 'keepalived-ts');
/**
 * The shared corpus, read in place: KTS_CORPUS if set, else ../shared/corpus beside the clone (CI),
 * else beside the repository this clone was made from (a throw-away clone in a temporary folder).
 * Missing everywhere, the test fails and names where it looked.
 */
const CORPUS_CANDIDATES = process.env.KTS_CORPUS ? [process.env.KTS_CORPUS] : [ROOT, originDir(ROOT)].flatMap((d) => (d ? [path.join(d, '..', 'shared', 'corpus', 'keepalived-samples')] : []));
const CORPUS = CORPUS_CANDIDATES.find((d) => fs.existsSync(d)) ?? CORPUS_CANDIDATES.join(' or ');

/** The local repository `origin` points at, when the clone was made from a path. */
function originDir(root: string): string | null {
  try {
    const url = execFileSync('git', ['-C', root, 'remote', 'get-url', 'origin'], { encoding: 'utf8' }).trim();
    const dir = url.startsWith('file://') ? url.slice(7) : url;
    return path.isAbsolute(dir) && fs.existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** Differences kept on purpose (each has its paragraph in config/README.md): case name → reason. */
export const KEPT: Record<string, string> = {};

/**
 * Differences NOT yet fixed (issue 11 is open while this list is not empty). The test fails when one
 * of these stops differing (remove it here) and on any difference not listed.
 */
// configs known to differ, each with its reason; empty: a new difference fails the test
const OPEN = new Set<string>();

interface Run { code: number; out: string }

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, out }); });
  });
}

/** keepalived prints `(FILE: Line N) text`, or `(Line N) text` while it reads the main file alone. */
export function keepalivedLines(out: string, main: string): Set<string> {
  const s = new Set<string>();
  for (const m of out.matchAll(/^\((?:(.+?): )?Line (\d+)\) /gm)) s.add(`${path.resolve(path.dirname(main), m[1] ?? main)}:${m[2]}`);
  return s;
}

function ourLines(out: string, main: string): Set<string> {
  const s = new Set<string>();
  for (const m of out.matchAll(/^(.+?):(\d+): (?:warning|error): /gm)) s.add(`${path.resolve(path.dirname(main), m[1])}:${m[2]}`);
  return s;
}

async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) { const i = next++; out[i] = await f(items[i]); }
  }));
  return out;
}

function spareInterface(): string {
  const names = fs.readdirSync('/sys/class/net').filter((n) => n !== 'lo').sort();
  return names.find((n) => n.startsWith('eth')) ?? names[0];
}

interface Case { name: string; file: string; id: string }

async function differences(cases: Case[]): Promise<string[]> {
  const diffs = await pool(cases, 3, async (c) => {
    const [k, o] = await Promise.all([
      run(KEEPALIVED_BIN, ['-t', '-f', c.file, '-i', c.id]),
      run(process.execPath, [BIN, '-t', '-f', c.file, '-i', c.id]),
    ]);
    const problems: string[] = [];
    if (k.code !== o.code) problems.push(`exit ${o.code}, keepalived ${k.code}`);
    const ours = ourLines(o.out, c.file);
    for (const l of keepalivedLines(k.out, c.file)) if (!ours.has(l)) problems.push(`no diagnostic at ${path.relative(path.dirname(c.file), l.split(':')[0]) || path.basename(c.file)}:${l.split(':')[1]}`);
    if (KEPT[c.name]) return '';
    if (OPEN.has(c.name)) return problems.length ? '' : `${c.name}: no longer differs - remove it from OPEN`;
    if (!problems.length) return '';
    return `${c.name}: ${problems.join('; ')}\n  keepalived: ${k.out.trim().split('\n').slice(0, 6).join('\n    ')}\n  ours: ${o.out.trim().split('\n').slice(0, 8).join('\n    ')}`;
  });
  return diffs.filter(Boolean);
}

test('-t equals keepalived 2.2.7 -t on the fixtures, the upstream samples and the generated set', { timeout: 180_000 }, async (t) => {
  if (!fs.existsSync(KEEPALIVED_BIN)) assert.fail(`${KEEPALIVED_BIN} is missing: run scripts/setup.sh`);
  assert.ok(Object.keys(KEPT).length <= 5, 'at most five differences are kept on purpose');
  const readme = fs.readFileSync(path.join(ROOT, 'config', 'README.md'), 'utf8');
  for (const k of Object.keys(KEPT)) assert.ok(readme.includes(k), `config/README.md explains the kept difference ${k}`);

  const started = Date.now();
  const fixtures: Case[] = configFiles().map((f) => ({ name: path.relative(ROOT, f), file: f, id: configIdOf(f) }));
  assert.ok(fs.existsSync(CORPUS), `the shared corpus is read in place at ${CORPUS}`);
  const corpus: Case[] = fs.readdirSync(CORPUS).sort().map((n) => ({ name: `corpus/${n}`, file: path.join(CORPUS, n), id: 'main' }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-diff-'));
  try {
    const gen: Case[] = writeCases(dir, generateCases(spareInterface())).map((c) => ({ name: `gen/${c.name}`, file: c.file, id: 'main' }));
    assert.ok(corpus.length >= 20 && gen.length >= 250, `sets: ${fixtures.length} fixtures, ${corpus.length} samples, ${gen.length} generated`);
    const diffs = await differences([...fixtures, ...corpus, ...gen]);
    t.diagnostic(`${fixtures.length + corpus.length + gen.length} configs in ${((Date.now() - started) / 1000).toFixed(1)} s; ${diffs.length} differ`);
    assert.deepEqual(diffs, [], diffs.join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
