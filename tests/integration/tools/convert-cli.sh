#!/bin/bash
# vigilctl convert as an operator meets it: tutorial-style files (CRLF,
# Chinese comments), includes with globs, --strict, -o, stdin, and hostile
# input (truncated files, unbalanced braces, include loops, 10 MB configs,
# binary garbage): a clear FILE:LINE error and exit 1, never a crash or a hang.
TEST_NAME=convert-cli
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"

FIX=$VIGIL_SOURCE_ROOT/tests/fixtures/keepalived
[ -x "$VIGILCTL" ] || fail "$VIGILCTL not built"
cd "$FIX" || fail "no $FIX"

# convert ARGS...: runs vigilctl convert with a time limit; sets rc, out, err.
convert() {
    timeout 60 "$VIGILCTL" convert "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    rc=$?
    out=$(cat "$TEST_TMP/out")
    err=$(cat "$TEST_TMP/err")
    [ $rc -lt 124 ] || { echo "$err" | tail -5 >&2; fail "vigilctl convert $* died or hung (status $rc)"; }
}
expect_error() {  # NEEDLE: exit 1, needle on stderr, nothing on stdout
    [ $rc = 1 ] || { echo "$err" >&2; fail "expected exit 1, got $rc"; }
    assert_contains "$err" "$1" "stderr"
    [ -z "$out" ] || fail "output written despite the error"
}
valid() {  # YAML FILE passes the configuration check
    "$VIGILCTL" check-config "$1" >"$TEST_TMP/check" 2>&1 || { cat "$TEST_TMP/check" >&2; fail "$1 refused by check-config"; }
}

log "tutorial with CRLF, Chinese comments, braces on content lines: no warnings, valid"
convert tutorial-crlf.conf
[ $rc = 0 ] || { echo "$err" >&2; fail "tutorial: exit $rc"; }
[ -z "$err" ] || { echo "$err" >&2; fail "tutorial: unexpected diagnostics"; }
assert_contains "$out" "# Source: tutorial-crlf.conf" "header"
assert_contains "$out" '- {address: "192.168.182.100/24", device: "eth0", label: "eth0:7"}' "VIP"
assert_contains "$out" 'authentication: {type: pass, password: "1111"}' "auth"
assert_contains "$out" 'version: 2' "keepalived's default VRRP version written out"
assert_contains "$out" 'delay_loop: "6s"' "delay_loop"
printf '%s\n' "$out" >"$TEST_TMP/tutorial.yaml"
valid "$TEST_TMP/tutorial.yaml"
convert --strict tutorial-crlf.conf
[ $rc = 0 ] || fail "--strict on a fully converted file: exit $rc"

log "unsupported keywords: FILE:LINE: keyword 'x' not supported: reason; exit 0, or 1 with --strict"
convert unsupported.conf
[ $rc = 0 ] || { echo "$err" >&2; fail "unsupported.conf: exit $rc"; }
assert_contains "$err" "unsupported.conf:3: keyword 'notification_email' not supported: " "notification_email"
assert_contains "$err" "unsupported.conf:6: keyword 'smtp_server' not supported: " "smtp_server"
assert_contains "$err" "unsupported.conf:8: keyword 'script_user' not supported: scripts run as vigil-checkerd" "script_user"
assert_contains "$err" "unsupported.conf:14: keyword 'smtp_alert' not supported: " "smtp_alert"
assert_contains "$err" "unsupported.conf:18: keyword 'virtual_routes' not supported: " "virtual_routes"
assert_eq "$(grep -c . <<<"$err")" 5 "number of warnings"
assert_contains "$out" "#   unsupported.conf:18: keyword 'virtual_routes' not supported" "header lists the warnings"
rm -f "$TEST_TMP/strict.yaml"
convert --strict unsupported.conf -o "$TEST_TMP/strict.yaml"
[ $rc = 1 ] || fail "--strict with warnings: exit $rc, expected 1"
[ ! -e "$TEST_TMP/strict.yaml" ] || fail "--strict wrote the output anyway"
assert_contains "$err" "not converted (--strict): 5 keywords" "--strict summary"

log "-o writes atomically; the result is valid; stdin works the same"
convert unsupported.conf -o "$TEST_TMP/u.yaml"
[ $rc = 0 ] && [ -z "$out" ] || fail "-o: exit $rc or output on stdout"
valid "$TEST_TMP/u.yaml"
ls "$TEST_TMP"/u.yaml.* >/dev/null 2>&1 && fail "-o left a temporary file behind"
timeout 30 "$VIGILCTL" convert - <unsupported.conf >"$TEST_TMP/stdin.yaml" 2>"$TEST_TMP/stdin.err" || fail "stdin: failed"
assert_contains "$(cat "$TEST_TMP/stdin.err")" "(stdin):18: keyword 'virtual_routes'" "stdin locations"
diff <(grep -v '^#' "$TEST_TMP/u.yaml") <(grep -v '^#' "$TEST_TMP/stdin.yaml") >/dev/null || fail "stdin gives another result"

log "the result is run through the configuration check: problems are warnings (errors with --strict)"
printf 'virtual_server 10.1.0.1 80 {\n real_server 10.2.0.1 80 {\n  MISC_CHECK {\n   misc_path /nonexistent/check.sh\n  }\n }\n}\n' \
    >"$TEST_TMP/misc.conf"
convert "$TEST_TMP/misc.conf" -o "$TEST_TMP/misc.yaml"
[ $rc = 0 ] || fail "misc.conf: exit $rc"
assert_contains "$err" "$TEST_TMP/misc.conf: warning: the converted configuration does not pass the configuration check here" "self-check"
grep -qE "^$TEST_TMP/misc.yaml:[0-9]+:[0-9]+: error: command: '/nonexistent/check.sh' does not exist" <<<"$err" ||
    fail "self-check without the YAML location: $err"
convert --strict "$TEST_TMP/misc.conf"
[ $rc = 1 ] || fail "--strict with a failing self-check: exit $rc"

log "includes: globs relative to the including file, nested, a pattern matching nothing"
convert includes/keepalived.conf
[ $rc = 0 ] || { echo "$err" >&2; fail "includes: exit $rc"; }
assert_contains "$out" '"VI_INC":' "instance from conf.d/10-vrrp.conf"
assert_contains "$out" 'address: "10.71.0.1"' "real server from ../extra via conf.d/20-lvs.conf"
assert_contains "$out" 'address: "10.71.0.2"' "real server included inside the virtual_server block"
assert_contains "$out" 'sorry_server: {address: "10.72.0.1", port: 8080, forwarding: nat}' "sorry server"
assert_contains "$out" "#   includes/conf.d/../extra/real-servers.conf" "header lists included files"
assert_contains "$err" "includes/keepalived.conf:6: include 'optional.d/*.conf' matches no file" "empty glob"
assert_contains "$err" "includes/conf.d/../extra/real-servers.conf:10: keyword 'smtp_alert' not supported" "location inside an include"
printf '%s\n' "$out" >"$TEST_TMP/inc.yaml"
valid "$TEST_TMP/inc.yaml"

log "an include of a FIFO or a device is refused at once, not waited on"
mkfifo "$TEST_TMP/fifo"
printf 'include %s\ninclude /dev/zero\n' "$TEST_TMP/fifo" >"$TEST_TMP/fifo.conf"
convert "$TEST_TMP/fifo.conf"
expect_error "$TEST_TMP/fifo.conf:1: error: $TEST_TMP/fifo is not a regular file"
assert_contains "$err" "$TEST_TMP/fifo.conf:2: error: /dev/zero is not a regular file" "device"

log "include loop"
convert loop/a.conf
expect_error "loop/b.conf:2: error: include loop: loop/a.conf is already being read"

log "truncated file, unbalanced braces, unterminated quote, missing file, usage"
convert bad/truncated.conf
expect_error "bad/truncated.conf:1: error: unbalanced '{': block 'vrrp_instance VI_1' opened here is never closed"
assert_contains "$err" "bad/truncated.conf:4: error: unbalanced '{': block 'virtual_ipaddress'" "inner block"
convert bad/unbalanced.conf
expect_error "bad/unbalanced.conf:5: error: unbalanced '}': no block is open"
convert bad/unterminated-quote.conf
expect_error "bad/unterminated-quote.conf:2: error: unterminated quoted string"
convert "$TEST_TMP/does-not-exist.conf"
expect_error "cannot open $TEST_TMP/does-not-exist.conf: No such file or directory"
convert
[ $rc = 2 ] || fail "no argument: exit $rc, expected 2 (usage)"
head -c $(( $(stat -c %s tutorial-crlf.conf) * 2 / 3 )) tutorial-crlf.conf >"$TEST_TMP/cut.conf"
convert "$TEST_TMP/cut.conf"
[ $rc = 1 ] || fail "a tutorial cut in the middle: exit $rc"
grep -qE "^$TEST_TMP/cut.conf:[0-9]+: error: " <<<"$err" || fail "cut file: no FILE:LINE error: $err"

log "binary garbage: an error with FILE:LINE, no crash"
for seed in 1 2 3; do
    head -c $((256 * 1024)) <(openssl enc -aes-128-ctr -nosalt -pass "pass:vigil$seed" -in /dev/zero 2>/dev/null) >"$TEST_TMP/garbage$seed"
    convert "$TEST_TMP/garbage$seed"
    [ $rc = 1 ] || fail "garbage $seed: exit $rc"
    grep -qE "^$TEST_TMP/garbage$seed:[0-9]+: error: " <<<"$err" || { echo "$err" | head -3 >&2; fail "garbage $seed: no FILE:LINE error"; }
done
# printable garbage without NUL bytes: random words and braces
awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) { r = int(rand() * 6);
     printf "%s", (r == 0 ? "{ " : r == 1 ? "} " : r == 2 ? "\n" : r == 3 ? "\"q " : "w" int(rand()*1000) " ") } }' \
    >"$TEST_TMP/words.conf"
convert "$TEST_TMP/words.conf"
[ $rc = 1 ] || fail "random words: exit $rc"
grep -qE "^$TEST_TMP/words.conf:[0-9]+: error: " <<<"$err" || fail "random words: no FILE:LINE error"

log "10 MB configuration: converted in bounded time"
awk 'BEGIN { print "virtual_server 10.0.0.1 80 {"; print "  lb_algo rr";
     for (i = 0; i < 255; i++) for (j = 0; j < 255; j++)
       printf "  real_server 10.%d.%d.1 80 { # 主机 %d-%d, padding padding padding padding padding padding padding padding padding padding\n    weight 1\n    TCP_CHECK { connect_timeout 3 }\n  }\n", i % 250 + 1, j, i, j;
     print "}" }' >"$TEST_TMP/big.conf"
size=$(stat -c %s "$TEST_TMP/big.conf")
[ "$size" -ge $((10 * 1024 * 1024)) ] || fail "big.conf is only $size bytes"
# CPU time, not wall time: CI machines are shared (the wall clock is bounded by convert's timeout)
TIMEFORMAT='%U %S'
{ time convert "$TEST_TMP/big.conf" -o "$TEST_TMP/big.yaml" ; } 2>"$TEST_TMP/time"
cpu=$(tail -n 1 "$TEST_TMP/time")
[ $rc = 0 ] || { echo "$err" | head >&2; fail "10 MB config: exit $rc"; }
cpu_ms=$(awk '{ printf "%d", ($1 + $2) * 1000 }' <<<"$cpu")
log "$((size / 1024 / 1024)) MB converted with ${cpu_ms} ms of CPU, $(grep -c '      - address:' "$TEST_TMP/big.yaml") real servers"
[ "$(grep -c '      - address:' "$TEST_TMP/big.yaml")" = 65025 ] || fail "10 MB config: real servers missing"
[ "$cpu_ms" -le 20000 ] || fail "10 MB config took ${cpu_ms} ms of CPU"

log "a huge block of lines holding two statements each: bounded work, a clear error"
awk 'BEGIN { print "virtual_server 10.0.0.1 80 {"; for (i = 0; i < 300000; i++) print "  delay_loop 1 quorum 2"; print "}" }' \
    >"$TEST_TMP/split.conf"
convert "$TEST_TMP/split.conf"
expect_error "error: too many statements sharing lines in a very large block"

log "oversized input is refused with a clear error"
truncate -s 70M "$TEST_TMP/huge.conf"
convert "$TEST_TMP/huge.conf"
expect_error "$TEST_TMP/huge.conf: error: file too large"

log "--config-id evaluates @conditional lines"
printf 'vrrp_instance V {\n interface eth0\n virtual_router_id 9\n@a priority 200\n@^a priority 50\n virtual_ipaddress {\n  10.9.0.1\n }\n}\n' >"$TEST_TMP/cond.conf"
convert --config-id a "$TEST_TMP/cond.conf"
[ $rc = 0 ] && assert_contains "$out" "priority: 200" "config-id a"
convert -i b "$TEST_TMP/cond.conf"
[ $rc = 0 ] && assert_contains "$out" "priority: 50" "config-id b"
convert "$TEST_TMP/cond.conf"
[ $rc = 0 ] || fail "no config id: exit $rc"
assert_contains "$err" "$TEST_TMP/cond.conf:4: conditional '@a' cannot be evaluated without --config-id" "no config id"

log "all convert CLI checks passed"
