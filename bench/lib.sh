# Shared by bench/run.sh and bench/callgrind.sh (sourced).

log() { echo "$*" >&2; }

# need COMMAND [PACKAGE]: installs Debian's PACKAGE (default COMMAND) when
# COMMAND is missing; fails when it cannot be had.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing ${2:-$1}"
  apt-get install -y -qq "${2:-$1}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq "${2:-$1}" >/dev/null; }
  command -v "$1" >/dev/null 2>&1
}

# The JSON object every server is sent on POST /echo.
ECHO_BODY='{"name":"alice","tags":["a","b"],"n":1}'

# path_of ENDPOINT: the path (and query) the load generator requests.
path_of() {
  case $1 in
    plaintext) echo /plaintext ;;
    json) echo /json ;;
    users) echo '/users/42?verbose=true' ;;
    echo) echo /echo ;;
    deps) echo /deps ;;
  esac
}

# wrk_script ENDPOINT: a wrk script sending the endpoint's request whose
# last line is "RESULT requests duration_us p99_us errors".
wrk_script() {
  if [[ $1 == echo ]]; then
    printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$ECHO_BODY'"
  fi
  cat <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.1f %d\n", summary.requests, summary.duration,
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
}
