#!/bin/bash
# ZooKeeper for the fence tests: Debian's zookeeper jar, standalone, on
# 127.0.0.1 at a random free port, data in $TEST_TMP/zk, tickTime 500 ms
# (session timeouts down to 1 s). Source after lib.sh; call zk_start.
ZK_JAR=/usr/share/java/zookeeper.jar
[ -f "$ZK_JAR" ] || fail "$ZK_JAR missing (apt-get install zookeeper; scripts/test does)"
require_cmd java

while :; do
    ZK_PORT=$((20000 + RANDOM % 20000))
    ss -ltn 2>/dev/null | awk '{print $4}' | grep -q ":$ZK_PORT\$" || break
done
mkdir -p "$TEST_TMP/zk/data"
cat > "$TEST_TMP/zk/zoo.cfg" <<EOF
tickTime=500
dataDir=$TEST_TMP/zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
minSessionTimeout=1000
maxSessionTimeout=60000
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat
EOF
zk_start() {
    local t0=$(date +%s%N)
    # client JIT only and a small heap: starts in ~1.5 s
    java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m -cp "/etc/zookeeper/conf:$ZK_JAR" \
        -Dzookeeper.log.dir="$TEST_TMP/zk" org.apache.zookeeper.server.ZooKeeperServerMain "$TEST_TMP/zk/zoo.cfg" \
        >> "$TEST_TMP/zookeeper.log" 2>&1 &
    ZK_PID=$!
    cleanup_add "kill -9 $ZK_PID"
    wait_for 30 bash -c "[ \"\$(timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT && echo ruok >&3 && cat <&3' 2>/dev/null)\" = imok ]" \
        || fail "ZooKeeper did not answer ruok on 127.0.0.1:$ZK_PORT"
    log "ZooKeeper up on 127.0.0.1:$ZK_PORT after $(( ($(date +%s%N) - t0) / 1000000 ))ms"
}
