#!/usr/bin/env bash
# Throwaway Cyrus IMAP and Dovecot servers on loopback, for gocyradm's integration tests.
#
#   scripts/testservers.sh install                    install the servers (idempotent)
#   scripts/testservers.sh start DIR [cyrus|dovecot|all]
#                                                     start fresh servers living in DIR, wait
#                                                     until they answer, write DIR/env
#   scripts/testservers.sh stop DIR                   stop the servers started in DIR (idempotent)
#
# DIR/env holds `export NAME=value` lines (GOCYRADM_TEST_*) for the servers started.
# Each instance lives entirely inside its DIR and listens on free loopback ports, so several
# instances can run side by side. Processes are only ever stopped through DIR's own pid files.
# shellcheck disable=SC2317 # the readiness checks are called through an array
set -euo pipefail

PROG=testservers
USAGE_END=12
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(cyrus-imapd cyrus-common cyrus-admin sasl2-bin libsasl2-modules openssl dovecot-core)

# Dovecot's IMAP server, unpacked privately (see install_dovecot_imap) into a directory per
# version, so that unpacking a new version never pulls the files from under a running instance.
DOVECOT_ROOT='' DOVECOT_LIBEXEC='' DOVECOT_MODULES=''
set_dovecot_dirs() {
	local version
	version=$(dpkg-query -W -f='${Version}' dovecot-core 2>/dev/null) || version=none
	DOVECOT_ROOT=$CACHE/dovecot-imapd-${version//[^A-Za-z0-9.+~-]/_}
	DOVECOT_LIBEXEC=$DOVECOT_ROOT/usr/lib/dovecot
	DOVECOT_MODULES=$DOVECOT_ROOT/modules
}

ADMIN="admin"
USERS=(alice bob)
# The servers listen on loopback only and live for one test run, so fixed passwords are fine
# and make a failure easy to reproduce by hand.
ADMIN_PASSWORD=adminsecret
USER_PASSWORD=usersecret

# Ports are picked below Linux's ephemeral range (32768 and up), so that outgoing connections,
# the tests' own included, never take a port between its pick and the server's bind.
PORT_MIN=20000
PORT_MAX=32000
START_TIMEOUT=20
# Unix socket paths are limited to 108 bytes, and both servers put sockets a few levels below DIR.
MAX_DIR_LEN=70

# ---------------------------------------------------------------------------------------------
# install

# In case a package started its service anyway (no policy layer, or a unit started by other
# means), stop it and keep it from starting at boot. Only services installed here are touched.
stop_system_services() {
	local svc
	for svc in "$@"; do
		service "$svc" stop >/dev/null 2>&1 || true
		update-rc.d "$svc" disable >/dev/null 2>&1 || true
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	done
}

install_packages() {
	local missing
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	apt_install "${missing[@]}"
	stop_system_services cyrus-imapd dovecot
}

dovecot_imap_current() {
	set_dovecot_dirs
	[[ -x $DOVECOT_LIBEXEC/imap && -d $DOVECOT_MODULES ]]
}

# Debian's dovecot-imapd conflicts with cyrus-imapd (both provide imap-server): apt installs
# only one of them. So Dovecot's IMAP binaries and its ACL/quota IMAP plugins are unpacked with
# dpkg -x into $CACHE, out of dpkg's view, and each Dovecot instance is pointed at them. The
# version must be dovecot-core's exactly: Dovecot refuses plugins built for another version.
install_dovecot_imap() {
	dovecot_imap_current && return 0
	local version tmp=$DOVECOT_ROOT.tmp
	version=$(dpkg-query -W -f='${Version}' dovecot-core)
	log "unpacking dovecot-imapd $version into $DOVECOT_ROOT"
	rm -rf "$tmp"
	mkdir -p "$tmp/deb"
	# apt downloads as its unprivileged _apt user, which must be able to write here.
	chown _apt "$tmp/deb" 2>/dev/null || true
	if ! (cd "$tmp/deb" && apt-get download -q "dovecot-imapd=$version" >/dev/null 2>&1); then
		apt_quiet update -q
		(cd "$tmp/deb" && apt_quiet download -q "dovecot-imapd=$version")
	fi
	dpkg -x "$tmp"/deb/dovecot-imapd_*.deb "$tmp"
	rm -rf "$tmp/deb"
	# Dovecot loads plugins from a single mail_plugin_dir: give it the installed modules plus
	# the unpacked IMAP ones.
	mkdir "$tmp/modules"
	local f
	for f in /usr/lib/dovecot/modules/* "$tmp"/usr/lib/dovecot/modules/*; do
		ln -sfn "${f/#"$tmp"/"$DOVECOT_ROOT"}" "$tmp/modules/"
	done
	rm -rf "$DOVECOT_ROOT"
	mv "$tmp" "$DOVECOT_ROOT"
}

cmd_install() {
	(($# == 0)) || usage
	if installed "${PACKAGES[@]}" && dovecot_imap_current; then
		return 0
	fi
	[[ $(id -u) == 0 ]] || die "installing the test servers needs root"
	# Two test runs may install at the same time: apt and dpkg -x must not race.
	hold_install_lock
	install_packages
	install_dovecot_imap
	exec 9>&-
}

# ---------------------------------------------------------------------------------------------
# processes

# stop_all DIR: stops the servers of the instance in DIR, then Cyrus's logger.
stop_all() {
	stop_pids "$1/cyrus/run/master.pid" "$1/dovecot/run/master.pid"
	stop_pids "$1/cyrus/run/syslog.pid"
}

# ---------------------------------------------------------------------------------------------
# ports and readiness

# port_in_use PORT: is anything bound to PORT on loopback (in any TCP state)?
port_in_use() {
	if command -v ss >/dev/null; then
		[[ -n $(ss -Htan "( sport = :$1 )") ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}

PICKED=()
# Set by pick_port.
CYRUS_PORT='' CYRUS_TLS_PORT='' DOVECOT_PORT='' DOVECOT_TLS_PORT=''

# pick_port VAR: sets VAR to a free port not yet handed out by this run. The caller holds the
# start lock until its servers listen, so parallel instances cannot pick the same port.
pick_port() {
	local -n out=$1
	local i p
	for ((i = 0; i < 200; i++)); do
		p=$((PORT_MIN + RANDOM % (PORT_MAX - PORT_MIN)))
		[[ " ${PICKED[*]} " == *" $p "* ]] && continue
		port_in_use "$p" && continue
		PICKED+=("$p")
		out=$p
		return 0
	done
	die "no free port found between $PORT_MIN and $PORT_MAX"
}

# listener_pids PORT: the pids of the processes listening on PORT (empty without ss).
listener_pids() {
	command -v ss >/dev/null || return 0
	ss -Htlnp "( sport = :$1 )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}

# listens_for PIDFILE PORT: does the master named in PIDFILE (or a child of it) listen on PORT?
# Without ss there is no telling: then yes.
listens_for() {
	local master pid
	command -v ss >/dev/null || return 0
	master=$(<"$1")
	for pid in $(listener_pids "$2"); do
		[[ $pid == "$master" || $(ps -o ppid= -p "$pid" | tr -d ' ') == "$master" ]] && return 0
	done
	return 1
}

# describe_listeners PORT: "pid 123 (name) ..." for whatever listens on PORT.
describe_listeners() {
	local pid out=
	for pid in $(listener_pids "$1"); do
		out+="pid $pid ($(ps -o comm= -p "$pid")) "
	done
	echo "${out:-nothing}"
}

# tls_greeting PORT CAFILE: does PORT complete a TLS handshake verified against CAFILE for the
# name localhost, and then answer with an IMAP greeting?
tls_greeting() {
	local out
	out=$(printf 'a LOGOUT\r\n' | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" \
		-servername localhost -verify_hostname localhost -CAfile "$2" -verify_return_error \
		2>/dev/null) || true
	[[ $out == '* OK'* ]]
}

# wait_ready NAME PIDFILE LOGFILE PORT [CAFILE]: waits up to START_TIMEOUT seconds until PORT
# greets (over TLS when CAFILE is given), then checks that it is this server that answered.
# Fails early when the server's master is gone.
wait_ready() {
	local name=$1 pidfile=$2 logfile=$3 port=$4 cafile=${5:-} start=$SECONDS
	local check=(greets 127.0.0.1 "$port" '* OK')
	[[ -z $cafile ]] || check=(tls_greeting "$port" "$cafile")
	until "${check[@]}" 2>/dev/null; do
		if [[ -s $pidfile ]] && ! pid_alive "$pidfile"; then
			server_failed "$name" "$logfile" "its master process exited"
		elif [[ ! -s $pidfile ]] && ((SECONDS - start > 5)); then
			server_failed "$name" "$logfile" "no master process (no $pidfile)"
		elif ((SECONDS - start >= 2)) && [[ -n $(listener_pids "$port") ]] &&
			! listens_for "$pidfile" "$port"; then
			server_failed "$name" "$logfile" \
				"port $port was taken by another process: $(describe_listeners "$port")"
		elif ((SECONDS - start >= START_TIMEOUT)); then
			server_failed "$name" "$logfile" "no greeting on port $port after ${START_TIMEOUT}s;" \
				"listening there: $(describe_listeners "$port")"
		fi
		sleep 0.1
	done
	listens_for "$pidfile" "$port" || server_failed "$name" "$logfile" \
		"port $port was taken by another process: $(describe_listeners "$port")"
}

# server_failed NAME LOGFILE WHY...: stops what was started in the instance directory, reports
# the failure with the server's log, and exits.
server_failed() {
	fail_with_log "$2" "$1 did not start: ${*:3}"
}

# ---------------------------------------------------------------------------------------------
# TLS

# make_tls DIR: a private CA and a server certificate for localhost and 127.0.0.1, in DIR/tls.
# Clients trust the CA with --cafile; without it, verification must fail. Also a client
# certificate for the admin (see make_client_cert).
make_tls() {
	local tls=$1/tls
	[[ -s $tls/server.pem && -s $tls/$ADMIN-client.pem ]] && return 0
	mkdir -p "$tls"
	(
		cd "$tls"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
			-subj "/CN=gocyradm test CA" -keyout ca.key -out ca.pem \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=localhost" -keyout server.key -out server.csr
		printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
			'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
			-extfile server.ext -out server.pem
		make_client_cert "$ADMIN"
		rm -f server.csr server.ext ca.srl
		chmod 600 ca.key
		chmod 640 server.key
		chmod 644 ca.pem server.pem
	) >"$tls/openssl.log" 2>&1 || {
		cat "$tls/openssl.log" >&2
		die "could not make TLS certificates in $tls"
	}
	rm -f "$tls/openssl.log"
	# Cyrus reads the server key as the cyrus user; Dovecot reads it as root.
	chown -R cyrus:mail "$tls" 2>/dev/null || true
}

# make_client_cert USER, run in the TLS directory after the CA: USER-client.pem holds a client
# certificate signed by the CA and its key, for SASL EXTERNAL. Cyrus takes the identity from
# the certificate's common name.
make_client_cert() {
	local user=$1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$user" -keyout "$user-client.key" -out "$user-client.csr"
	printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=clientAuth' >"$user-client.ext"
	openssl x509 -req -in "$user-client.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
		-extfile "$user-client.ext" -out "$user-client.crt"
	cat "$user-client.crt" "$user-client.key" >"$user-client.pem"
	rm -f "$user-client".{csr,ext,crt,key}
	chmod 600 "$user-client.pem"
}

# ---------------------------------------------------------------------------------------------
# Cyrus IMAP

# delete_mode: immediate differs from Cyrus's default (delayed), under which a deleted mailbox is
# renamed to DELETED.<name>.<hex time>: admins then see it in LIST, and deleting the same name
# twice within one second fails with "Mailbox already exists". Tests need neither.
cyrus_imapd_conf() {
	local c=$1 tls=$2
	cyrus_base_conf "$c" "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 EXTERNAL"
	cat <<EOF
partition-default: $c/part
defaultpartition: default
servername: localhost
admins: $ADMIN
proxyservers: $ADMIN
tls_server_cert: $tls/server.pem
tls_server_key: $tls/server.key
tls_client_ca_file: $tls/ca.pem
tls_client_certs: optional
delete_mode: immediate
EOF
}

cyrus_conf() {
	local c=$1 port=$2 tlsport=$3 bin=$CYRUS_BIN
	cat <<EOF
START {
  recover cmd="$bin/ctl_cyrusdb -C $c/imapd.conf -r"
}
SERVICES {
  imap  cmd="$bin/imapd -C $c/imapd.conf" listen="127.0.0.1:$port" prefork=1 maxchild=50
  imaps cmd="$bin/imapd -s -C $c/imapd.conf" listen="127.0.0.1:$tlsport" prefork=1 maxchild=50
}
EVENTS {
}
EOF
}

start_cyrus() {
	local dir=$1 c=$1/cyrus u
	pick_port CYRUS_PORT
	pick_port CYRUS_TLS_PORT
	rm -rf "$c" # every start is a fresh server
	make_cyrus_dirs "$c"
	cyrus_imapd_conf "$c" "$dir/tls" >"$c/imapd.conf"
	cyrus_conf "$c" "$CYRUS_PORT" "$CYRUS_TLS_PORT" >"$c/cyrus.conf"
	sasl_user "$c/sasldb2" localhost "$ADMIN" "$ADMIN_PASSWORD"
	for u in "${USERS[@]}"; do
		sasl_user "$c/sasldb2" localhost "$u" "$USER_PASSWORD"
	done
	chmod 640 "$c/sasldb2"
	: >"$c/cyrus.log"
	chown -R cyrus:mail "$c"

	local sock=
	if start_syslog_sink "$c/run" "$c/cyrus.log"; then
		sock=$c/run/syslog
	fi
	start_master "$c" "$c/cyrus.log" "$sock" ||
		server_failed cyrus "$c/cyrus.log" "the master exited with an error"
	wait_ready cyrus "$c/run/master.pid" "$c/cyrus.log" "$CYRUS_PORT"
	wait_ready cyrus "$c/run/master.pid" "$c/cyrus.log" "$CYRUS_TLS_PORT" "$dir/tls/ca.pem"
	imap_session 127.0.0.1 "$CYRUS_PORT" "$ADMIN" "$ADMIN_PASSWORD" 'LIST "" ""' ||
		server_failed cyrus "$c/cyrus.log" "$ADMIN cannot log in"
}

cyrus_env() {
	local dir=$1
	cat <<EOF
export GOCYRADM_TEST_CYRUS=127.0.0.1:$CYRUS_PORT
export GOCYRADM_TEST_CYRUS_TLS=127.0.0.1:$CYRUS_TLS_PORT
export GOCYRADM_TEST_CYRUS_ADMIN=$ADMIN
export GOCYRADM_TEST_CYRUS_PASSWORD=$ADMIN_PASSWORD
export GOCYRADM_TEST_CYRUS_USERS="${USERS[*]}"
export GOCYRADM_TEST_CLIENT_CERT=$dir/tls/$ADMIN-client.pem
EOF
}

# ---------------------------------------------------------------------------------------------
# Dovecot

dovecot_conf() {
	local d=$1 tls=$2 port=$3 tlsport=$4 x=$DOVECOT_LIBEXEC
	cat <<EOF
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = nobody
default_login_user = nobody
default_internal_group = nogroup

passdb {
  driver = passwd-file
  args = $d/users
}
userdb {
  driver = passwd-file
  args = $d/users
}

mail_location = maildir:~/Maildir
mail_uid = 1000
mail_gid = 1000
first_valid_uid = 1000
mail_plugin_dir = $DOVECOT_MODULES
mail_plugins = acl quota
mail_attribute_dict = file:%h/dovecot-attributes

namespace inbox {
  inbox = yes
  separator = /
}

protocol imap {
  mail_plugins = \$mail_plugins imap_acl imap_quota
  imap_metadata = yes
}

plugin {
  acl = vfile
  quota = count:User quota
  quota_rule = *:storage=1G
  quota_vsizes = yes
}

# Dovecot's IMAP binaries are not installed system-wide (see install_dovecot_imap).
service imap-login {
  executable = $x/imap-login
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tlsport
    ssl = yes
  }
}
service imap {
  executable = $x/imap
}
service imap-hibernate {
  executable = $x/imap-hibernate
}
service imap-urlauth {
  executable = $x/imap-urlauth
}
service imap-urlauth-login {
  executable = $x/imap-urlauth-login
}
service imap-urlauth-worker {
  executable = $x/imap-urlauth-worker
}
EOF
}

start_dovecot() {
	local dir=$1 d=$1/dovecot u
	dovecot_imap_current || die "Dovecot's IMAP server is missing: run $0 install"
	pick_port DOVECOT_PORT
	pick_port DOVECOT_TLS_PORT
	rm -rf "$d" # every start is a fresh server
	mkdir -p "$d"/{run,state,mail}
	# Mail processes run as uid 1000 and create each user's home under mail/.
	chown 1000:1000 "$d/mail"
	for u in "${USERS[@]}"; do
		echo "$u:{PLAIN}$USER_PASSWORD:1000:1000::$d/mail/$u"
	done >"$d/users"
	dovecot_conf "$d" "$dir/tls" "$DOVECOT_PORT" "$DOVECOT_TLS_PORT" >"$d/dovecot.conf"
	: >"$d/dovecot.log"
	if ! dovecot -c "$d/dovecot.conf" </dev/null >>"$d/dovecot.log" 2>&1 8>&- 9>&-; then
		server_failed dovecot "$d/dovecot.log" "dovecot exited with an error"
	fi
	wait_ready dovecot "$d/run/master.pid" "$d/dovecot.log" "$DOVECOT_PORT"
	wait_ready dovecot "$d/run/master.pid" "$d/dovecot.log" "$DOVECOT_TLS_PORT" "$dir/tls/ca.pem"
	imap_session 127.0.0.1 "$DOVECOT_PORT" "${USERS[0]}" "$USER_PASSWORD" \
		'GETACL INBOX' 'GETQUOTAROOT INBOX' 'GETMETADATA INBOX (/private/comment)' ||
		server_failed dovecot "$d/dovecot.log" \
			"${USERS[0]} cannot log in, or the ACL, QUOTA or METADATA extension fails"
}

dovecot_env() {
	cat <<EOF
export GOCYRADM_TEST_DOVECOT=127.0.0.1:$DOVECOT_PORT
export GOCYRADM_TEST_DOVECOT_TLS=127.0.0.1:$DOVECOT_TLS_PORT
export GOCYRADM_TEST_DOVECOT_USERS="${USERS[*]}"
EOF
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_start() {
	(($# >= 1 && $# <= 2)) || usage
	local which=${2:-all}
	case $which in
	cyrus | dovecot | all) ;;
	*) usage ;;
	esac
	[[ $(id -u) == 0 ]] || die "starting the test servers needs root (they switch to their own users)"
	if ! command -v dovecot >/dev/null || [[ ! -x $CYRUS_BIN/master ]]; then
		die "the servers are not installed: run $0 install"
	fi
	use_instance_dir "$1" "the servers' configuration" "$MAX_DIR_LEN" # cyrus, nobody, uid 1000
	if pid_alive "$INSTANCE/cyrus/run/master.pid" || pid_alive "$INSTANCE/dovecot/run/master.pid"; then
		die "servers are already running in $INSTANCE: stop them first"
	fi
	rm -f "$INSTANCE/env"
	make_tls "$INSTANCE"

	# Hold the start lock from picking the ports until the servers listen on them. The servers
	# are started with the lock's descriptor closed, or they would hold the lock for their life.
	hold_start_lock start.lock
	[[ $which == dovecot ]] || start_cyrus "$INSTANCE"
	[[ $which == cyrus ]] || start_dovecot "$INSTANCE"
	exec 8>&-

	write_env "$INSTANCE" "$which"
}

write_env() {
	local dir=$1 which=$2
	{
		echo "export GOCYRADM_TEST_SERVERS=1"
		echo "export GOCYRADM_TEST_DIR=$dir"
		echo "export GOCYRADM_TEST_CAFILE=$dir/tls/ca.pem"
		echo "export GOCYRADM_TEST_USER_PASSWORD=$USER_PASSWORD"
		[[ $which == dovecot ]] || cyrus_env "$dir"
		[[ $which == cyrus ]] || dovecot_env
	} >"$dir/env.tmp"
	mv "$dir/env.tmp" "$dir/env"
}

umask 022
# exit on the same line: bash reads a script while running it, so this keeps a running instance
# from reading on if the file is replaced meanwhile.
main "$@"; exit
