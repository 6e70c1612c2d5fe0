#!/usr/bin/env bash
# Instructions per engine step (issue 14 §3, docs/performance.md): runs the
# `step/reply+walk` benchmarks of benches/engine.rs under callgrind, counting
# only inside `Session::reply` and `Session::step`, and prints the
# instructions per call of each. Unlike wall-clock time, the count does not
# depend on what else the machine is doing.
#
#   bash bench/step_instructions.sh            # bundled rules and generated 100k-line base
#   BENCHES=bundled bash bench/step_instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BENCHES=${BENCHES:-"bundled generated"}

if ! command -v valgrind >/dev/null 2>&1; then
  apt-get install -y -qq valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
fi
binary=$(cargo bench --bench engine --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)

work=$(mktemp -d /tmp/guichet-callgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT

for bench in $BENCHES; do
  # Criterion writes its reports under the working directory: keep them in $work.
  (cd "$work" && valgrind --tool=callgrind --callgrind-out-file="$work/$bench.out" \
    --toggle-collect='*Session::reply*' --toggle-collect='*Session::step*' \
    "$OLDPWD/$binary" --bench "step/reply\\+walk/$bench" --profile-time 1 >/dev/null 2>&1)
  # Each call record is `cfn=(id) name`, `calls=N …`, then `position inclusive-cost`.
  awk -v bench="$bench" '
    /^c?fn=\(/ {
      id = substr($1, index($1, "(") + 1); sub(/\).*/, "", id)
      if (NF > 1) { name = $0; sub(/^c?fn=\([0-9]+\) /, "", name); names[id] = name }
      if ($0 ~ /^cfn=/) callee = id
      next
    }
    /^calls=/ {
      split($0, c, /[= ]/); calls[callee] += c[2]
      getline; cost[callee] += $2
    }
    END {
      for (id in calls) {
        if (names[id] ~ /Session::reply$/) { r = cost[id] / calls[id]; rn = calls[id] }
        if (names[id] ~ /Session::step$/) { s = cost[id] / calls[id]; sn = calls[id] }
      }
      printf "GUICHET step=%s instructions_reply=%.0f instructions_walk=%.0f instructions_step=%.0f calls=%d\n", bench, r, s, r + s, rn
    }' "$work/$bench.out"
done
