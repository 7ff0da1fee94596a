# shellcheck shell=bash
# What scripts/testservers.sh and scripts/murder.sh share: messages, package installation,
# locks, pid files, readiness checks and the pieces of a Cyrus instance. Sourced, never run.
#
# The sourcing script sets, before sourcing:
#   PROG        the name its messages start with ("testservers: ...")
#   USAGE_END   the last line of its header comment, which usage prints

CACHE=/var/cache/gocyradm
CYRUS_BIN=/usr/lib/cyrus/bin
POLICY=/usr/sbin/policy-rc.d

die() {
	echo "${PROG:?}: $*" >&2
	exit 1
}

log() {
	echo "${PROG:?}: $*" >&2
}

# usage: prints the script's header comment (lines 2 to USAGE_END) and exits with status 2.
usage() {
	sed -n "2,${USAGE_END:?}p" "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# main CMD ARGS...: runs the script's cmd_install, cmd_start or cmd_stop.
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

# cmd_stop DIR: stops what was started in DIR, through the script's stop_all.
cmd_stop() {
	(($# == 1)) || usage
	[[ -d $1 ]] || return 0
	# The same spelling of the directory as start used, for pid_alive.
	stop_all "$(cd "$1" && pwd -P)"
}

# ---------------------------------------------------------------------------------------------
# install

# missing_packages PKG...: prints the packages that are not installed, one a line.
missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			echo "$p"
	done
}

# installed PKG...: are all these packages installed?
installed() {
	[[ -z $(missing_packages "$@") ]]
}

# Package maintainer scripts start their daemons through invoke-rc.d, which first asks
# /usr/sbin/policy-rc.d; exit status 101 means "action forbidden". Without it, installing
# cyrus-imapd and dovecot-core would start system daemons on ports 143, 993 and 4190.
# An existing policy-rc.d (Docker images ship one) is put back afterwards.
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

# apt_install PKG...: installs the packages (without recommends) with service starts blocked.
apt_install() {
	block_service_starts
	trap unblock_service_starts EXIT
	apt_quiet update -q
	apt_quiet install -y -q --no-install-recommends "$@"
	unblock_service_starts
	trap - EXIT
}

# ---------------------------------------------------------------------------------------------
# locks: servers are started with descriptors 8 and 9 closed, or they would hold a lock for
# their life.

# hold_install_lock: takes $CACHE/install.lock on descriptor 9, which both scripts take before
# running apt or dpkg, so that two installs never race. Released by closing descriptor 9.
hold_install_lock() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/install.lock"
	flock -w 900 9 || die "timed out waiting for $CACHE/install.lock"
}

# hold_start_lock NAME: takes $CACHE/NAME on descriptor 8, held from picking addresses until
# the servers listen on them. Released by closing descriptor 8.
hold_start_lock() {
	mkdir -p "$CACHE"
	exec 8>"$CACHE/$1"
	flock -w 120 8 || die "timed out waiting for $CACHE/$1"
}

# ---------------------------------------------------------------------------------------------
# instance directories and processes

# use_instance_dir DIR WHAT MAXLEN: creates DIR, open to the servers' users, and sets INSTANCE
# to its physical path; dies when WHAT (the configuration) cannot hold that path, or when it is
# longer than MAXLEN (unix socket paths are limited to 108 bytes, and sockets live below DIR).
use_instance_dir() {
	mkdir -p "$1"
	chmod 755 "$1" # the servers' users must be able to enter it
	INSTANCE=$(cd "$1" && pwd -P)
	[[ $INSTANCE =~ ^/[A-Za-z0-9_./+-]+$ ]] ||
		die "$INSTANCE: $2 needs a path of letters, digits and _./+-"
	((${#INSTANCE} <= $3)) ||
		die "$INSTANCE is too long (over $3 characters) for the servers' unix sockets"
}

# pid_alive DIR/SERVER/run/NAME.pid: is the process named in the pid file running, and is it
# this instance's? Its command line must name DIR/SERVER/, for a stale pid file (after a reboot)
# may name an unrelated process that got the same number.
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
# they and their children are gone (after 10 s, SIGKILL). A master stops its own children.
# Pid files naming no live process are ignored.
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

# fail_with_log LOGFILE WHY...: stops what was started in INSTANCE through the script's stop_all
# (first, so that nothing is left running even if stderr is gone), reports WHY with the contents
# of LOGFILE, and exits with status 1.
fail_with_log() {
	local logfile=$1
	shift
	sleep 0.5 # let the servers' last words reach the log
	stop_all "$INSTANCE"
	{
		echo "$PROG: $*"
		echo "---- $logfile"
		cat "$logfile" 2>/dev/null || echo "(no log)"
		echo "----"
	} >&2
	exit 1
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

# imap_session HOST PORT USER PASSWORD [COMMAND...]: do LOGIN and each COMMAND succeed on
# HOST:PORT (plain IMAP)? This proves the whole stack: authentication, and for Dovecot the mail
# process and its plugins (which, when they fail, still answer "OK Logged in, but
# initialization failed").
imap_session() {
	local host=$1 port=$2 user=$3 pass=$4 fd line i ok=0
	shift 4
	exec {fd}<>"/dev/tcp/$host/$port" || return 1
	{
		printf 'a LOGIN %s %s\r\n' "$user" "$pass"
		for ((i = 1; i <= $#; i++)); do
			printf 'c%d %s\r\n' "$i" "${!i}"
		done
		printf 'z LOGOUT\r\n'
	} >&"$fd"
	while IFS= read -r -t 5 line <&"$fd"; do
		line=${line%$'\r'}
		[[ $line == 'a OK '* && $line != *'initialization failed'* ]] && ((ok += 1))
		[[ $line == c[0-9]*' OK '* ]] && ((ok += 1))
		[[ $line == 'z '* ]] && break
	done
	exec {fd}>&-
	((ok == $# + 1))
}

# ---------------------------------------------------------------------------------------------
# Cyrus instances

# make_cyrus_dirs DIR: the directories of a Cyrus instance living in DIR: its configuration
# directory laid out as Cyrus's own makedirs script does, a partition, sieve scripts, and run/
# for the pid files and sockets (run/hostdev: see PRIVATE_DEV).
make_cyrus_dirs() {
	mkdir -p "$1"/conf/{db,proc,socket,log,msg,user,quota,lock} "$1"/{part,run/hostdev,sieve}
}

# cyrus_base_conf DIR MECHS: the imapd.conf lines every instance living in DIR has, with
# sasl_mech_list MECHS; users are checked against DIR/sasldb2.
cyrus_base_conf() {
	local c=$1
	cat <<EOF
configdirectory: $c/conf
virtdomains: off
unixhierarchysep: no
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $c/sasldb2
sasl_mech_list: $2
allowplaintext: yes
idlesocket: $c/run/idle
notifysocket: $c/run/notify
lmtpsocket: $c/run/lmtp
sievedir: $c/sieve
EOF
}

# sasl_user SASLDB REALM USER PASSWORD. REALM must equal the instance's servername, or every
# login fails with "authentication failure".
sasl_user() {
	echo "$4" | saslpasswd2 -p -c -u "$2" -f "$1" "$3"
}

# Cyrus logs only through syslog(3), to /dev/log, and many machines running tests have no
# syslog daemon at all. To give each instance its own log file, a master runs in a private
# mount namespace whose /dev is a small tmpfs with the usual devices plus a /dev/log that is
# the instance's own socket, read by the Perl logger below into its log file. The host's /dev is
# untouched. The logger's command line reads "PROG syslog LOGFILE".
# shellcheck disable=SC2016 # Perl code
SYSLOG_SINK='
use strict;
use IO::Socket::UNIX;
use Socket;
my ($prog, $path, $out) = @ARGV;
$0 = "$prog syslog $out";
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

# start_syslog_sink RUNDIR LOGFILE: starts the logger, as cyrus, on the socket RUNDIR/syslog
# (its pid in RUNDIR/syslog.pid). Fails, with a note in LOGFILE, when no private /dev can be had
# (no permission for mount namespaces): masters then run without it.
start_syslog_sink() {
	local run=$1 logfile=$2 i
	if unshare --mount --propagation private true 2>/dev/null; then
		mkdir -p "$run"
		chown cyrus:mail "$run"
		# shellcheck disable=SC2094 # the logger appends its own errors to the log it writes
		setsid setpriv --reuid=cyrus --regid=mail --init-groups -- \
			perl -e "$SYSLOG_SINK" "$PROG" "$run/syslog" "$logfile" \
			</dev/null >/dev/null 2>>"$logfile" 8>&- 9>&- &
		echo $! >"$run/syslog.pid"
		for ((i = 0; i < 50; i++)); do
			[[ -S $run/syslog ]] && return 0
			sleep 0.1
		done
	fi
	echo "(Cyrus's syslog messages are not captured here: no private mount namespace)" >>"$logfile"
	return 1
}

# start_master DIR LOGFILE SOCKET [SETPRIV-OPTION...]: starts the master of the Cyrus instance
# in DIR (DIR/imapd.conf, DIR/cyrus.conf, pid in DIR/run/master.pid), which daemonises itself;
# fails when it exits with an error. Every file of an instance belongs to cyrus, so the master
# runs as cyrus; setpriv execs it directly (su would stay around as its parent). -L and the
# redirections send its output to LOGFILE. With SOCKET, a syslog sink's, the master runs with a
# private /dev whose /dev/log is SOCKET.
start_master() {
	local dir=$1 logfile=$2 sock=$3
	shift 3
	local master=(setpriv --reuid=cyrus --regid=mail --init-groups "$@" --
		"$CYRUS_BIN/master" -C "$dir/imapd.conf" -M "$dir/cyrus.conf" -p "$dir/run/master.pid"
		-d -L "$logfile")
	if [[ -n $sock ]]; then
		master=(unshare --mount --propagation private --
			bash -c "$PRIVATE_DEV" private-dev "$dir/run/hostdev" "$sock" "${master[@]}")
	fi
	"${master[@]}" </dev/null >>"$logfile" 2>&1 8>&- 9>&-
}
