#!/bin/bash
# tests/e2e/sandbox.sh -- a throw-away machine with a REAL systemd as PID 1 and a real journald,
# for inferwatcher's end-to-end tests on hosts where systemd is not PID 1 (CI runners, containers
# without docker).  Needs root, overlayfs, cgroup namespaces and util-linux; nothing else.
#
#   sandbox.sh up             boot it (a no-op when it is already up)
#   sandbox.sh exec CMD...    run CMD inside (stdin/stdout/stderr and the exit status pass through)
#   sandbox.sh cp SRC DST     copy the host file SRC to DST inside (same mode bits)
#   sandbox.sh console        print the sandbox's console log (boot and shutdown messages)
#   sandbox.sh status         "up ..." and exit 0, or "down" and exit 3
#   sandbox.sh down           power it off and remove every trace (idempotent, safe to call always)
#
# Environment: E2E_SANDBOX_NAME (inferwatcher-e2e) names the state folder /run/<name>, the cgroup,
# the host name and container=; two sandboxes with different names can run at once.
#
# How it stays safe for the host:
#   * the root is an overlay: the host's / is the read-only lower layer, a tmpfs the upper one, so
#     every write (units, users, spool, journal) vanishes with the sandbox;
#   * /tmp, /run, /dev are private tmpfs; /proc/sys and /sys are read-only (no sysctl reaches the
#     host kernel); private pid/mount/net/uts/ipc namespaces;
#   * a cgroup namespace rooted at our own sub-cgroup, so systemd only ever touches that sub-tree;
#   * a smaller capability bounding set (no clock, modules, raw I/O, mknod, ...);
#   * host services that are enabled on the host image (postgresql, cron, ssh, timesyncd, apt
#     timers, ...) are masked inside.
# Design notes and measurements: tests/e2e/README.md.
set -euo pipefail

NAME=${E2E_SANDBOX_NAME:-inferwatcher-e2e}
STATE=/run/$NAME            # pid files, console log, the two mount points (empty dirs on the host)
ROOT=$STATE/root            # where the overlay root is assembled (only inside the mount namespace)
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# CAP_SYS_BOOT stays: reboot() from PID 1 of a pid namespace only ends that namespace (clean `down`).
DROP_CAPS=-sys_time,-sys_module,-sys_rawio,-mknod,-wake_alarm,-sys_pacct,-syslog,-audit_control,-audit_read,-mac_admin,-mac_override,-perfmon
MASKED="postgresql.service postgresql@.service cron.service ssh.service
 systemd-timesyncd.service systemd-networkd.service systemd-networkd-wait-online.service systemd-resolved.service
 systemd-random-seed.service systemd-pstore.service systemd-firstboot.service systemd-modules-load.service
 systemd-sysctl.service systemd-binfmt.service systemd-repart.service proc-sys-fs-binfmt_misc.automount
 sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount
 getty.target getty@.service serial-getty@.service console-getty.service container-getty@.service
 e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer
 man-db.timer fstrim.timer"

SELF=$(readlink -f "$0")
say() { echo "sandbox: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# --- which processes are ours -----------------------------------------------------------------
# A pid file holds "PID STARTTIME"; a PID only counts as ours while its start time matches, so a
# stale file can never make `down` kill an unrelated process that reused the number.
starttime() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
remember() { echo "$1 $(starttime "$1")" >"$2"; }
ours() { local pid st; [ -s "$1" ] && read -r pid st <"$1" && [ "$(starttime "$pid" 2>/dev/null)" = "$st" ]; }
pid_of() { local pid st; read -r pid st <"$1"; echo "$pid"; }
is_up() { ours "$STATE/systemd.pid" && [ "$(cat "/proc/$(pid_of "$STATE/systemd.pid")/comm" 2>/dev/null)" = systemd ]; }

# Run a command in all of the sandbox's namespaces and its root, with a clean environment and the
# sandbox's capability bounding set (so `exec` is no more powerful than the sandbox itself).
inside() {
	nsenter -t "$(pid_of "$STATE/systemd.pid")" -a -r -w setpriv --bounding-set "$DROP_CAPS" -- \
		env -i PATH=$PATH_IN LANG=C.UTF-8 HOME=/root TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# --- cgroups ----------------------------------------------------------------------------------
# <our cgroup>/$NAME in each hierarchy systemd needs: name=systemd (v1) plus the unified v2 mount on
# a hybrid host, or the single v2 tree.  The launcher moves itself there before unsharing the
# cgroup namespace, so the sandbox sees that sub-tree as "/" and cannot reach anything else.
cgroup_dirs() {
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "/sys/fs/cgroup$(sed -n 's#^0::/*#/#p' /proc/self/cgroup | sed 's#/$##')/$NAME"
		return
	fi
	[ "$(stat -fc %T /sys/fs/cgroup/systemd 2>/dev/null)" = cgroupfs ] ||
		die "need a name=systemd cgroup hierarchy at /sys/fs/cgroup/systemd (or pure cgroup v2)"
	echo "/sys/fs/cgroup/systemd$(sed -n 's#^[0-9]*:name=systemd:/*#/#p' /proc/self/cgroup | sed 's#/$##')/$NAME"
	[ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		echo "/sys/fs/cgroup/unified$(sed -n 's#^0::/*#/#p' /proc/self/cgroup | sed 's#/$##')/$NAME"
	return 0
}
remove_cgroups() { # deepest first, only below our own $NAME directories; rmdir never deletes a busy cgroup
	local d
	[ -s "$STATE/cgroups" ] || return 0
	while read -r d; do
		case "$d" in /sys/fs/cgroup/*"/$NAME") ;; *) continue ;; esac
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$d" ] && say "warning: could not remove cgroup $d"
	done <"$STATE/cgroups"
	rm -f "$STATE/cgroups"
}

# --- PID 1 of the new namespaces: build the root, then become systemd ---------------------------
# Runs in the fresh mount namespace (private propagation, so none of these mounts is seen by the host).
pid1() {
	local d tty
	trap 'echo "sandbox: setting up PID 1 failed at sandbox.sh line $LINENO" >&2' ERR   # lands in console.log
	export LIBMOUNT_UTAB=$STATE/utab   # else mount(8) creates /run/mount/ on the host's /run
	# The root: host / read-only below, a tmpfs above.  4G is plenty for the e2e files (~0.6 GB).
	mount -t tmpfs -o mode=755,size=4G e2e-upper "$STATE/ovl"
	mkdir "$STATE/ovl/upper" "$STATE/ovl/work"
	mount -t overlay e2e-root -o "lowerdir=/,upperdir=$STATE/ovl/upper,workdir=$STATE/ovl/work" "$ROOT"
	# API file systems; /proc/sys read-only so neither PID 1 nor systemd-sysctl changes host sysctls.
	mount -t proc -o nosuid,nodev,noexec proc "$ROOT/proc"
	mount --bind "$ROOT/proc/sys" "$ROOT/proc/sys"
	mount -o remount,bind,ro "$ROOT/proc/sys"
	if [ -e "$ROOT/proc/sysrq-trigger" ]; then
		mount --bind "$ROOT/proc/sysrq-trigger" "$ROOT/proc/sysrq-trigger"
		mount -o remount,bind,ro "$ROOT/proc/sysrq-trigger"
	fi
	mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$ROOT/sys"
	# cgroups: thanks to the cgroup namespace these mounts show only our sub-tree.
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$ROOT/sys/fs/cgroup"
	else
		mount -t tmpfs -o mode=755,nosuid,nodev,noexec e2e-cgroup "$ROOT/sys/fs/cgroup"
		mkdir "$ROOT/sys/fs/cgroup/systemd"
		mount -t cgroup -o none,name=systemd,nosuid,nodev,noexec cgroup "$ROOT/sys/fs/cgroup/systemd"
		if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
			mkdir "$ROOT/sys/fs/cgroup/unified"
			mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$ROOT/sys/fs/cgroup/unified"
		fi
		mount -o remount,ro,nosuid,nodev,noexec "$ROOT/sys/fs/cgroup"
	fi
	# A minimal private /dev: the harmless character devices, a private devpts, no block devices.
	mount -t tmpfs -o mode=755,nosuid,size=4M e2e-dev "$ROOT/dev"
	for d in null zero full random urandom tty; do touch "$ROOT/dev/$d"; mount --bind "/dev/$d" "$ROOT/dev/$d"; done
	mkdir "$ROOT/dev/pts" "$ROOT/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$ROOT/dev/pts"
	ln -s pts/ptmx "$ROOT/dev/ptmx"
	mount -t tmpfs -o mode=1777,nosuid,nodev e2e-shm "$ROOT/dev/shm"
	ln -s /proc/self/fd "$ROOT/dev/fd"
	for d in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/${d%%:*}" "$ROOT/dev/${d#*:}"; done
	ln -s /dev/null "$ROOT/dev/kmsg"   # journald must not read (or write) the host's kernel log
	# /dev/console is the pty `script` gave us, which logs it to $STATE/console.log.
	touch "$ROOT/dev/console"
	tty=$(readlink /proc/self/fd/0 || true)
	case "$tty" in /dev/pts/*) mount --bind "$tty" "$ROOT/dev/console" ;; *) mount --bind /dev/null "$ROOT/dev/console" ;; esac
	# Private /run and /tmp (Debian's tmpfiles.d would otherwise empty the host's /tmp at boot).
	mount -t tmpfs -o mode=755,nosuid,nodev e2e-run "$ROOT/run"
	mount -t tmpfs -o mode=1777,nosuid,nodev e2e-tmp "$ROOT/tmp"
	# Configuration, written into the overlay only.
	echo "$NAME" >"$ROOT/etc/hostname"
	mkdir -p "$ROOT/etc/systemd/system" "$ROOT/etc/systemd/system.conf.d" "$ROOT/etc/systemd/journald.conf.d"
	for d in $MASKED; do ln -sfn /dev/null "$ROOT/etc/systemd/system/$d"; done
	# No core dumps from the watchdog's SIGABRT; a hung stop must not hold `down` for 90 s.
	printf '[Manager]\nDefaultLimitCORE=0\nDefaultTimeoutStopSec=10s\n' >"$ROOT/etc/systemd/system.conf.d/50-e2e.conf"
	# The journal in memory (it dies with the sandbox) and never rate-limited (tests read every record).
	printf '[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\n' >"$ROOT/etc/systemd/journald.conf.d/50-e2e.conf"
	# Switch roots and forget the host's.
	cd "$ROOT"
	mkdir -p .oldroot
	pivot_root . .oldroot
	umount -l /.oldroot
	rmdir /.oldroot
	# container= puts systemd in container mode: it leaves the clock, swap, loop/DM devices and the
	# kernel log alone and skips ConditionVirtualization=!container units.
	exec env -i container="$NAME" PATH=$PATH_IN LANG=C.UTF-8 TERM=vt220 \
		/lib/systemd/systemd --unit=basic.target systemd.show_status=1
}

# --- subcommands ------------------------------------------------------------------------------
wait_running() { # until systemctl is-system-running says running (or degraded), at most 60 s
	local i s=
	for i in $(seq 600); do
		is_up || { say "systemd died during boot"; return 1; }
		s=$(inside systemctl is-system-running 2>/dev/null) || true
		case "$s" in
		running) return 0 ;;
		degraded) say "warning: degraded:"; inside systemctl --failed --no-legend >&2 || true; return 0 ;;
		esac
		sleep 0.1
	done
	say "boot did not finish in 60 s (state: ${s:-unknown})"
	return 1
}

up() {
	[ "$(id -u)" = 0 ] || die "must run as root"
	if is_up; then
		say "already up (systemd is host pid $(pid_of "$STATE/systemd.pid"))"
		wait_running
		return
	fi
	cleanup                             # leftovers of a sandbox that died (SIGKILL, crash)
	# From here on a failure tears down whatever was started.
	trap 'say "ERROR: up failed; console tail:"; tail -n 30 "$STATE/console.log" | tr -d "\r" >&2; down; exit 1' ERR
	mkdir -p "$ROOT" "$STATE/ovl"
	cgroup_dirs >"$STATE/cgroups"
	xargs -r mkdir -p <"$STATE/cgroups"
	: >"$STATE/console.log"
	local t0 i upid= spid=
	t0=$(date +%s%N)
	# The launcher joins our cgroups and becomes `unshare`, whose child is PID 1 of the new
	# namespaces (--kill-child: if unshare dies, the sandbox dies).  setsid + `script` give it a pty
	# as its console, logged to console.log; no fd of ours (CI pipes, the lock) leaks into it.
	cat >"$STATE/launch.sh" <<-EOF
		while read -r d; do echo \$\$ >"\$d/cgroup.procs"; done <"$STATE/cgroups"
		echo \$\$ >"$STATE/unshare.pid.new"
		exec unshare --pid --fork --kill-child --mount --propagation private --net --uts --ipc --cgroup -- \\
			setpriv --bounding-set $DROP_CAPS -- bash "$SELF" __pid1
	EOF
	(
		for i in $(ls "/proc/$BASHPID/fd"); do [ "$i" -gt 2 ] && eval "exec $i>&-"; done
		exec setsid script -qfec "bash $STATE/launch.sh" "$STATE/console.log"
	) </dev/null >/dev/null 2>&1 &
	for i in $(seq 200); do            # unshare's child is systemd-to-be
		if [ -s "$STATE/unshare.pid.new" ]; then
			upid=$(cat "$STATE/unshare.pid.new")
			spid=$(awk '{print $1}' "/proc/$upid/task/$upid/children" 2>/dev/null || true)
			[ -n "$spid" ] && break
		fi
		sleep 0.05
	done
	[ -z "$upid" ] || remember "$upid" "$STATE/unshare.pid"   # so that a failure below can stop it
	[ -n "$spid" ] || false
	remember "$spid" "$STATE/systemd.pid"
	rm -f "$STATE/unshare.pid.new"
	for i in $(seq 200); do            # until the child has exec'd systemd
		is_up && break
		ours "$STATE/systemd.pid" || false
		sleep 0.05
	done
	wait_running
	trap - ERR
	say "up: systemd is host pid $spid, booted in $((($(date +%s%N) - t0) / 1000000)) ms"
}

cleanup() { # what a dead sandbox leaves on the host: pid files, cgroups, two empty mount points
	[ -d "$STATE" ] || return 0
	remove_cgroups
	rm -f "$STATE"/{systemd.pid,unshare.pid,unshare.pid.new,launch.sh,utab,utab.lock}
	rmdir "$ROOT" "$STATE/ovl" 2>/dev/null || true   # never rm -r: they are mount points
}

down() {
	local i
	if ! ours "$STATE/unshare.pid" && ! ours "$STATE/systemd.pid" && [ ! -e "$STATE/cgroups" ]; then
		cleanup
		say "already down"
		return 0
	fi
	if is_up; then                       # a clean poweroff: units stop, the journal is flushed
		timeout 10 nsenter -t "$(pid_of "$STATE/systemd.pid")" -a -r -w \
			env -i PATH=$PATH_IN systemctl poweroff --no-block >/dev/null 2>&1 || true
		for i in $(seq 300); do ours "$STATE/systemd.pid" || ours "$STATE/unshare.pid" || break; sleep 0.1; done
	fi
	# Fallback: SIGKILL to PID 1 of the namespace kills everything in it.  Only our recorded PIDs.
	if ours "$STATE/systemd.pid"; then say "poweroff timed out: SIGKILL"; kill -KILL "$(pid_of "$STATE/systemd.pid")" 2>/dev/null || true; fi
	for i in $(seq 50); do ours "$STATE/unshare.pid" || break; sleep 0.1; done
	if ours "$STATE/unshare.pid"; then kill -KILL "$(pid_of "$STATE/unshare.pid")" 2>/dev/null || true; sleep 0.2; fi
	cleanup
	say "down"
}

locked() { # up/down of one sandbox never run at the same time
	mkdir -p "$STATE"
	exec 9>"$STATE/lock"
	flock -w 120 9 || die "could not lock $STATE/lock"
	"$@"
}

case "${1:-}" in
__pid1) pid1 ;;
up) locked up ;;
down) if [ -d "$STATE" ]; then locked down; else say "already down"; fi ;;
status)
	if is_up; then echo "up: systemd is host pid $(pid_of "$STATE/systemd.pid"), $(inside systemctl is-system-running 2>/dev/null || true)"
	else echo down; exit 3; fi ;;
console) [ -f "$STATE/console.log" ] && tr -d '\r' <"$STATE/console.log" ;;
exec)
	shift
	[ $# -gt 0 ] || die "usage: $0 exec CMD [ARGS...]"
	is_up || die "the sandbox is not up"
	inside "$@" ;;
cp)
	[ $# -eq 3 ] || die "usage: $0 cp HOST_SRC SANDBOX_DST"
	is_up || die "the sandbox is not up"
	[ -f "$2" ] || die "$2: not a file"
	inside sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"' sh "$3" "$(stat -c %a "$2")" <"$2" ;;
*) sed -n '2,/^set -euo/p' "$SELF" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
