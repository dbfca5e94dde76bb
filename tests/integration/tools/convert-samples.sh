#!/bin/bash
# Every sample configuration shipped by Debian's keepalived package converts,
# and the result passes vigilctl check-config and each daemon's --check-config
# — or fails exactly as documented in tests/fixtures/keepalived/samples.expect
# (a line-precise reason). The conversion is also stable: same input, same bytes.
TEST_NAME=convert-samples
. "${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/common/lib.sh"

SAMPLES=${KEEPALIVED_SAMPLES:-/usr/share/doc/keepalived/samples}
EXPECT=$VIGIL_SOURCE_ROOT/tests/fixtures/keepalived/samples.expect

[ -d "$SAMPLES" ] || fail "$SAMPLES missing: install Debian's keepalived (scripts/test does)"
[ -x "$VIGILCTL" ] || fail "$VIGILCTL not built"

# Daemons that can judge a configuration (those built so far).
checkers=()
for d in "$VRRPD" "$CHECKERD" "$IPVSD"; do
    [ -x "$d" ] && checkers+=("$d")
done
log "daemons checking configurations: ${checkers[*]:-none besides vigilctl check-config}"

# Work on plain copies (some samples may be gzipped).
mkdir -p "$TEST_TMP/samples"
for f in "$SAMPLES"/keepalived.conf*; do
    [ -f "$f" ] || continue
    case $f in
        *.gz) zcat "$f" >"$TEST_TMP/samples/$(basename "$f" .gz)" ;;
        *) cp "$f" "$TEST_TMP/samples/" ;;
    esac
done
n_samples=$(ls "$TEST_TMP/samples" | wc -l)
[ "$n_samples" -gt 0 ] || fail "no keepalived.conf* samples in $SAMPLES"

# All samples must be listed, and every listed sample must exist.
for f in "$TEST_TMP"/samples/*; do
    grep -q "^$(basename "$f")[[:space:]]" "$EXPECT" || fail "$(basename "$f") is not listed in $EXPECT"
done

config_checks() {  # FILE → output of the failing check, status 1; or status 0
    local yaml=$1 d out
    out=$("$VIGILCTL" check-config "$yaml" 2>&1) || { echo "$out"; return 1; }
    for d in "${checkers[@]}"; do
        out=$("$d" --check-config -c "$yaml" 2>&1) || { echo "$(basename "$d"): $out"; return 1; }
    done
    return 0
}

runs=0 ok=0
while IFS= read -r line; do
    case $line in ''|'#'*) continue ;; esac
    spec=${line%%|*}
    reason=
    [[ $line == *'|'* ]] && reason=$(sed -e 's/^[^|]*| *//' <<<"$line")
    read -r sample result opts <<<"$spec"
    in=$TEST_TMP/samples/$sample
    [ -f "$in" ] || fail "$EXPECT lists $sample, which $SAMPLES does not have"
    runs=$((runs + 1))
    out=$TEST_TMP/$sample.yaml
    # shellcheck disable=SC2086
    "$VIGILCTL" convert $opts "$in" -o "$out" 2>"$TEST_TMP/stderr"
    rc=$?
    case $result in
        convert-fail)
            [ $rc = 1 ] || fail "$sample: expected the conversion to fail (exit 1), got $rc"
            grep -qF -- "$reason" "$TEST_TMP/stderr" || { cat "$TEST_TMP/stderr" >&2; fail "$sample: reason '$reason' not reported"; }
            [ ! -e "$out" ] || fail "$sample: a failed conversion wrote $out"
            ;;
        ok|check-fail)
            [ $rc = 0 ] || { cat "$TEST_TMP/stderr" >&2; fail "$sample $opts: conversion failed (exit $rc)"; }
            head -n 2 "$out" | grep -qF "# Source: $in" || fail "$sample: the header does not name the source file"
            # stable: a second run gives the same bytes
            # shellcheck disable=SC2086
            "$VIGILCTL" convert $opts "$in" >"$out.again" 2>/dev/null || fail "$sample: second conversion failed"
            cmp -s "$out" "$out.again" || fail "$sample: the output differs between two runs"
            # every warning names FILE:LINE of the sample (or, for the configuration
            # check vigilctl convert runs on its result, FILE:LINE:COL of the output)
            if grep -v -e "^$in:[0-9]*: " -e "^$in: warning: the converted configuration does not pass" \
                    -e "^$out:[0-9]*:[0-9]*: " "$TEST_TMP/stderr" | grep -q .; then
                cat "$TEST_TMP/stderr" >&2
                fail "$sample: a diagnostic without FILE:LINE"
            fi
            if [ "$result" = ok ]; then
                msg=$(config_checks "$out") || { echo "$msg" >&2; fail "$sample: the converted configuration is refused"; }
            else
                grep -qF -- "$reason" "$TEST_TMP/stderr" || fail "$sample: vigilctl convert did not warn: $reason"
                msg=$(config_checks "$out") && fail "$sample: expected the configuration check to fail ($reason)"
                grep -qF -- "$reason" <<<"$msg" || { echo "$msg" >&2; fail "$sample: check failed for another reason than '$reason'"; }
                grep -qE "^([a-z-]+: )?$out:[0-9]+:[0-9]+: error:" <<<"$msg" || fail "$sample: the check error has no file:line:col"
            fi
            ;;
        *) fail "$EXPECT: unknown result '$result' for $sample" ;;
    esac
    ok=$((ok + 1))
    log "$sample ${opts:+($opts) }: $result"
done <"$EXPECT"

log "$ok/$runs sample runs as expected ($n_samples samples)"
[ "$ok" = "$runs" ] && [ "$runs" -ge "$n_samples" ] || fail "not every sample was run"
