#!/bin/bash
# Metrics of the IPVS half with the real vigil-ipvsd (vm suite: the host has
# no ip_vs): the guest (test-metrics-ipvs-guest.sh) sends real traffic through
# a NAT service and saves vigilctl metrics and an exporter scrape; here they
# are parsed with prometheus_client's parser and their values checked.
VIGIL_SOURCE_ROOT=${VIGIL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
VIGIL_BUILD_ROOT=${VIGIL_BUILD_ROOT:-$VIGIL_SOURCE_ROOT/build}
HERE=$VIGIL_SOURCE_ROOT/tests/integration/tools
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root" >&2; exit 77; }
out=$(mktemp -d "$VIGIL_BUILD_ROOT/metrics-ipvs.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
chmod 755 "$out"
VM_BUILD_DIR=$VIGIL_BUILD_ROOT VM_TIMEOUT=${VM_TIMEOUT:-500} "$VIGIL_SOURCE_ROOT/tests/vm/run" "$HERE/test-metrics-ipvs-guest.sh" "$out"
rc=$?
[ $rc -eq 0 ] || exit $rc
n=$(cat "$out/n") || { echo "FAIL: the guest wrote no results" >&2; exit 1; }
svc='service="tcp:10.10.0.100:80"'
for f in ctl exp; do
    /usr/bin/python3 "$HERE/test-metrics-check.py" "$out/$f.txt" \
        'vigil_up{daemon="ipvsd"} 1' 'vigil_up{daemon="vrrpd"} 0' 'vigil_up{daemon="checkerd"} 0' \
        "vigil_ipvs_service_info{$svc,config_id=\"tcp:10.10.0.100:80\",scheduler=\"wrr\",managed=\"true\"} 1" \
        "vigil_ipvs_connections_total{$svc} $n" \
        "vigil_ipvs_destination_weight{$svc,destination=\"10.20.0.2:8080\"} 3" \
        "vigil_ipvs_destination_connections_total{$svc,destination=\"10.20.0.2:8080\"} $n" \
        '!~vigil_vrrp_' '!~vigil_check_' || { echo "FAIL: $f.txt" >&2; exit 1; }
done
/usr/bin/python3 "$HERE/test-metrics-check.py" --same "$out/ctl.txt" "$out/exp.txt" \
    --equal vigil_up vigil_ipvs_connections_total vigil_ipvs_destination_weight || exit 1
echo "# OK"
