# service.bash: start and stop real services on loopback for a suite.
#
#   load lib/service
#   setup_file()    { service_start NAME CMD ARGS... ; }   # $PORT is free
#   teardown_file() { service_stop_all; }
#
# service_port picks a free loopback port; service_start runs the command
# in the background with its output in $SERVICE_DIR/NAME.log, records the
# pid, and waits until the port accepts connections (or fails with the
# log).  Services are stopped by pid at teardown and on EXIT, and their
# logs are kept under $SOCA_KEEP_LOGS when that is set, and printed when
# the start fails.

: "${SERVICE_DIR:=${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/services}"
mkdir -p "$SERVICE_DIR"

service_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# service_wait_port PORT [SECONDS]: until something listens on PORT
service_wait_port() {
	local port=$1 tries=$(( ${2:-10} * 20 ))
	while (( tries-- > 0 )); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# service_start NAME PORT CMD [ARGS...]
service_start() {
	local name=$1 port=$2
	shift 2
	"$@" >"$SERVICE_DIR/$name.log" 2>&1 &
	echo $! >"$SERVICE_DIR/$name.pid"
	if ! service_wait_port "$port" 20; then
		echo "service $name did not start on port $port; its log:" >&2
		cat "$SERVICE_DIR/$name.log" >&2
		service_stop "$name"
		return 1
	fi
}

service_stop() {
	local name=$1 pidf="$SERVICE_DIR/$1.pid" pid
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidf"
	if [ -n "${SOCA_KEEP_LOGS:-}" ]; then
		mkdir -p "$SOCA_KEEP_LOGS"
		cp "$SERVICE_DIR/$name.log" "$SOCA_KEEP_LOGS/" 2>/dev/null
	fi
	return 0
}

service_stop_all() {
	local f
	for f in "$SERVICE_DIR"/*.pid; do
		[ -e "$f" ] || continue
		service_stop "$(basename "$f" .pid)"
	done
}
