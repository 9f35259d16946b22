#!/usr/bin/env bats
# `features`: the document is valid, and every claim in it is honoured by a
# real container on this host (namespaces, capabilities, mount options,
# seccomp actions and operators).

load helpers

setup() {
	al_setup
	FEATURES=$WORK/features.json
	al features >"$FEATURES"
}

# The strings of array $1 (a jq path) of the features document, one a line.
features_list() {
	jq -r "$1 // [] | .[]" "$FEATURES"
}

# config.json = $WORK/base.json through a jq filter (jq options first): one
# jq run per container keeps the loops below fast.
from_base() {
	jq "$@" "$WORK/base.json" >"$BUNDLE/config.json"
}

@test "features: valid JSON with the spec version range" {
	run al features
	assert_success
	echo "$output" | jq -e . >/dev/null || fail "not JSON: $output"
	[ "$(echo "$output" | jq -r .ociVersionMax)" = 1.3.0 ] || fail "ociVersionMax: $output"
	[ "$(echo "$output" | jq -r .ociVersionMin)" = 1.0.0 ] || fail "ociVersionMin: $output"
	echo "$output" | jq -e '.hooks | length == 6' >/dev/null || fail "hooks: $output"
	run al features --help
	assert_success
	assert_output_contains "Usage: airlock features"
	run al features extra
	assert_failure
}

@test "features: every listed namespace can be created" {
	local ns proc
	cp "$BUNDLE/config.json" "$WORK/base.json"
	[ -n "$(features_list .linux.namespaces)" ] || fail "no namespaces listed"
	for ns in $(features_list .linux.namespaces); do
		case $ns in
		network) proc=net ;;
		mount) proc=mnt ;;
		*) proc=$ns ;;
		esac
		# A mount namespace always (the runtime pivots into the rootfs), plus
		# the one under test. A user namespace keeps the default set as well:
		# proc and mqueue can only be mounted by the owner of the pid and ipc
		# namespaces; it gets id maps.
		from_base --arg t "$ns" --arg p "$proc" '.process.args = ["readlink", "/proc/self/ns/" + $p]
			| if $t == "user" then
				.linux.namespaces += [{type: "user"}]
				| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
				| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
			else
				.linux.namespaces = ([{type: "mount"}, {type: $t}] | unique)
				| if $t == "uts" then . else del(.hostname, .domainname) end
			end'
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -eq 0 ] || fail "namespace $ns: status $status: $output"
		[ "$output" != "$(readlink "/proc/self/ns/$proc")" ] || fail "namespace $ns is the host's: $output"
	done
}

@test "features: every listed capability can be granted alone" {
	local cap n want count=0
	# The number of each name comes from libcap (capsh), not from airlock.
	command -v capsh >/dev/null || skip "capsh (libcap2-bin) is needed to number capabilities"
	set_args sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status
	cp "$BUNDLE/config.json" "$WORK/base.json"
	for cap in $(features_list .linux.capabilities); do
		n=$(capsh --explain="$cap" 2>/dev/null | head -n1 | sed -n 's/^[a-z_]* (\([0-9]*\)).*$/\1/p')
		[ -n "$n" ] || fail "cannot find the number of $cap"
		from_base --arg c "$cap" '.process.capabilities = {bounding: [$c], effective: [$c], permitted: [$c]}'
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -eq 0 ] || fail "$cap: status $status: $output"
		want=$(printf '%016x' $((1 << n)))
		[ "$output" = "$want" ] || fail "$cap ($n): CapEff $output, wanted $want"
		count=$((count + 1))
	done
	[ "$count" -gt 0 ] || fail "no capabilities listed"
}

@test "features: every listed mount option is usable" {
	local src=$WORK/src
	mkdir -p "$src"
	[ -n "$(features_list .mountOptions)" ] || fail "no mount options listed"
	local refused
	refused=$(jq -r '.mountOptions[] | select(IN("tmpcopyup", "idmap", "ridmap"))' "$FEATURES")
	[ -z "$refused" ] || fail "listed but refused by rootfs.c: $refused"
	# One container, one mount at /mnt/<option> per option: the option alone
	# for bind/rbind; a bind mount for recursive attributes, propagation and
	# remount (they act on bind mounts); a tmpfs for everything else.
	update_config --arg s "$src" --slurpfile f "$FEATURES" '.mounts += [$f[0].mountOptions[] as $o
		| if $o == "bind" or $o == "rbind" then
			{destination: ("/mnt/" + $o), type: "none", source: $s, options: [$o]}
		elif ($o | test("^(ro|rw|relatime)$")) then
			{destination: ("/mnt/" + $o), type: "tmpfs", source: "tmpfs", options: [$o]}
		elif ($o | test("^(r.*|remount|private|shared|slave|unbindable)$")) then
			{destination: ("/mnt/" + $o), type: "bind", source: $s, options: ["rbind", $o]}
		else
			{destination: ("/mnt/" + $o), type: "tmpfs", source: "tmpfs", options: [$o]}
		end]'
	# Per-mount flags that show in mountinfo must be there.
	run_sh 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "status $status: $output"
	local flag line
	for opt in ro nosuid nodev noexec noatime nodiratime nosymfollow rro rnosuid rnodev rnoexec rnoatime rnosymfollow; do
		features_list .mountOptions | grep -qx "$opt" || continue
		flag=${opt#r}
		[ "$opt" = ro ] && flag=ro
		line=$(grep " /mnt/$opt " <<<"$output") || fail "/mnt/$opt not mounted: $output"
		# Field 6: the per-mount options.
		[[ ",$(awk '{print $6}' <<<"$line")," == *",$flag,"* ]] || fail "/mnt/$opt lacks $flag: $line"
	done
}

@test "features: every listed seccomp action does what it says" {
	local act count=0
	[ "$(jq -r .linux.seccomp.enabled "$FEATURES")" = true ] || skip "seccomp is not enabled here"
	# mkdir runs as the container's init (exec'd by the runtime), so a fatal
	# signal is the container's exit status.
	set_args mkdir /dev/shm/x
	cp "$BUNDLE/config.json" "$WORK/base.json"
	for act in $(features_list .linux.seccomp.actions); do
		from_base --arg a "$act" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["mkdir", "mkdirat"], action: $a}]}'
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		case $act in
		SCMP_ACT_ALLOW | SCMP_ACT_LOG)
			[ "$status" -eq 0 ] || fail "$act: status $status: $output" ;;
		SCMP_ACT_ERRNO)
			[ "$status" -eq 1 ] && [[ "$output" == *"Operation not permitted"* ]] || fail "$act: status $status: $output" ;;
		SCMP_ACT_KILL | SCMP_ACT_KILL_PROCESS | SCMP_ACT_KILL_THREAD | SCMP_ACT_TRAP)
			[ "$status" -eq 159 ] || fail "$act: wanted SIGSYS (159), got $status: $output" ;;
		SCMP_ACT_TRACE)
			# No tracer attached: the syscall fails with ENOSYS.
			[ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]] || fail "$act: status $status: $output" ;;
		SCMP_ACT_NOTIFY)
			# No listenerPath: nobody would answer, so create refuses it
			# (as runc does); seccomp_listener.bats runs it with a listener.
			[ "$status" -ne 0 ] && [[ "$output" == *"SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"* ]] || fail "$act: status $status: $output" ;;
		*) fail "no expectation for listed action $act" ;;
		esac
		count=$((count + 1))
	done
	[ "$count" -gt 0 ] || fail "no seccomp actions listed"
}

# Filter for the operator tests: EPERM for mkdir/mkdirat when the mode
# argument compares true with op $1 against args $2 (JSON: value, valueTwo).
operator_filter() {
	from_base --arg op "$1" --argjson a "$2" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [
		{names: ["mkdir"], action: "SCMP_ACT_ERRNO", args: [$a + {index: 1, op: $op}]},
		{names: ["mkdirat"], action: "SCMP_ACT_ERRNO", args: [$a + {index: 2, op: $op}]}]}'
}

@test "features: every listed seccomp operator compares" {
	local op hit miss count=0
	[ "$(jq -r .linux.seccomp.enabled "$FEATURES")" = true ] || skip "seccomp is not enabled here"
	# busybox mkdir asks for mode 0777 (511): argument 1 of mkdir, 2 of mkdirat.
	# A matching rule makes mkdir fail with EPERM (the shell goes on); a
	# value that does not match leaves it alone.
	set_args sh -c 'mkdir /dev/shm/x; echo "rc=$?"'
	cp "$BUNDLE/config.json" "$WORK/base.json"
	for op in $(features_list .linux.seccomp.operators); do
		case $op in
		SCMP_CMP_NE) hit='{"value": 0}' miss='{"value": 511}' ;;
		SCMP_CMP_LT) hit='{"value": 512}' miss='{"value": 511}' ;;
		SCMP_CMP_LE) hit='{"value": 511}' miss='{"value": 510}' ;;
		SCMP_CMP_EQ) hit='{"value": 511}' miss='{"value": 0}' ;;
		SCMP_CMP_GE) hit='{"value": 511}' miss='{"value": 512}' ;;
		SCMP_CMP_GT) hit='{"value": 510}' miss='{"value": 511}' ;;
		# value is the mask, valueTwo the expected (mode & mask)
		SCMP_CMP_MASKED_EQ) hit='{"value": 448, "valueTwo": 448}' miss='{"value": 448, "valueTwo": 64}' ;;
		*) fail "no expectation for listed operator $op" ;;
		esac
		operator_filter "$op" "$hit"
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -eq 0 ] || fail "$op $hit: status $status: $output"
		[[ "$output" == *"Operation not permitted"*"rc=1" ]] || fail "$op $hit: the rule did not match: $output"
		operator_filter "$op" "$miss"
		run al run --bundle "$BUNDLE" "$ID" </dev/null
		[ "$status" -eq 0 ] && [ "$output" = rc=0 ] || fail "$op $miss: the rule matched: $output"
		count=$((count + 1))
	done
	[ "$count" -gt 0 ] || fail "no seccomp operators listed"
}
