#!/usr/bin/python3
"""The example provider of bus/examples/example_provider.cpp in Python (python3-dbus and
python3-gi from Debian): serves Device.X_00005E_Provider. (example_provider.xml) over
org.cwmpd.Provider1 and registers with org.cwmpd.Providers1.

    example_provider.py [--address ADDR] [--definitions FILE] [--object PATH]
                        [--keys 7,9] [--max-level N]

SIGUSR1 advances Counter and signals ValuesChanged. Prints "registered" once cwmpd
accepted it.
"""
import argparse
import signal
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

BASE = "Device.X_00005E_Provider."
IFACE = "org.cwmpd.Provider1"


class Fault(dbus.DBusException):
    """A refusal: org.cwmpd.Fault.<Name>, message "<code> <text>"."""

    def __init__(self, code, name, text):
        super().__init__(f"{code} {text}", name=f"org.cwmpd.Fault.{name}")


class ExampleProvider(dbus.service.Object):
    def __init__(self, bus, path, keys, max_level):
        super().__init__(bus, path)
        self.max_level = max_level
        self.values = {BASE + "Greeting": "hello", BASE + "Level": "1", BASE + "Counter": "0"}
        self.lines = []
        for k in keys:
            self._add_line(k)

    def _add_line(self, key):
        self.lines.append(key)
        self.values[f"{BASE}Line.{key}.Name"] = f"line{key}"

    def _check(self, name):
        if name not in self.values:
            raise Fault(9005, "InvalidParameterName", f"no parameter {name}")

    @dbus.service.method(IFACE, in_signature="as", out_signature="a(ss)")
    def Get(self, names):
        out = []
        for n in names:
            if n == BASE + "LineNumberOfEntries":
                out.append((n, str(len(self.lines))))
                continue
            self._check(n)
            out.append((n, self.values[n]))
        return out

    @dbus.service.method(IFACE, in_signature="a(ss)")
    def Validate(self, changes):
        for n, v in changes:
            self._check(n)
            if n == BASE + "Level" and int(v) > self.max_level:
                raise Fault(9007, "InvalidParameterValue",
                            f"Level {v} is above this provider's limit {self.max_level}")

    @dbus.service.method(IFACE, in_signature="a(ss)")
    def Apply(self, changes):
        for n, v in changes:
            self.values[str(n)] = str(v)

    @dbus.service.method(IFACE, in_signature="a(ss)")
    def Rollback(self, changes):
        self.Apply(changes)

    @dbus.service.method(IFACE, in_signature="s", out_signature="au")
    def Instances(self, table):
        return dbus.Array(self.lines, signature="u")

    @dbus.service.method(IFACE, in_signature="s", out_signature="u")
    def Add(self, table):
        key = max(self.lines, default=0) + 1
        self._add_line(key)
        return key

    @dbus.service.method(IFACE, in_signature="s")
    def Delete(self, instance):
        key = int(instance[len(BASE + "Line."):].rstrip("."))
        if key not in self.lines:
            raise Fault(9005, "InvalidParameterName", instance)
        self.lines.remove(key)
        del self.values[f"{BASE}Line.{key}.Name"]

    @dbus.service.signal(IFACE, signature="as")
    def ValuesChanged(self, names):
        pass

    def bump(self):
        self.values[BASE + "Counter"] = str(int(self.values[BASE + "Counter"]) + 1)
        self.ValuesChanged([BASE + "Counter"])
        return True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--address", default="system")
    p.add_argument("--definitions", default="example_provider.xml")
    p.add_argument("--object", default="/org/cwmpd/example")
    p.add_argument("--keys", default="1")
    p.add_argument("--max-level", type=int, default=100)
    a = p.parse_args()

    DBusGMainLoop(set_as_default=True)
    if a.address == "system":
        bus = dbus.SystemBus()
    elif a.address == "session":
        bus = dbus.SessionBus()
    else:
        bus = dbus.bus.BusConnection(a.address)
    with open(a.definitions, encoding="utf-8") as f:
        definitions = f.read()
    keys = [int(k) for k in a.keys.split(",") if k]
    provider = ExampleProvider(bus, a.object, keys, a.max_level)
    loop = GLib.MainLoop()
    status = []

    def registered():
        print("registered", flush=True)

    def refused(e):
        print(f"register refused: {e.get_dbus_name()}: {e.get_dbus_message()}", file=sys.stderr)
        status.append(1)
        loop.quit()

    # Asynchronous: cwmpd calls Instances before it answers, so the loop must run.
    registry = bus.get_object("org.cwmpd", "/org/cwmpd/DataModel")
    registry.Register(definitions, dbus.ObjectPath(a.object),
                      dbus_interface="org.cwmpd.Providers1",
                      reply_handler=registered, error_handler=refused)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, provider.bump)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    loop.run()
    return status[0] if status else 0


if __name__ == "__main__":
    sys.exit(main())
