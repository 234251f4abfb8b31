# awsim.bash: run tests/awsim (the local AWS endpoint) for a bats suite.
#
#   load lib/helper
#   load lib/awsim
#   setup_file()    { awsim_start; }      # once per file: exports below
#   teardown_file() { awsim_stop; }
#   setup()         { soca_test_env; awsim_reset; }
#
# awsim_start picks a free loopback port (service.bash), starts awsim and
# points every AWS client at it: AWSIM_URL, AWS_ENDPOINT_URL, the test
# credentials, region us-east-1, IMDS at AWSIM_URL, and no shared config
# or credentials files.  awsim_ctl METHOD PATH [JSON] talks to the control
# endpoint (/_awsim/...) and prints its JSON answer; awsim_calls OP
# prints how many calls reached OP (e.g. ec2:RunInstances); awsim_requests
# OP prints the parameters each recent call of OP was validated with.

load "${BATS_TEST_DIRNAME}/lib/service"

AWSIM="${SOCA_SRCDIR:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}/tests/awsim/awsim"

awsim_env() {
	export AWSIM_URL="http://127.0.0.1:$AWSIM_PORT"
	export AWS_ENDPOINT_URL="$AWSIM_URL"
	export AWS_ACCESS_KEY_ID=AKIDSOCATEST
	export AWS_SECRET_ACCESS_KEY='soca/test/secret+key'
	export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
	export AWS_EC2_METADATA_SERVICE_ENDPOINT="$AWSIM_URL/"
	export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3
	export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
	export no_proxy="$NO_PROXY"
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN \
	    AWS_SECURITY_TOKEN AWS_EC2_METADATA_DISABLED \
	    AWS_CA_BUNDLE AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
	    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI
	local v
	for v in $(compgen -e AWS_ENDPOINT_URL_); do
		unset "$v"
	done
}

# awsim_start [AWSIM ARGS...]
awsim_start() {
	AWSIM_PORT=$(service_port) || return 1
	export AWSIM_PORT
	service_start awsim "$AWSIM_PORT" "$AWSIM" --port "$AWSIM_PORT" \
	    --host 127.0.0.1 --region us-east-1 "$@" || return 1
	awsim_env
}

awsim_stop() {
	service_stop awsim
}

# awsim_ctl METHOD PATH [JSON]: PATH is below /_awsim/ (e.g. faults)
awsim_ctl() {
	local method=$1 path=${2#/} data=${3:-}
	path=${path#_awsim/}
	if [ -n "$data" ]; then
		curl -sS --fail-with-body -X "$method" \
		    -H 'Content-Type: application/json' --data-binary "$data" \
		    "$AWSIM_URL/_awsim/$path"
	else
		curl -sS --fail-with-body -X "$method" "$AWSIM_URL/_awsim/$path"
	fi
}

# awsim_calls OP: the number of calls that reached OP (0 if none)
awsim_calls() {
	awsim_ctl GET "calls?op=$1" |
	    /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"
}

# awsim_requests OP: the parameters of OP's recent calls, one JSON a line
awsim_requests() {
	awsim_ctl GET "requests?op=$1" | jq -c --arg op "$1" '.[$op][]'
}

awsim_reset() {
	awsim_ctl POST reset >/dev/null
}

# awsim_advance SECONDS: move the simulated clock forward
awsim_advance() {
	awsim_ctl POST clock "{\"advance\": $1}" >/dev/null
}
