#!/usr/bin/env bash
# Counts instructions per request with callgrind, which needs no hardware
# counters (virtual machines often have none) and moves ~1% between runs.
#
# Two tables:
#  1. in-process: the dispatch path without sockets (routing, extraction,
#     the three middlewares, the two dependencies), framework vs axum, from
#     `bench-inprocess`; plus the wall time per request of a native run.
#  2. over the socket: each server (framework, hyper, axum, actix) under
#     callgrind, driven by `bench-client` with an exact number of keep-alive
#     requests: user-space instructions per request of the whole server
#     (HTTP parsing, runtime, app).
#  3. under load: each server under callgrind while wrk keeps 64 connections
#     busy, as in bench/run.sh: instructions per request when requests
#     queue up and each wake-up serves many of them.
#
# Each count is (Ir of a run with W+N requests - Ir of a run with W) / N, so
# start-up, shutdown and warm-up cancel.
#
# Settings (environment):
#   CG_REQUESTS=2000       N, requests counted per cell
#   CG_WARMUP=200          W, requests in both runs
#   CG_TIME_ITERATIONS=100000  iterations of the native in-process timing
#   CG_SERVERS="framework hyper axum actix"   (table 2)
#   CG_ENDPOINTS="plaintext json users echo deps"
#   CG_MODES="plain stack"
#   CG_TABLES="inprocess socket load cache"   (load: each server under
#                          callgrind saturated by wrk; cache: cachegrind's
#                          simulated cache misses per request, /plaintext,
#                          over the socket)
#   CG_LOAD_SECONDS=6  CG_LOAD_CONNECTIONS=64   (the load table's wrk run)
#   CG_PORT=18180  CG_CPU=1  CG_LOAD_CPU=0
#   BENCH_TARGET_DIR (default target/bench, shared with run.sh)
#   CG_PROFILE_DIR: keep the callgrind files of the larger runs there
#                   (for callgrind_annotate)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${CG_REQUESTS:-2000}
W=${CG_WARMUP:-200}
TIME_ITERATIONS=${CG_TIME_ITERATIONS:-100000}
read -r -a SERVERS <<<"${CG_SERVERS:-framework hyper axum actix}"
read -r -a ENDPOINTS <<<"${CG_ENDPOINTS:-plaintext json users echo deps}"
read -r -a MODES <<<"${CG_MODES:-plain stack}"
read -r -a TABLES <<<"${CG_TABLES:-inprocess socket load cache}"
LOAD_SECONDS=${CG_LOAD_SECONDS:-6}
LOAD_CONNECTIONS=${CG_LOAD_CONNECTIONS:-64}
LOAD_CPU=${CG_LOAD_CPU:-0}
PORT=${CG_PORT:-18180}
CPU=${CG_CPU:-1}
TARGET=${BENCH_TARGET_DIR:-target/bench}
PROFILE_DIR=${CG_PROFILE_DIR:-}

# shellcheck source=bench/lib.sh
source bench/lib.sh

need valgrind

# callgrind counts every byte that glibc's `rep movsb`/`rep stosb` moves as
# an instruction, so a large copy or fill would weigh a hundred times its
# cost; these thresholds keep glibc on its vector loops, counted fairly.
export GLIBC_TUNABLES=glibc.cpu.x86_rep_stosb_threshold=0x7fffffffffffffff:glibc.cpu.x86_rep_movsb_threshold=0x7fffffffffffffff
if [[ " ${TABLES[*]} " == *" load "* ]]; then need wrk; fi

log "building (release, fat LTO, 1 codegen unit) in $TARGET"
CARGO_TARGET_DIR=$TARGET CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  cargo build -q --release -p bench --bins
BIN=$TARGET/release

WORK=$(mktemp -d)
SERVER_PID=
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
[[ -n "$PROFILE_DIR" ]] && mkdir -p "$PROFILE_DIR"

# The total Ir of a callgrind output file.
total_ir() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

callgrind() {
  local out=$1
  shift
  taskset -c "$CPU" valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log"
}

# Whether something listens on 127.0.0.1:PORT, read from /proc so that the
# check sends the server nothing.
listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" '$4 == "0A" && $2 ~ p"$" {found = 1} END {exit !found}' /proc/net/tcp
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "—" }'; }

# added_table ARRAY SERVER...: what the three middlewares add (stack - plain)
# for each server, when both modes ran; ARRAY is keyed MODE.ENDPOINT.SERVER.
added_table() {
  local -n IRS=$1
  shift
  [[ " ${MODES[*]} " == *" plain "* && " ${MODES[*]} " == *" stack "* ]] || return 0
  local header="| endpoint |" rule="| --- |" row endpoint server
  for server in "$@"; do header+=" $server |"; rule+=" ---: |"; done
  echo
  echo "What the three middlewares add (stack - plain), Ir per request:"
  echo
  echo "$header"
  echo "$rule"
  for endpoint in "${ENDPOINTS[@]}"; do
    row="| $endpoint |"
    for server in "$@"; do
      row+=" $((IRS[stack.$endpoint.$server] - IRS[plain.$endpoint.$server])) |"
    done
    echo "$row"
  done
}

# --- 1. in-process -----------------------------------------------------------

inprocess_ir() { # SERVER ENDPOINT MODE -> Ir per request
  local server=$1 endpoint=$2 mode=$3 flags=(--server "$1" --endpoint "$2" --warmup "$W")
  [[ $mode == stack ]] && flags+=(--stack)
  callgrind "$WORK/ip0" "$BIN/bench-inprocess" "${flags[@]}" --iterations 0
  callgrind "$WORK/ipN" "$BIN/bench-inprocess" "${flags[@]}" --iterations "$N"
  [[ -n "$PROFILE_DIR" ]] && cp "$WORK/ipN" "$PROFILE_DIR/inprocess.$server.$endpoint.$mode.out"
  awk -v a="$(total_ir "$WORK/ipN")" -v b="$(total_ir "$WORK/ip0")" -v n="$N" 'BEGIN {printf "%.0f", (a - b) / n}'
}

inprocess_ns() {
  local flags=(--server "$1" --endpoint "$2" --iterations "$TIME_ITERATIONS" --warmup 1000)
  [[ $3 == stack ]] && flags+=(--stack)
  taskset -c "$CPU" "$BIN/bench-inprocess" "${flags[@]}" | sed 's/.*ns_per_request=//'
}

if [[ " ${TABLES[*]} " == *" inprocess "* ]]; then
  declare -A IP_IR IP_NS
  for mode in "${MODES[@]}"; do
    for endpoint in "${ENDPOINTS[@]}"; do
      for server in framework axum; do
        IP_IR[$mode.$endpoint.$server]=$(inprocess_ir "$server" "$endpoint" "$mode")
        IP_NS[$mode.$endpoint.$server]=$(inprocess_ns "$server" "$endpoint" "$mode")
        log "in-process $mode $endpoint $server: ${IP_IR[$mode.$endpoint.$server]} Ir/req, ${IP_NS[$mode.$endpoint.$server]} ns/req"
      done
    done
  done
  echo "### In-process dispatch (no socket): instructions and time per request"
  echo
  echo "callgrind Ir per request, (Ir(W+N) - Ir(W)) / N with N=$N, W=$W; ns/req: native run of $TIME_ITERATIONS"
  echo "requests on a current-thread runtime, pinned to one CPU. framework through its app"
  echo "(\`AppService::handle\`, as the server calls it), axum through \`Router::oneshot\`."
  echo
  echo "| mode | endpoint | framework Ir/req | axum Ir/req | framework ÷ axum Ir | framework ns/req | axum ns/req | framework ÷ axum ns |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for mode in "${MODES[@]}"; do
    for endpoint in "${ENDPOINTS[@]}"; do
      f=${IP_IR[$mode.$endpoint.framework]} a=${IP_IR[$mode.$endpoint.axum]}
      fn=${IP_NS[$mode.$endpoint.framework]} an=${IP_NS[$mode.$endpoint.axum]}
      echo "| $mode | $endpoint | $f | $a | $(ratio "$f" "$a") | $fn | $an | $(ratio "$fn" "$an") |"
    done
  done
  added_table IP_IR framework axum
  echo
fi

# ir_table ARRAY: the servers' Ir per request by mode and endpoint, their
# ratios, and what the stack adds; ARRAY is keyed MODE.ENDPOINT.SERVER.
ir_table() {
  local -n IR=$1
  local header rule row mode endpoint server
  header="| mode | endpoint |"
  rule="| --- | --- |"
  for server in "${SERVERS[@]}"; do header+=" $server |"; rule+=" ---: |"; done
  for server in "${SERVERS[@]}"; do
    [[ $server == framework ]] && continue
    header+=" framework ÷ $server |"
    rule+=" ---: |"
  done
  echo "$header"
  echo "$rule"
  for mode in "${MODES[@]}"; do
    for endpoint in "${ENDPOINTS[@]}"; do
      row="| $mode | $endpoint |"
      for server in "${SERVERS[@]}"; do row+=" ${IR[$mode.$endpoint.$server]} |"; done
      for server in "${SERVERS[@]}"; do
        [[ $server == framework ]] && continue
        row+=" $(ratio "${IR[$mode.$endpoint.framework]:-0}" "${IR[$mode.$endpoint.$server]}") |"
      done
      echo "$row"
    done
  done
  added_table "$1" "${SERVERS[@]}"
}

# --- 2. over the socket --------------------------------------------------------

# under_valgrind SERVER MODE LOG VALGRIND_FLAGS...: starts bench-SERVER
# under valgrind on CPU $CPU and waits until it listens (SERVER_PID).
under_valgrind() {
  local server=$1 mode=$2 out_log=$3 flags=(--port "$PORT")
  shift 3
  [[ $mode == stack ]] && flags+=(--stack)
  taskset -c "$CPU" valgrind "$@" "$BIN/bench-$server" "${flags[@]}" >"$out_log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 600); do
    listening "$PORT" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { log "bench-$server exited:"; cat "$out_log" >&2; exit 1; }
    sleep 0.05
  done
}

# stop_valgrind: stops the server (valgrind writes its counts) and waits
# for its port to be free for the next run.
stop_valgrind() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  for _ in $(seq 1 100); do listening "$PORT" || break; sleep 0.05; done
}

socket_run() { # OUT SERVER ENDPOINT MODE REQUESTS [TOOL]: TOOL callgrind (default) or cachegrind
  local out=$1 server=$2 endpoint=$3 mode=$4 requests=$5 tool=${6:-callgrind}
  local tool_flags=(--tool=callgrind --dump-instr=no --callgrind-out-file="$out")
  [[ $tool == cachegrind ]] && tool_flags=(--tool=cachegrind --cache-sim=yes --cachegrind-out-file="$out")
  under_valgrind "$server" "$mode" "$out.log" "${tool_flags[@]}"
  "$BIN/bench-client" --port "$PORT" --endpoint "$endpoint" --requests "$requests" --connections 4
  stop_valgrind
}

socket_ir() {
  socket_run "$WORK/s0" "$@" "$W"
  socket_run "$WORK/sN" "$@" "$((W + N))"
  [[ -n "$PROFILE_DIR" ]] && cp "$WORK/sN" "$PROFILE_DIR/socket.$1.$2.$3.out"
  awk -v a="$(total_ir "$WORK/sN")" -v b="$(total_ir "$WORK/s0")" -v n="$N" 'BEGIN {printf "%.0f", (a - b) / n}'
}

if [[ " ${TABLES[*]} " == *" socket "* ]]; then
  declare -A S_IR
  for mode in "${MODES[@]}"; do
    for endpoint in "${ENDPOINTS[@]}"; do
      for server in "${SERVERS[@]}"; do
        S_IR[$mode.$endpoint.$server]=$(socket_ir "$server" "$endpoint" "$mode")
        log "socket $mode $endpoint $server: ${S_IR[$mode.$endpoint.$server]} Ir/req"
      done
    done
  done
  echo "### Over the socket: user-space instructions per request of the whole server"
  echo
  echo "Each server under callgrind on one CPU (so one worker thread), driven by bench-client:"
  echo "4 keep-alive connections, one request at a time, (Ir(W+N) - Ir(W)) / N with N=$N, W=$W."
  echo "This is what \`perf stat -e instructions:u\` would count, without the kernel's share."
  echo
  ir_table S_IR
  echo
fi

# --- 3. under load -------------------------------------------------------------

# load_ir SERVER ENDPOINT MODE: Ir per request while wrk saturates the server
# under callgrind; counters are zeroed after a warm-up and dumped when the
# measured run ends, so start-up, warm-up and shutdown do not count.
load_ir() {
  local server=$1 endpoint=$2 mode=$3 out=$WORK/load
  rm -f "$out" "$out".*
  wrk_script "$endpoint" >"$WORK/load.lua"
  under_valgrind "$server" "$mode" "$out.log" --tool=callgrind --dump-instr=no --callgrind-out-file="$out"
  local url="http://127.0.0.1:$PORT$(path_of "$endpoint")" result
  taskset -c "$LOAD_CPU" wrk -t1 -c"$LOAD_CONNECTIONS" -d1s -s "$WORK/load.lua" "$url" >/dev/null
  callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
  result=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$LOAD_CONNECTIONS" -d"${LOAD_SECONDS}s" -s "$WORK/load.lua" "$url" | grep '^RESULT')
  callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
  stop_valgrind
  [[ -n "$PROFILE_DIR" ]] && cp "$out.1" "$PROFILE_DIR/load.$server.$endpoint.$mode.out"
  read -r _ requests _ _ errors <<<"$result"
  [[ $errors == 0 ]] || log "load $mode $endpoint $server: $errors errors"
  awk -v ir="$(total_ir "$out.1")" -v n="$requests" 'BEGIN {printf "%.0f", ir / n}'
}

if [[ " ${TABLES[*]} " == *" load "* ]]; then
  declare -A L_IR
  for mode in "${MODES[@]}"; do
    for endpoint in "${ENDPOINTS[@]}"; do
      for server in "${SERVERS[@]}"; do
        L_IR[$mode.$endpoint.$server]=$(load_ir "$server" "$endpoint" "$mode")
        log "load $mode $endpoint $server: ${L_IR[$mode.$endpoint.$server]} Ir/req"
      done
    done
  done
  echo "### Under load: user-space instructions per request of the whole server"
  echo
  echo "Each server under callgrind on CPU $CPU, saturated by wrk on CPU $LOAD_CPU ($LOAD_CONNECTIONS keep-alive"
  echo "connections, as in the load table); Ir counted over a ${LOAD_SECONDS}s run after a 1s warm-up, divided"
  echo "by the requests wrk saw answered. Requests queue up here, so each wake-up of the"
  echo "server serves many: this is the instruction count behind the load table's CPU time."
  echo
  ir_table L_IR
  echo
fi

# --- 4. cache misses over the socket -------------------------------------------

# cachegrind's events per request, (run of W+N requests - run of W) / N:
# EVENT=value ... on one line.
cache_events() { # SERVER ENDPOINT MODE
  socket_run "$WORK/c0" "$@" "$W" cachegrind
  socket_run "$WORK/cN" "$@" "$((W + N))" cachegrind
  awk -v n="$N" '
    /^events:/ { for (i = 2; i <= NF; i++) name[i] = $i }
    /^summary:/ { for (i = 2; i <= NF; i++) total[FILENAME, name[i]] = $i; names = NF }
    END {
      for (i = 2; i <= names; i++)
        printf "%s=%.0f ", name[i], (total[ARGV[2], name[i]] - total[ARGV[1], name[i]]) / n
    }' "$WORK/c0" "$WORK/cN"
}

event() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

if [[ " ${TABLES[*]} " == *" cache "* ]]; then
  echo "### Over the socket: simulated cache misses per request, /plaintext"
  echo
  echo "cachegrind (\`--cache-sim=yes\`, the host's cache sizes), driven as above: I1 = level-1"
  echo "instruction cache misses, D1 = level-1 data cache misses (reads + writes), per request."
  echo "An I1 miss costs several times an instruction: they are where wall time goes that"
  echo "instruction counts do not show."
  echo
  echo "| mode | server | Ir | I1 misses | D1 misses |"
  echo "| --- | --- | ---: | ---: | ---: |"
  for mode in "${MODES[@]}"; do
    for server in "${SERVERS[@]}"; do
      events=$(cache_events "$server" plaintext "$mode")
      log "cache $mode $server: $events"
      echo "| $mode | $server | $(event "$events" Ir) | $(event "$events" I1mr) | $(( $(event "$events" D1mr) + $(event "$events" D1mw) )) |"
    done
  done
  echo
fi

