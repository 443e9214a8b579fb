export { computeEffective, fileStatus, parseTrackFileValue, primaryInterfaceTracker, VRRP_PRIO_OWNER } from './priority';
export type { TrackerStatus, EffectivePriority } from './priority';
export {
  initialScriptState, scriptResult, scriptOk, scriptTimeoutMs, nextRun, runScript, runOk, resolveExecutable,
} from './script';
export type { ScriptConfig, ScriptState, ScriptTransition, RunScriptOptions, RunScriptResult, RunScriptError } from './script';
