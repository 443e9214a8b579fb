#!/usr/bin/env bash
# Soak: runs the whole suite N times, each time from a fresh clone of this repository's HEAD (the
# committed state: uncommitted changes are not tested) with the README's test command, and reports
# each run (passed/failed counts, duration, the failed files) and a summary. As root.
#
#   bash scripts/soak.sh N [--load]
#
# --load runs one core-bound process (`node -e 'for(;;){}'`) beside the runs, as another busy program
# on the machine would. Each clone is removed when its run ends (and on exit or interrupt); each run's
# full output is kept in the log directory printed at the start. SOAK_CMD replaces the test command
# (default: the README's `CI=true bash .ci/run`). Exit status: 0 when every run passed.
set -euo pipefail

usage() { echo "usage: $0 N [--load]" >&2; exit 2; }
[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || usage
runs=$1
shift
load=0
for a in "$@"; do
  case $a in
    --load) load=1 ;;
    *) usage ;;
  esac
done

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
head=$(git -C "$repo" rev-parse HEAD)
cmd=${SOAK_CMD:-CI=true bash .ci/run}
logs=$(mktemp -d /tmp/soak-logs.XXXXXX)
clone=''
hog=''
cleanup() {
  if [[ -n $hog ]]; then kill "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true; fi
  if [[ -n $clone ]]; then rm -rf "$clone"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n $(git -C "$repo" status --porcelain --untracked-files=no) ]]; then
  echo "soak: note: $repo has uncommitted changes; they are not in the clones"
fi
echo "soak: $runs run(s) of '$cmd' on $head$([[ $load == 1 ]] && echo ', with a core-bound process beside'); $(nproc) cores; logs in $logs"
if [[ $load == 1 ]]; then
  node -e 'for (;;) {}' &
  hog=$!
fi

clean=0
for i in $(seq 1 "$runs"); do
  clone=$(mktemp -d /tmp/soak-clone.XXXXXX)
  git clone --quiet --no-hardlinks "$repo" "$clone/repo"
  # CI lays a copy of shared/ beside the clone (the corpus, tools/vm-run): so does the soak
  if [[ -d $repo/../shared ]]; then ln -s "$(cd "$repo/../shared" && pwd)" "$clone/shared"; fi
  git -C "$clone/repo" checkout --quiet --detach "$head"
  summary="$clone/summary.json"
  log="$logs/run-$i.log"
  start=$(date +%s)
  set +e
  (cd "$clone/repo" && TEST_SUMMARY_FILE="$summary" bash -c "$cmd") >"$log" 2>&1
  rc=$?
  set -e
  secs=$(($(date +%s) - start))
  if [[ -s $summary ]]; then
    counts=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(`${s.pass} passed, ${s.fail} failed in ${s.files} files` + (s.failedFiles.length ? `; FAILED: ${s.failedFiles.join(", ")}` : ""))' "$summary")
  else
    counts="no test summary (the suite did not finish; see the log)"
  fi
  verdict=FAIL
  if [[ $rc == 0 ]]; then verdict=PASS; clean=$((clean + 1)); fi
  printf 'soak: run %d/%d %s (exit %d) in %dm%02ds: %s; load %s; log %s\n' "$i" "$runs" "$verdict" "$rc" $((secs / 60)) $((secs % 60)) "$counts" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" "$log"
  rm -rf "$clone"
  clone=''
done

echo "soak: $clean of $runs runs passed$([[ $load == 1 ]] && echo ' (with a core-bound process beside)')"
[[ $clean == "$runs" ]]
