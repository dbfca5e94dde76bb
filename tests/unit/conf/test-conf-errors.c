/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every diagnostic of the config model: one small YAML snippet per problem,
 * asserting the exact "t.yaml:LINE:COL: error: message" line and how many
 * errors there are (a problem must not cascade into unrelated ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf-test-util.h"
#include "macro.h"

typedef struct ErrCase {
        const char *name;
        const char *yaml;
        const char *expect; /* a whole line of the printed diagnostics */
        int errors;         /* expected error count; 0 means 1 */
} ErrCase;

static const ErrCase cases[] = {
        { "yaml-tab",
          "vrrp:\n"
          "\tinstances: {}\n",
          "t.yaml:2:1: error: invalid YAML: found character that cannot start any token (tabs cannot indent YAML: use spaces)", 1 },
        { "yaml-unclosed-quote",
          "global:\n"
          "  router_id: \"abc\n",
          "t.yaml:3:1: error: invalid YAML: found unexpected end of stream while scanning a quoted scalar at line 2 column 14", 1 },
        { "yaml-non-utf8",
          "global:\n"
          "  router_id: \"a\xff""\"\n",
          "t.yaml:2:16: error: invalid input: invalid leading UTF-8 octet (byte 0xff): the file must be UTF-8", 1 },
        { "yaml-control-character",
          "global:\n"
          "  router_id: \"a\x01\"\n",
          "t.yaml:2:16: error: invalid input: control characters are not allowed (U+0001)", 1 },
        { "zk-null",
          "zookeeper:\n",
          "t.yaml:1:1: error: missing required key 'hosts' in zookeeper", 1 },
        { "unicast-null",
          "vrrp:\n  instances:\n    V:\n      interface: eth0\n      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/32]\n      unicast:\n",
          "t.yaml:7:7: error: missing required key 'peers' in unicast", 1 },
        { "authentication-null",
          "vrrp:\n  instances:\n    V:\n      interface: eth0\n      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/32]\n      version: 2\n      authentication:\n",
          "t.yaml:8:7: error: missing required key 'password' in authentication", 1 },
        { "rs-null",
          "virtual_servers:\n  - address: 10.0.0.1\n    port: 80\n    real_servers:\n      -\n",
          "t.yaml:5:8: error: missing required key 'address' in real server", 1 },
        { "ipvs-sync-null",
          "ipvs:\n  sync_daemon:\n",
          "t.yaml:2:3: error: missing required key 'instance' in sync_daemon", 1 },
        { "yaml-deep-nesting",
          "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
          "t.yaml:1:35: error: nesting deeper than 32 levels", 1 },
        { "yaml-two-documents",
          "---\n"
          "global: {}\n"
          "---\n"
          "global: {}\n",
          "t.yaml:3:1: error: only one YAML document is allowed in a configuration file", 1 },
        { "yaml-top-not-mapping",
          "- a\n"
          "- b\n",
          "t.yaml:1:1: error: expected a mapping at the top level (global:, vrrp:, checks:, ...), got a list", 1 },
        { "yaml-duplicate-key",
          "global:\n"
          "  router_id: a\n"
          "  router_id: b\n",
          "t.yaml:3:3: error: duplicate key 'router_id' in global (first at line 2)", 1 },
        { "yaml-duplicate-instance",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "    VI_1:\n"
          "      interface: eth1\n"
          "      virtual_router_id: 2\n"
          "      virtual_addresses: [10.0.0.2/24]\n",
          "t.yaml:7:5: error: duplicate key 'VI_1' in vrrp.instances (first at line 3)", 1 },
        { "yaml-complex-key",
          "global:\n"
          "  ? [a, b]\n"
          "  : 1\n",
          "t.yaml:2:5: error: global: keys must be plain names, got a list", 1 },
        { "unknown-key-top",
          "vrrrp: {}\n",
          "t.yaml:1:1: error: unknown key 'vrrrp' in the top level (did you mean 'vrrp'?)", 1 },
        { "unknown-key-no-suggestion",
          "global:\n"
          "  colour: blue\n",
          "t.yaml:2:3: error: unknown key 'colour' in global", 1 },
        { "unknown-key-suggestion",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      prority: 3\n",
          "t.yaml:7:7: error: unknown key 'prority' in vrrp instance 'VI_1' (did you mean 'priority'?)", 1 },
        { "expected-mapping",
          "vrrp: [a]\n",
          "t.yaml:1:7: error: vrrp: expected a mapping, got a list", 1 },
        { "expected-list",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: 10.0.0.1/24\n",
          "t.yaml:6:26: error: virtual_addresses: expected a list, got a scalar", 1 },
        { "expected-value",
          "global:\n"
          "  router_id: {a: 1}\n",
          "t.yaml:2:14: error: router_id: expected a value, got a mapping", 1 },
        { "missing-value",
          "global:\n"
          "  router_id:\n",
          "t.yaml:2:13: error: router_id: missing value", 1 },
        { "nul-in-string",
          "global:\n"
          "  router_id: \"a\\0b\"\n",
          "t.yaml:2:14: error: router_id: value contains a NUL character", 1 },
        { "empty-string",
          "global:\n"
          "  router_id: \"\"\n",
          "t.yaml:2:14: error: router_id: must not be empty", 1 },
        { "invalid-ifname",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0/1\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:4:18: error: interface: invalid interface name 'eth0/1' (1-15 characters, no '/', ':' or spaces)", 1 },
        { "ifname-too-long",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: abcdefghijklmnopq\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:4:18: error: interface: invalid interface name 'abcdefghijklmnopq' (1-15 characters, no '/', ':' or spaces)", 1 },
        { "invalid-bool",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      preempt: maybe\n",
          "t.yaml:7:16: error: preempt: expected a boolean (true/false/yes/no/on/off), got 'maybe'", 1 },
        { "invalid-int",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      priority: high\n",
          "t.yaml:7:17: error: priority: expected an integer, got 'high'", 1 },
        { "int-hex-refused",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      priority: 0x10\n",
          "t.yaml:7:17: error: priority: expected an integer, got '0x10'", 1 },
        { "huge-number",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      priority: 99999999999999999999999\n",
          "t.yaml:7:17: error: priority: 99999999999999999999999 is out of range 1..255", 1 },
        { "priority-range",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      priority: 0\n",
          "t.yaml:7:17: error: priority: 0 is out of range 1..255", 1 },
        { "vrid-range",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 300\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:5:26: error: virtual_router_id: 300 is out of range 1..255", 1 },
        { "version-range",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      version: 4\n",
          "t.yaml:7:16: error: version: 4 is out of range 2..3", 1 },
        { "invalid-duration",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      preempt_delay: soon\n",
          "t.yaml:7:22: error: preempt_delay: invalid duration 'soon' (expected e.g. 500ms, 3s, 1m30s, or seconds)", 1 },
        { "negative-duration",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      preempt_delay: -1s\n",
          "t.yaml:7:22: error: preempt_delay: invalid duration '-1s' (expected e.g. 500ms, 3s, 1m30s, or seconds)", 1 },
        { "duration-too-large",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      preempt_delay: 99999999999999999999s\n",
          "t.yaml:7:22: error: preempt_delay: duration '99999999999999999999s' is too large", 1 },
        { "enum-suggestion",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      initial_state: mastr\n",
          "t.yaml:7:22: error: initial_state: invalid value 'mastr' (did you mean 'master'?)", 1 },
        { "enum-list",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      initial_state: primary\n",
          "t.yaml:7:22: error: initial_state: invalid value 'primary', expected one of: backup, master", 1 },
        { "invalid-address",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.300/24]\n",
          "t.yaml:6:27: error: virtual_addresses: invalid address '10.0.0.300/24'", 1 },
        { "invalid-prefix",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/33]\n",
          "t.yaml:6:27: error: virtual_addresses: invalid prefix length in '10.0.0.1/33'", 1 },
        { "prefix-not-allowed",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      unicast: {source: 10.0.0.5/24, peers: [10.0.0.2]}\n",
          "t.yaml:7:25: error: source: expected an address without prefix length, got '10.0.0.5/24'", 1 },
        { "missing-interface",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:3:5: error: missing required key 'interface' in vrrp instance 'VI_1'", 1 },
        { "missing-vrid",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:3:5: error: missing required key 'virtual_router_id' in vrrp instance 'VI_1'", 1 },
        { "empty-instance",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n",
          "t.yaml:3:5: error: missing required key 'interface' in vrrp instance 'VI_1'", 2 },
        { "vip-not-address",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [[10.0.0.1]]\n",
          "t.yaml:6:27: error: virtual_addresses: expected an address or a mapping {address, device, label, scope, broadcast}, got a list", 1 },
        { "vip-missing-address",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{device: eth0}]\n",
          "t.yaml:6:27: error: missing required key 'address' in virtual_addresses", 1 },
        { "vip-label-too-long",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{address: 10.0.0.1/24, label: \"eth0:0123456789ab\"}]\n",
          "t.yaml:6:57: error: label: 'eth0:0123456789ab' is longer than 15 characters", 1 },
        { "vip-broadcast-ipv6",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{address: 10.0.0.1/24, broadcast: \"ff02::1\"}]\n",
          "t.yaml:6:61: error: broadcast: must be an IPv4 address", 1 },
        { "vip-scope",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{address: 10.0.0.1/24, scope: universe}]\n",
          "t.yaml:6:57: error: scope: invalid value 'universe', expected one of: global, host, link, site", 1 },
        { "vip-lease-invalid",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      vip_lease: sometimes\n",
          "t.yaml:7:18: error: vip_lease: expected auto, off or a duration > 0, got 'sometimes'", 1 },
        { "vip-lease-zero",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      vip_lease: 0s\n",
          "t.yaml:7:18: error: vip_lease: expected auto, off or a duration > 0, got '0s'", 1 },
        { "auth-password-long",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      version: 2\n"
          "      authentication: {type: pass, password: \"123456789\"}\n",
          "t.yaml:8:46: error: password: must be 1 to 8 bytes long (VRRPv2 simple text authentication)", 1 },
        { "auth-password-missing",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      version: 2\n"
          "      authentication: {type: pass}\n",
          "t.yaml:8:7: error: missing required key 'password' in authentication", 1 },
        { "auth-type",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      version: 2\n"
          "      authentication: {type: ah, password: x}\n",
          "t.yaml:8:30: error: type: invalid value 'ah', expected one of: pass", 1 },
        { "unicast-no-peers",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      unicast: {source: 10.0.0.5, peers: []}\n",
          "t.yaml:7:42: error: peers: at least one peer is needed", 1 },
        { "unicast-missing-peers",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      unicast: {source: 10.0.0.5}\n",
          "t.yaml:7:7: error: missing required key 'peers' in unicast", 1 },
        { "track-item-type",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      track: {interfaces: [[eth1]]}\n",
          "t.yaml:7:28: error: track interface: expected a name or {name, weight}, got a list", 1 },
        { "track-item-no-name",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      track: {interfaces: [{weight: 10}]}\n",
          "t.yaml:7:28: error: missing required key 'name' in track interface", 1 },
        { "track-weight-range",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      track: {interfaces: [{name: eth1, weight: 300}]}\n",
          "t.yaml:7:49: error: weight: 300 is out of range -254..254", 1 },
        { "track-on-missing",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      track: {on_missing: panic}\n",
          "t.yaml:7:27: error: on_missing: invalid value 'panic', expected one of: fault, ignore", 1 },
        { "garp-refresh-repeat",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      garp: {refresh_repeat: 0}\n",
          "t.yaml:7:30: error: refresh_repeat: 0 is out of range 1..255", 1 },
        { "sync-group-empty",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "  sync_groups:\n"
          "    G1: []\n",
          "t.yaml:8:5: error: sync group 'G1': needs at least one instance", 1 },
        { "sync-group-not-list",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "  sync_groups:\n"
          "    G1: {a: b}\n",
          "t.yaml:8:9: error: G1: expected a list, got a mapping", 1 },
        { "vip-mixed-family",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24, \"2001:db8::1/64\"]\n",
          "t.yaml:6:40: error: virtual address 2001:db8::1 is IPv6 but the instance's first virtual address is IPv4: put each address family in its own instance", 1 },
        { "vip-multicast",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [224.0.0.18/32]\n",
          "t.yaml:6:27: error: virtual address 224.0.0.18 is not a unicast address", 1 },
        { "vip-label-ipv6",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{address: \"2001:db8::1/64\", label: \"eth0:1\"}]\n",
          "t.yaml:6:62: error: label: only IPv4 addresses have labels", 1 },
        { "vip-label-device",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{address: 10.0.0.1/24, label: \"eth1:1\"}]\n",
          "t.yaml:6:57: error: label: 'eth1:1' must start with the device name 'eth0' (e.g. \"eth0:1\")", 1 },
        { "vip-broadcast-on-ipv6",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [{address: \"2001:db8::1/64\", broadcast: 10.0.0.255}]\n",
          "t.yaml:6:66: error: broadcast: only IPv4 addresses have a broadcast address", 1 },
        { "advert-v2-fraction",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      version: 2\n"
          "      advert_interval: 1500ms\n",
          "t.yaml:8:24: error: advert_interval: 1500ms is not possible with VRRP version 2 (whole seconds, 1s..255s)", 1 },
        { "advert-v2-too-long",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      version: 2\n"
          "      advert_interval: 256s\n",
          "t.yaml:8:24: error: advert_interval: 256s is not possible with VRRP version 2 (whole seconds, 1s..255s)", 1 },
        { "advert-v3-resolution",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      advert_interval: 15ms\n",
          "t.yaml:7:24: error: advert_interval: 15ms is not possible with VRRP version 3 (multiples of 10ms, 10ms..40950ms)", 1 },
        { "advert-v3-too-long",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      advert_interval: 41s\n",
          "t.yaml:7:24: error: advert_interval: 41s is not possible with VRRP version 3 (multiples of 10ms, 10ms..40950ms)", 1 },
        { "advert-zero",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      advert_interval: 0s\n",
          "t.yaml:7:24: error: advert_interval: 0s is not possible with VRRP version 3 (multiples of 10ms, 10ms..40950ms)", 1 },
        { "auth-with-v3",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      authentication: {type: pass, password: \"1111\"}\n",
          "t.yaml:7:7: error: authentication: VRRP version 3 has no authentication (RFC 5798); remove it or set version: 2", 1 },
        { "unicast-source-family",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      unicast: {source: \"2001:db8::5\", peers: [10.0.0.2]}\n",
          "t.yaml:7:25: error: source: 2001:db8::5 is IPv6 but the instance is IPv4", 1 },
        { "unicast-peer-family",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      unicast: {peers: [10.0.0.2, \"2001:db8::2\"]}\n",
          "t.yaml:7:35: error: peers: 2001:db8::2 is IPv6 but the instance's virtual addresses are IPv4", 1 },
        { "unicast-peer-multicast",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      unicast: {peers: [224.0.0.18]}\n",
          "t.yaml:7:25: error: peers: 224.0.0.18 is not a unicast address", 1 },
        { "track-check-undefined",
          "checks:\n"
          "  chk_nginx: {type: exec, command: [/bin/true]}\n"
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      track: {checks: [chk_ngnix]}\n",
          "t.yaml:9:24: error: track check 'chk_ngnix' is not defined under checks: (did you mean 'chk_nginx'?)", 1 },
        { "fence-agent-name",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      fencing: {agents: [\"not a bus name\"]}\n",
          "t.yaml:7:26: error: agents: 'not a bus name' is not a D-Bus name (like org.vigil.FenceZk1)", 1 },
        { "fence-command-undefined",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      fencing: {commands: [fence]}\n",
          "t.yaml:7:28: error: fencing command 'fence' is not defined under checks:", 1 },
        { "fence-command-not-exec",
          "checks:\n"
          "  c: {type: ping, address: 10.0.0.9}\n"
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      fencing: {commands: [c]}\n",
          "t.yaml:9:28: error: fencing command 'c' must be a check of type exec, not ping", 1 },
        { "fence-command-not-on-demand",
          "checks:\n"
          "  c: {type: exec, command: [/bin/true]}\n"
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      fencing: {commands: [c]}\n",
          "t.yaml:9:28: error: fencing command 'c' must have on_demand: true (a fence runs only when asked, never on a schedule)", 1 },
        { "fence-policy-without-fence",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      fencing: {policy: required}\n",
          "t.yaml:7:25: error: fencing: policy required needs at least one agent or command", 1 },
        { "fence-timeout-zero",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      fencing: {agents: [org.vigil.FenceZk1], timeout: 0s}\n",
          "t.yaml:7:56: error: timeout: must be greater than 0", 1 },
        { "vmac-interface-without-vmac",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "      vmac_interface: vrrp.1\n",
          "t.yaml:7:23: error: vmac_interface: needs use_vmac: true", 1 },
        { "duplicate-vrid",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "    VI_2:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.2/24]\n",
          "t.yaml:9:26: error: virtual_router_id 1 is already used on eth0 by instance 'VI_1' (IPv4) at line 3", 1 },
        { "duplicate-vip-instances",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "    VI_2:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 2\n"
          "      virtual_addresses: [10.0.0.1/32]\n",
          "t.yaml:10:27: error: virtual address 10.0.0.1 is already managed by instance 'VI_1'", 1 },
        { "duplicate-vip-same-instance",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24, 10.0.0.1/32]\n",
          "t.yaml:6:40: error: virtual address 10.0.0.1 is listed twice in instance 'VI_1'", 1 },
        { "sync-member-undefined",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "  sync_groups:\n"
          "    G1: [VI_1, VI_3]\n",
          "t.yaml:8:16: error: sync group 'G1': instance 'VI_3' is not defined under vrrp.instances: (did you mean 'VI_1'?)", 1 },
        { "sync-member-two-groups",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "    VI_2:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 2\n"
          "      virtual_addresses: [10.0.0.2/24]\n"
          "  sync_groups:\n"
          "    G1: [VI_1, VI_2]\n"
          "    G2: [VI_2, VI_1]\n",
          "t.yaml:13:10: error: instance 'VI_2' is already in sync group 'G1': an instance belongs to at most one group", 2 },
        { "sync-member-twice",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "  sync_groups:\n"
          "    G1: [VI_1, VI_1]\n",
          "t.yaml:8:16: error: instance 'VI_1' is listed twice in sync group 'G1'", 1 },
        { "zk-missing-hosts",
          "zookeeper: {root: /vigil}\n",
          "t.yaml:1:1: error: missing required key 'hosts' in zookeeper", 1 },
        { "zk-root",
          "zookeeper: {hosts: \"zk:2181\", root: vigil}\n",
          "t.yaml:1:37: error: root: must be an absolute znode path without a trailing '/', got 'vigil'", 1 },
        { "zk-hosts-empty",
          "zookeeper: {hosts: []}\n",
          "t.yaml:1:20: error: hosts: must not be empty", 1 },
        { "check-not-mapping",
          "checks:\n"
          "  c: tcp\n",
          "t.yaml:2:6: error: check 'c': expected a mapping with a type, got a scalar", 1 },
        { "check-missing-type",
          "checks:\n"
          "  c: {address: 10.0.0.1, port: 80}\n",
          "t.yaml:2:3: error: missing required key 'type' in check 'c'", 1 },
        { "check-type-invalid",
          "checks:\n"
          "  c: {type: htp, address: 10.0.0.1}\n",
          "t.yaml:2:13: error: type: invalid value 'htp' (did you mean 'http'?)", 1 },
        { "check-key-wrong-type",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1, port: 80, path: /}\n",
          "t.yaml:2:47: error: key 'path' is not valid for a check of type tcp", 1 },
        { "check-timeout-twice",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1, port: 80, timeout: 1s, connect_timeout: 2s}\n",
          "t.yaml:2:60: error: connect_timeout: timeout and connect_timeout are the same setting, give only one", 1 },
        { "check-method",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, method: get}\n",
          "t.yaml:2:46: error: method: expected an upper-case HTTP method like GET or HEAD, got 'get'", 1 },
        { "check-path",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, path: health}\n",
          "t.yaml:2:44: error: path: must start with '/', got 'health'", 1 },
        { "check-http-version",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, http_version: 2}\n",
          "t.yaml:2:52: error: http_version: expected 1.0 or 1.1, got '2'", 1 },
        { "check-status",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, status: [200, \"299-200\"]}\n",
          "t.yaml:2:52: error: status: invalid status '299-200' (expected a code 100..599 or a range like 200-299)", 1 },
        { "check-status-empty",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, status: []}\n",
          "t.yaml:2:46: error: status: at least one status code or range is needed", 1 },
        { "check-digest",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, digest: abc}\n",
          "t.yaml:2:46: error: digest: expected an MD5 digest (32 hex digits), got 'abc'", 1 },
        { "check-header",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, headers: [\"no colon\"]}\n",
          "t.yaml:2:48: error: headers: invalid header 'no colon' (expected \"Name: value\" on one line)", 1 },
        { "check-header-crlf",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, headers: {X-A: \"b\\r\\nX-B: c\"}}\n",
          "t.yaml:2:48: error: headers: invalid header 'X-A: b  X-B: c' (expected \"Name: value\" on one line)", 1 },
        { "check-max-body",
          "checks:\n"
          "  c: {type: http, address: 10.0.0.1, max_body: lots}\n",
          "t.yaml:2:48: error: max_body: invalid size 'lots' (expected bytes, or with K, M, G)", 1 },
        { "check-query-type",
          "checks:\n"
          "  c: {type: dns, address: 10.0.0.1, query_type: AXFR}\n",
          "t.yaml:2:49: error: query_type: invalid value 'AXFR', expected one of: A, AAAA, NS, MX, TXT, SOA, CNAME, PTR, SRV", 1 },
        { "check-rcode",
          "checks:\n"
          "  c: {type: dns, address: 10.0.0.1, expect_rcode: 16}\n",
          "t.yaml:2:51: error: expect_rcode: 16 is out of range 0..15", 1 },
        { "check-fall-zero",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1, port: 80, fall: 0}\n",
          "t.yaml:2:53: error: fall: 0 is out of range 1..255", 1 },
        { "check-command-empty",
          "checks:\n"
          "  c: {type: exec, command: []}\n",
          "t.yaml:2:28: error: command: must not be empty", 1 },
        { "check-exec-missing-command",
          "checks:\n"
          "  c: {type: exec}\n",
          "t.yaml:2:3: error: missing required key 'command' in check 'c'", 1 },
        { "check-file-missing-path",
          "checks:\n"
          "  c: {type: file}\n",
          "t.yaml:2:3: error: missing required key 'path' in check 'c'", 1 },
        { "check-missing-address",
          "checks:\n"
          "  c: {type: tcp, port: 80}\n",
          "t.yaml:2:3: error: check 'c': missing required key 'address' (the host to check)", 1 },
        { "check-tcp-port",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1}\n",
          "t.yaml:2:3: error: check 'c': a tcp check needs a port", 1 },
        { "check-bind-family",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1, port: 80, bind_address: \"::1\"}\n",
          "t.yaml:2:61: error: bind_address: ::1 is IPv6 but the target is IPv4", 1 },
        { "check-interval-zero",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1, port: 80, interval: 0}\n",
          "t.yaml:2:57: error: interval: must be greater than 0", 1 },
        { "check-timeout-zero",
          "checks:\n"
          "  c: {type: tcp, address: 10.0.0.1, port: 80, timeout: 0ms}\n",
          "t.yaml:2:56: error: timeout: must be greater than 0", 1 },
        { "check-cert-without-key",
          "checks:\n"
          "  c: {type: https, address: 10.0.0.1, cert_file: /c.pem}\n",
          "t.yaml:2:50: error: check 'c': a client certificate needs both cert_file and key_file", 1 },
        { "check-exec-relative",
          "checks:\n"
          "  c: {type: exec, command: [check.sh]}\n",
          "t.yaml:2:29: error: command: 'check.sh' must be an absolute path (commands are not looked up in $PATH)", 1 },
        { "check-exec-missing",
          "checks:\n"
          "  c: {type: exec, command: [/nonexistent/check.sh]}\n",
          "t.yaml:2:29: error: command: '/nonexistent/check.sh' does not exist", 1 },
        { "vs-not-mapping",
          "virtual_servers:\n"
          "  - 10.0.0.1:80\n",
          "t.yaml:2:5: error: virtual_servers: expected a mapping, got a scalar", 1 },
        { "vs-needs-address",
          "virtual_servers:\n"
          "  - protocol: tcp\n",
          "t.yaml:2:5: error: virtual server: needs address and port, or fwmark", 1 },
        { "vs-port-range",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 70000}\n",
          "t.yaml:2:31: error: port: 70000 is out of range 0..65535", 1 },
        { "vs-scheduler",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, scheduler: wrrr}\n",
          "t.yaml:2:46: error: scheduler: invalid value 'wrrr' (did you mean 'wrr'?)", 1 },
        { "vs-flag-unknown",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, scheduler: sh, flags: [sh-port, sticky]}\n",
          "t.yaml:2:67: error: flags: unknown flag 'sticky', expected one of: sh-fallback, sh-port, mh-fallback, mh-port, one-packet", 1 },
        { "vs-persistence-both",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, persistence: {netmask: 255.255.255.0, prefix: 24}}\n",
          "t.yaml:2:73: error: persistence: give either netmask or prefix, not both", 1 },
        { "vs-persistence-netmask-v6",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, persistence: {netmask: \"ffff::\"}}\n",
          "t.yaml:2:58: error: netmask: must be an IPv4 netmask; use prefix for IPv6", 1 },
        { "vs-persistence-netmask-holes",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, persistence: {netmask: 255.0.255.0}}\n",
          "t.yaml:2:58: error: netmask: '255.0.255.0' is not a contiguous netmask", 1 },
        { "vs-sorry-string",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, sorry_server: 10.0.0.9}\n",
          "t.yaml:2:49: error: sorry_server: expected \"ADDRESS:PORT\" ([ADDRESS]:PORT for IPv6), got '10.0.0.9'", 1 },
        { "vs-sorry-missing-address",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, sorry_server: {port: 80}}\n",
          "t.yaml:2:49: error: missing required key 'address' in sorry_server", 1 },
        { "rs-missing-address",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {port: 80}\n",
          "t.yaml:5:9: error: missing required key 'address' in real server", 1 },
        { "rs-check-type",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, check: [tcp]}\n",
          "t.yaml:5:36: error: check: expected a check mapping or the name of a check, got a list", 1 },
        { "rs-weight-range",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, weight: -1}\n",
          "t.yaml:5:37: error: weight: -1 is out of range 0..65535", 1 },
        { "rs-tunnel-type",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    forwarding: tun\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, tunnel: {type: vxlan}}\n",
          "t.yaml:6:44: error: type: invalid value 'vxlan', expected one of: ipip, gue, gre", 1 },
        { "vs-fwmark-address",
          "virtual_servers:\n"
          "  - {fwmark: 1, address: 10.0.0.1}\n",
          "t.yaml:2:26: error: address: a fwmark service has no address (use family: inet6 for IPv6)", 1 },
        { "vs-fwmark-port",
          "virtual_servers:\n"
          "  - {fwmark: 1, port: 80}\n",
          "t.yaml:2:23: error: port: a fwmark service has no port", 1 },
        { "vs-family-without-fwmark",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, family: inet6}\n",
          "t.yaml:2:43: error: family: only for fwmark services (an address has its family)", 1 },
        { "vs-missing-port",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1}\n",
          "t.yaml:2:5: error: missing required key 'port' in virtual server", 1 },
        { "vs-port-zero",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 0}\n",
          "t.yaml:2:31: error: port: 0 (all ports) needs persistence", 1 },
        { "vs-flag-scheduler",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, scheduler: rr, flags: [sh-port]}\n",
          "t.yaml:2:58: error: flags: sh-port needs scheduler sh", 1 },
        { "vs-snat-not-fullnat",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, snat_address: 10.0.0.2}\n",
          "t.yaml:2:49: error: snat_address: only used with forwarding: fullnat", 1 },
        { "vs-snat-family",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, forwarding: fullnat, snat_address: \"::2\"}\n",
          "t.yaml:2:70: error: snat_address: ::2 is IPv6 but the service is IPv4", 1 },
        { "vs-prefix-v4",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, persistence: {timeout: 1m, prefix: 64}}\n",
          "t.yaml:2:70: error: prefix: 64 is longer than an IPv4 address", 1 },
        { "vs-delay-loop-zero",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, delay_loop: 0s}\n",
          "t.yaml:2:47: error: delay_loop: must be greater than 0", 1 },
        { "vs-sorry-family",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80, sorry_server: \"[::9]:80\"}\n",
          "t.yaml:2:49: error: sorry_server: ::9 is IPv6 but the service is IPv4", 1 },
        { "vs-duplicate",
          "virtual_servers:\n"
          "  - {address: 10.0.0.1, port: 80}\n"
          "  - {address: 10.0.0.1, port: 80, protocol: tcp}\n",
          "t.yaml:3:5: error: virtual server tcp:10.0.0.1:80 is defined twice (first at line 2)", 1 },
        { "rs-family",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: \"2001:db8::1\"}\n",
          "t.yaml:5:19: error: real server 2001:db8::1 is IPv6 but virtual server tcp:10.0.0.1:80 is IPv4: mixed address families are not supported", 1 },
        { "rs-fwmark-nat-port",
          "virtual_servers:\n"
          "  - fwmark: 1\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, port: 8080}\n",
          "t.yaml:4:35: error: port: a fwmark service matches many ports; a nat real server with port 8080 would send all of them to that one port (leave port out to keep the original port)", 1 },
        { "rs-fwmark-dr-port",
          "virtual_servers:\n"
          "  - fwmark: 1\n"
          "    forwarding: dr\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, port: 80}\n",
          "t.yaml:5:35: error: port: dr forwarding cannot change the port; leave it out", 1 },
        { "rs-dr-port-change",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    forwarding: dr\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, port: 8080}\n",
          "t.yaml:6:35: error: port: dr forwarding cannot change the port (real server port 8080, service port 80)", 1 },
        { "rs-tunnel-not-tun",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, tunnel: {type: ipip}}\n",
          "t.yaml:5:29: error: tunnel: only used with forwarding: tun", 1 },
        { "rs-gue-port",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    forwarding: tun\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, tunnel: {type: gue}}\n",
          "t.yaml:6:29: error: tunnel: type gue needs a port", 1 },
        { "rs-tunnel-port-not-gue",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    forwarding: tun\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, tunnel: {type: gre, port: 5555}}\n",
          "t.yaml:6:55: error: port: only gue tunnels have a port", 1 },
        { "rs-snat-not-fullnat",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, snat_address: 10.0.0.5}\n",
          "t.yaml:5:43: error: snat_address: only used with forwarding: fullnat", 1 },
        { "rs-snat-family",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, forwarding: fullnat, snat_address: \"::5\"}\n",
          "t.yaml:5:64: error: snat_address: ::5 is IPv6 but the service is IPv4", 1 },
        { "rs-thresholds",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, upper_threshold: 10, lower_threshold: 20}\n",
          "t.yaml:5:67: error: lower_threshold: 20 is above upper_threshold 10", 1 },
        { "rs-check-undefined",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, check: chk_web}\n",
          "t.yaml:5:36: error: check 'chk_web' is not defined under checks:", 1 },
        { "rs-duplicate",
          "virtual_servers:\n"
          "  - address: 10.0.0.1\n"
          "    port: 80\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1}\n"
          "      - {address: 10.0.1.1, port: 80}\n",
          "t.yaml:6:19: error: real server 10.0.1.1:80 is listed twice in virtual server tcp:10.0.0.1:80 (first at line 5)", 1 },
        { "rs-inline-check-port",
          "virtual_servers:\n"
          "  - fwmark: 1\n"
          "    real_servers:\n"
          "      - {address: 10.0.1.1, check: {type: tcp}}\n",
          "t.yaml:4:29: error: check of real server 10.0.1.1:0: a tcp check needs a port", 1 },
        { "ipvs-sync-missing-instance",
          "ipvs: {sync_daemon: {interface: eth0}}\n",
          "t.yaml:1:8: error: missing required key 'instance' in sync_daemon", 1 },
        { "ipvs-sync-undefined",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "ipvs: {sync_daemon: {instance: VI_2}}\n",
          "t.yaml:7:32: error: sync_daemon: instance 'VI_2' is not defined under vrrp.instances: (did you mean 'VI_1'?)", 1 },
        { "ipvs-reconcile-zero",
          "ipvs: {reconcile_interval: 0}\n",
          "t.yaml:1:28: error: reconcile_interval: must be greater than 0", 1 },
        { "ipvs-timeouts-key",
          "ipvs: {timeouts: {tcp_fin: 1m}}\n",
          "t.yaml:1:19: error: unknown key 'tcp_fin' in timeouts (did you mean 'tcpfin'?)", 1 },
        { "notify-not-mapping",
          "notify:\n"
          "  - /bin/true\n",
          "t.yaml:2:5: error: notify: expected a mapping, got a scalar", 1 },
        { "notify-needs-one-kind",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {instance: VI_1, group: G1, notify: /bin/true}\n",
          "t.yaml:8:5: error: notify: each entry needs exactly one of instance, group or check", 1 },
        { "notify-unknown-name",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  VI_2: {notify: /bin/true}\n",
          "t.yaml:8:3: error: notify: 'VI_2' is not an instance, sync group or check (did you mean 'VI_1'?)", 1 },
        { "notify-undefined",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {group: VI_1, notify: /bin/true}\n",
          "t.yaml:8:13: error: notify: group 'VI_1' is not defined", 1 },
        { "notify-master-on-check",
          "checks:\n"
          "  c: {type: ping, address: 10.0.0.9}\n"
          "notify:\n"
          "  - {check: c, notify_master: /bin/true}\n",
          "t.yaml:4:31: error: notify_master: only for instances and sync groups (checks have notify_up/notify_down)", 1 },
        { "notify-up-on-instance",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {instance: VI_1, notify_up: /bin/true}\n",
          "t.yaml:8:33: error: notify_up: only for checks", 1 },
        { "notify-relative",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {instance: VI_1, notify: notify.sh}\n",
          "t.yaml:8:30: error: 'notify.sh' must be an absolute path", 1 },
        { "notify-no-script",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {instance: VI_1}\n",
          "t.yaml:8:5: error: notify: no script given for 'VI_1'", 1 },
        { "notify-empty-script",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {instance: VI_1, notify: []}\n",
          "t.yaml:8:30: error: notify: must not be empty", 1 },
        { "notify-timeout-zero",
          "vrrp:\n"
          "  instances:\n"
          "    VI_1:\n"
          "      interface: eth0\n"
          "      virtual_router_id: 1\n"
          "      virtual_addresses: [10.0.0.1/24]\n"
          "notify:\n"
          "  - {instance: VI_1, notify: /bin/true, timeout: 0}\n",
          "t.yaml:8:50: error: timeout: must be greater than 0", 1 },

};

static void test_case(void **state) {
        const ErrCase *t = *state;
        _cleanup_free_ char *diags = NULL;
        size_t errors = 0;
        Config *c = NULL;
        int r = load_text(t->yaml, &c, &diags, &errors);
        config_free(c);
        if (!strstr(diags, t->expect))
                fail_msg("%s: expected\n  %s\ngot\n%s", t->name, t->expect, diags);
        if (r != -EINVAL)
                fail_msg("%s: load returned %d, expected -EINVAL", t->name, r);
        if ((size_t) (t->errors ? t->errors : 1) != errors)
                fail_msg("%s: expected %d error(s), got %zu:\n%s", t->name, t->errors ? t->errors : 1, errors, diags);
}

/* ---- cases that need more than a snippet ---- */

typedef struct WarnCase {
        const char *name;
        const char *yaml;
        const char *expect;
} WarnCase;

/* Warnings do not fail the load. */
static const WarnCase warn_cases[] = {
        { "empty-file", "", "t.yaml: warning: the configuration is empty" },
        { "only-comments", "# nothing here\n\n   # still nothing\n", "t.yaml: warning: the configuration is empty" },
        { "null-document", "~\n", "t.yaml: warning: the configuration is empty" },
        { "no-virtual-addresses", "vrrp:\n  instances:\n    VI_1: {interface: eth0, virtual_router_id: 1}\n",
          "t.yaml:3:5: warning: vrrp instance 'VI_1' has no virtual_addresses" },
        { "priority-255-not-owner",
          "vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 1\n      priority: 255\n"
          "      virtual_addresses: [192.0.2.77/32]\n",
          "t.yaml:6:17: warning: priority: 255 means this node owns the addresses, but 192.0.2.77 is not configured on this host" },
        { "vip-lease-too-long",
          "vrrp:\n  instances:\n    VI_1:\n      interface: eth0\n      virtual_router_id: 1\n      vip_lease: 3s\n"
          "      virtual_addresses: [10.0.0.1/24]\n",
          "t.yaml:6:18: warning: vip_lease: 3s is not shorter than the master down interval (3 × advert_interval): "
          "a peer may take over while this node still holds the addresses" },
        { "sync-group-single",
          "vrrp:\n  instances:\n    VI_1: {interface: eth0, virtual_router_id: 1, virtual_addresses: [10.0.0.1/24]}\n"
          "  sync_groups:\n    G1: [VI_1]\n",
          "t.yaml:5:5: warning: sync group 'G1' has a single instance" },
        { "quorum-unreachable",
          "virtual_servers:\n  - address: 10.0.0.1\n    port: 80\n    quorum: 5\n    real_servers: [{address: 10.0.1.1, weight: 2}]\n",
          "t.yaml:4:13: warning: quorum: 5 can never be reached (the weights add up to 2)" },
        { "ca-file-without-verify",
          "checks:\n  c: {type: https, address: 10.0.0.1, ca_file: /ca.pem}\n",
          "t.yaml:2:48: warning: ca_file: has no effect without tls_verify: true" },
};

static void test_warning_case(void **state) {
        const WarnCase *t = *state;
        _cleanup_free_ char *diags = NULL;
        size_t errors = 99;
        Config *c = NULL;
        int r = load_text(t->yaml, &c, &diags, &errors);
        if (r != 0)
                fail_msg("%s: load failed (%d):\n%s", t->name, r, diags);
        assert_non_null(c);
        config_free(c);
        assert_int_equal(errors, 0);
        if (!strstr(diags, t->expect))
                fail_msg("%s: expected\n  %s\ngot\n%s", t->name, t->expect, diags);
}

/* the owner warning must not fire when the address is ours (lo has 127.0.0.1) */
static void test_priority_255_owner(void **state) {
        _cleanup_free_ char *diags = NULL;
        Config *c = NULL;
        assert_int_equal(load_text("vrrp:\n  instances:\n    VI_1:\n      interface: lo\n      virtual_router_id: 1\n"
                                   "      priority: 255\n      virtual_addresses: [127.0.0.1/8]\n",
                                   &c, &diags, NULL), 0);
        config_free(c);
        assert_string_equal(diags, "");
}

static void test_exec_not_executable(void **state) {
        char path[] = "/tmp/vigil-test-conf-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(chmod(path, 0644), 0);

        _cleanup_free_ char *yaml = NULL, *diags = NULL, *expect = NULL;
        size_t errors;
        assert_true(asprintf(&yaml, "checks:\n  c: {type: exec, command: %s}\n", path) > 0);
        assert_int_equal(load_text(yaml, NULL, &diags, &errors), -EINVAL);
        assert_true(asprintf(&expect, "t.yaml:2:28: error: command: '%s' is not executable", path) > 0);
        assert_string_equal(diags, expect);
        assert_int_equal(errors, 1);

        /* and once it is, the same config loads */
        assert_int_equal(chmod(path, 0755), 0);
        free(diags);
        assert_int_equal(load_text(yaml, NULL, &diags, &errors), 0);
        unlink(path);
}

static void test_exec_directory(void **state) {
        _cleanup_free_ char *diags = NULL;
        assert_int_equal(load_text("checks:\n  c: {type: exec, command: [/tmp]}\n", NULL, &diags, NULL), -EINVAL);
        assert_string_equal(diags, "t.yaml:2:29: error: command: '/tmp' is not a regular file");
}

/* Aliases can expand a small file into millions of nodes: bounded, and the
 * diagnostics too (1000 services × the same duplicate real servers). */
static void test_alias_bomb(void **state) {
        FILE *f;
        char *yaml = NULL;
        size_t len = 0;
        assert_non_null(f = open_memstream(&yaml, &len));
        fputs("virtual_servers:\n  - &vs\n    address: 10.0.0.1\n    port: 80\n    real_servers: &rs [", f);
        for (int i = 0; i < 1000; i++)
                fprintf(f, "%s{address: 10.0.1.1}", i ? ", " : "");
        fputs("]\n", f);
        for (int i = 0; i < 1000; i++)
                fputs("  - *vs\n", f);
        fclose(f);

        _cleanup_free_ char *diags = NULL;
        size_t errors;
        Config *c = NULL;
        assert_int_equal(load_text(yaml, &c, &diags, &errors), -EINVAL);
        free(yaml);
        assert_null(c);
        assert_true(errors > 1000);
        /* the stored list is capped and says so first */
        assert_true(strncmp(diags, "warning: too many problems, only the first 1000 are shown\n", 58) == 0);
        assert_non_null(strstr(diags, "document too large: more than 1000000 nodes after expanding aliases"));
        size_t lines = 0;
        for (const char *p = diags; *p; p++)
                lines += *p == '\n';
        assert_int_equal(lines, 1000); /* 1001 lines, the last without '\n' */
}

/* Diagnostics come out sorted by position, whatever order they were found in. */
static void test_diags_sorted(void **state) {
        ConfDiags d = {};
        ConfLoc a = { "b.yaml", 3, 1 }, b = { "a.yaml", 9, 9 }, c = { "b.yaml", 1, 7 }, e = { "b.yaml", 1, 2 };
        conf_diag_add(&d, &a, false, "third");
        conf_diag_add(&d, &b, true, "first %d", 1);
        conf_diag_add(&d, &c, false, "%s", "fourth... no, second-last");
        conf_diag_add(&d, &e, false, "second");
        assert_int_equal(d.n, 4);
        assert_int_equal(d.n_errors, 3);
        _cleanup_free_ char *s = conf_diags_to_string(&d);
        assert_string_equal(s, "a.yaml:9:9: warning: first 1\n"
                               "b.yaml:1:2: error: second\n"
                               "b.yaml:1:7: error: fourth... no, second-last\n"
                               "b.yaml:3:1: error: third");
        conf_diags_free(&d);
        assert_int_equal(d.n, 0);
}

static void test_load_file_missing(void **state) {
        ConfDiags d = {};
        Config *c = NULL;
        assert_int_equal(config_load_file("/nonexistent/vigil.yaml", &c, &d), -ENOENT);
        assert_null(c);
        _cleanup_free_ char *s = conf_diags_to_string(&d);
        assert_string_equal(s, "/nonexistent/vigil.yaml: error: cannot open: No such file or directory");
        conf_diags_free(&d);
        assert_int_equal(config_load_file("/tmp", &c, &d), -EISDIR);
        conf_diags_free(&d);
}

/* The file the lead's --check-config integration test uses: what
 * conf_diags_print prints for it is exactly broken.expected. */
static void test_broken_fixture(void **state) {
        size_t len;
        _cleanup_free_ char *text = fixture_read("broken.yaml", &len);
        _cleanup_free_ char *expect = fixture_read("broken.expected", NULL);
        ConfDiags d = {};
        Config *c = NULL;
        assert_int_equal(config_load_string("tests/fixtures/broken.yaml", text, len, &c, &d), -EINVAL);
        assert_null(c);
        assert_true(d.n_errors >= 3);
        char *out = NULL;
        size_t olen = 0;
        FILE *f = open_memstream(&out, &olen);
        conf_diags_print(&d, f);
        fclose(f);
        assert_string_equal(out, expect);
        free(out);
        conf_diags_free(&d);
}

int main(void) {
        const struct CMUnitTest others[] = {
                cmocka_unit_test(test_priority_255_owner),
                cmocka_unit_test(test_exec_not_executable),
                cmocka_unit_test(test_exec_directory),
                cmocka_unit_test(test_alias_bomb),
                cmocka_unit_test(test_diags_sorted),
                cmocka_unit_test(test_load_file_missing),
                cmocka_unit_test(test_broken_fixture),
        };
        size_t n = ELEMENTSOF(cases), m = ELEMENTSOF(warn_cases);
        struct CMUnitTest *tests = calloc(n + m, sizeof(struct CMUnitTest));
        for (size_t i = 0; i < n; i++)
                tests[i] = (struct CMUnitTest) {
                        .name = cases[i].name,
                        .test_func = test_case,
                        .initial_state = (void *) &cases[i],
                };
        for (size_t i = 0; i < m; i++)
                tests[n + i] = (struct CMUnitTest) {
                        .name = warn_cases[i].name,
                        .test_func = test_warning_case,
                        .initial_state = (void *) &warn_cases[i],
                };
        int r = _cmocka_run_group_tests("conf-errors", tests, n + m, NULL, NULL);
        r += cmocka_run_group_tests(others, NULL, NULL);
        free(tests);
        return r;
}
