#!/usr/bin/env bash
# A throwaway Cyrus Murder on loopback, for gocyradm's integration tests: an mupdate master,
# two backends and one frontend, each a Cyrus instance of its own.
#
#   scripts/murder.sh install        install cyrus-murder if it is missing (idempotent)
#   scripts/murder.sh start DIR      install if need be, start a fresh Murder living in DIR,
#                                    wait until every instance answers, write DIR/env
#   scripts/murder.sh stop DIR       stop the Murder started in DIR (idempotent)
#
# DIR/env holds `export NAME=value` lines (GOCYRADM_TEST_MURDER_*). The frontend connects to a
# backend by its servername on port 143, and referrals name it the same way, so each instance
# has a loopback address of its own, named in /etc/hosts (lines are added, never removed). The
# first Murder on the machine uses 127.0.0.2-5 and mupdate.lab, backend1.lab, backend2.lab and
# frontend.lab; one started while it runs takes the next free slot (127.0.N.2-5, names ending
# in -N). Processes are only ever stopped through DIR's own pid files.
# shellcheck disable=SC2317 # functions called through arrays and traps
set -euo pipefail

CACHE=/var/cache/gocyradm
CYRUS_BIN=/usr/lib/cyrus/bin
POLICY=/usr/sbin/policy-rc.d
HOSTS=/etc/hosts
INSTANCES=(mupdate backend1 backend2 frontend)

# The Murder listens on loopback only and lives for one test run, so fixed passwords are fine
# and make a failure easy to reproduce by hand.
ADMIN="admin"
ADMIN_PASSWORD=adminsecret
MUPDATE_PASSWORD=mupdatesecret
PROXY_USER=mailproxy
PROXY_PASSWORD=proxysecret

MUPDATE_PORT=3905 # in the configuration's values: Debian's /etc/services names no mupdate
SLOTS=10
START_TIMEOUT=20
# Unix socket paths are limited to 108 bytes, and Cyrus puts sockets a few levels below DIR.
MAX_DIR_LEN=60

die() {
	echo "murder: $*" >&2
	exit 1
}

log() {
	echo "murder: $*" >&2
}

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# ---------------------------------------------------------------------------------------------
# install

installed() {
	dpkg-query -W -f='${Status}\n' cyrus-murder cyrus-imapd sasl2-bin 2>/dev/null |
		grep -c '^install ok installed$' | grep -qx 3
}

# Package maintainer scripts start their daemons through invoke-rc.d, which first asks
# /usr/sbin/policy-rc.d; exit status 101 means "action forbidden". An existing policy-rc.d
# (Docker images ship one) is put back afterwards. scripts/testservers.sh does the same, under
# the same lock.
block_service_starts() {
	if [[ -e $POLICY && ! -e $POLICY.gocyradm-saved ]]; then
		mv "$POLICY" "$POLICY.gocyradm-saved"
	fi
	printf '#!/bin/sh\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
}

unblock_service_starts() {
	rm -f "$POLICY"
	if [[ -e $POLICY.gocyradm-saved ]]; then
		mv "$POLICY.gocyradm-saved" "$POLICY"
	fi
}

# apt_quiet ARGS...: apt-get, showing its output only when it fails.
apt_quiet() {
	local out
	if ! out=$(DEBIAN_FRONTEND=noninteractive apt-get "$@" 2>&1); then
		echo "$out" >&2
		die "apt-get $* failed"
	fi
}

cmd_install() {
	(($# == 0)) || usage
	installed && return 0
	[[ $(id -u) == 0 ]] || die "installing cyrus-murder needs root"
	mkdir -p "$CACHE"
	# The lock scripts/testservers.sh install takes: apt and dpkg must not race.
	exec 9>"$CACHE/install.lock"
	flock -w 900 9 || die "timed out waiting for $CACHE/install.lock"
	if ! installed; then
		log "installing cyrus-murder"
		block_service_starts
		trap unblock_service_starts EXIT
		apt_quiet update -q
		apt_quiet install -y -q --no-install-recommends cyrus-murder cyrus-imapd sasl2-bin libsasl2-modules
		unblock_service_starts
		trap - EXIT
		# In case a package started its service anyway, stop it and keep it from starting at boot.
		service cyrus-imapd stop >/dev/null 2>&1 || true
		update-rc.d cyrus-imapd disable >/dev/null 2>&1 || true
	fi
	exec 9>&-
}

# ---------------------------------------------------------------------------------------------
# addresses and names

SUFFIX='' NET=''

# use_slot N: the names and addresses of slot N (see the header).
use_slot() {
	if (($1 == 0)); then
		SUFFIX='' NET=127.0.0
	else
		SUFFIX=-$1 NET=127.0.$1
	fi
}

# addr INSTANCE, name INSTANCE: the instance's loopback address and servername.
addr() {
	local i
	for i in "${!INSTANCES[@]}"; do
		[[ ${INSTANCES[i]} == "$1" ]] && echo "$NET.$((i + 2))" && return 0
	done
	die "unknown instance $1"
}

name() { echo "$1$SUFFIX.lab"; }

# slot_free: does nothing listen on the slot's addresses?
slot_free() {
	local inst
	for inst in "${INSTANCES[@]}"; do
		[[ -z $(ss -Htan "( src $(addr "$inst") )") ]] || return 1
	done
}

# pick_slot: takes the first free slot. The caller holds the start lock until its Murder listens.
pick_slot() {
	local n
	for ((n = 0; n < SLOTS; n++)); do
		use_slot "$n"
		slot_free && return 0
	done
	die "all $SLOTS Murder slots (127.0.N.2-5) are in use: stop a Murder first"
}

# add_hosts: adds the slot's lines to /etc/hosts unless they are there; refuses when one of its
# names already stands for another address.
add_hosts() {
	local inst line other
	for inst in "${INSTANCES[@]}"; do
		line="$(addr "$inst") $(name "$inst")"
		grep -qxF "$line" "$HOSTS" && continue
		other=$(grep -vxF "$line" "$HOSTS" | grep -E "[[:space:]]$(name "$inst" | sed 's/\./\\./g')([[:space:]]|$)" || true)
		[[ -z $other ]] || die "$HOSTS maps $(name "$inst") to another address ($other): remove that line"
		[[ -z $(tail -c1 "$HOSTS") ]] || echo >>"$HOSTS"
		echo "$line" >>"$HOSTS"
	done
}

# ---------------------------------------------------------------------------------------------
# processes

# pid_alive DIR/INSTANCE/run/NAME.pid: is the process named in the pid file running, and is it
# this instance's? Its command line must name DIR/INSTANCE/, for a stale pid file (after a
# reboot) may name an unrelated process that got the same number.
pid_alive() {
	local pidfile=$1 pid
	[[ -s $pidfile ]] || return 1
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "${pidfile%/run/*}/"
}

# alive PID...: is any of these processes still running (a zombie is not)?
alive() {
	local pid stat
	for pid in "$@"; do
		stat=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
		[[ $stat == Z* ]] || return 0
	done
	return 1
}

# stop_pids PIDFILE...: sends SIGTERM to the processes named in the pid files, then waits until
# they and their children are gone (after 10 s, SIGKILL). Pid files naming no live process are
# ignored.
stop_pids() {
	local pidfile pid pids=() i
	for pidfile in "$@"; do
		pid_alive "$pidfile" || continue
		pid=$(<"$pidfile")
		# shellcheck disable=SC2207 # pids are words
		pids+=("$pid" $(ps -o pid= --ppid "$pid" 2>/dev/null || true))
		kill -TERM "$pid" 2>/dev/null || true
	done
	((${#pids[@]})) || return 0
	for ((i = 0; i < 100; i++)); do
		alive "${pids[@]}" || return 0
		sleep 0.1
	done
	log "still running 10s after SIGTERM, killing: ${pids[*]}"
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

# stop_all DIR: stops the instances in the reverse order of their start, then the logger.
stop_all() {
	local dir=$1
	stop_pids "$dir/frontend/run/master.pid"
	stop_pids "$dir/backend1/run/master.pid" "$dir/backend2/run/master.pid"
	stop_pids "$dir/mupdate/run/master.pid"
	stop_pids "$dir/run/syslog.pid"
}

# ---------------------------------------------------------------------------------------------
# readiness

# greets HOST PORT PREFIX: does HOST:PORT send a line starting with PREFIX within 3 s?
greets() {
	local fd line found=1
	exec {fd}<>"/dev/tcp/$1/$2" || return 1
	while IFS= read -r -t 3 line <&"$fd"; do
		[[ $line == "$3"* ]] && found=0 && break
	done
	exec {fd}>&-
	return "$found"
}

# imap_admin HOST: do LOGIN and a LIST succeed for the admin on HOST:143?
imap_admin() {
	local fd line ok=0
	exec {fd}<>"/dev/tcp/$1/143" || return 1
	printf 'a LOGIN %s %s\r\nb LIST "" "*"\r\nz LOGOUT\r\n' "$ADMIN" "$ADMIN_PASSWORD" >&"$fd"
	while IFS= read -r -t 5 line <&"$fd"; do
		[[ $line == 'a OK '* || $line == 'b OK '* ]] && ((ok += 1))
		[[ $line == 'z '* ]] && break
	done
	exec {fd}>&-
	((ok == 2))
}

# wait_ready INSTANCE PORT PREFIX: waits up to START_TIMEOUT seconds until the instance greets
# on PORT; fails early when its master is gone.
wait_ready() {
	local inst=$1 pidfile=$INSTANCE/$1/run/master.pid start=$SECONDS
	until greets "$(addr "$inst")" "$2" "$3" 2>/dev/null; do
		if ! pid_alive "$pidfile" && ((SECONDS - start > 2)); then
			failed "$inst has no master process (it exited, or never wrote $pidfile)"
		elif ((SECONDS - start >= START_TIMEOUT)); then
			failed "$inst sends no greeting on $(addr "$inst"):$2 after ${START_TIMEOUT}s"
		fi
		sleep 0.1
	done
}

# failed WHY...: stops what was started (first, so that nothing is left running even if stderr
# is gone), reports the failure with the Murder's log, and exits.
failed() {
	sleep 0.5 # let the servers' last words reach the log
	stop_all "$INSTANCE"
	{
		echo "murder: the Murder did not start: $*"
		echo "---- $INSTANCE/murder.log"
		cat "$INSTANCE/murder.log" 2>/dev/null || echo "(no log)"
		echo "----"
	} >&2
	exit 1
}

# ---------------------------------------------------------------------------------------------
# logging

# Cyrus logs only through syslog(3), to /dev/log, and many machines running tests have no
# syslog daemon. As scripts/testservers.sh does, each master runs in a private mount namespace
# whose /dev is a small tmpfs with the usual devices plus a /dev/log that is the Murder's own
# socket, read by the Perl logger below into DIR/murder.log. Each instance's lines start with
# its name (syslog_prefix). The host's /dev is untouched.
# shellcheck disable=SC2016 # Perl code
SYSLOG_SINK='
use strict;
use IO::Socket::UNIX;
use Socket;
my ($path, $out) = @ARGV;
$0 = "murder syslog $out";
unlink $path;
my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "$path: $!\n";
chmod 0666, $path;
open(my $fh, ">>", $out) or die "$out: $!\n";
$fh->autoflush(1);
while (1) {
	defined($s->recv(my $m, 65536)) or next;
	$m =~ s/^<\d+>//;
	$m =~ s/\n*$/\n/;
	print $fh $m;
}'

# Run by bash inside the new mount namespace: ARGS are HOSTDEV SOCKET CMD...
# shellcheck disable=SC2016 # expanded by that bash
PRIVATE_DEV='
set -e
host=$1 sock=$2
shift 2
mount --rbind /dev "$host"
mount -t tmpfs -o mode=755,size=64k gocyradm-dev /dev
for n in null zero full random urandom tty; do
	[ -e "$host/$n" ] || continue
	touch "/dev/$n"
	mount --bind "$host/$n" "/dev/$n"
done
for d in shm pts; do
	[ -d "$host/$d" ] || continue
	mkdir "/dev/$d"
	mount --rbind "$host/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
ln -s fd/0 /dev/stdin
ln -s fd/1 /dev/stdout
ln -s fd/2 /dev/stderr
touch /dev/log
mount --bind "$sock" /dev/log
exec "$@"'

# start_syslog_sink: starts the logger; fails when no private /dev can be had (no permission
# for mount namespaces), and the masters then run without it.
start_syslog_sink() {
	local run=$INSTANCE/run i
	unshare --mount --propagation private true 2>/dev/null || return 1
	mkdir -p "$run"
	chown cyrus:mail "$run"
	# shellcheck disable=SC2094 # the logger appends its own errors to the log it writes
	setsid setpriv --reuid=cyrus --regid=mail --init-groups -- \
		perl -e "$SYSLOG_SINK" "$run/syslog" "$INSTANCE/murder.log" \
		</dev/null >/dev/null 2>>"$INSTANCE/murder.log" 8>&- 9>&- &
	echo $! >"$run/syslog.pid"
	for ((i = 0; i < 50; i++)); do
		[[ -S $run/syslog ]] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------------------------------------
# configuration

# common_conf INSTANCE: the imapd.conf lines every instance has.
common_conf() {
	local i=$INSTANCE/$1
	cat <<EOF
configdirectory: $i/conf
servername: $(name "$1")
syslog_prefix: $1
virtdomains: off
unixhierarchysep: no
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $i/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
idlesocket: $i/run/idle
notifysocket: $i/run/notify
lmtpsocket: $i/run/lmtp
sievedir: $i/sieve
EOF
}

# member_conf: the lines of backends and the frontend: how they reach the mupdate master, and
# the identity they use towards each other (XFER, proxying).
member_conf() {
	cat <<EOF
mupdate_server: $(name mupdate):$MUPDATE_PORT
mupdate_username: mupdate
mupdate_authname: mupdate
mupdate_password: $MUPDATE_PASSWORD
proxy_authname: $PROXY_USER
proxy_password: $PROXY_PASSWORD
EOF
}

# imapd_conf INSTANCE: the instance's whole imapd.conf. A backend is one because proxyservers is
# set; the frontend has none, and no partition.
imapd_conf() {
	local i=$INSTANCE/$1
	common_conf "$1"
	case $1 in
	mupdate)
		echo "admins: mupdate"
		;;
	backend*)
		member_conf
		cat <<EOF
admins: $ADMIN $PROXY_USER
proxyservers: $PROXY_USER
allowusermoves: yes
partition-default: $i/part
defaultpartition: default
delete_mode: immediate
EOF
		;;
	frontend)
		member_conf
		echo "admins: $ADMIN"
		echo "serverlist: $(name backend1) $(name backend2)"
		;;
	esac
}

# cyrus_conf INSTANCE: the services. Backends push their mailbox list to the master when they
# start; the frontend runs an mupdate slave beside its imapd.
cyrus_conf() {
	local i=$INSTANCE/$1 bin=$CYRUS_BIN a
	a=$(addr "$1")
	echo "START {"
	echo "  recover cmd=\"$bin/ctl_cyrusdb -C $i/imapd.conf -r\""
	[[ $1 != backend* ]] || echo "  mupdatepush cmd=\"$bin/ctl_mboxlist -C $i/imapd.conf -m\""
	echo "}"
	echo "SERVICES {"
	case $1 in
	mupdate)
		echo "  mupdate cmd=\"$bin/mupdate -m -C $i/imapd.conf\" listen=\"$a:$MUPDATE_PORT\" prefork=1"
		;;
	frontend)
		echo "  mupdate cmd=\"$bin/mupdate -C $i/imapd.conf\" listen=\"$a:$MUPDATE_PORT\" prefork=1"
		;;&
	backend* | frontend)
		echo "  imap cmd=\"$bin/imapd -C $i/imapd.conf\" listen=\"$a:143\" prefork=1 maxchild=50"
		;;
	esac
	echo "}"
	echo "EVENTS {"
	echo "}"
}

# sasl_users INSTANCE: the sasldb of the instance, in the realm of its servername (or every
# login fails with "authentication failure").
sasl_users() {
	local db=$INSTANCE/$1/sasldb2 realm
	realm=$(name "$1")
	case $1 in
	mupdate) echo "$MUPDATE_PASSWORD" | saslpasswd2 -p -c -u "$realm" -f "$db" mupdate ;;
	*)
		echo "$ADMIN_PASSWORD" | saslpasswd2 -p -c -u "$realm" -f "$db" "$ADMIN"
		echo "$PROXY_PASSWORD" | saslpasswd2 -p -c -u "$realm" -f "$db" "$PROXY_USER"
		;;
	esac
	chmod 640 "$db"
}

# ---------------------------------------------------------------------------------------------
# start

# start_instance INSTANCE: writes the instance's files and starts its master as cyrus:mail,
# with the capability to bind port 143 and nothing else of root's.
start_instance() {
	local inst=$1 i=$INSTANCE/$1
	mkdir -p "$i"/conf/{db,proc,socket,log,msg,user,quota,lock} "$i"/{part,sieve,run/hostdev}
	imapd_conf "$inst" >"$i/imapd.conf"
	cyrus_conf "$inst" >"$i/cyrus.conf"
	sasl_users "$inst"
	chown -R cyrus:mail "$i"
	local master=(setpriv --reuid=cyrus --regid=mail --init-groups
		--inh-caps=+net_bind_service --ambient-caps=+net_bind_service --
		"$CYRUS_BIN/master" -C "$i/imapd.conf" -M "$i/cyrus.conf" -p "$i/run/master.pid"
		-d -L "$INSTANCE/murder.log")
	if [[ -S $INSTANCE/run/syslog ]]; then
		master=(unshare --mount --propagation private --
			bash -c "$PRIVATE_DEV" private-dev "$i/run/hostdev" "$INSTANCE/run/syslog" "${master[@]}")
	fi
	"${master[@]}" </dev/null >>"$INSTANCE/murder.log" 2>&1 8>&- 9>&- ||
		failed "the master of $inst exited with an error"
}

cmd_start() {
	(($# == 1)) || usage
	[[ $(id -u) == 0 ]] || die "starting the Murder needs root (its masters switch to the cyrus user)"
	cmd_install
	mkdir -p "$1"
	chmod 755 "$1" # cyrus must be able to enter it
	INSTANCE=$(cd "$1" && pwd -P)
	[[ $INSTANCE =~ ^/[A-Za-z0-9_./+-]+$ ]] ||
		die "$INSTANCE: the configuration needs a path of letters, digits and _./+-"
	((${#INSTANCE} <= MAX_DIR_LEN)) ||
		die "$INSTANCE is too long (over $MAX_DIR_LEN characters) for the servers' unix sockets"
	local inst
	for inst in "${INSTANCES[@]}"; do
		! pid_alive "$INSTANCE/$inst/run/master.pid" ||
			die "a Murder is already running in $INSTANCE: stop it first"
	done
	rm -rf "$INSTANCE/env" "$INSTANCE/run" "${INSTANCES[@]/#/$INSTANCE/}" # every start is fresh
	: >"$INSTANCE/murder.log"
	chown cyrus:mail "$INSTANCE/murder.log"

	# Hold the start lock from picking the slot until the Murder listens on it. The servers are
	# started with the lock's descriptor closed, or they would hold the lock for their life.
	mkdir -p "$CACHE"
	exec 8>"$CACHE/murder.lock"
	flock -w 120 8 || die "timed out waiting for $CACHE/murder.lock"
	pick_slot
	add_hosts
	start_syslog_sink ||
		echo "(Cyrus's syslog messages are not captured here: no private mount namespace)" >>"$INSTANCE/murder.log"
	start_instance mupdate
	wait_ready mupdate "$MUPDATE_PORT" '* OK'
	start_instance backend1
	start_instance backend2
	wait_ready backend1 143 '* OK'
	wait_ready backend2 143 '* OK'
	start_instance frontend
	wait_ready frontend 143 '* OK'
	wait_ready frontend "$MUPDATE_PORT" '* OK'
	exec 8>&-
	for inst in backend1 backend2 frontend; do
		imap_admin "$(addr "$inst")" || failed "$ADMIN cannot log in to $inst and list its mailboxes"
	done
	write_env
}

write_env() {
	cat >"$INSTANCE/env.tmp" <<EOF
export GOCYRADM_TEST_MURDER=1
export GOCYRADM_TEST_MURDER_DIR=$INSTANCE
export GOCYRADM_TEST_MURDER_FRONTEND=$(name frontend):143
export GOCYRADM_TEST_MURDER_BACKEND1=$(name backend1):143
export GOCYRADM_TEST_MURDER_BACKEND2=$(name backend2):143
export GOCYRADM_TEST_MURDER_FRONTEND_NAME=$(name frontend)
export GOCYRADM_TEST_MURDER_BACKEND1_NAME=$(name backend1)
export GOCYRADM_TEST_MURDER_BACKEND2_NAME=$(name backend2)
export GOCYRADM_TEST_MURDER_ADMIN=$ADMIN
export GOCYRADM_TEST_MURDER_PASSWORD=$ADMIN_PASSWORD
EOF
	mv "$INSTANCE/env.tmp" "$INSTANCE/env"
}

cmd_stop() {
	(($# == 1)) || usage
	[[ -d $1 ]] || return 0
	# The same spelling of the directory as start used, for pid_alive.
	stop_all "$(cd "$1" && pwd -P)"
}

main() {
	local cmd=${1:-}
	shift || true
	case $cmd in
	install) cmd_install "$@" ;;
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	*) usage ;;
	esac
}

umask 022
# exit on the same line: bash reads a script while running it, so this keeps a running instance
# from reading on if the file is replaced meanwhile.
main "$@"; exit
