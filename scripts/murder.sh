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

PROG=murder
USAGE_END=15
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

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

# ---------------------------------------------------------------------------------------------
# install

# murder_installed: are the packages the Murder needs installed?
murder_installed() {
	installed cyrus-murder cyrus-imapd sasl2-bin
}

cmd_install() {
	(($# == 0)) || usage
	murder_installed && return 0
	[[ $(id -u) == 0 ]] || die "installing cyrus-murder needs root"
	# The lock scripts/testservers.sh install takes: apt and dpkg must not race.
	hold_install_lock
	if ! murder_installed; then
		log "installing cyrus-murder"
		apt_install cyrus-murder cyrus-imapd sasl2-bin libsasl2-modules
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

# failed WHY...: stops the Murder, reports the failure with its log, and exits.
failed() {
	fail_with_log "$INSTANCE/murder.log" "the Murder did not start: $*"
}

# ---------------------------------------------------------------------------------------------
# configuration

# common_conf INSTANCE: the imapd.conf lines every instance has.
common_conf() {
	cyrus_base_conf "$INSTANCE/$1" "PLAIN LOGIN"
	echo "servername: $(name "$1")"
	echo "syslog_prefix: $1"
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
	mupdate) sasl_user "$db" "$realm" mupdate "$MUPDATE_PASSWORD" ;;
	*)
		sasl_user "$db" "$realm" "$ADMIN" "$ADMIN_PASSWORD"
		sasl_user "$db" "$realm" "$PROXY_USER" "$PROXY_PASSWORD"
		;;
	esac
	chmod 640 "$db"
}

# ---------------------------------------------------------------------------------------------
# start

# start_instance INSTANCE: writes the instance's files and starts its master as cyrus:mail,
# with the capability to bind port 143 and nothing else of root's.
start_instance() {
	local inst=$1 i=$INSTANCE/$1 sock=
	make_cyrus_dirs "$i"
	imapd_conf "$inst" >"$i/imapd.conf"
	cyrus_conf "$inst" >"$i/cyrus.conf"
	sasl_users "$inst"
	chown -R cyrus:mail "$i"
	[[ ! -S $INSTANCE/run/syslog ]] || sock=$INSTANCE/run/syslog
	start_master "$i" "$INSTANCE/murder.log" "$sock" \
		--inh-caps=+net_bind_service --ambient-caps=+net_bind_service ||
		failed "the master of $inst exited with an error"
}

cmd_start() {
	(($# == 1)) || usage
	[[ $(id -u) == 0 ]] || die "starting the Murder needs root (its masters switch to the cyrus user)"
	cmd_install
	use_instance_dir "$1" "the configuration" "$MAX_DIR_LEN"
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
	hold_start_lock murder.lock
	pick_slot
	add_hosts
	# One logger for the whole Murder: every master's /dev/log is DIR/run/syslog, read into
	# DIR/murder.log, where each instance's lines start with its name (syslog_prefix).
	start_syslog_sink "$INSTANCE/run" "$INSTANCE/murder.log" || true
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
		imap_session "$(addr "$inst")" 143 "$ADMIN" "$ADMIN_PASSWORD" 'LIST "" "*"' ||
			failed "$ADMIN cannot log in to $inst and list its mailboxes"
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

umask 022
# exit on the same line: bash reads a script while running it, so this keeps a running instance
# from reading on if the file is replaced meanwhile.
main "$@"; exit
