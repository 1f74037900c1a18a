#!/usr/bin/env bash
# Benchmarks framework against raw hyper, axum and actix-web on the same
# endpoints (shared/bench/SPEC.md), in one run.
#
#   bench/run.sh            build with fat LTO, check every server answers the
#                           spec, then load them and print markdown tables
#   bench/run.sh --smoke    build (debug) and check every server answers the
#                           spec, plain and --stack; no load (what CI runs)
#
# Settings (environment):
#   BENCH_DURATION=3     seconds measured per cell (one server, one endpoint)
#   BENCH_WARMUP=1       seconds of load before each measured cell
#   BENCH_ROUNDS=5       rounds; each runs every server in turn, starting with
#                        the next one each round (drift cancels); medians reported
#   BENCH_CONNECTIONS=64 keep-alive connections of the load generator
#   BENCH_SERVERS="framework hyper axum actix"
#   BENCH_ENDPOINTS="plaintext json users echo deps"
#   BENCH_MODES="plain stack"
#   BENCH_PORT=18080     first port; server i listens on BENCH_PORT+i
#   BENCH_SERVER_CPU=1 BENCH_LOAD_CPU=0   cores for servers and load generator
#   BENCH_TARGET_DIR     cargo target dir (default target/bench for the LTO
#                        build, $CARGO_TARGET_DIR or target for --smoke)
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
if [[ "${1:-}" == "--smoke" ]]; then SMOKE=1; fi

read -r -a SERVERS <<<"${BENCH_SERVERS:-framework hyper axum actix}"
read -r -a ENDPOINTS <<<"${BENCH_ENDPOINTS:-plaintext json users echo deps}"
read -r -a MODES <<<"${BENCH_MODES:-plain stack}"
DURATION=${BENCH_DURATION:-3}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PORT0=${BENCH_PORT:-18080}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
LOAD_CPU=${BENCH_LOAD_CPU:-0}


WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh

# --- build -----------------------------------------------------------------

if [[ $SMOKE == 1 ]]; then
  TARGET=${BENCH_TARGET_DIR:-${CARGO_TARGET_DIR:-target}}
  log "building the bench servers (debug) in $TARGET"
  CARGO_TARGET_DIR=$TARGET cargo build -q -p bench --bins
  BIN=$TARGET/debug
else
  TARGET=${BENCH_TARGET_DIR:-target/bench}
  log "building the bench servers (release, fat LTO, 1 codegen unit) in $TARGET"
  CARGO_TARGET_DIR=$TARGET CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    cargo build -q --release -p bench --bins
  BIN=$TARGET/release
fi

# --- servers ---------------------------------------------------------------

PORTS=()
SERVER_PIDS=()

# start_server INDEX NAME MODE: starts bench-NAME on port PORT0+INDEX.
start_server() {
  local index=$1 name=$2 mode=$3 port=$((PORT0 + $1)) flags=()
  [[ $mode == stack ]] && flags+=(--stack)
  if [[ $SMOKE == 1 ]]; then
    "$BIN/bench-$name" --port "$port" "${flags[@]}" >"$WORK/$name.log" 2>&1 &
  else
    taskset -c "$SERVER_CPU" "$BIN/bench-$name" --port "$port" "${flags[@]}" >"$WORK/$name.log" 2>&1 &
  fi
  local pid=$!
  PIDS+=("$pid")
  SERVER_PIDS[$index]=$pid
  PORTS[$index]=$port
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/plaintext"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "bench-$name exited:"; cat "$WORK/$name.log" >&2; return 1
    fi
    sleep 0.05
  done
  log "bench-$name did not answer on port $port"; return 1
}

stop_server() {
  local pid=${SERVER_PIDS[$1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

FAILURES=0
fail() { log "FAIL: $*"; FAILURES=$((FAILURES + 1)); }

# request PORT METHOD PATH [BODY] [extra curl args...]: writes status, headers
# and body to $WORK/status, $WORK/headers, $WORK/body.
request() {
  local port=$1 method=$2 path=$3 body=${4:-}
  shift 4 || shift $#
  local args=(-s -X "$method" -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}')
  if [[ -n "$body" ]]; then args+=(-H 'content-type: application/json' --data-binary "$body"); fi
  curl "${args[@]}" "$@" "http://127.0.0.1:$port$path" >"$WORK/status" || echo 000 >"$WORK/status"
}

header() { grep -i "^$1:" "$WORK/headers" | head -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'; }

# expect NAME WHAT STATUS [BODY] [CONTENT-TYPE]
expect() {
  local who=$1 what=$2 status=$3 body=${4-} ctype=${5-}
  local got
  got=$(cat "$WORK/status")
  [[ "$got" == "$status" ]] || { fail "$who $what: status $got, want $status"; return; }
  if [[ -n "$body" ]]; then
    local got_body
    got_body=$(cat "$WORK/body")
    [[ "$got_body" == "$body" ]] || fail "$who $what: body '$got_body', want '$body'"
  fi
  if [[ -n "$ctype" ]]; then
    local got_type
    got_type=$(header content-type)
    [[ "$got_type" == "$ctype" ]] || fail "$who $what: content-type '$got_type', want '$ctype'"
  fi
}

# check_server NAME MODE PORT: every endpoint answers as the spec says.
check_server() {
  local who="$1 ($2)" mode=$2 port=$3 json=application/json
  request "$port" GET /plaintext
  expect "$who" /plaintext 200 'Hello, World!' 'text/plain; charset=utf-8'
  request "$port" GET /json
  expect "$who" /json 200 '{"message":"Hello, World!"}' $json
  request "$port" GET '/users/42?verbose=true'
  expect "$who" /users/42?verbose=true 200 '{"id":42,"verbose":true}' $json
  request "$port" GET /users/7
  expect "$who" /users/7 200 '{"id":7,"verbose":false}' $json
  request "$port" GET /users/abc
  expect "$who" /users/abc 422
  request "$port" POST /echo "$ECHO_BODY"
  expect "$who" 'POST /echo' 200 "$ECHO_BODY" $json
  request "$port" POST /echo '{"name":'
  expect "$who" 'POST /echo (malformed)' 422
  request "$port" GET /deps
  expect "$who" /deps 200 '{"user":"alice","db":"conn-1"}' $json
  if [[ $mode == stack ]]; then
    request "$port" GET /plaintext "" -H 'x-request-id: abc-123'
    [[ "$(header x-request-id)" == abc-123 ]] || fail "$who: x-request-id not copied"
    [[ "$(header x-custom-header)" == 'Hello from Middleware' ]] || fail "$who: x-custom-header missing"
    [[ "$(header x-process-time)" =~ ^[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$ ]] \
      || fail "$who: x-process-time '$(header x-process-time)' is not a decimal"
    request "$port" GET /deps
    [[ "$(header x-request-id)" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] \
      || fail "$who: generated x-request-id '$(header x-request-id)' is not a UUID v4"
    [[ "$(header x-custom-header)" == 'Hello from Middleware' ]] || fail "$who: x-custom-header missing on /deps"
  else
    request "$port" GET /plaintext
    [[ -z "$(header x-custom-header)" ]] || fail "$who: middleware ran without --stack"
  fi
}

for mode in "${MODES[@]}"; do
  for i in "${!SERVERS[@]}"; do
    name=${SERVERS[$i]}
    start_server "$i" "$name" "$mode"
    check_server "$name" "$mode" "${PORTS[$i]}"
    stop_server "$i"
  done
done
if [[ $FAILURES != 0 ]]; then
  log "$FAILURES check(s) failed"
  exit 1
fi
log "every server answers the spec (${SERVERS[*]}; ${MODES[*]})"
if [[ $SMOKE == 1 ]]; then exit 0; fi

# --- load generator --------------------------------------------------------

# wrk (Debian's package) by default; oha (cargo install oha) when wrk cannot
# be had, or when BENCH_LOADGEN=oha.
LOADGEN=${BENCH_LOADGEN:-wrk}
if [[ $LOADGEN == wrk ]] && ! need wrk; then
  LOADGEN=oha
fi
if [[ $LOADGEN == oha ]] && ! command -v oha >/dev/null 2>&1; then
  log "installing oha (cargo install oha)"
  cargo install -q --locked oha || { log "no load generator: install wrk or oha"; exit 1; }
fi
OHA_FORMAT=(--output-format json)
if [[ $LOADGEN == oha ]] && ! oha --help 2>/dev/null | grep -q -- '--output-format'; then
  OHA_FORMAT=(--json)
fi

# wrk scripts: the request of each endpoint, and a last line to parse.
for endpoint in "${ENDPOINTS[@]}"; do wrk_script "$endpoint" >"$WORK/$endpoint.lua"; done

# oha's JSON report as wrk's line: RESULT requests duration_us p99_us errors.
oha_result() {
  tr -d ' \n\t' | awk '
    function num(text, key,   at) {
      at = index(text, key)
      if (at == 0) return 0
      text = substr(text, at + length(key))
      match(text, /^-?[0-9.eE+-]+/)
      return substr(text, RSTART, RLENGTH) + 0
    }
    function object(text, key,   at) {
      at = index(text, key)
      if (at == 0) return ""
      text = substr(text, at + length(key))
      return substr(text, 1, index(text, "}"))
    }
    {
      total = num($0, "\"total\":")
      p99 = num(object($0, "\"latencyPercentiles\":{"), "\"p99\":")
      codes = object($0, "\"statusCodeDistribution\":{")
      ok = 0; bad = 0
      n = split(codes, pairs, ",")
      for (i = 1; i <= n; i++) {
        if (split(pairs[i], kv, ":") < 2) continue
        gsub(/[^0-9]/, "", kv[1]); gsub(/[^0-9]/, "", kv[2])
        if (kv[1] == "200") ok += kv[2]; else if (kv[1] != "") bad += kv[2]
      }
      errors = object($0, "\"errorDistribution\":{")
      m = split(errors, epairs, ",")
      # Requests cut off by the end of the run are not errors.
      for (i = 1; i <= m; i++) {
        if (split(epairs[i], kv, "\":") != 2 || kv[1] ~ /deadline/) continue
        gsub(/[^0-9]/, "", kv[2]); bad += kv[2]
      }
      printf "RESULT %d %d %.1f %d\n", ok, total * 1e6, p99 * 1e6, bad
    }'
}

# load ENDPOINT URL SECONDS: loads one server; prints the RESULT line.
load() {
  local endpoint=$1 url=$2 seconds=$3
  if [[ $LOADGEN == wrk ]]; then
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" -s "$WORK/$endpoint.lua" "$url" | grep '^RESULT'
  else
    local body=()
    if [[ $endpoint == echo ]]; then body=(-m POST -H 'content-type: application/json' -d "$ECHO_BODY"); fi
    taskset -c "$LOAD_CPU" oha -z "${seconds}s" -c "$CONNECTIONS" --no-tui "${OHA_FORMAT[@]}" "${body[@]}" "$url" | oha_result
  fi
}


# perf: hardware counters (instructions), which virtual machines often
# lack, and the syscall tracepoint, which works without them. Either is
# counted on the server process over each measured cell.
PERF_EVENTS=()
if command -v perf >/dev/null 2>&1; then
  if perf stat -x, -e instructions:u true 2>&1 >/dev/null | grep -q '^[0-9]'; then
    PERF_EVENTS+=(instructions:u instructions:k)
  fi
  if perf stat -x, -e raw_syscalls:sys_enter true 2>&1 >/dev/null | grep -q '^[0-9]'; then
    PERF_EVENTS+=(raw_syscalls:sys_enter)
  fi
fi
has_event() { [[ " ${PERF_EVENTS[*]:-} " == *" $1 "* ]]; }
INSTR=0; has_event instructions:u && INSTR=1
SYSCALLS=0; has_event raw_syscalls:sys_enter && SYSCALLS=1

# The CPU time (ns) all threads of PID have run: the sum of their schedstat.
cpu_ns() {
  local total=0 t
  for t in /proc/"$1"/task/*/schedstat; do
    read -r run _ <"$t" 2>/dev/null || continue
    total=$((total + run))
  done
  echo "$total"
}

# user and system clock ticks of PID.
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }

rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# perf's count of EVENT in its CSV output, or -.
perf_count() { awk -F, -v e="$1" '$3 == e && $1 ~ /^[0-9]+$/ {print $1; found = 1} END {if (!found) print "-"}' "$WORK/perf"; }

RESULTS=$WORK/results.tsv
: >"$RESULTS"
RSS=$WORK/rss.tsv
: >"$RSS"

log "load: $LOADGEN, $CONNECTIONS connections, ${WARMUP}s warm-up + ${DURATION}s per cell, $ROUNDS round(s), servers on CPU $SERVER_CPU, load generator on CPU $LOAD_CPU; perf events: ${PERF_EVENTS[*]:-none}"
NSERVERS=${#SERVERS[@]}
for mode in "${MODES[@]}"; do
  for i in "${!SERVERS[@]}"; do
    start_server "$i" "${SERVERS[$i]}" "$mode"
  done
  sleep 0.5
  IDLE=()
  for i in "${!SERVERS[@]}"; do IDLE[$i]=$(rss_kib "${SERVER_PIDS[$i]}" VmRSS); done
  for endpoint in "${ENDPOINTS[@]}"; do
    url_path=$(path_of "$endpoint")
    for round in $(seq 1 "$ROUNDS"); do
      # Each round starts with the next server, so that no server always
      # follows the same one or always goes first.
      for k in $(seq 0 $((NSERVERS - 1))); do
        i=$(((k + round - 1) % NSERVERS))
        name=${SERVERS[$i]} pid=${SERVER_PIDS[$i]} url="http://127.0.0.1:${PORTS[$i]}$url_path"
        load "$endpoint" "$url" "$WARMUP" >/dev/null
        cpu0=$(cpu_ns "$pid")
        read -r user0 sys0 < <(ticks "$pid")
        if [[ ${#PERF_EVENTS[@]} -gt 0 ]]; then
          events=$(IFS=,; echo "${PERF_EVENTS[*]}")
          perf stat -x, -e "$events" -p "$pid" -o "$WORK/perf" -- sleep "$DURATION" &
          perf_pid=$!
        fi
        out=$(load "$endpoint" "$url" "$DURATION")
        cpu1=$(cpu_ns "$pid")
        read -r user1 sys1 < <(ticks "$pid")
        instr_u=- instr_k=- syscalls=-
        if [[ ${#PERF_EVENTS[@]} -gt 0 ]]; then
          wait "$perf_pid" || true
          instr_u=$(perf_count instructions:u)
          instr_k=$(perf_count instructions:k)
          syscalls=$(perf_count raw_syscalls:sys_enter)
        fi
        read -r _ requests duration_us p99_us errors < <(grep '^RESULT' <<<"$out")
        if [[ $errors != 0 ]]; then fail "$name $mode $endpoint: $errors errors under load"; fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$endpoint" "$name" "$round" \
          "$requests" "$duration_us" "$p99_us" "$((cpu1 - cpu0))" "$((user1 - user0))" "$((sys1 - sys0))" \
          "$instr_u" "$instr_k" "$syscalls" >>"$RESULTS"
        log "$(printf '%-5s %-9s %-9s round %s: %8.0f req/s, p99 %6.2f ms' "$mode" "$endpoint" "$name" "$round" \
          "$(awk -v r="$requests" -v d="$duration_us" 'BEGIN {print r / (d / 1e6)}')" \
          "$(awk -v p="$p99_us" 'BEGIN {print p / 1000}')")"
      done
    done
  done
  for i in "${!SERVERS[@]}"; do
    printf '%s\t%s\t%s\t%s\n' "$mode" "${SERVERS[$i]}" "${IDLE[$i]}" "$(rss_kib "${SERVER_PIDS[$i]}" VmHWM)" >>"$RSS"
    stop_server "$i"
  done
done

# --- report ----------------------------------------------------------------

{
  echo "### Load: requests/s, p99 latency, server CPU and syscalls per request"
  echo
  echo "$LOADGEN, $CONNECTIONS keep-alive connections, ${DURATION}s per cell after ${WARMUP}s warm-up, $ROUNDS interleaved"
  echo "rounds (each round starts with the next server); every figure is the median over the rounds."
  echo "Servers pinned to CPU $SERVER_CPU, the load generator to CPU $LOAD_CPU. CPU µs/req = server threads' run time"
  echo "(/proc/PID/task/*/schedstat) over requests served, user+kernel; sys% = kernel share of it;"
  echo "syscalls/req = perf's raw_syscalls:sys_enter on the server over the cell."
  echo "framework ÷ server: the median of the rounds' own ratios of req/s (the two cells of a ratio"
  echo "ran seconds apart), with the lowest and highest round in brackets."
  if [[ $INSTR == 0 ]]; then
    echo "instr/req: no hardware counters on this machine (perf: instructions:u not supported);"
    echo "see the callgrind tables for user-space instructions per request."
  fi
  echo
}
awk -F'\t' -v instr="$INSTR" -v syscalls="$SYSCALLS" -v servers="${SERVERS[*]}" '
  function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function extreme(list, want,   n, v, i, best) {
    n = split(list, v, " "); best = v[1] + 0
    for (i = 2; i <= n; i++) if ((want == "min" && v[i] + 0 < best) || (want == "max" && v[i] + 0 > best)) best = v[i] + 0
    return best
  }
  function add(a, key, value) { a[key] = (key in a) ? a[key] " " value : value }
  {
    key = $1 SUBSEP $2 SUBSEP $3
    rps = $5 / ($6 / 1e6)
    add(RPS, key, rps); add(P99, key, $7 / 1000); add(CPU, key, $8 / $5 / 1000)
    add(SYS, key, ($9 + $10) > 0 ? 100 * $10 / ($9 + $10) : 0)
    if ($11 != "-") add(IU, key, $11 / $5)
    if ($12 != "-") add(IK, key, $12 / $5)
    if ($13 != "-") add(SC, key, $13 / $5)
    round_rps[$1 SUBSEP $2 SUBSEP $3 SUBSEP $4] = rps
    rounds[$1 SUBSEP $2] = ($4 > rounds[$1 SUBSEP $2]) ? $4 : rounds[$1 SUBSEP $2]
    if (!((($1) SUBSEP ($2)) in seen)) { seen[$1 SUBSEP $2] = 1; order[++rows] = $1 SUBSEP $2 }
  }
  END {
    ns = split(servers, s, " ")
    printf "| mode | endpoint | server | req/s | p99 ms | CPU µs/req | sys %% | syscalls/req | instr:u/req | instr:k/req | framework ÷ server req/s |\n"
    printf "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    for (r = 1; r <= rows; r++) {
      split(order[r], me, SUBSEP)
      for (i = 1; i <= ns; i++) {
        key = me[1] SUBSEP me[2] SUBSEP s[i]
        if (!(key in RPS)) continue
        ratios = ""
        for (k = 1; k <= rounds[me[1] SUBSEP me[2]]; k++) {
          f = me[1] SUBSEP me[2] SUBSEP "framework" SUBSEP k
          o = key SUBSEP k
          if ((f in round_rps) && (o in round_rps) && round_rps[o] > 0) ratios = ratios (ratios == "" ? "" : " ") round_rps[f] / round_rps[o]
        }
        ratio = (s[i] == "framework" || ratios == "") ? "—" : sprintf("%.2f (%.2f–%.2f)", median(ratios), extreme(ratios, "min"), extreme(ratios, "max"))
        sc = (syscalls && (key in SC)) ? sprintf("%.2f", median(SC[key])) : "n/a"
        iu = (instr && (key in IU)) ? sprintf("%.0f", median(IU[key])) : "n/a"
        ik = (instr && (key in IK)) ? sprintf("%.0f", median(IK[key])) : "n/a"
        printf "| %s | %s | %s | %.0f | %.2f | %.1f | %.0f | %s | %s | %s | %s |\n", me[1], me[2], s[i], median(RPS[key]), median(P99[key]), median(CPU[key]), median(SYS[key]), sc, iu, ik, ratio
      }
    }
  }' "$RESULTS"
echo
echo "### Memory: resident set size (KiB)"
echo
echo "idle = VmRSS after start-up; peak = VmHWM after every endpoint's load (same process per mode)."
echo
awk -F'\t' '
  BEGIN { printf "| mode | server | idle RSS | peak RSS |\n| --- | --- | ---: | ---: |\n" }
  { printf "| %s | %s | %d | %d |\n", $1, $2, $3, $4 }' "$RSS"

if [[ $FAILURES != 0 ]]; then
  log "$FAILURES failure(s) under load"
  exit 1
fi
