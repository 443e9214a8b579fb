/**
 * vrrp_track_process matching and quorum rules (keepalived 2.2.7 core/track_process.c, vrrp_parser.c),
 * pure: process name vs comm / argv[0], param_match exact|initial|partial, quorum/quorum_max crossing,
 * fork_delay / terminate_delay, and the /proc parsing (reading the live /proc is in e2e/monitor-process-scan).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  processSpec, checkParams, processMatches, parseStat, parseCmdline, initialQuorum, applyScan, quorumTimer,
  runningForStatus, QUORUM_MAX_UNBOUNDED, type ProcInfo, type ProcessSpec, type QuorumState,
} from '../../src/actors/monitor/actor-process';
import { computeEffective } from '../../src/actors/monitor/priority';

const proc = (pid: number, comm: string, cmdline?: string[], ppid = 1, starttime = String(1000 + pid)): ProcInfo =>
  ({ pid, ppid, starttime, comm, ...(cmdline ? { cmdline } : {}) });
const procs = (...ps: ProcInfo[]): Map<number, ProcInfo> => new Map(ps.map((p) => [p.pid, p]));
const NO_DELAY = { forkDelayMs: 0, terminateDelayMs: 0 };

test('process NAME without parameters matches the comm of running processes', () => {
  const s = processSpec({ process: 'nginx' });
  assert.equal(s.fullCommand, false);
  assert.equal(s.paramMatch, 'none');
  assert.equal(processMatches(s, proc(10, 'nginx')), true);
  assert.equal(processMatches(s, proc(11, 'nginx2')), false);
  assert.equal(processMatches(s, proc(12, 'ngin')), false);
});

test('process PATH ARGS… implies full_command and exact parameters (argv[0] must equal PATH)', () => {
  const s = processSpec({ process: '/usr/sbin/nginx', param: ['-g', 'daemon off;'] });
  assert.equal(s.fullCommand, true);
  assert.equal(s.paramMatch, 'exact');
  assert.equal(processMatches(s, proc(10, 'nginx', ['/usr/sbin/nginx', '-g', 'daemon off;'])), true);
  assert.equal(processMatches(s, proc(10, 'nginx', ['nginx', '-g', 'daemon off;'])), false, 'argv[0] differs');
  assert.equal(processMatches(s, proc(10, 'nginx', ['/usr/sbin/nginx', '-g'])), false, 'fewer parameters');
  assert.equal(processMatches(s, proc(10, 'nginx', ['/usr/sbin/nginx', '-g', 'daemon off;', '-x'])), false, 'more parameters');
});

test('param_match partial: the configured parameters are the first whole arguments', () => {
  const s = processSpec({ process: 'sleep', param: ['10'], paramMatch: 'partial' });
  assert.equal(checkParams(s, ['10']), true);
  assert.equal(checkParams(s, ['10', 'x']), true);
  assert.equal(checkParams(s, ['100']), false, 'a whole argument, not a prefix of one');
  assert.equal(checkParams(s, []), false);
});

test('param_match initial: the last configured parameter may be the start of an argument', () => {
  const s = processSpec({ process: 'sleep', param: ['10'], paramMatch: 'initial' });
  assert.equal(checkParams(s, ['100']), true);
  assert.equal(checkParams(s, ['10', 'x']), true);
  assert.equal(checkParams(s, ['1']), false);
  assert.equal(checkParams(s, ['20']), false);
});

test('param_match alone (no parameters): exact means "no parameters at all", initial/partial accept any', () => {
  const exact = processSpec({ process: '/bin/x', paramMatch: 'exact' });
  assert.equal(exact.fullCommand, true);
  assert.equal(processMatches(exact, proc(1, 'x', ['/bin/x'])), true);
  assert.equal(processMatches(exact, proc(1, 'x', ['/bin/x', 'a'])), false);
  const partial = processSpec({ process: '/bin/x', paramMatch: 'partial' });
  assert.equal(processMatches(partial, proc(1, 'x', ['/bin/x', 'a'])), true);
});

test('quorum_max 0 means the process must not run (quorum 0); default quorum 1, no upper bound', () => {
  assert.deepEqual([processSpec({ process: 'p' }).quorum, processSpec({ process: 'p' }).quorumMax], [1, QUORUM_MAX_UNBOUNDED]);
  const none = processSpec({ process: 'p', quorumMax: 0 });
  assert.equal(none.quorum, 0);
  assert.equal(initialQuorum(none, procs()).have, true);
  assert.equal(initialQuorum(none, procs(proc(5, 'p'))).have, false);
});

test('/proc/PID/stat: comm with spaces and parentheses, state, ppid, starttime', () => {
  const st = parseStat('1234 (a (b) c) S 77 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n');
  assert.deepEqual(st, { comm: 'a (b) c', state: 'S', ppid: 77, starttime: '987654' });
  assert.deepEqual(parseCmdline(Buffer.from('/bin/sleep\u00001000\u0000')), ['/bin/sleep', '1000']);
  assert.deepEqual(parseCmdline(Buffer.alloc(0)), []);
});

function step(s: QuorumState, spec: ProcessSpec, ps: Map<number, ProcInfo>, delays = NO_DELAY): QuorumState {
  return applyScan(s, spec, delays, ps);
}

test('quorum 2: lost when the count drops below 2, gained when it reaches 2 again', () => {
  const spec = processSpec({ process: 'w', quorum: 2 });
  let s = initialQuorum(spec, procs(proc(10, 'w'), proc(11, 'w')));
  assert.equal(s.have, true);
  s = step(s, spec, procs(proc(10, 'w')));
  assert.deepEqual([s.have, s.count], [false, 1]);
  s = step(s, spec, procs(proc(10, 'w'), proc(12, 'w')));
  assert.deepEqual([s.have, s.count], [true, 2]);
});

test('quorum_max: one process too many loses quorum, back within the range regains it', () => {
  const spec = processSpec({ process: 'w', quorum: 1, quorumMax: 2 });
  let s = initialQuorum(spec, procs(proc(10, 'w'), proc(11, 'w')));
  assert.equal(s.have, true);
  s = step(s, spec, procs(proc(10, 'w'), proc(11, 'w'), proc(12, 'w')));
  assert.equal(s.have, false);
  s = step(s, spec, procs(proc(10, 'w'), proc(12, 'w')));
  assert.equal(s.have, true);
});

test('terminate_delay: an exit starts the delay; quorum is lost only when it expires with the count still short', () => {
  const spec = processSpec({ process: 'w' });
  const delays = { forkDelayMs: 0, terminateDelayMs: 1500 };
  let s = initialQuorum(spec, procs(proc(10, 'w')));
  s = step(s, spec, procs(), delays);
  assert.deepEqual([s.have, s.terminateTimer], [true, true], 'still up during the delay');
  const expired = quorumTimer(s, spec, 'terminate');
  assert.deepEqual([expired.have, expired.terminateTimer], [false, false]);
  // a replacement started before the delay expires cancels it: no change at all
  const back = step(s, spec, procs(proc(20, 'w')), delays);
  assert.deepEqual([back.have, back.terminateTimer], [true, false]);
});

test('a process replaced between two polls does not flap (exit then exec, no delay)', () => {
  const spec = processSpec({ process: 'w' });
  const s0 = initialQuorum(spec, procs(proc(10, 'w')));
  const s1 = step(s0, spec, procs(proc(11, 'w')));
  assert.deepEqual([s1.have, s1.count, s1.pids.map(([p]) => p)], [true, 1, [11]]);
});

test('a reused pid (other start time) is another process: exit + exec', () => {
  const spec = processSpec({ process: 'w' });
  const delays = { forkDelayMs: 0, terminateDelayMs: 1000 };
  const s0 = initialQuorum(spec, procs(proc(10, 'w', undefined, 1, '5')));
  const s1 = step(s0, spec, procs(proc(10, 'x', undefined, 1, '9')), delays);
  assert.deepEqual([s1.have, s1.terminateTimer, s1.count], [true, true, 0], 'the old one exited: terminate_delay applies');
});

test('exec of a tracked process into something else loses quorum at once, even with terminate_delay', () => {
  const spec = processSpec({ process: 'w' });
  const s0 = initialQuorum(spec, procs(proc(10, 'w')));
  const s1 = step(s0, spec, procs(proc(10, 'other')), { forkDelayMs: 0, terminateDelayMs: 5000 });
  assert.deepEqual([s1.have, s1.terminateTimer], [false, false]);
});

test('fork_delay: a child of a tracked process that brings quorum waits for the delay; a new exec does not', () => {
  const spec = processSpec({ process: 'w', quorum: 2 });
  const delays = { forkDelayMs: 1000, terminateDelayMs: 0 };
  const s0 = initialQuorum(spec, procs(proc(10, 'w')));
  const forked = step(s0, spec, procs(proc(10, 'w'), proc(11, 'w', undefined, 10)), delays);
  assert.deepEqual([forked.have, forked.forkTimer], [false, true]);
  assert.equal(quorumTimer(forked, spec, 'fork').have, true);
  // the child dies before the delay: the fork timer is cancelled and the status re-evaluated
  const died = step(forked, spec, procs(proc(10, 'w')), delays);
  assert.deepEqual([died.have, died.forkTimer], [false, false]);
  const execd = step(s0, spec, procs(proc(10, 'w'), proc(11, 'w', undefined, 1)), delays);
  assert.deepEqual([execd.have, execd.forkTimer], [true, false]);
});

test('weight 0: lost quorum is FAULT; weight -30: priority 70 while lost; delayed status wins over the raw count', () => {
  const spec = processSpec({ process: 'w' });
  const st = (running: number, weight: number) => computeEffective(100, [{ kind: 'process', name: 'p', running, quorum: 1, weight }]);
  assert.equal(st(0, 0).fault, true);
  assert.equal(st(1, 0).fault, false);
  assert.equal(st(0, -30).effective, 70);
  // terminate delay pending: 0 running but keepalived still has quorum
  assert.equal(st(runningForStatus(spec, 0, true), 0).fault, false);
  // fork delay pending: in range but quorum not (yet) gained
  assert.equal(st(runningForStatus(spec, 1, false), 0).fault, true);
});
