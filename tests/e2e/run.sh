#!/bin/bash
# tests/e2e/run.sh -- end-to-end tests of the inferwatcher daemon under a real systemd (PID 1 of a
# throw-away sandbox, see sandbox.sh) with a real journald.  Root only; builds nothing:
#
#   swift build -c release --product inferwatcher
#   bash tests/e2e/run.sh              # INFERWATCHER_BIN=path/to/inferwatcher to test another binary
#
# Prints PASS/FAIL per check and a last line "N passed, M failed"; exits 1 on any failure.  The
# journal (journalctl -o json) and the sandbox console log land in tests/e2e/artifacts/.
# Every wait polls against a deadline; nothing sleeps a fixed time hoping something happened.
set -uo pipefail   # no -e here: one failing check must not stop the others (checks run with -e)

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=$(cd "$REPO" && readlink -f "${INFERWATCHER_BIN:-.build/release/inferwatcher}")
SB=$HERE/sandbox.sh
ARTIFACTS=$HERE/artifacts
export E2E_SANDBOX_NAME=${E2E_SANDBOX_NAME:-inferwatcher-e2e}

SPOOL=/var/spool/inferwatcher/default
ARCHIVE=/var/lib/inferwatcher/archive/default
STATUS_JSON=/var/lib/inferwatcher/state/status.json
STAGING=/var/spool/inferwatcher/e2e-staging   # same file system as incoming/: mv is an atomic rename
CONFIG=/etc/inferwatcher/inferwatcher.yaml
BIG_ROWS=${E2E_BIG_ROWS:-6000000}             # ~290 MB on one worker thread: a job of seconds, long enough to act mid-job
MSG_STARTED=0335cdbcfaa84922b96a543d290f6813
MSG_SUCCEEDED=235f12b688e74207a949d9ad474d2bc1
MSG_QUARANTINED=7154a0bac0164a19b3ea4def000a4af6
MSG_DRIFT=5b8c4e211bf344de965f74b85055a1fe
HOOK_MARKER=/var/lib/inferwatcher/hook-calls.txt
TEXTFILE_DIR=/var/lib/prometheus/node-exporter   # node_exporter's textfile collector folder (Debian)
TEXTFILE=$TEXTFILE_DIR/inferwatcher.prom

PASSED=0 FAILED=0
SHARED=$(mktemp -d)   # values one check hands to a later one (the job id of check c)
T_START=$(date +%s%N)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

prop() { sb systemctl show -P "$2" "$1"; }   # prop UNIT PROPERTY
# props UNIT P1 P2...: "v1/v2/..." in the order asked (systemctl show prints its own order)
props() {
	local unit=$1 IFS=,
	shift
	sb systemctl show -p "$*" "$unit" | awk -v want="$*" '{ v[substr($0, 1, index($0, "=") - 1)] = substr($0, index($0, "=") + 1) }
		END { n = split(want, w, ","); for (i = 1; i <= n; i++) printf "%s%s", v[w[i]], (i < n ? "/" : "\n") }'
}
is_state() { [ "$(props "$1" ActiveState SubState)" = "$2" ]; }
require_running() { is_state inferwatcher.service active/running || why "inferwatcher is not running ($(props inferwatcher ActiveState SubState Result))"; }
# journal_has MATCH...: journalctl finds at least one record
journal_has() { [ -n "$(sb journalctl -o cat --no-pager "$@" | head -n 1)" ]; }
processing_empty() { [ -z "$(processing_files)" ]; }
more_than() { local n=$1; shift; [ "$("$@")" -gt "$n" ] 2>/dev/null; }   # more_than N CMD...: CMD prints a number > N
status_text_says_what_it_does() { prop inferwatcher StatusText | grep -Eq '^(Idle|Running).* [0-9]+ queued'; }
reloads() { sb journalctl -u inferwatcher -o cat --no-pager | grep -c '^reloading ' || true; }   # the daemon's own "reloading <config>"
timer_fired() { case "$(prop inferwatcher-prune.timer LastTriggerUSec)" in "" | n/a) return 1 ;; esac; }
prune_finished() { # the oneshot ran (its exit timestamp is set) and ended well
	[ "$(props inferwatcher-prune.service ActiveState Result ExecMainStatus)" = inactive/success/0 ] &&
		[ -n "$(prop inferwatcher-prune.service ExecMainExitTimestamp)" ]
}
# The archive folders of input stem $1 (any date): one line each.
archived() { sb sh -c 'ls -d '"$ARCHIVE"'/*/"$1"-* 2>/dev/null || true' sh "$1"; }
archived_once() { [ "$(archived "$1" | grep -c .)" = 1 ]; }
processing_files() { sb sh -c 'ls -A '"$SPOOL"'/processing'; }
# drop SANDBOX_FILE NAME: how a well-behaved producer delivers: copy beside the spool, rename in.
drop() { sb sh -c 'cp "$1" '"$STAGING"'/"$2" && mv '"$STAGING"'/"$2" '"$SPOOL"'/incoming/"$2"' sh "$1" "$2"; }
# running_job NAME: the running job for input NAME has read rows (status.json, written every 0.5 s).
running_job() {
	sb cat "$STATUS_JSON" 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)
jobs = [j for p in doc["pipelines"].values() for j in p["running"] if j["input"] == sys.argv[1] and j["rows_read"] > 0]
sys.exit(0 if jobs else 1)' "$1" 2>/dev/null
}


finish() { # always: collect the journal and console log, tear the sandbox down, print the tally
	local rc=$?
	trap - EXIT INT TERM
	mkdir -p "$ARTIFACTS"
	if sbx status >/dev/null 2>&1; then
		sb journalctl -b --no-pager -o json >"$ARTIFACTS/journal.json" 2>/dev/null || true
		sb journalctl -b --no-pager -o short-precise >"$ARTIFACTS/journal.txt" 2>/dev/null || true
		sb cat "$STATUS_JSON" >"$ARTIFACTS/status.json" 2>/dev/null || true
	fi
	sbx down
	sbx console >"$ARTIFACTS/console.log" 2>/dev/null || true
	rm -rf "$SHARED"
	echo "artifacts: $ARTIFACTS (journal.json, journal.txt, console.log); total $(ms "$T_START") ms"
	[ "$rc" = 0 ] || [ "$FAILED" -gt 0 ] || FAILED=1   # died outside a check: still a failure
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ] && [ "$rc" = 0 ] || exit 1
	exit 0
}

# --- setup: boot, install like a package would, start nothing yet ------------------------------
setup() {
	local u
	[ -x "$BIN" ] || why "no binary at $BIN (swift build -c release --product inferwatcher, or set INFERWATCHER_BIN)"
	# A clean slate: the sandbox sees the host's files, and a host that ran inferwatcher (a demo, a
	# package) would leak spool files, archives, a duplicate index or drop-ins into the tests.  This
	# only whites them out in the sandbox's overlay; the host keeps them.
	sb rm -rf /var/spool/inferwatcher /var/lib/inferwatcher /etc/inferwatcher /var/tmp/big.csv "$TEXTFILE_DIR" \
		/etc/systemd/system/inferwatcher.service.d /etc/systemd/system/inferwatcher-prune.timer.d
	sbx cp "$BIN" /usr/bin/inferwatcher
	for u in inferwatcher.service inferwatcher-alert@.service inferwatcher-prune.service inferwatcher-prune.timer; do
		sbx cp "$REPO/systemd/$u" "/etc/systemd/system/$u"
	done
	sbx cp "$REPO/systemd/sysusers.d/inferwatcher.conf" /usr/lib/sysusers.d/inferwatcher.conf
	sb systemd-sysusers
	sbx cp "$REPO/systemd/tmpfiles.d/inferwatcher.conf" /usr/lib/tmpfiles.d/inferwatcher.conf
	sb systemd-tmpfiles --create inferwatcher.conf
	sbx cp "$REPO/systemd/inferwatcher.catalog" /usr/lib/systemd/catalog/inferwatcher.catalog
	# The source build's man pages (make man; make test runs it first), where man finds them.
	if [ -f "$REPO/.build/man/inferwatcher.1" ]; then
		for page in "$REPO"/.build/man/*.1; do sbx cp "$page" "/usr/local/share/man/man1/$(basename "$page")"; done
	fi
	sb journalctl --update-catalog
	# The shipped configuration with test timings: files settle in 0.5 s, and a stop abandons running
	# jobs after 250 ms (check i needs the big job to be still running by then); one worker thread,
	# so that the big job lasts seconds (the engine predicts millions of rows a second).
	sb mkdir -p /etc/inferwatcher
	# An on_failure hook that notes each call where the daemon may write (check f reads it).
	printf '#!/bin/sh\necho "$INFERWATCHER_EVENT|$INFERWATCHER_INPUT|$(id -un)" >>%s\n' "$HOOK_MARKER" |
		sb sh -c 'mkdir -p /usr/local/bin && cat >/usr/local/bin/iw-test-hook && chmod 755 /usr/local/bin/iw-test-hook'
	sed -e 's/^\( *settle:\) 2s/\1 500ms/' -e 's/^\(stop_timeout:\) 30s/\1 250ms/' -e 's/^\( *threads:\) 0 /\1 1 /' \
		-e 's|^\( *on_failure:\) ""|\1 /usr/local/bin/iw-test-hook|' \
		"$REPO/systemd/inferwatcher.yaml" | sb sh -c "cat >$CONFIG"
	sb grep -q 'settle: 500ms' "$CONFIG" && sb grep -q 'stop_timeout: 250ms' "$CONFIG" && sb grep -q 'threads: 1 ' "$CONFIG" &&
		sb grep -q 'on_failure: /usr/local/bin/iw-test-hook' "$CONFIG" || why "could not adapt the shipped config"
	sbx cp "$REPO/examples/model.onnx" /var/lib/inferwatcher/models/model.onnx
	sb chown inferwatcher:inferwatcher /var/lib/inferwatcher/models/model.onnx
	sb inferwatcher check-config --config "$CONFIG" >/dev/null  # after the model: no warning
	sb systemctl daemon-reload
	# Test inputs: the big one is generated now, once (check h and i copy it).
	sb mkdir -p "$STAGING"
	sb inferwatcher sample-data --rows "$BIG_ROWS" --output /var/tmp/big.csv >/dev/null
	note "installed; big input: $(sb stat -c %s /var/tmp/big.csv) bytes, $BIG_ROWS rows"
}

# --- the checks ---------------------------------------------------------------------------------
check_a() { # static unit checks (verify needs the binary in place, so it runs inside)
	local out
	# --man=no: whether Documentation=man:... pages exist depends on the machine (man-db, installed
	# pages), not on the units; reported below without failing the check.
	out=$(sb systemd-analyze verify --man=no /etc/systemd/system/inferwatcher.service \
		/etc/systemd/system/inferwatcher-alert@inferwatcher.service.service \
		/etc/systemd/system/inferwatcher-prune.service /etc/systemd/system/inferwatcher-prune.timer 2>&1) ||
		{ echo "$out" | sed 's/^/      /'; why "systemd-analyze verify failed"; }
	[ -z "$out" ] || { echo "$out" | sed 's/^/      /'; why "systemd-analyze verify printed warnings"; }
	note "verify: no output"
	out=$(sb systemd-analyze verify /etc/systemd/system/inferwatcher.service 2>&1 | grep -i 'man' || true)
	if [ -f "$REPO/.build/man/inferwatcher.1" ]; then
		# The pages of make man are installed: Documentation=man:inferwatcher(1) must resolve.
		[ -z "$out" ] || why "man page checks: $out"
		note "man page checks: clean (Documentation=man:inferwatcher(1) resolves)"
	else
		[ -z "$out" ] || note "(with man page checks, not counted: no make man pages: $out)"
	fi
	# --threshold is an integer on the 0-100 scale: 20 means exposure 2.0
	out=$(sb systemd-analyze security --offline=yes --threshold=20 /etc/systemd/system/inferwatcher.service 2>&1) ||
		{ echo "$out" | tail -n 3 | sed 's/^/      /'; why "exposure above 2.0"; }
	note "security: $(echo "$out" | grep -o 'Overall exposure level.*')"
	note "(prune service, not checked: $(sb systemd-analyze security --offline=yes /etc/systemd/system/inferwatcher-prune.service 2>&1 | grep -o 'Overall exposure level.*'))"
}

check_b() { # Type=notify start: READY, then STATUS= with what it is doing
	local t0 text
	t0=$(date +%s%N)
	sb timeout 30 systemctl start inferwatcher.service || why "systemctl start failed or took over 30 s"
	note "systemctl start returned after $(ms "$t0") ms"
	is_state inferwatcher.service active/running || why "state $(props inferwatcher ActiveState SubState)"
	# the first STATUS= comes with READY=1; the idle summary follows within a tick (0.5 s)
	wait_until 5 status_text_says_what_it_does ||
		why "StatusText is '$(prop inferwatcher StatusText)'"
	note "StatusText=$(prop inferwatcher StatusText)"
	note "WatchdogUSec=$(prop inferwatcher WatchdogUSec) MainPID=$(prop inferwatcher MainPID) User=$(sb ps -o user= -p "$(prop inferwatcher MainPID)")"
}

check_c() { # a group member drops a file; it is archived in a dated job folder
	local t0 dir f job
	require_running
	sb id alice >/dev/null 2>&1 || sb useradd --create-home alice
	sb usermod -aG inferwatcher alice
	# written in alice's home, then renamed into incoming/ -- as alice, with her groups
	sb runuser -u alice -- sh -c 'umask 022; inferwatcher sample-data --rows 1000 --output ~/alice_batch.csv >/dev/null &&
		mv ~/alice_batch.csv '"$SPOOL"'/incoming/alice_batch.csv' || why "alice could not drop her file"
	t0=$(date +%s%N)
	wait_until 30 archived_once alice_batch || why "not archived in 30 s ($(archived alice_batch | wc -l) folders)"
	dir=$(archived alice_batch)
	for f in input.csv.zst predictions.csv report.txt report.json report.html manifest.json; do
		sb test -s "$dir/$f" || why "$dir/$f missing or empty"
	done
	[ "$(basename "$(dirname "$dir")")" = "$(sb date +%F)" ] || why "$dir is not in today's folder"
	job=${dir##*-}
	echo "$job" >"$SHARED/job"
	echo "$dir" >"$SHARED/dir"
	note "archived $(ms "$t0") ms after the drop: $dir"
	note "$(sb ls "$dir" | paste -sd' ')"
	[ -z "$(processing_files)" ] || why "processing/ not empty: $(processing_files)"
}

check_d() { # the job's journal records carry the structured fields
	local job dir
	job=$(cat "$SHARED/job" 2>/dev/null) || why "no job id (check c failed)"
	dir=$(cat "$SHARED/dir")
	# journald may still be writing: wait for the succeeded record
	wait_until 5 journal_has MESSAGE_ID=$MSG_SUCCEEDED INFERWATCHER_JOB="$job" ||
		why "no job-succeeded record for INFERWATCHER_JOB=$job"
	sb journalctl -o json --no-pager INFERWATCHER_JOB="$job" | python3 -c '
import json, sys
job, folder, started, succeeded = sys.argv[1:]
records = [json.loads(line) for line in sys.stdin]
print(f"      {len(records)} records for INFERWATCHER_JOB={job}")
problems = []
def need(record, key, value=None):
    message = record.get("MESSAGE")
    if key not in record or record[key] in ("", None):
        problems.append(f"{message!r}: no {key}")
    elif value is not None and record[key] != value:
        problems.append(f"{message!r}: {key}={record[key]!r}, expected {value!r}")
for r in records:
    for key, value in [("INFERWATCHER_PIPELINE", "default"), ("INFERWATCHER_INPUT", "alice_batch.csv"),
                       ("SYSLOG_IDENTIFIER", "inferwatcher"), ("PRIORITY", None), ("CODE_FILE", None),
                       ("CODE_LINE", None), ("CODE_FUNC", None), ("_SYSTEMD_UNIT", "inferwatcher.service"),
                       ("_TRANSPORT", "journal")]:  # journal: sd_journal_sendv, not text on stderr
        need(r, key, value)
ids = [r.get("MESSAGE_ID") for r in records]
for mid, what in [(started, "job started"), (succeeded, "job succeeded")]:
    if ids.count(mid) != 1:
        problems.append(f"{ids.count(mid)} {what} records (MESSAGE_ID={mid}), expected 1")
done = [r for r in records if r.get("MESSAGE_ID") == succeeded]
if done:
    r = done[0]
    need(r, "INFERWATCHER_ROWS", "1000"); need(r, "INFERWATCHER_ARCHIVE", folder); need(r, "INFERWATCHER_DURATION_MS")
    need(r, "PRIORITY", "6")
    print("      succeeded:", {k: r.get(k) for k in ("MESSAGE", "PRIORITY", "INFERWATCHER_ROWS", "INFERWATCHER_DURATION_MS", "CODE_FILE", "CODE_LINE", "CODE_FUNC")})
for p in problems:
    print("      !", p)
sys.exit(1 if problems else 0)' "$job" "$dir" "$MSG_STARTED" "$MSG_SUCCEEDED" || why "journal fields wrong"
}

check_e() { # journalctl -x renders the catalog entry with the fields filled in
	local job dir out
	job=$(cat "$SHARED/job" 2>/dev/null) || why "no job id (check c failed)"
	dir=$(cat "$SHARED/dir")
	out=$(sb journalctl -x --no-pager -o short MESSAGE_ID=$MSG_SUCCEEDED INFERWATCHER_JOB="$job")
	echo "$out" | sed 's/^/      /'
	echo "$out" | grep -q "Subject: inferwatcher job $job succeeded" || why "no catalog subject"
	echo "$out" | tr -d '░' | tr -s ' \n' ' ' | grep -q "read 1000 rows from alice_batch.csv in [0-9]* ms and filed its input, predictions and report in $dir" ||
		why "catalog text not substituted"
}

check_f() { # a bad value quarantines the file with the reason beside it
	require_running
	sb sh -c 'inferwatcher sample-data --rows 50 --output /var/tmp/bad.csv >/dev/null &&
		awk -F, -v OFS=, "NR==11 { \$4 = \"abc\" } { print }" /var/tmp/bad.csv >/var/tmp/bad_batch.csv'
	sb grep -q ',abc,' /var/tmp/bad_batch.csv || why "could not make the bad file"
	drop /var/tmp/bad_batch.csv bad_batch.csv
	wait_until 30 sb test -e "$SPOOL/failed/bad_batch.csv.error.json" || why "not quarantined in 30 s"
	sb test -e "$SPOOL/failed/bad_batch.csv" || why "failed/bad_batch.csv missing"
	sb test -s "$SPOOL/failed/bad_batch.csv.error.txt" || why "failed/bad_batch.csv.error.txt missing"
	note "error.txt: $(sb head -c 300 "$SPOOL/failed/bad_batch.csv.error.txt" | head -n 3)"
	sb grep -q abc "$SPOOL/failed/bad_batch.csv.error.json" || why "error.json does not name the value"
	wait_until 5 journal_has MESSAGE_ID=$MSG_QUARANTINED INFERWATCHER_INPUT=bad_batch.csv ||
		why "no quarantined record (MESSAGE_ID=$MSG_QUARANTINED) for bad_batch.csv"
	note "journal: $(sb journalctl -o cat MESSAGE_ID=$MSG_QUARANTINED INFERWATCHER_INPUT=bad_batch.csv | head -n 1)"
	[ -z "$(archived bad_batch)" ] || why "a bad file was archived"
	# The on_failure hook ran once, as the daemon's user, inside its sandbox.
	wait_until 10 sb test -s "$HOOK_MARKER" || why "the on_failure hook did not run"
	[ "$(sb cat "$HOOK_MARKER")" = "failure|bad_batch.csv|inferwatcher" ] || why "hook calls: $(sb cat "$HOOK_MARKER")"
	note "hook: $(sb cat "$HOOK_MARKER")"
	# The daemon's own failure goes to inferwatcher-alert@ (OnFailure=): it logs an error record.
	[ "$(prop inferwatcher OnFailure)" = inferwatcher-alert@inferwatcher.service.service ] ||
		why "OnFailure is '$(prop inferwatcher OnFailure)'"
	sb systemctl start inferwatcher-alert@inferwatcher.service.service || why "the alert unit failed"
	wait_until 5 journal_has SYSLOG_IDENTIFIER=inferwatcher-alert PRIORITY=3 || why "no inferwatcher-alert record"
	note "alert unit: $(sb journalctl -o cat SYSLOG_IDENTIFIER=inferwatcher-alert | head -n 1)"
}

check_g() { # reload applies a new threshold without a restart
	local pid n t0 dir
	require_running
	pid=$(prop inferwatcher MainPID)
	n=$(reloads)
	sb sed -i 's/^\( *threshold:\) 0.5$/\1 1.0/' "$CONFIG"
	sb grep -q 'threshold: 1.0' "$CONFIG" || why "could not change the threshold"
	t0=$(date +%s%N)
	sb systemctl reload inferwatcher.service
	note "systemctl reload returned after $(ms "$t0") ms"
	# systemd 252 finishes the reload job once `kill -HUP` exits: wait for the daemon's own words
	wait_until 10 more_than "$n" reloads ||
		why "the daemon never logged the reload"
	wait_until 10 is_state inferwatcher.service active/running || why "not active again after the reload"
	note "active again $(ms "$t0") ms after the reload"
	[ "$(prop inferwatcher MainPID)" = "$pid" ] || why "the reload restarted the daemon"
	sb inferwatcher sample-data --rows 2000 --seed 7 --output /var/tmp/reload_batch.csv >/dev/null
	drop /var/tmp/reload_batch.csv reload_batch.csv
	wait_until 30 archived_once reload_batch || why "not archived in 30 s"
	dir=$(archived reload_batch)
	sb cat "$dir/predictions.csv" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
high = [r for r in rows if float(r["prediction_score"]) >= 0.5]
wrong = [r for r in rows if r["prediction_class"] != "0" and r["prediction_score"] != "1.000000"]
print(f"      {len(rows)} predictions, {len(high)} with score >= 0.5, {len(wrong)} in class 1 below 1.0")
sys.exit(1 if wrong or not rows or not high else 0)' || why "threshold 1.0 not applied (or no score >= 0.5 to tell)"
}

check_h() { # watchdog: a frozen daemon is killed and restarted; its job is redone exactly once
	local pid restarts t0 t_restart
	require_running
	sb mkdir -p /etc/systemd/system/inferwatcher.service.d
	printf '[Service]\nWatchdogSec=3s\nRestartSec=1s\n' | sb sh -c 'cat >/etc/systemd/system/inferwatcher.service.d/test.conf'
	sb systemctl daemon-reload
	sb timeout 60 systemctl restart inferwatcher.service
	[ "$(prop inferwatcher WatchdogUSec)" = 3s ] || why "WatchdogUSec=$(prop inferwatcher WatchdogUSec)"
	restarts=$(prop inferwatcher NRestarts)
	drop /var/tmp/big.csv big_watchdog.csv
	wait_until 30 running_job big_watchdog.csv || why "the big job never showed rows_read in status.json"
	pid=$(prop inferwatcher MainPID)
	sb kill -STOP "$pid"
	t0=$(date +%s%N)
	note "SIGSTOP to pid $pid while big_watchdog.csv runs ($(prop inferwatcher StatusText))"
	wait_until 20 more_than "$restarts" prop inferwatcher NRestarts ||
		why "no restart within 20 s (WatchdogSec=3s)"
	t_restart=$(ms "$t0")
	wait_until 20 is_state inferwatcher.service active/running || why "not running again"
	note "restarted (NRestarts $restarts -> $(prop inferwatcher NRestarts)) $t_restart ms after SIGSTOP, running again after $(ms "$t0") ms"
	# what systemd did with a stopped process (it follows SIGABRT with SIGCONT, so no SIGKILL is needed)
	sb journalctl -u inferwatcher -o short-precise --no-pager --since=-60s |
		grep -E 'Watchdog timeout|Main process exited|Killing|timed out|Failed with result|Scheduled restart|Started' |
		tail -n 6 | sed 's/^/      journal: /'
	journal_has -u inferwatcher.service MESSAGE="inferwatcher.service: Failed with result 'watchdog'." ||
		why "the restart was not the watchdog's doing"
	! journal_has -u inferwatcher.service MESSAGE="inferwatcher.service: State 'stop-watchdog' timed out. Killing." ||
		note "(systemd had to escalate to SIGKILL after TimeoutAbortSec)"
	wait_until 60 archived_once big_watchdog || why "not archived once within 60 s ($(archived big_watchdog | wc -l) folders)"
	wait_until 5 processing_empty || why "processing/ not empty: $(processing_files)"
	note "archived once after $(ms "$t0") ms: $(archived big_watchdog)"
	[ "$(archived big_watchdog | grep -c .)" = 1 ] || why "archived more than once"
}

check_i() { # a stop during a long job completes; the file waits in processing/ and is done once on start
	local t0 result
	require_running
	# Twice the big input: status.json shows progress once a second, and the stop must land while
	# the job still predicts (the archive step, once reached, always completes), however fast the
	# machine scores it.
	sb sh -c 'cat /var/tmp/big.csv >/var/tmp/big2.csv && tail -n +2 /var/tmp/big.csv >>/var/tmp/big2.csv'
	drop /var/tmp/big2.csv big_stop.csv
	sb rm -f /var/tmp/big2.csv
	wait_until 30 running_job big_stop.csv || why "the big job never showed rows_read in status.json"
	note "stopping while: $(prop inferwatcher StatusText)"
	t0=$(date +%s%N)
	sb timeout 60 systemctl stop inferwatcher.service || why "systemctl stop failed"
	note "systemctl stop took $(ms "$t0") ms (stop_timeout 250ms)"
	result=$(props inferwatcher ActiveState Result)
	[ "$result" = inactive/success ] || why "after stop: $result"
	[ -z "$(archived big_stop)" ] || why "the job finished within stop_timeout: this machine is fast, raise E2E_BIG_ROWS"
	processing_files | grep -q '~big_stop.csv$' || why "big_stop.csv not in processing/: '$(processing_files)'"
	note "processing/: $(processing_files)"
	t0=$(date +%s%N)
	sb timeout 60 systemctl start inferwatcher.service
	wait_until 60 archived_once big_stop || why "not archived once within 60 s of the start"
	wait_until 5 processing_empty || why "processing/ not empty: $(processing_files)"
	note "archived $(ms "$t0") ms after the start: $(archived big_stop)"
	[ "$(archived big_stop | grep -c .)" = 1 ] || why "archived more than once"
}

check_j() { # the prune timer fires and removes dated folders older than retention_days
	local today t0
	today=$(sb date +%F)
	# an old date folder to remove and a folder of today's to keep (whether or not check c ran)
	sb sh -c "mkdir -p $ARCHIVE/$today/e2e_keep-000000000000 && chown -R inferwatcher:inferwatcher $ARCHIVE/$today"
	sb sh -c "mkdir -p $ARCHIVE/2020-01-01/x && echo old >$ARCHIVE/2020-01-01/x/input.csv && chown -R inferwatcher:inferwatcher $ARCHIVE/2020-01-01"
	sb mkdir -p /etc/systemd/system/inferwatcher-prune.timer.d
	# fire 1 s after the timer starts; the shipped RandomizedDelaySec (15 min) applies to every trigger
	printf '[Timer]\nOnActiveSec=1s\nRandomizedDelaySec=0\nAccuracySec=100ms\n' |
		sb sh -c 'cat >/etc/systemd/system/inferwatcher-prune.timer.d/test.conf'
	sb systemctl daemon-reload
	t0=$(date +%s%N)
	sb systemctl start inferwatcher-prune.timer
	wait_until 20 timer_fired || why "the timer never fired"
	note "timer fired after $(ms "$t0") ms"
	wait_until 20 prune_finished || why "prune service: $(props inferwatcher-prune.service ActiveState Result ExecMainStatus)"
	sb journalctl -u inferwatcher-prune.service -o cat --no-pager | sed 's/^/      journal: /'
	sb test ! -e "$ARCHIVE/2020-01-01" || why "2020-01-01 is still there"
	sb test -d "$ARCHIVE/$today/e2e_keep-000000000000" || why "today's folder was removed"
	sb journalctl -u inferwatcher-prune.service -o cat | grep -q "removed $ARCHIVE/2020-01-01" || why "the journal does not show the removal"
}

# --- main ---------------------------------------------------------------------------------------
trap finish EXIT
trap 'echo "FAIL  interrupted"; FAILED=$((FAILED + 1)); exit 130' INT TERM
cd "$REPO"
echo "inferwatcher e2e: binary $BIN"
sbx down >/dev/null 2>&1 || true   # leftovers of an interrupted run
rm -rf "$ARTIFACTS"                  # never mistake an old run's journal for this one's
[ -x "$BIN" ] || { echo "FAIL  setup: no binary at $BIN (swift build -c release --product inferwatcher, or set INFERWATCHER_BIN)"; FAILED=1; exit 1; }
t0=$(date +%s%N)
sbx up || { echo "FAIL  sandbox up"; FAILED=$((FAILED + 1)); exit 1; }
echo "--- setup"
check_k() { # .csv.gz, .csv.zst and .parquet drops are archived, their input stored as received
	local stem dir stored
	require_running
	sb sh -c 'inferwatcher sample-data --rows 500 --seed 3 --output /var/tmp/k.csv >/dev/null &&
		gzip -c /var/tmp/k.csv >/var/tmp/k.csv.gz && zstd -q -c /var/tmp/k.csv >/var/tmp/k.csv.zst' || why "could not make the inputs"
	sbx cp "$REPO/Tests/EngineTests/Fixtures/parquet/dictionary-v1-zstd.parquet" /var/tmp/k.parquet
	drop /var/tmp/k.csv.gz gz_batch.csv.gz
	drop /var/tmp/k.csv.zst zst_batch.csv.zst
	drop /var/tmp/k.parquet parquet_batch.parquet
	for stem in gz_batch:input.csv.gz:k.csv.gz zst_batch:input.csv.zst:k.csv.zst parquet_batch:input.parquet:k.parquet; do
		stored=${stem#*:}
		wait_until 30 archived_once "${stem%%:*}" || why "${stem%%:*} not archived in 30 s"
		dir=$(archived "${stem%%:*}")
		sb cmp -s "$dir/${stored%%:*}" "/var/tmp/${stored#*:}" || why "$dir/${stored%%:*} is not the input as received"
		sb test -s "$dir/predictions.csv" || why "$dir/predictions.csv missing"
		note "$(basename "$dir"): $(sb ls "$dir" | paste -sd' ')"
	done
	[ -z "$(processing_files)" ] || why "processing/ not empty: $(processing_files)"
}

check_l() { # metrics: the textfile for node_exporter shows the job's rows, and promtool accepts it
	local t0 mode out
	require_running
	sb sh -c 'command -v promtool' >/dev/null || why "no promtool (Debian's prometheus package; scripts/setup.sh installs it)"
	# What installing prometheus-node-exporter makes, writable by the daemon's group; it must exist
	# before the daemon starts (ReadWritePaths=-...), and metrics: applies after a restart.
	sb sh -c "mkdir -p $TEXTFILE_DIR && chgrp inferwatcher $TEXTFILE_DIR && chmod 2775 $TEXTFILE_DIR"
	sb sed -i 's|^\( *textfile:\) ""|\1 '"$TEXTFILE"'|' "$CONFIG"
	sb grep -q "^  textfile: $TEXTFILE" "$CONFIG" || why "could not set metrics.textfile"
	sb inferwatcher check-config --config "$CONFIG" | grep -q "textfile: \"$TEXTFILE\"" || why "check-config does not show the textfile"
	sb timeout 60 systemctl restart inferwatcher.service
	require_running
	# Written at start-up, counters at zero.
	wait_until 10 sb grep -q '^inferwatcher_rows_total{pipeline="default",outcome="predicted"} 0$' "$TEXTFILE" ||
		why "no textfile with zero counters after the start: $(sb ls -la "$TEXTFILE_DIR" 2>&1 | tail -n +2 | paste -sd' ')"
	sb inferwatcher sample-data --rows 1000 --seed 11 --output /var/tmp/metrics_batch.csv >/dev/null
	t0=$(date +%s%N)
	drop /var/tmp/metrics_batch.csv metrics_batch.csv
	wait_until 30 sb grep -q '^inferwatcher_rows_total{pipeline="default",outcome="predicted"} 1000$' "$TEXTFILE" ||
		why "the textfile never showed the job's 1000 rows: $(sb grep rows_total "$TEXTFILE" | paste -sd' ')"
	note "rows in the textfile $(ms "$t0") ms after the drop"
	sb grep -Eq '^inferwatcher_last_success_timestamp_seconds\{pipeline="default"\} [0-9.e+]+$' "$TEXTFILE" || why "no last success"
	sb grep -q '^inferwatcher_job_duration_seconds_count{pipeline="default"} 1$' "$TEXTFILE" || why "no job duration"
	sb grep -q '^inferwatcher_build_info{version="' "$TEXTFILE" || why "no build info"
	sb grep -E '^inferwatcher_(rows_total|last_success|queue_depth|files_quarantined|build_info)' "$TEXTFILE" | sed 's/^/      /'
	mode=$(sb stat -c '%a %U' "$TEXTFILE")
	[ "$mode" = "644 inferwatcher" ] || why "mode and owner '$mode', expected '644 inferwatcher' (node_exporter's user reads it)"
	sb runuser -u nobody -- cat "$TEXTFILE" >/dev/null || why "another user cannot read the textfile"
	[ -z "$(sb find "$TEXTFILE_DIR" -name '.*')" ] || why "temporary files left: $(sb ls -A "$TEXTFILE_DIR")"
	out=$(sb sh -c "promtool check metrics <$TEXTFILE" 2>&1) || why "promtool check metrics: $out"
	[ -z "$out" ] || why "promtool check metrics printed: $out"
	note "promtool check metrics: clean; $(sb stat -c %s "$TEXTFILE") bytes, mode $mode"
}

check_m() { # drift: a shifted file gives the drift journal record, the metric and the hook's marker
	local t0 dir psi
	require_running
	# The reference, profiled once from training-like data, where the daemon may read it.
	sb inferwatcher sample-data --rows 20000 --seed 21 --output /var/tmp/train.csv >/dev/null
	sb inferwatcher profile --input /var/tmp/train.csv --model /var/lib/inferwatcher/models/model.onnx \
		--output /var/lib/inferwatcher/models/ref.json 2>/dev/null || why "inferwatcher profile failed"
	sb chown inferwatcher:inferwatcher /var/lib/inferwatcher/models/ref.json
	sb sed -i -e 's|^    # drift: .*|    drift: {reference: /var/lib/inferwatcher/models/ref.json, alert_psi: 0.25}|' \
		-e 's|^\( *on_drift:\) ""|\1 /usr/local/bin/iw-test-hook|' "$CONFIG"
	sb inferwatcher check-config --config "$CONFIG" | grep -q 'reference: "/var/lib/inferwatcher/models/ref.json"' ||
		why "check-config does not show drift.reference"
	sb timeout 60 systemctl restart inferwatcher.service
	require_running
	sb rm -f "$HOOK_MARKER"
	# Credit scores 300 higher than in training: that feature alone drifts.
	sb sh -c 'inferwatcher sample-data --rows 5000 --seed 22 --output /var/tmp/shift.csv >/dev/null &&
		awk -F, -v OFS=, "NR > 1 { \$4 = \$4 + 300 } { print }" /var/tmp/shift.csv >/var/tmp/shifted_batch.csv'
	t0=$(date +%s%N)
	drop /var/tmp/shifted_batch.csv shifted_batch.csv
	wait_until 30 journal_has MESSAGE_ID=$MSG_DRIFT INFERWATCHER_INPUT=shifted_batch.csv ||
		why "no drift record (MESSAGE_ID=$MSG_DRIFT) for shifted_batch.csv"
	note "drift record $(ms "$t0") ms after the drop: $(sb journalctl -o cat MESSAGE_ID=$MSG_DRIFT | head -n 1)"
	journal_has MESSAGE_ID=$MSG_DRIFT INFERWATCHER_DRIFT_FEATURES=credit_score || why "the record does not name credit_score alone"
	sb journalctl -x --no-pager MESSAGE_ID=$MSG_DRIFT | grep -q "drifted from the reference" || why "no catalog text for the drift record"
	wait_until 10 sb grep -q "^drift|shifted_batch.csv|inferwatcher$" "$HOOK_MARKER" || why "hook calls: $(sb cat "$HOOK_MARKER" 2>&1)"
	[ "$(sb grep -c . "$HOOK_MARKER")" = 1 ] || why "the drift hook ran more than once: $(sb cat "$HOOK_MARKER")"
	wait_until 10 sb grep -q '^inferwatcher_drift_psi{pipeline="default",feature="credit_score"} ' "$TEXTFILE" ||
		why "no drift gauge in the textfile"
	psi=$(sb sed -n 's/^inferwatcher_drift_psi{pipeline="default",feature="credit_score"} //p' "$TEXTFILE")
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0.25 else 1)' "$psi" || why "credit_score PSI $psi is not above 0.25"
	out=$(sb sh -c "promtool check metrics <$TEXTFILE" 2>&1) || why "promtool check metrics: $out"
	dir=$(archived shifted_batch)
	sb grep -q 'badge alert' "$dir/report.html" || why "report.html has no drift alert"
	note "credit_score PSI $psi in the textfile; hook: $(sb cat "$HOOK_MARKER")"
}

(set -e; setup)
if [ $? != 0 ]; then
	echo "FAIL  setup (install into the sandbox)"; FAILED=$((FAILED + 1))
	exit 1
fi
echo "setup done in $(ms "$t0") ms"
check a "unit files verify clean; security exposure <= 2.0" check_a
check b "systemctl start: active/running with a meaningful StatusText" check_b
check c "a file dropped by an inferwatcher group member is archived" check_c
check d "journal records of the job carry the structured fields" check_d
check e "journalctl -x shows the catalog entry for the job" check_e
check f "a bad file is quarantined with its reason; the on_failure hook and the alert unit run" check_f
check g "systemctl reload applies a new threshold" check_g
check h "watchdog: a frozen daemon is restarted; its job is archived once" check_h
check i "systemctl stop during a long job; redone once after start" check_i
check j "the prune timer removes old date folders" check_j
check k ".csv.gz, .csv.zst and .parquet drops are archived as received" check_k
check l "metrics: the node_exporter textfile shows the job's rows; promtool accepts it" check_l
check m "drift: a shifted file gives the drift journal record, the metric and the hook's marker" check_m
