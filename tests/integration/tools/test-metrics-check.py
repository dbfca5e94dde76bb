#!/usr/bin/python3
# Validates Prometheus text with prometheus_client's own parser (Debian's
# python3-prometheus-client) and checks series against expectations.
#
#   test-metrics-check.py FILE [EXPECT...]      EXPECT: 'name{l="v"} VALUE'  the series exists with VALUE
#                                                  '!name{l="v"}'        the series does not exist
#                                                  '!~prefix'            no series name starts with prefix
#   test-metrics-check.py --same A B [--ignore NAME...]  same series (names + labels) in both files,
#                                                  equal values for the families given with --equal
# Prints "series: N" on success; exits 1 with a message on the first failure.
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')


def die(msg):
    print("metrics-check: " + msg, file=sys.stderr)
    sys.exit(1)


def load(path):
    text = open(path, encoding='utf-8').read()
    if not text.endswith('\n'):
        die(f"{path}: does not end with a newline")
    series = {}
    families = {}
    try:
        for fam in text_string_to_metric_families(text):
            if fam.name in families:
                die(f"{path}: family {fam.name} appears twice (samples not contiguous)")
            families[fam.name] = fam
            if not NAME.match(fam.name):
                die(f"{path}: bad family name {fam.name!r}")
            if fam.type not in ('gauge', 'counter'):
                die(f"{path}: family {fam.name} has type {fam.type!r} (untyped?)")
            if not fam.documentation:
                die(f"{path}: family {fam.name} has no HELP")
            if not fam.name.startswith('vigil_'):
                die(f"{path}: family {fam.name} outside the vigil_ namespace")
            for s in fam.samples:
                if fam.type == 'counter' and not s.name.endswith('_total'):
                    die(f"{path}: counter sample {s.name} does not end in _total")
                if fam.type == 'gauge' and s.name.endswith('_total'):
                    die(f"{path}: gauge {s.name} ends in _total")
                key = (s.name, frozenset(s.labels.items()))
                if key in series:
                    die(f"{path}: duplicate series {s.name}{s.labels}")
                series[key] = s.value
    except ValueError as e:
        die(f"{path}: the parser rejects it: {e}")
    # every sample line was parsed into a series (nothing silently dropped)
    n_lines = sum(1 for l in text.splitlines() if l and not l.startswith('#'))
    if n_lines != len(series):
        die(f"{path}: {n_lines} sample lines but {len(series)} series parsed")
    return series


def parse_expect(line):
    fams = list(text_string_to_metric_families(line + '\n'))
    s = fams[0].samples[0]
    return (s.name, frozenset(s.labels.items())), s.value


def fmt(key):
    name, labels = key
    return name + '{' + ','.join(f'{k}="{v}"' for k, v in sorted(labels)) + '}'


def main(argv):
    if argv[1] == '--same':
        a, b = load(argv[2]), load(argv[3])
        equal = argv[argv.index('--equal') + 1:] if '--equal' in argv else []
        ignore = ('vigil_metrics_',)
        ka = {k for k in a if not k[0].startswith(ignore)}
        kb = {k for k in b if not k[0].startswith(ignore)}
        if ka != kb:
            die(f"series differ: only in {argv[2]}: {sorted(map(fmt, ka - kb))[:5]}; "
                f"only in {argv[3]}: {sorted(map(fmt, kb - ka))[:5]}")
        for k in ka:
            if k[0] in equal and a[k] != b[k]:
                die(f"{fmt(k)}: {a[k]} in {argv[2]}, {b[k]} in {argv[3]}")
        print(f"series: {len(ka)}")
        return
    series = load(argv[1])
    for e in argv[2:]:
        if e.startswith('!~'):
            bad = [fmt(k) for k in series if k[0].startswith(e[2:])]
            if bad:
                die(f"expected no series starting with {e[2:]}, found {bad[:3]}")
        elif e.startswith('!'):
            key, _ = parse_expect(e[1:] + ' 0')
            if key in series:
                die(f"expected no series {fmt(key)}, found one with value {series[key]}")
        else:
            key, value = parse_expect(e)
            if key not in series:
                near = [fmt(k) for k in series if k[0] == key[0]][:5]
                die(f"missing series {fmt(key)} (same name: {near})")
            if series[key] != value:
                die(f"{fmt(key)} is {series[key]}, expected {value}")
    print(f"series: {len(series)}")


main(sys.argv)
