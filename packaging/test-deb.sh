#!/bin/bash
# packaging/test-deb.sh -- the .deb end to end under a real systemd as PID 1 (tests/e2e/sandbox.sh):
# install, a group member's drop, upgrade with files queued, remove, purge. Root only.
#
#   packaging/test-deb.sh          builds inferwatcher_<v>_amd64.deb and a second one with version
#                                  $NEW_VERSION (0.1.1), then runs the checks
#   SKIP_BUILD=1 packaging/test-deb.sh   reuse the two .debs from an earlier run
#
# Prints PASS/FAIL per check and a last line "N passed, M failed"; exits 1 on any failure; always
# tears the sandbox down. The journal, console log and dpkg output land in .build-deb/e2e/artifacts/.
set -uo pipefail   # no -e: one failing check must not stop the others (each check runs with -e)

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SB=$ROOT/tests/e2e/sandbox.sh
WORK=$ROOT/.build-deb/e2e
DEBS=$WORK/debs
ARTIFACTS=$WORK/artifacts
NEW_VERSION=${NEW_VERSION:-0.1.1}
UPGRADE_FILES=${UPGRADE_FILES:-4}        # files queued across the upgrade
UPGRADE_ROWS=${UPGRADE_ROWS:-400000}     # rows each (~20 MB, about a second of work each)
export E2E_SANDBOX_NAME=${E2E_SANDBOX_NAME:-inferwatcher-deb}   # not the daemon e2e's sandbox

SPOOL=/var/spool/inferwatcher/default
ARCHIVE=/var/lib/inferwatcher/archive/default
MODEL=/var/lib/inferwatcher/models/model.onnx
MSG_SUCCEEDED=235f12b688e74207a949d9ad474d2bc1
PASSED=0 FAILED=0
T_START=$(date +%s%N)
# shellcheck source=../tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"

# dpkg_do LOG ARGS...: run dpkg inside, its output to artifacts/LOG; show the tail when it fails.
dpkg_do() {
	local log=$ARTIFACTS/$1 rc=0
	shift
	sb env DEBIAN_FRONTEND=noninteractive ${DPKG_ENV:-} dpkg "$@" >"$log" 2>&1 || rc=$?
	[ $rc = 0 ] || { tail -n 20 "$log" | sed 's/^/      | /'; why "dpkg $* exited $rc"; }
}
state() { sb systemctl show -P ActiveState "$1"; }
active() { [ "$(state "$1")" = active ]; }
gone() { ! sb test -e "$1"; }
exists() { sb test -e "$1"; }
pkg_status() { sb dpkg-query -W -f='${Status} ${Version}' inferwatcher 2>/dev/null || true; }
archived() { sb sh -c 'ls -d '"$ARCHIVE"'/*/"$1"-* 2>/dev/null || true' sh "$1"; }
archived_once() { [ "$(archived "$1" | grep -c .)" = 1 ]; }
job_count() { sb sh -c 'ls -d '"$ARCHIVE"'/*/*-*/ 2>/dev/null | wc -l'; }
spool_empty() { [ -z "$(sb sh -c "ls -A $SPOOL/incoming $SPOOL/processing $SPOOL/failed | grep -v ':\$' | grep ." )" ]; }
as_alice() { sb runuser -u alice -- sh -c "cd /home/alice && $1"; }

finish() {
	local rc=$?
	trap - EXIT INT TERM
	mkdir -p "$ARTIFACTS"
	if sbx status >/dev/null 2>&1; then
		sb journalctl -b --no-pager -o short-precise >"$ARTIFACTS/journal.txt" 2>/dev/null || true
	fi
	sbx down
	sbx console >"$ARTIFACTS/console.log" 2>/dev/null || true
	echo "artifacts: $ARTIFACTS; total $(ms "$T_START") ms"
	[ "$rc" = 0 ] || [ "$FAILED" -gt 0 ] || FAILED=1
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ] && [ "$rc" = 0 ] || exit 1
	exit 0
}

# --- build the two packages (before `up`: the sandbox sees the host as of boot) -----------------
[ "$(id -u)" = 0 ] || { echo "test-deb: must run as root" >&2; exit 2; }
mkdir -p "$DEBS" "$ARTIFACTS"
rm -f "$ARTIFACTS"/*
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	rm -f "$DEBS"/*.deb
	t0=$(date +%s%N)
	"$HERE/build-deb.sh" "$DEBS" >"$ARTIFACTS/build-old.log" 2>&1 ||
		{ tail -n 30 "$ARTIFACTS/build-old.log"; echo "0 passed, 1 failed"; exit 1; }
	DEB_VERSION=$NEW_VERSION LINTIAN=0 "$HERE/build-deb.sh" "$DEBS" >"$ARTIFACTS/build-new.log" 2>&1 ||
		{ tail -n 30 "$ARTIFACTS/build-new.log"; echo "0 passed, 1 failed"; exit 1; }
	echo "built both packages in $(ms "$t0") ms"
fi
OLD_DEB=$(ls "$DEBS"/inferwatcher_*_amd64.deb | grep -v "_${NEW_VERSION}_" | head -n 1)
NEW_DEB=$DEBS/inferwatcher_${NEW_VERSION}_amd64.deb
[ -f "$OLD_DEB" ] && [ -f "$NEW_DEB" ] || { echo "test-deb: missing .debs in $DEBS"; echo "0 passed, 1 failed"; exit 1; }
OLD_VERSION=$(dpkg-deb -f "$OLD_DEB" Version)
echo "packages: $(basename "$OLD_DEB") $(du -h "$OLD_DEB" | cut -f1), $(basename "$NEW_DEB")"

trap finish EXIT
trap 'exit 130' INT TERM
sbx down >/dev/null 2>&1 || true
t0=$(date +%s%N)
sbx up || exit 1
echo "sandbox up in $(ms "$t0") ms"
# The host image is a docker-style one whose /usr/sbin/policy-rc.d forbids starting services
# (exit 101); a real Debian system has none. Remove it inside the sandbox (the overlay) only.
sb rm -f /usr/sbin/policy-rc.d
sb mkdir -p /root/debs
sbx cp "$OLD_DEB" "/root/debs/$(basename "$OLD_DEB")"
sbx cp "$NEW_DEB" "/root/debs/$(basename "$NEW_DEB")"
OLD_IN=/root/debs/$(basename "$OLD_DEB")
NEW_IN=/root/debs/$(basename "$NEW_DEB")

# --- the checks ----------------------------------------------------------------------------------
c_no_toolchain() {
	[ "$(pkg_status)" = "" ] || why "inferwatcher already installed in the image: $(pkg_status)"
	# An empty read-only tmpfs over /opt/swift: nothing of the toolchain is visible from here on,
	# for the package's binary and the services alike (they start after this mount).
	if exists /opt/swift; then sb mount -t tmpfs -o ro,size=4k,mode=0755 iw-no-swift /opt/swift; fi
	[ -z "$(sb sh -c 'ls -A /opt/swift 2>/dev/null')" ] || why "/opt/swift still has files"
	! sb sh -c 'command -v swift || command -v swiftc' || why "a swift compiler is on PATH"
	[ -z "$(sb sh -c 'ldconfig -p | grep -i -e swift -e libFoundation -e libdispatch')" ] ||
		why "the dynamic linker cache knows Swift libraries"
}
c_install() {
	dpkg_do install-old.log -i "$OLD_IN"
	[ "$(pkg_status)" = "install ok installed $OLD_VERSION" ] || why "status: $(pkg_status)"
	local l
	l=$(sb ldd /usr/bin/inferwatcher)
	! grep -E '/opt/swift|not found|libswift|libFoundation|libdispatch' <<<"$l" || why "ldd shows the toolchain"
	[ "$(sb inferwatcher --version)" = "${OLD_VERSION%%-*}" ] || why "inferwatcher --version: $(sb inferwatcher --version)"
	wait_until 15 active inferwatcher.service || why "inferwatcher.service: $(state inferwatcher.service)"
	[ "$(sb systemctl show -P SubState inferwatcher.service)" = running ] || why "not running"
	[ "$(sb systemctl is-enabled inferwatcher.service)" = enabled ] || why "service not enabled"
	[ "$(sb systemctl is-enabled inferwatcher-prune.timer)" = enabled ] || why "timer not enabled"
	active inferwatcher-prune.timer || why "timer: $(state inferwatcher-prune.timer)"
	sb getent passwd inferwatcher >/dev/null || why "no inferwatcher user"
	[ "$(sb stat -c '%a %U:%G' $SPOOL/incoming)" = "2770 inferwatcher:inferwatcher" ] ||
		why "incoming/: $(sb stat -c '%a %U:%G' $SPOOL/incoming)"
	sb dpkg-query -W -f='${Conffiles}\n' inferwatcher | grep -q ' /etc/inferwatcher/inferwatcher.yaml ' ||
		why "inferwatcher.yaml is not a conffile"
	sb journalctl --list-catalog $MSG_SUCCEEDED | grep -q inferwatcher || why "catalog entry missing"
	sb test -f /usr/share/man/man1/inferwatcher-serve.1.gz || why "no man page"
	# Completions for the three shells, generated by the argument parser: they know the subcommands.
	sb grep -q history /usr/share/bash-completion/completions/inferwatcher || why "no bash completion"
	sb grep -q history /usr/share/zsh/vendor-completions/_inferwatcher || why "no zsh completion"
	sb grep -q history /usr/share/fish/vendor_completions.d/inferwatcher.fish || why "no fish completion"
	sb bash -c 'source /usr/share/bash-completion/completions/inferwatcher && complete -p inferwatcher' >/dev/null ||
		why "the bash completion does not register"
	sb inferwatcher check-config >/dev/null || why "check-config fails on the shipped configuration"
	note "$(sb systemctl show -P StatusText inferwatcher.service)"
}
c_drop() {
	# The documented step: put a model in place (the package ships only the example).
	sb install -o inferwatcher -g inferwatcher -m 0640 /usr/share/inferwatcher/examples/model.onnx $MODEL
	sb useradd -m -G inferwatcher alice
	as_alice "inferwatcher sample-data --rows 1000 --output f.csv && mv f.csv $SPOOL/incoming/batch_input.csv"
	wait_until 30 archived_once batch_input || why "batch_input not archived: $(archived batch_input)"
	local dir
	dir=$(archived batch_input)
	[ "$(sb sh -c "wc -l <$dir/predictions.csv")" = 1001 ] || why "predictions.csv has not 1000 rows"
	sb test -f "$dir/manifest.json" -a -f "$dir/report.txt" || why "manifest/report missing"
	note "archived as ${dir#"$ARCHIVE"/}"
	wait_until 10 spool_empty || why "spool not empty"
}
c_upgrade() {
	local i pid_before pid_after t0 running=no
	for i in $(seq "$UPGRADE_FILES"); do
		as_alice "inferwatcher sample-data --rows $UPGRADE_ROWS --seed $((100 + i)) --output up$i.csv"
	done
	pid_before=$(sb systemctl show -P MainPID inferwatcher.service)
	as_alice "for i in \$(seq $UPGRADE_FILES); do mv up\$i.csv $SPOOL/incoming/up\$i.csv; done"
	# Upgrade while the first file is being worked on and the others wait in incoming/.
	wait_until 15 sb sh -c "ls -A $SPOOL/processing | grep -q ." && running=yes
	note "at upgrade: processing/ $(sb sh -c "ls -A $SPOOL/processing | tr '\n' ' '")| incoming/ $(sb sh -c "ls -A $SPOOL/incoming | tr '\n' ' '")"
	t0=$(date +%s%N)
	dpkg_do upgrade.log -i "$NEW_IN"
	note "dpkg -i $NEW_VERSION took $(ms "$t0") ms (service restart included); a job was running: $running"
	[ "$(pkg_status)" = "install ok installed $NEW_VERSION" ] || why "status: $(pkg_status)"
	wait_until 15 active inferwatcher.service || why "inferwatcher.service: $(state inferwatcher.service)"
	pid_after=$(sb systemctl show -P MainPID inferwatcher.service)
	[ "$pid_after" != "$pid_before" ] || why "the service was not restarted (MainPID $pid_before)"
	for i in $(seq "$UPGRADE_FILES"); do
		wait_until 90 archived_once "up$i" || why "up$i archived $(archived "up$i" | grep -c .) times"
	done
	archived_once batch_input || why "batch_input now archived $(archived batch_input | grep -c .) times"
	[ "$(job_count)" = $((UPGRADE_FILES + 1)) ] || why "$(job_count) job folders, expected $((UPGRADE_FILES + 1))"
	wait_until 10 spool_empty || why "spool not empty: $(sb ls -AR $SPOOL)"
	note "$(sb journalctl -u inferwatcher -o cat --no-pager | grep -ci 'abandon') 'abandoned' record(s) in the journal"
	[ "$(sb systemctl show -P NRestarts inferwatcher.service)" = 0 ] || why "the service crashed and was restarted"
}
c_remove() {
	dpkg_do remove.log -r inferwatcher
	[ "$(pkg_status)" = "deinstall ok config-files $NEW_VERSION" ] || why "status: $(pkg_status)"
	! active inferwatcher.service || why "service still active"
	! active inferwatcher-prune.timer || why "timer still active"
	# Like dh_installsystemd's postrm, remove masks the units (until purge or reinstall).
	case "$(sb systemctl show -P LoadState inferwatcher.service)" in
	not-found | masked) ;;
	*) why "unit still loaded: $(sb systemctl show -P LoadState inferwatcher.service)" ;;
	esac
	! sb systemctl start inferwatcher.service 2>/dev/null || why "the removed service could be started"
	gone /usr/bin/inferwatcher || why "binary still there"
	exists /etc/inferwatcher/inferwatcher.yaml || why "configuration removed"
	[ "$(job_count)" = $((UPGRADE_FILES + 1)) ] || why "archives changed: $(job_count) job folders"
	sb getent passwd inferwatcher >/dev/null || why "user removed"
}
c_purge() {
	dpkg_do purge.log -P inferwatcher
	[ -z "$(pkg_status)" ] || [ "$(pkg_status)" = "unknown ok not-installed " ] || why "status: $(pkg_status)"
	gone /etc/inferwatcher || why "/etc/inferwatcher still there"
	gone /var/lib/inferwatcher/state || why "state still there"
	gone /var/spool/inferwatcher || why "spool still there: $(sb ls -AR /var/spool/inferwatcher)"
	[ "$(job_count)" = $((UPGRADE_FILES + 1)) ] || why "archives not kept: $(job_count) job folders"
	exists $MODEL || why "the administrator's model was removed"
	gone /etc/systemd/system/multi-user.target.wants/inferwatcher.service || why "enable link left"
	gone /etc/systemd/system/timers.target.wants/inferwatcher-prune.timer || why "timer link left"
	[ -z "$(sb sh -c 'ls /var/lib/systemd/deb-systemd-helper-enabled/ /var/lib/systemd/deb-systemd-helper-masked/ 2>/dev/null | grep inferwatcher')" ] ||
		why "deb-systemd-helper state left"
	sb getent passwd inferwatcher >/dev/null || why "the system user should stay (documented)"
	note "left: $(sb sh -c 'find /var/lib/inferwatcher -maxdepth 3 | tr "\n" " "')"
}
c_purge_all() {
	dpkg_do reinstall.log -i "$NEW_IN"
	wait_until 15 active inferwatcher.service || why "not active after reinstalling"
	[ "$(sb systemctl is-enabled inferwatcher.service)" = enabled ] || why "not enabled after reinstalling"
	sb systemctl stop inferwatcher.service
	DPKG_ENV=INFERWATCHER_PURGE_ARCHIVES=yes dpkg_do purge-all.log -P inferwatcher
	gone /var/lib/inferwatcher/archive || why "archive kept despite INFERWATCHER_PURGE_ARCHIVES=yes"
	exists $MODEL || why "model removed"
}

check a "no Swift toolchain visible in the sandbox" c_no_toolchain
check b "dpkg -i $OLD_VERSION: service active, units enabled, user, folders, conffile, catalog" c_install
check c "a member of the inferwatcher group drops a file: archived" c_drop
check d "dpkg -i $NEW_VERSION with $UPGRADE_FILES files queued: restarted, each archived exactly once" c_upgrade
check e "dpkg -r: stopped, configuration and archives kept" c_remove
check f "dpkg -P: configuration, state, empty spool gone; archives and model kept" c_purge
check g "reinstall, then purge with INFERWATCHER_PURGE_ARCHIVES=yes" c_purge_all
