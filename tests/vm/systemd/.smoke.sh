#!/bin/bash
echo "uptime $(cut -d' ' -f1 /proc/uptime)"
journalctl -b -o short-monotonic --no-pager > /tmp/j.txt
grep -n 'systemd\[1\]' /tmp/j.txt | head -5
awk '{gsub(/[\[\]]/,"",$1); t=$1+0; if (t-p > 2) print "GAP " t-p " before: " $0; p=t}' /tmp/j.txt | head
grep -n -E 'Start|Finish|Reach' /tmp/j.txt | tail -12
ls /var/lib/dpkg/info | wc -l
