#!/usr/bin/env bash
# The agent end to end on the embedded default (config/demo.conf): installs what is missing,
# builds, then starts a private D-Bus daemon, the loopback test ACS (tests/acs/) and cwmpd
# on the simulated box (config/sim/), shows a real CWMP session and a few cwmpctl commands,
# and stops everything.
#
#   scripts/demo.sh [--stay] [--build-dir DIR] [--no-build]
#
#   --stay        keep everything running after the tour, until Ctrl-C (try cwmpctl yourself)
#   --build-dir   build and run from DIR instead of build/
#   --no-build    skip setup.sh (packages and build): run what is already built
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

stay=0
build=build
setup=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stay) stay=1 ;;
    --build-dir) build=$2; shift ;;
    --no-build) setup=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[[ $setup -eq 1 ]] && scripts/setup.sh --build-dir "$build"

build=$(cd "$build" && pwd)
cwmpd=$build/bin/cwmpd
cwmpctl=$build/bus/cwmpctl/cwmpctl
for exe in "$cwmpd" "$cwmpctl"; do
  [[ -x "$exe" ]] || { echo "demo.sh: $exe was not built" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cwmpd-demo.XXXXXX")
dbus_pid="" acs_pid="" cwmpd_pid=""
stop() {  # pid name
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  echo "demo: $2 did not stop on SIGTERM, killing it" >&2
  kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
  set +e
  stop "$cwmpd_pid" cwmpd
  [[ -n "$cwmpd_pid" ]] && wait "$cwmpd_pid" 2>/dev/null
  stop "$acs_pid" "test ACS"
  stop "$dbus_pid" dbus-daemon
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "private D-Bus daemon"
read -r bus_address dbus_pid < <(dbus-daemon --session --fork --nopidfile \
  --print-address=1 --print-pid=1 --address="unix:path=$tmp/bus" | paste -s -d ' ')
echo "bus: $bus_address (pid $dbus_pid)"

step "loopback test ACS (tests/acs/test_acs.py), digest auth, one GetParameterValues queued"
cat > "$tmp/acs-script.json" <<'JSON'
{"config": {"auth": "digest", "username": "demo-cpe", "password": "demo-secret"},
 "rpcs": ["<cwmp:GetParameterValues><ParameterNames soap-enc:arrayType=\"xsd:string[3]\"><string>Device.DeviceInfo.SoftwareVersion</string><string>Device.DeviceInfo.UpTime</string><string>Device.ManagementServer.PeriodicInformInterval</string></ParameterNames></cwmp:GetParameterValues>"]}
JSON
python3 tests/acs/test_acs.py --address 127.0.0.1 --port 0 --control-port 0 \
  --log "$tmp/acs-requests.jsonl" --script "$tmp/acs-script.json" > "$tmp/acs.out" 2> "$tmp/acs.err" &
acs_pid=$!
for _ in $(seq 100); do [[ -s "$tmp/acs.out" ]] && break; sleep 0.1; done
[[ -s "$tmp/acs.out" ]] || { echo "demo.sh: the test ACS did not start:" >&2; cat "$tmp/acs.err" >&2; exit 1; }
read -r acs_port control_port < <(python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["port"], d["control_port"])' < "$tmp/acs.out")
control=http://127.0.0.1:$control_port
echo "ACS: http://127.0.0.1:$acs_port/acs (control API on port $control_port)"

step "cwmpd with config/demo.conf (sim HAL, private bus, loopback ACS, temporary store)"
# A copy of demo.conf with this run's addresses. Relative paths of demo.conf are relative
# to config/, so they are resolved here before the copy moves to the temp dir.
cp -r config/sim "$tmp/sim"
cr_port=$(python3 - "$repo/config/demo.conf" "$tmp/cwmpd.conf" <<PY
import configparser, os, socket, sys
src, dst = sys.argv[1], sys.argv[2]
conf = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
conf.read(src)
base = os.path.dirname(os.path.abspath(src))
def absolute(section, key):
    if conf.has_option(section, key) and conf.get(section, key):
        conf.set(section, key, os.path.normpath(os.path.join(base, conf.get(section, key))))
conf.set("plugins", "dir", "$build/lib/plugins")
for section, key in [("acs", "ca_file"), ("acs", "client_cert"), ("acs", "client_key")]:
    absolute(section, key)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
conf.set("acs", "url", "http://127.0.0.1:$acs_port/acs")
conf.set("bus", "address", "$bus_address")
conf.set("hal", "sim_dir", "$tmp/sim")
conf.set("store", "dir", "$tmp/store")
conf.set("cpe", "connection_request_port", str(port))
with open(dst, "w") as f:
    conf.write(f)
print(port)
PY
)
sed 's/^/  /' "$tmp/cwmpd.conf"
"$cwmpd" --config "$tmp/cwmpd.conf" > "$tmp/cwmpd.log" 2>&1 &
cwmpd_pid=$!
echo "cwmpd pid $cwmpd_pid, log $tmp/cwmpd.log"

# Prints the ACS's view of the sessions so far: each HTTP request with the SOAP method.
acs_log() {
  curl -fsS "$control/requests?since=${1:-0}" | python3 -c '
import json, re, sys
for r in json.load(sys.stdin):
    if "event" in r:
        print("  ", r["event"]); continue
    body = r.get("body") or ""
    m = re.search(r"<(?:[\w.-]+:)?Body>\s*<(?:[\w.-]+:)?(\w+)", body)
    what = m.group(1) if m else ("(empty POST)" if not body.strip() else "?")
    ev = ", ".join(re.findall(r"<EventCode>([^<]*)</EventCode>", body))
    print("   #%-3s %-5s %-4s %-32s %s" % (r["seq"], r["method"], r.get("status", ""), what, ev))
'
}
wait_sessions() {  # count
  local out
  out=$(curl -fsS "$control/wait?what=ended_sessions&count=$1&timeout=30")
  [[ "$out" == *'"ok": true'* ]] && return 0
  echo "demo.sh: no complete session with the ACS (got $out); cwmpd log:" >&2
  tail -n 40 "$tmp/cwmpd.log" >&2
  exit 1
}

step "first session (BOOTSTRAP, BOOT): what the ACS saw"
wait_sessions 1
acs_log 0
echo "   the CPE's answer to the queued GetParameterValues:"
curl -fsS "$control/results" | python3 -c '
import json, re, sys
for r in json.load(sys.stdin):
    for name, value in re.findall(r"<Name>([^<]*)</Name>\s*<Value[^>]*>([^<]*)</Value>", r["body"]):
        print("     %s = %s" % (name, value))
'
seen=$(curl -fsS "$control/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

step "cwmpctl on the private bus"
ctl() { echo "\$ cwmpctl $*"; "$cwmpctl" --address "$bus_address" "$@" | sed 's/^/  /'; }
ctl get Device.DeviceInfo.Manufacturer Device.DeviceInfo.SerialNumber Device.DeviceInfo.UpTime
ctl set Device.ManagementServer.PeriodicInformInterval=600
ctl get Device.ManagementServer.PeriodicInformInterval
ctl names Device.DeviceInfo. --next-level
ctl status
# An Inform always names an event (TR-069 A.3.3.1): a bare "cwmpctl inform" is refused.
ctl inform "X CT-COM BIND"

step "second session, started by cwmpctl inform \"X CT-COM BIND\""
wait_sessions 2
acs_log "$seen"
seen=$(curl -fsS "$control/requests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

step "third session: the ACS sends a Connection Request (HTTP digest) to cwmpd"
curl -fsS -X POST "$control/connection-request" -H 'Content-Type: application/json' \
  -d "{\"url\": \"http://127.0.0.1:$cr_port/connreq\", \"username\": \"demo-acs\", \"password\": \"demo-connreq\"}" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print("   connection request answered with HTTP", d.get("status"), d.get("errors") or "")'
wait_sessions 3
acs_log "$seen"

step "cwmpd log"
tail -n 25 "$tmp/cwmpd.log" | sed 's/^/  /'

if [[ $stay -eq 1 ]]; then
  step "running; try: $cwmpctl --address $bus_address get Device.   (Ctrl-C stops everything)"
  wait "$cwmpd_pid" || true
  cwmpd_pid=""
fi
step "stopping (SIGTERM)"
stop "$cwmpd_pid" cwmpd
rc=0
wait "$cwmpd_pid" || rc=$?
cwmpd_pid=""
echo "cwmpd exited with status $rc"
[[ $rc -eq 0 ]]
