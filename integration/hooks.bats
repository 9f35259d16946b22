#!/usr/bin/env bats
# OCI hooks: each kind runs at its moment with the state on stdin.

load helpers

HOOK_BODY='#!/bin/sh
cat > "$LOGDIR/$1.state"
echo "$1" >> "$LOGDIR/order"
'

setup() {
	al_setup
	LOG=$WORK/log
	mkdir -p "$LOG"
	chmod 0777 "$LOG"
	# Host-side hook, and a copy inside the rootfs for startContainer (which
	# runs in the container's namespaces, after the root change).
	printf '%s' "$HOOK_BODY" >"$WORK/hook.sh"
	printf '%s' "$HOOK_BODY" >"$BUNDLE/rootfs/hook.sh"
	chmod 0755 "$WORK/hook.sh" "$BUNDLE/rootfs/hook.sh"
	update_config --arg log "$LOG" '.mounts += [{destination: "/log", type: "bind", source: $log, options: ["rbind", "rw"]}]'
}

# Configure hook kind $1 to log itself (host script unless $2 = inside).
add_hook() {
	local path=$WORK/hook.sh logdir=$LOG
	if [ "${2:-}" = inside ]; then
		path=/hook.sh
		logdir=/log
	fi
	update_config --arg k "$1" --arg p "$path" --arg l "LOGDIR=$logdir" \
		'.hooks[$k] += [{path: $p, args: ["hook.sh", $k], env: [$l, "PATH=/bin:/usr/bin"]}]'
}

order() {
	tr '\n' ' ' <"$LOG/order" | sed 's/ $//'
}

@test "all six hook kinds run at their moments with the state on stdin" {
	add_hook prestart
	add_hook createRuntime
	add_hook createContainer
	add_hook startContainer inside
	add_hook poststart
	add_hook poststop
	make_fifos ready go
	set_args sh -c 'echo process >> /log/order; echo ready > /ready; read x < /go'

	create_container
	# runc 1.1 runs poststart hooks already at create; the spec (and airlock)
	# run them after start.
	if is_airlock; then
		[ "$(order)" = "prestart createRuntime createContainer" ] || fail "after create: $(order)"
	else
		[[ "$(order)" == "prestart createRuntime createContainer"* ]] || fail "after create: $(order)"
	fi

	al start "$ID"
	wait_fifo "$BUNDLE/rootfs/ready"
	# startContainer runs before the user process; poststart before start returns.
	grep -q poststart "$LOG/order" || fail "no poststart: $(order)"
	local sc p
	sc=$(grep -n '^startContainer$' "$LOG/order" | cut -d: -f1)
	p=$(grep -n '^process$' "$LOG/order" | cut -d: -f1)
	[ -n "$sc" ] && [ -n "$p" ] && [ "$sc" -lt "$p" ] || fail "order: $(order)"

	echo go >"$BUNDLE/rootfs/go"
	wait_status "$ID" stopped
	! grep -q poststop "$LOG/order" || fail "poststop before delete"
	al delete "$ID"
	[ "$(tail -n1 "$LOG/order")" = poststop ] || fail "after delete: $(order)"

	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		[ "$(jq -r .id "$LOG/$k.state")" = "$ID" ] || fail "$k state: $(cat "$LOG/$k.state")"
		[ "$(jq -r .bundle "$LOG/$k.state")" = "$BUNDLE" ] || fail "$k state: $(cat "$LOG/$k.state")"
	done
	[ "$(jq -r .pid "$LOG/createRuntime.state")" -gt 0 ]
	if is_airlock; then
		[ "$(jq -r .status "$LOG/poststart.state")" = running ] || fail "poststart: $(cat "$LOG/poststart.state")"
	fi
	[ "$(jq -r .status "$LOG/poststop.state")" = stopped ] || fail "poststop: $(cat "$LOG/poststop.state")"
}

@test "hooks get exactly their args and env" {
	local out=$WORK/argv
	local script="tr '\\0' '|' < /proc/\$\$/cmdline > $out; echo >> $out; env >> $out"
	update_config --arg s "$script" '.hooks.createRuntime = [{path: "/bin/sh", args: ["custom0", "-c", $s, "one"], env: ["ONLY=this"]}]'
	set_args true
	create_container
	run cat "$out"
	assert_output_contains "custom0|-c|"
	assert_output_contains "|one|"
	assert_output_contains "ONLY=this"
	refute_output_contains "BATS"
}

@test "a failing prestart hook fails create and leaves nothing behind" {
	cat >"$WORK/fail.sh" <<-'EOF'
		#!/bin/sh
		exit 7
	EOF
	chmod 0755 "$WORK/fail.sh"
	update_config --arg p "$WORK/fail.sh" '.hooks.prestart = [{path: $p}]'
	set_args sleep 100
	run_create
	assert_failure
	assert_airlock_output_contains "prestart"
	assert_airlock_output_contains "fail.sh"
	[ -z "$(al list -q)" ] || fail "container left: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1)" ] || fail "state left: $(ls "$ROOT")"
	! grep -qF "$BUNDLE" /proc/self/mountinfo
}

@test "a missing hook binary fails create" {
	update_config '.hooks.createRuntime = [{path: "/nonexistent/hook"}]'
	set_args sleep 100
	run_create
	assert_failure
	assert_airlock_output_contains "/nonexistent/hook"
	[ -z "$(al list -q)" ] || fail "container left"
}

@test "a hook over its timeout is killed and fails create" {
	update_config '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]'
	set_args sleep 100
	local t0=$SECONDS
	run_create
	assert_failure
	[ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s"
	assert_airlock_output_contains "timed out"
	[ -z "$(al list -q)" ] || fail "container left"
}

@test "poststop runs on delete --force of a running container" {
	add_hook poststop
	make_fifos ready
	set_args sh -c 'echo ready > /ready; sleep 100'
	al run --detach --bundle "$BUNDLE" "$ID" </dev/null >"$WORK/out" 2>&1
	wait_fifo "$BUNDLE/rootfs/ready"
	[ ! -e "$LOG/order" ]
	al delete --force "$ID"
	[ "$(order)" = poststop ]
	[ "$(jq -r .id "$LOG/poststop.state")" = "$ID" ]
}

# Hooks of kind $1: fail.sh (saves the state, prints "boom", exits 3) where
# the list names "fail", else hook.sh logging the given name.
#   add_hooks poststop fail a b
add_hooks() {
	local kind=$1 h
	shift
	cat >"$WORK/fail.sh" <<-'EOF2'
		#!/bin/sh
		cat > "$1"
		echo boom
		exit 3
	EOF2
	chmod 0755 "$WORK/fail.sh"
	for h in "$@"; do
		if [ "$h" = fail ]; then
			update_config --arg k "$kind" --arg p "$WORK/fail.sh" --arg s "$LOG/fail.state" \
				'.hooks[$k] += [{path: $p, args: ["fail.sh", $s]}]'
		else
			update_config --arg k "$kind" --arg p "$WORK/hook.sh" --arg h "$h" --arg l "LOGDIR=$LOG" \
				'.hooks[$k] += [{path: $p, args: ["hook.sh", $h], env: [$l, "PATH=/bin:/usr/bin"]}]'
		fi
	done
}

@test "a failing poststop hook: the later ones still run, delete warns and succeeds" {
	add_hooks poststop fail second fail third
	set_args true
	create_container
	al start "$ID"
	wait_status "$ID" stopped
	run al delete "$ID"
	assert_success
	[ "$(order)" = "second third" ] || fail "ran: $(order)"
	[ -z "$(al list -q)" ] || fail "container left: $(al list)"
	if is_airlock; then
		assert_output_contains "warning"
		assert_output_contains "poststop hook #0 \`$WORK/fail.sh\` exited with status 3"
		assert_output_contains "poststop hook #2 \`$WORK/fail.sh\` exited with status 3"
		assert_output_contains "boom"
	fi
}

@test "a failing poststart hook: the later ones run, start fails, nothing is left running" {
	add_hooks poststart fail second fail third
	set_args sh -c 'sleep 100 & wait'
	create_container
	local pid
	pid=$(state_field .pid)
	run al start "$ID"
	assert_failure
	[ "$(order)" = "second third" ] || fail "ran: $(order)"
	assert_airlock_output_contains "poststart hook #0 \`$WORK/fail.sh\` exited with status 3"
	assert_airlock_output_contains "(and 1 later poststart hook failed too)"
	[ -z "$(container_procs)" ] || fail "still running: $(container_procs)"
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] || fail "init $pid alive"
	[ "$(state_field .status)" = stopped ]
	al delete "$ID"
	[ -z "$(al list -q)" ]
}

@test "run with a failing poststart hook fails and removes the container" {
	add_hooks poststart fail
	set_args true
	run al run --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_airlock_output_contains "poststart hook #0"
	[ -z "$(al list -q)" ] || fail "container left: $(al list)"
	[ -z "$(find "$ROOT" -mindepth 1 -maxdepth 1)" ] || fail "state left: $(ls "$ROOT")"
}

@test "run --detach with a failing poststart hook kills the container and removes it" {
	add_hooks poststart fail
	set_args sleep 100
	run al run --detach --bundle "$BUNDLE" "$ID" </dev/null
	assert_failure
	assert_airlock_output_contains "poststart hook #0"
	local pid
	pid=$(jq -r .pid "$LOG/fail.state")
	[ "$pid" -gt 0 ]
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] || fail "init $pid alive"
	[ -z "$(container_procs)" ] || fail "still running: $(container_procs)"
	[ -z "$(al list -q)" ] || fail "container left: $(al list)"
}
