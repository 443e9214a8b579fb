#!/bin/sh
# Runs `keepalived-ts -t -f FILE` over every keepalived sample configuration and reports.
# Corpus: $KTS_CORPUS, else ../shared/corpus/keepalived-samples relative to the repository.
# A sample passes when keepalived-ts can run it: exit 0, 4 (errors keepalived also reports, will run)
# or 5 (scripts without script security, as keepalived -t). 3 or anything else (a crash) fails.
# Missing interfaces and scripts are warnings. Set KTS_BIN to test another build.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${KTS_CORPUS:-$repo/../shared/corpus/keepalived-samples}
bin=${KTS_BIN:-$repo/bin/keepalived-ts}
if [ ! -d "$corpus" ]; then echo "check-corpus: no corpus at $corpus" >&2; exit 2; fi
pass=0; fail=0
for f in "$corpus"/*; do
  [ -f "$f" ] || continue
  out=$("$bin" -t -f "$f" 2>&1); rc=$?
  errs=$(printf '%s\n' "$out" | grep -c ': error: ')
  warns=$(printf '%s\n' "$out" | grep -c ': warning: ')
  case $rc in
    0|4|5) pass=$((pass + 1)); status=ok ;;
    *) fail=$((fail + 1)); status=FAIL ;;
  esac
  printf '%-4s exit=%s errors=%s warnings=%s %s\n' "$status" "$rc" "$errs" "$warns" "$(basename "$f")"
  if [ "$status" = FAIL ] || [ "${VERBOSE:-0}" = 1 ]; then printf '%s\n' "$out" | sed 's/^/     /'; fi
done
echo "check-corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
