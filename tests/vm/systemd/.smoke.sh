#!/bin/bash
echo "uptime $(cut -d' ' -f1 /proc/uptime)"
journalctl -b -o short-monotonic --no-pager > /tmp/j.txt
wc -l /tmp/j.txt
awk '{gsub(/[\[\]]/,"",$1); t=$1+0; if (t-p > 3) print "GAP " t-p " before: " $0; p=t}' /tmp/j.txt | head
grep -n -E 'Start|Finish|Reach' /tmp/j.txt | awk 'NR%8==1' | head -60
