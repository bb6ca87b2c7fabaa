#!/usr/bin/env python3
"""Loopback file server for the transfer tests (Python 3 standard library; FTP needs
pyftpdlib, Debian package python3-pyftpdlib).

  file_server.py --root DIR --uploads DIR [--username U --password P]
                 [--tls-cert C --tls-key K] [--ftp]

HTTP(S) on 127.0.0.1, ephemeral port:
  GET  /files/NAME          the file ROOT/NAME
  GET  /basic/NAME          the same behind basic authentication
  GET  /digest/NAME         the same behind digest authentication (RFC 2617, MD5, qop=auth)
  GET  /slow/NAME           the same, 1 KiB every 0.2 s
  GET  /short/NAME          announces the real size + 1000 bytes and closes early
  GET  /flaky/N/NAME        404 for the first N requests of this path, then the file
  PUT or POST /upload/NAME  stores the body in UPLOADS/NAME and the method in NAME.method
                            (/basic/upload/... and /digest/upload/... too)
Every GET path is appended to UPLOADS/.requests (one line each), so tests can count attempts.
With --ftp, an FTP server (user U, password P, home ROOT, uploads allowed) as well.
Prints one JSON line {"http_port": N, "ftp_port": N or 0, "scheme": "http"|"https"}.
"""
import argparse
import hashlib
import http.server
import json
import os
import secrets
import ssl
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--uploads", required=True)
    ap.add_argument("--username", default="user")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--ftp", action="store_true")
    args = ap.parse_args()
    realm = "cwmpd-files"
    nonces = set()
    seen = {}  # GET path -> requests so far
    lock = threading.Lock()

    def md5(s):
        return hashlib.md5(s.encode()).hexdigest()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("file_server: " + (fmt % a) + "\n")

        def deny(self, scheme):
            self.send_response(401)
            if scheme == "basic":
                self.send_header("WWW-Authenticate", 'Basic realm="%s"' % realm)
            else:
                nonce = secrets.token_hex(16)
                nonces.add(nonce)
                self.send_header("WWW-Authenticate",
                                 'Digest realm="%s", nonce="%s", qop="auth", algorithm=MD5' % (realm, nonce))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def authorised(self, scheme):
            h = self.headers.get("Authorization", "")
            if scheme == "basic":
                import base64
                want = base64.b64encode(("%s:%s" % (args.username, args.password)).encode()).decode()
                return h == "Basic " + want
            if not h.startswith("Digest "):
                return False
            parts = {}
            for item in h[7:].split(","):
                if "=" in item:
                    k, v = item.strip().split("=", 1)
                    parts[k] = v.strip('"')
            if parts.get("nonce") not in nonces or parts.get("username") != args.username:
                return False
            ha1 = md5("%s:%s:%s" % (args.username, realm, args.password))
            ha2 = md5("%s:%s" % (self.command, parts.get("uri", "")))
            want = md5(":".join([ha1, parts["nonce"], parts.get("nc", ""), parts.get("cnonce", ""),
                                 parts.get("qop", ""), ha2]))
            return parts.get("response") == want

        def route(self):
            path = self.path.split("?")[0]
            segs = path.strip("/").split("/")
            if len(segs) < 2:
                return None, None, None
            kind = segs[0]
            auth = kind if kind in ("basic", "digest") else None
            if auth and segs[1] == "upload":
                return auth, "upload", "/".join(segs[2:])
            return auth, kind, "/".join(segs[1:])

        def body(self):
            n = int(self.headers.get("Content-Length", "0"))
            data = b""
            while len(data) < n:
                chunk = self.rfile.read(n - len(data))
                if not chunk:
                    break
                data += chunk
            return data

        def do_GET(self):
            with lock:
                seen[self.path] = seen.get(self.path, 0) + 1
                count = seen[self.path]
                with open(os.path.join(args.uploads, ".requests"), "a") as log:
                    log.write(self.path + "\n")
            auth, kind, name = self.route()
            if kind == "flaky":
                failures, _, name = (name or "").partition("/")
                if count <= int(failures or "0"):
                    name = None  # a 404 below
                kind = "files"
            if auth and not self.authorised(auth):
                return self.deny(auth)
            if auth:
                kind = "files"
            file = os.path.join(args.root, os.path.basename(name or ""))
            if kind not in ("files", "slow", "short") or not name or not os.path.isfile(file):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(file, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) + (1000 if kind == "short" else 0)))
            if kind == "short":
                self.send_header("Connection", "close")
            self.end_headers()
            if kind == "slow":
                for i in range(0, len(data), 1024):
                    self.wfile.write(data[i:i + 1024])
                    self.wfile.flush()
                    time.sleep(0.2)
            else:
                self.wfile.write(data)
            if kind == "short":
                self.close_connection = True

        def store(self):
            auth, kind, name = self.route()
            data = self.body()
            if auth and not self.authorised(auth):
                return self.deny(auth)
            if kind != "upload" or not name:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(os.path.join(args.uploads, os.path.basename(name)), "wb") as f:
                f.write(data)
            with open(os.path.join(args.uploads, os.path.basename(name) + ".method"), "w") as f:
                f.write(self.command)
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_PUT = store
        do_POST = store

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    ftp_port = 0
    if args.ftp:
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import ThreadedFTPServer
        import logging
        logging.basicConfig(level=logging.WARNING)
        authorizer = DummyAuthorizer()
        authorizer.add_user(args.username, args.password, args.root, perm="elradfmw")
        FTPHandler.authorizer = authorizer
        FTPHandler.passive_ports = None
        ftpd = ThreadedFTPServer(("127.0.0.1", 0), FTPHandler)
        ftp_port = ftpd.socket.getsockname()[1]
        threading.Thread(target=ftpd.serve_forever, daemon=True).start()
    print(json.dumps({"http_port": httpd.server_address[1], "ftp_port": ftp_port, "scheme": scheme}), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
