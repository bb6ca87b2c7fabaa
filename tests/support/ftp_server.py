#!/usr/bin/env python3
"""A loopback FTP server for the TR-143 diagnostics tests (pyftpdlib, Debian package
python3-pyftpdlib).

    ftp_server.py ROOT [--rate BYTES_PER_SECOND] [--pause SECONDS]

Serves ROOT on 127.0.0.1 to anonymous and to user "user" (password "secret"), both with
read and write rights; prints the ephemeral port as the first line of stdout. Every
download's data connection waits --pause seconds before its first byte, and every data
connection is paced to --rate bytes a second (0: as fast as it goes), so that the test
knows when data really flowed. When a data connection closes, before the 226 goes out, one
line is appended to ROOT/.transfers:

    RETR|STOR BYTES FIRST LAST

BYTES the data bytes the server sent or received, FIRST and LAST the wall-clock times
(seconds since the epoch) of the first and the last of them, as this server saw them.
"""
import argparse
import logging
import os
import socket
import sys
import time
import warnings

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

CHUNK = 64 * 1024


class PacedDTPHandler(DTPHandler):
    rate = 0
    pause = 0.0
    transfer_log = ""
    # What send() hands to the kernel at a time: the pacing's grain.
    ac_out_buffer_size = CHUNK
    ac_in_buffer_size = CHUNK

    def __init__(self, sock, cmd_channel):
        super().__init__(sock, cmd_channel)
        # Small kernel buffers: what the server sent is close to what the client received.
        for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
            self.socket.setsockopt(socket.SOL_SOCKET, opt, CHUNK)
        self.count = 0
        self.first = None
        self.last = None
        self.logged = False

    def use_sendfile(self):
        return False

    def _counted(self, n):
        now = time.time()
        if n <= 0:
            return
        if self.first is None:
            self.first = now
        self.count += n
        self.last = now
        if self.rate:
            due = self.first + self.count / self.rate
            if due > now:
                time.sleep(due - now)

    def send(self, data):
        if self.first is None and self.pause:
            time.sleep(self.pause)
        n = super().send(data[:CHUNK])
        self._counted(n or 0)
        return n

    def recv(self, buffer_size):
        chunk = super().recv(min(buffer_size, CHUNK))
        self._counted(len(chunk))
        return chunk

    def close(self):
        if not self.logged and self.file_obj is not None:
            self.logged = True
            with open(self.transfer_log, "a") as f:
                f.write("%s %d %.6f %.6f\n" % ("STOR" if self.receive else "RETR", self.count,
                                               self.first or 0, self.last or 0))
        super().close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--pause", type=float, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.simplefilter("ignore")  # "write permissions assigned to anonymous user": wanted
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(args.root, perm="elradfmw")
    authorizer.add_user("user", "secret", args.root, perm="elradfmw")
    PacedDTPHandler.rate = args.rate
    PacedDTPHandler.pause = args.pause
    PacedDTPHandler.transfer_log = os.path.join(args.root, ".transfers")

    class Handler(FTPHandler):
        pass

    Handler.authorizer = authorizer
    Handler.dtp_handler = PacedDTPHandler
    Handler.use_sendfile = False
    Handler.banner = "cwmpd test FTP server"
    Handler.auth_failed_timeout = 0.05  # a wrong password is answered at once
    server = ThreadedFTPServer(("127.0.0.1", 0), Handler)
    print(server.socket.getsockname()[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
