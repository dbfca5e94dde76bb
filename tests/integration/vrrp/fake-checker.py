#!/usr/bin/env python3
"""A stand-in for vigil-checkerd on a test bus, implementing just the part of
org.vigil.Checker1 (DESIGN §6) that vrrpd consumes: Manager.ListChecks,
Check objects with Name/State, and Check.StateChanged. The test drives it by
writing lines "NAME STATE" (up|down|unknown) to the control file."""
import sys
import dbus, dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

BUS = sys.argv[1]            # bus name, e.g. org.vigil.Checker1
CTL = sys.argv[2]            # control file
CHECKS = sys.argv[3:]        # initial "NAME=STATE"
DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
seq = [0]

def escape(name):
    return ''.join(c if c.isalnum() and c.isascii() else '_%02x' % ord(c) for c in name)

class Check(dbus.service.Object):
    def __init__(self, name, state):
        self.path = '/org/vigil/Checker1/check/' + escape(name)
        super().__init__(bus, self.path)
        self.name, self.state = name, state
    @dbus.service.method('org.freedesktop.DBus.Properties', in_signature='ss', out_signature='v')
    def Get(self, iface, prop):
        return {'Name': self.name, 'State': self.state}[prop]
    @dbus.service.method('org.freedesktop.DBus.Properties', in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        return {'Name': self.name, 'State': self.state}
    @dbus.service.signal('org.vigil.Checker1.Check', signature='tsss')
    def StateChanged(self, seq, frm, to, detail):
        pass
    def set(self, state):
        if state != self.state:
            old, self.state = self.state, state
            seq[0] += 1
            self.StateChanged(dbus.UInt64(seq[0]), old, state, 'set by test')

class Manager(dbus.service.Object):
    def __init__(self, checks):
        super().__init__(bus, '/org/vigil/Checker1')
        self.checks = checks
    @dbus.service.method('org.vigil.Checker1.Manager', in_signature='', out_signature='a(so)')
    def ListChecks(self):
        return [(c.name, dbus.ObjectPath(c.path)) for c in self.checks.values()]

checks = {}
for spec in CHECKS:
    n, s = spec.split('=')
    checks[n] = Check(n, s)
mgr = Manager(checks)
name = dbus.service.BusName(BUS, bus)
pos = [0]
def poll():
    try:
        with open(CTL) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines[pos[0]:]:
        n, s = line.split()
        if n in checks:
            checks[n].set(s)
    pos[0] = len(lines)
    return True
GLib.timeout_add(50, poll)
print('ready', flush=True)
GLib.MainLoop().run()
