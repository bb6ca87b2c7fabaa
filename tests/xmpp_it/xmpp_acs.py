#!/usr/bin/env python3
"""The ACS side of the XMPP connection request tests (TR-069 Annex K): logs in to the
XMPP server with the given account, sends one connectionRequest IQ to the CPE's JID and
prints the outcome as one JSON line, then exits:
    {"type": "result"}
    {"type": "error", "condition": "not-authorized", "error_type": "auth"}
    {"type": "timeout"} / {"type": "login-failed"}
Uses slixmpp (Debian python3-slixmpp)."""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET

NS = "urn:broadband-forum-org:cwmp:xmppConnReq-1-0"


class Acs(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.outcome = {"type": "login-failed"}
        self.ssl_context.load_verify_locations(args.ca)
        self.add_event_handler("session_start", self.request)
        self.add_event_handler("failed_auth", lambda _e: self.disconnect())
        self.add_event_handler("connection_failed", lambda _e: self.disconnect())

    async def request(self, _event):
        iq = self.make_iq_get(ito=self.args.to)
        cr = ET.Element("{%s}connectionRequest" % NS)
        ET.SubElement(cr, "{%s}username" % NS).text = self.args.username
        ET.SubElement(cr, "{%s}password" % NS).text = self.args.cr_password
        iq.append(cr)
        try:
            await iq.send(timeout=self.args.timeout)
            self.outcome = {"type": "result"}
        except IqError as e:
            self.outcome = {"type": "error", "condition": e.condition, "error_type": e.etype}
        except IqTimeout:
            self.outcome = {"type": "timeout"}
        self.disconnect()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--cr-password", required=True)
    p.add_argument("--timeout", type=float, default=10)
    args = p.parse_args()
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr)
    acs = Acs(args)
    acs.connect(address=("127.0.0.1", args.port))
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(acs.disconnected, args.timeout + 10))
    except asyncio.TimeoutError:
        acs.outcome = {"type": "timeout"}
    print(json.dumps(acs.outcome), flush=True)


if __name__ == "__main__":
    main()
