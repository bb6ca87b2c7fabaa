#!/usr/bin/env python3
"""Writes the demo PON transceiver's SFF-8472 pages: optics/pon0/a0h.bin and a2h.bin.

A GPON ONU SFP (class B+: transmits 1310 nm at +0.5..+5 dBm, receives 1490 nm from
-28 to -8 dBm) with internally calibrated digital diagnostics. Byte offsets and units
follow SFF-8472 rev 12: A0h table 4-1, A2h tables 9-5 (thresholds) and 9-11 (values).

Usage: make-optics.py [OUT_DIR]   (default: optics/pon0 next to this script)
Edit the numbers below and re-run to simulate another module state.
"""
import math
import os
import struct
import sys


def text(s, n):
    return s.encode("ascii").ljust(n, b" ")[:n]


def a0h():
    p = bytearray(256)
    p[0] = 0x03  # identifier: SFP/SFP+/SFP28
    p[1] = 0x04  # extended identifier: function defined by two-wire ID only
    p[2] = 0x01  # connector: SC
    p[11] = 0x03  # encoding: NRZ
    p[12] = 0x0C  # nominal bit rate 1.2 GBd (units of 100 MBd)
    p[14] = 20  # single-mode reach, km
    p[15] = 200  # single-mode reach, units of 100 m
    p[20:36] = text("SIMPHOTONICS", 16)
    p[37:40] = bytes([0x00, 0x0A, 0x5C])  # vendor OUI
    p[40:56] = text("SPG-3410-B+", 16)
    p[56:60] = text("1.2", 4)
    p[60:62] = struct.pack(">H", 1310)  # laser wavelength, nm
    p[63] = sum(p[0:63]) & 0xFF  # CC_BASE
    p[65] = 0x1A  # options: LOS, TX_FAULT, TX_DISABLE implemented
    p[68:84] = text("SIM24110600042", 16)
    p[84:92] = text("241106  ", 8)  # date code YYMMDD + lot
    p[92] = 0x68  # DDM implemented, internally calibrated, average Rx power
    p[93] = 0xF0  # enhanced options: alarm/warning flags, soft TX_DISABLE, TX_FAULT, RX_LOS
    p[94] = 0x08  # SFF-8472 rev 12.3 compliance
    p[95] = sum(p[64:95]) & 0xFF  # CC_EXT
    return bytes(p)


def power_raw(dbm):
    """dBm -> 0.1 uW units, the A2h power encoding."""
    return min(0xFFFF, round(10 ** (dbm / 10) * 1000 * 10))


def a2h():
    p = bytearray(256)
    thresholds = [
        # high alarm, low alarm, high warning, low warning
        [round(t * 256) & 0xFFFF for t in (90, -45, 85, -40)],  # temperature, 1/256 degC
        [round(v / 100e-6) for v in (3.6, 3.0, 3.5, 3.1)],  # Vcc, 100 uV
        [round(i / 2e-3) for i in (90, 2, 80, 3)],  # Tx bias, 2 uA (values in mA)
        [power_raw(d) for d in (6.0, 0.0, 5.0, 0.5)],  # Tx power
        [power_raw(d) for d in (-7.0, -29.0, -8.0, -28.0)],  # Rx power
    ]
    at = 0
    for quantity in thresholds:
        for v in quantity:
            p[at:at + 2] = struct.pack(">H", v)
            at += 2
    # Internally calibrated modules carry the identity constants: slopes 1.0, offsets 0.
    p[76:78] = p[80:82] = p[84:86] = p[88:90] = struct.pack(">H", 0x0100)
    p[95] = sum(p[0:95]) & 0xFF  # CC_DMI
    p[96:98] = struct.pack(">h", round(42.5 * 256))  # temperature
    p[98:100] = struct.pack(">H", round(3.29 / 100e-6))  # Vcc
    p[100:102] = struct.pack(">H", round(14.2 / 2e-3))  # Tx bias 14.2 mA
    p[102:104] = struct.pack(">H", power_raw(2.1))  # Tx power +2.1 dBm
    p[104:106] = struct.pack(">H", power_raw(-18.4))  # Rx power -18.4 dBm
    p[110] = 0x00  # status: TX enabled, no fault, no LOS, data ready
    return bytes(p)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "optics", "pon0")
    os.makedirs(out, exist_ok=True)
    for name, data in (("a0h.bin", a0h()), ("a2h.bin", a2h())):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    rx = struct.unpack(">H", a2h()[104:106])[0] / 10
    print(f"{out}: Rx {10 * math.log10(rx / 1000):.2f} dBm")


if __name__ == "__main__":
    main()
