#!/usr/bin/env python3
"""A scriptable loopback ACS for cwmpd's tests (Python 3 standard library only).

It serves CWMP over HTTP or HTTPS on one port and a JSON control API on a second
port (always plain HTTP on 127.0.0.1). Every request it receives is kept in memory
and, with --log, appended to a JSONL file. See README.md next to this file.
"""

import argparse
import base64
import hashlib
import http.client
import http.server
import json
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import zlib
import urllib.parse
import xml.etree.ElementTree as ET

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CWMP_NS_RE = re.compile(r"^urn:dslforum-org:cwmp-1-[0-9]+$")
DEFAULT_NS = "urn:dslforum-org:cwmp-1-0"

FAULT_STRINGS = {
    8000: "Method not supported",
    8001: "Request denied",
    8002: "Internal error",
    8003: "Invalid arguments",
    8004: "Resources exceeded",
    8005: "Retry request",
    8006: "ACS version incompatible with CPE",
}

DEFAULT_CONFIG = {
    "auth": "none",  # none | basic | digest
    "username": "cpe",
    "password": "secret",
    "realm": "cwmpd-test-acs",
    "cookie": False,  # set a session cookie on the InformResponse...
    "require_cookie": True,  # ...and answer 403 to requests of the session without it
    "redirect_hops": 0,  # POSTs outside /hop/ go through this many redirects
    "redirect_status": 307,
    "redirect_url": "",  # non-empty: POSTs outside /hop/ are redirected there instead
    "max_envelopes": 1,
    "cpe_method_faults": {},  # CPE method name -> ACS fault code (8000..8005)
    "fault_http_status": 500,
    "fault_style": "standard",  # standard | genieacs (its <soap-env:Body:Fault> bug)
    "close_on_end": False,  # send Connection: close with the session's final 204
    "hold_requests": False,  # put HoldRequests=1 in the header of every ACS message
    "mode": "standard",  # standard | genieacs (behave like GenieACS 1.3, see README.md)
    # "" answers in the CPE's namespace. "1.0" to "1.3": an ACS of that version only: it
    # answers in that version's namespace, ignores SupportedCWMPVersions and refuses (400)
    # a later message of the session in another namespace. "1.4": negotiates (TR-069
    # A.4.1): UseCWMPVersion = the highest version in the Inform's SupportedCWMPVersions.
    "cwmp_version": "",
    "use_cwmp_version": "",  # non-empty: the UseCWMPVersion sent, whatever was offered
    # With cwmp_version "1.0" to "1.3": an Inform in another namespace is refused, "400"
    # with HTTP 400 (as GenieACS refuses a namespace it does not know) or "8006" with
    # SOAP fault 8006 (ACS version incompatible with CPE). "" accepts it.
    "refuse_other_versions": "",
    "session_timeout": 0,  # > 0: a SessionTimeout header (seconds) in the InformResponse
    # RFC 7694: "Accept-Encoding: gzip" on every answer, and gzip request bodies read;
    # without it a request with a Content-Encoding gets 415.
    "accept_gzip": False,
    "gzip_responses": False,  # gzip the SOAP answers of a request that accepts gzip
}

MAX_INFLATED = 64 * 1024 * 1024


def gunzip(data):
    """A gzip body, inflated at most to MAX_INFLATED bytes (ValueError beyond)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_INFLATED)
    if inflater.unconsumed_tail:
        raise ValueError("inflated body too large")
    if not inflater.eof:
        raise ValueError("truncated gzip body")
    return out

# What "mode": "genieacs" forces, after the corpus README (../shared/corpus/genieacs): a
# session cookie on the InformResponse only, MaxEnvelopes 1, the session's 204 with
# Connection: close, and the <soap-env:Body:Fault> 8000 form at HTTP 200 for a CPE method
# it does not implement.
GENIEACS_CONFIG = {
    "cookie": True,
    "require_cookie": True,
    "max_envelopes": 1,
    "close_on_end": True,
    "fault_style": "genieacs",
    "fault_http_status": 200,
}
GENIEACS_SERVER = "GenieACS/1.3.0-dev+2611253cba"
# The CPE methods GenieACS answers (lib/soap.ts); RequestDownload kills its worker, which
# the CPE sees as a dropped connection. Any other CPE method gets the 8000 fault.
GENIEACS_CPE_METHODS = ("Inform", "GetRPCMethods", "TransferComplete")

HOLD_REQUESTS = '<cwmp:HoldRequests soap-env:mustUnderstand="1">1</cwmp:HoldRequests>'



def now():
    return time.time()


def effective_config(config):
    """The settings in force: the stored config with what its mode imposes."""
    cfg = json.loads(json.dumps(config))
    if cfg.get("mode") == "genieacs":
        cfg.update(GENIEACS_CONFIG)
    return cfg


def md5hex(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def parse_auth_params(value):
    """Parses the comma-separated key=value list of a Digest Authorization header."""
    params = {}
    for match in re.finditer(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))', value):
        params[match.group(1).lower()] = match.group(2) if match.group(2) is not None \
            else match.group(3)
    return params


def envelope(ns, cwmp_id, body_xml, extra_header=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<soap-env:Envelope xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" '
            'xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:cwmp="{ns}"><soap-env:Header>'
            f'<cwmp:ID soap-env:mustUnderstand="1">{cwmp_id}</cwmp:ID>{extra_header}'
            f'</soap-env:Header><soap-env:Body>{body_xml}</soap-env:Body></soap-env:Envelope>')


def version_namespace(version):
    """The namespace of a CWMP version: 1.2, 1.3 and 1.4 share cwmp-1-2 (cwmp-1-4.xsd)."""
    minor = int(version.split(".")[1]) if re.match(r"^1\.[0-9]+$", version) else 0
    return f"urn:dslforum-org:cwmp-1-{min(minor, 2)}"


def negotiate(cfg, msg):
    """(namespace of the session, extra InformResponse header) for an Inform."""
    version = cfg["cwmp_version"]
    if version == "1.4":
        chosen = cfg["use_cwmp_version"]
        if not chosen and msg.supported_versions is not None:
            offered = [v.strip() for v in msg.supported_versions.split(",")
                       if re.match(r"^1\.[0-9]+$", v.strip())]
            chosen = max(offered, key=lambda v: int(v.split(".")[1]), default="")
        if not chosen:
            return msg.ns, ""
        header = (f'<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">{chosen}'
                  f'</cwmp:UseCWMPVersion>')
        return version_namespace(chosen), header
    if version:
        return version_namespace(version), ""
    return msg.ns, ""


def fault_xml(code, style):
    tag = "soap-env:Body:Fault" if style == "genieacs" else "soap-env:Fault"
    return (f"<{tag}><faultcode>Server</faultcode><faultstring>CWMP fault</faultstring>"
            f"<detail><cwmp:Fault><FaultCode>{code}</FaultCode>"
            f"<FaultString>{FAULT_STRINGS.get(code, 'Fault')}</FaultString></cwmp:Fault>"
            f"</detail></{tag}>")


class Message:
    """What the ACS needs to know about a CPE envelope."""

    def __init__(self, raw):
        self.raw = raw
        self.method = None  # local name of the Body's first child, "" for an empty POST
        self.ns = DEFAULT_NS
        self.cwmp_id = None
        self.events = []
        self.fault_code = None
        self.error = None
        self.known_ns = True  # the method's namespace is urn:dslforum-org:cwmp-1-N
        self.supported_versions = None  # the SupportedCWMPVersions header's text
        self.session_timeout = None  # the SessionTimeout header's text
        if not raw.strip():
            self.method = ""
            return
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as e:
            self.error = f"malformed XML: {e}"
            return
        header = root.find(f"{{{SOAP_ENV}}}Header")
        if header is not None:
            for child in header:
                if child.tag.endswith("}ID"):
                    self.cwmp_id = child.text or ""
                    self.ns = child.tag[1:].split("}")[0]
                elif child.tag.endswith("}SupportedCWMPVersions"):
                    self.supported_versions = child.text or ""
                elif child.tag.endswith("}SessionTimeout"):
                    self.session_timeout = child.text or ""
        body = root.find(f"{{{SOAP_ENV}}}Body")
        if body is None or len(body) == 0:
            self.error = "no SOAP Body content"
            return
        first = body[0]
        uri, _, local = first.tag[1:].partition("}")
        self.method = local
        if CWMP_NS_RE.match(uri):
            self.ns = uri
        else:
            self.known_ns = False
        for code in first.iter():
            if code.tag.endswith("EventCode"):
                self.events.append(code.text or "")
            if code.tag.endswith("FaultCode") and self.fault_code is None:
                try:
                    self.fault_code = int(code.text or "")
                except ValueError:
                    pass


class Acs:
    """Shared state of the ACS port and the control port."""

    def __init__(self, log_path):
        self.lock = threading.Condition()
        self.config = json.loads(json.dumps(DEFAULT_CONFIG))
        self.requests = []
        self.sessions = []
        self.results = []
        self.rpcs = []  # pending scripted RPCs (SOAP bodies or whole envelopes)
        self.responses = []  # pending canned responses
        self.held = 0  # requests that reached a canned "hold" so far
        self.released = set()  # names of the holds POST /release let go
        self.nonces = {}
        self.session = None  # the open session (a dict in self.sessions)
        self.rpc_counter = 0
        self.conn_counter = 0
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.requests)
            self.requests.append(entry)
            if self.log_file:
                self.log_file.write(json.dumps(entry) + "\n")
                self.log_file.flush()
            self.lock.notify_all()

    def reset(self):
        with self.lock:
            self.config = json.loads(json.dumps(DEFAULT_CONFIG))
            self.requests.clear()
            self.sessions.clear()
            self.results.clear()
            self.rpcs.clear()
            self.responses.clear()
            self.held = 0
            self.released.clear()
            self.session = None
            self.lock.notify_all()

    # --- authentication -------------------------------------------------------------

    def check_auth(self, handler, cfg):
        """Returns None when the request may proceed, else the 401 headers to send."""
        mode = cfg["auth"]
        if mode == "none":
            return None
        header = handler.headers.get("Authorization", "")
        if mode == "basic":
            expected = base64.b64encode(
                f'{cfg["username"]}:{cfg["password"]}'.encode()).decode()
            if header == f"Basic {expected}":
                return None
            return {"WWW-Authenticate": f'Basic realm="{cfg["realm"]}"'}
        stale = False
        if header.startswith("Digest "):
            p = parse_auth_params(header[7:])
            with self.lock:
                known = p.get("nonce") in self.nonces
            ha1 = md5hex(f'{cfg["username"]}:{cfg["realm"]}:{cfg["password"]}')
            ha2 = md5hex(f'{handler.command}:{p.get("uri", "")}')
            if p.get("qop"):
                expected = md5hex(f'{ha1}:{p.get("nonce")}:{p.get("nc")}:{p.get("cnonce")}:'
                                  f'{p.get("qop")}:{ha2}')
            else:
                expected = md5hex(f'{ha1}:{p.get("nonce")}:{ha2}')
            if (known and p.get("username") == cfg["username"] and
                    p.get("realm") == cfg["realm"] and p.get("uri") == handler.path and
                    p.get("response") == expected):
                return None
            stale = not known and p.get("response") == expected
        nonce = secrets.token_hex(16)
        with self.lock:
            self.nonces[nonce] = now()
        challenge = (f'Digest realm="{cfg["realm"]}", qop="auth", nonce="{nonce}", '
                     f'opaque="{secrets.token_hex(8)}", algorithm=MD5')
        if stale:
            challenge += ", stale=true"
        return {"WWW-Authenticate": challenge}

    # --- CWMP -----------------------------------------------------------------------

    def next_rpc_or_end(self, ns):
        """The ACS's turn: send the next scripted RPC, or end the session with 204."""
        with self.lock:
            if self.rpcs:
                rpc = self.rpcs.pop(0)
                self.rpc_counter += 1
                if "Envelope" in rpc:
                    text = rpc
                else:
                    hold = HOLD_REQUESTS if self.config["hold_requests"] else ""
                    text = envelope(ns, f"acs-{self.rpc_counter}", rpc, hold)
                if self.session is not None:
                    self.session["pending_rpc"] = text
                return 200, text, {}
            if self.session is not None:
                self.session["ended"] = now()
                self.session["end"] = "204"
                self.session = None
            self.lock.notify_all()
            close = effective_config(self.config)["close_on_end"]
        return 204, "", ({"Connection": "close"} if close else {})

    def handle_cwmp(self, msg, handler, cfg):
        """Returns (status, body, headers) for a CPE envelope (after auth and redirects)."""
        genieacs = cfg["mode"] == "genieacs"
        if msg.error:
            return 400, msg.error, ({"Connection": "close"} if genieacs else {})
        faults = dict(cfg["cpe_method_faults"])
        if genieacs and msg.method and not msg.method.endswith("Response") and \
                msg.method != "Fault" and msg.method not in GENIEACS_CPE_METHODS and \
                msg.method != "RequestDownload":
            faults.setdefault(msg.method, 8000)
        if msg.method == "Inform":
            if genieacs and not msg.known_ns:
                return 400, "Unrecognized CWMP version", {"Connection": "close"}
            if genieacs and self.in_open_session(handler):
                # GenieACS: "Bad session state" for an Inform inside a session.
                return 400, "Bad session state", {"Connection": "close"}
            refuse = cfg["refuse_other_versions"]
            if refuse and cfg["cwmp_version"] not in ("", "1.4") and \
                    msg.ns != version_namespace(cfg["cwmp_version"]):
                if refuse == "8006":
                    return (cfg["fault_http_status"],
                            envelope(msg.ns, msg.cwmp_id or "1",
                                     fault_xml(8006, cfg["fault_style"])), {})
                return 400, "Unrecognized CWMP version", {"Connection": "close"}
            if "Inform" in faults:
                return (cfg["fault_http_status"],
                        envelope(msg.ns, msg.cwmp_id or "1",
                                 fault_xml(faults["Inform"], cfg["fault_style"])), {})
            session_ns, version_header = negotiate(cfg, msg)
            with self.lock:
                if self.session is not None:
                    self.session["end"] = "abandoned"
                    self.session["ended"] = now()
                self.session = {
                    "id": len(self.sessions),
                    "cookie": secrets.token_hex(8) if cfg["cookie"] else None,
                    "namespace": session_ns,
                    "inform_namespace": msg.ns,
                    "supported_versions": msg.supported_versions,
                    "session_timeout": msg.session_timeout,
                    "events": msg.events,
                    "inform": msg.raw,
                    "started": now(),
                    "ended": None,
                    "end": None,
                    "cpe_requests": [],
                    "pending_rpc": None,
                }
                self.sessions.append(self.session)
                headers = {}
                if self.session["cookie"]:
                    headers["Set-Cookie"] = f'session={self.session["cookie"]}'
                self.lock.notify_all()
            body = (f'<cwmp:InformResponse><MaxEnvelopes>{cfg["max_envelopes"]}'
                    f'</MaxEnvelopes></cwmp:InformResponse>')
            hold = HOLD_REQUESTS if cfg["hold_requests"] else ""
            if cfg["session_timeout"]:
                hold += (f'<cwmp:SessionTimeout soap-env:mustUnderstand="0">'
                         f'{int(cfg["session_timeout"])}</cwmp:SessionTimeout>')
            return 200, envelope(session_ns, msg.cwmp_id or "1", body, version_header + hold), \
                headers

        with self.lock:
            session = self.session
        if session is None:
            return 400, "Invalid session", {"Connection": "close"}
        if session["cookie"] and cfg["require_cookie"]:
            cookie = handler.headers.get("Cookie", "")
            if f'session={session["cookie"]}' not in cookie:
                if genieacs:
                    return 400, "Invalid session", {"Connection": "close"}
                return 403, "missing session cookie", {}
        ns = session["namespace"]
        if cfg["cwmp_version"] and msg.method != "" and msg.ns != ns:
            # An ACS of one version does not read another version's messages.
            return 400, "Unrecognized CWMP version", {"Connection": "close"}

        if msg.method == "":
            return self.next_rpc_or_end(ns)
        if msg.method.endswith("Response") or msg.method == "Fault":
            with self.lock:
                self.results.append({
                    "session": session["id"],
                    "rpc": session["pending_rpc"],
                    "method": msg.method,
                    "fault_code": msg.fault_code,
                    "body": msg.raw,
                    "time": now(),
                })
                session["pending_rpc"] = None
                self.lock.notify_all()
            return self.next_rpc_or_end(ns)

        # A request from the CPE (TransferComplete, GetRPCMethods, ...).
        with self.lock:
            session["cpe_requests"].append(msg.method)
        if genieacs and msg.method == "RequestDownload":
            return 0, "", {}  # GenieACS's worker dies: the connection drops
        if msg.method in faults:
            return (cfg["fault_http_status"],
                    envelope(ns, msg.cwmp_id or "1",
                             fault_xml(faults[msg.method], cfg["fault_style"])), {})
        if msg.method == "GetRPCMethods":
            names = list(GENIEACS_CPE_METHODS) if genieacs else [
                "Inform", "GetRPCMethods", "TransferComplete",
                "AutonomousTransferComplete", "Kicked", "RequestDownload"]
            items = "".join(f"<string>{n}</string>" for n in names)
            body = (f'<cwmp:GetRPCMethodsResponse><MethodList soap-enc:arrayType='
                    f'"xsd:string[{len(names)}]">{items}</MethodList></cwmp:GetRPCMethodsResponse>')
        elif msg.method == "Kicked":
            body = "<cwmp:KickedResponse><NextURL></NextURL></cwmp:KickedResponse>"
        else:
            body = f"<cwmp:{msg.method}Response></cwmp:{msg.method}Response>"
        return 200, envelope(ns, msg.cwmp_id or "1", body), {}

    def in_open_session(self, handler):
        """True when the request carries the cookie of the open session."""
        with self.lock:
            session = self.session
        return (session is not None and session["cookie"] is not None and
                f'session={session["cookie"]}' in handler.headers.get("Cookie", ""))

    def hold(self, name, timeout):
        """Keeps a request unanswered until POST /release names `name` (or `timeout` s)."""
        deadline = now() + timeout
        with self.lock:
            self.held += 1
            self.lock.notify_all()
            while name not in self.released and now() < deadline:
                self.lock.wait(max(0.0, deadline - now()))

    def take_canned(self, method):
        with self.lock:
            for i, canned in enumerate(self.responses):
                match = canned.get("match")
                if match is None or match == method:
                    return self.responses.pop(i)
        return None

    # --- connection requests (the ACS as HTTP client of the CPE) ----------------------

    def connection_request(self, spec):
        if "nc" in spec:
            return {"nc_statuses": digest_get_nc(spec["url"], spec.get("username", ""),
                                                 spec.get("password", ""),
                                                 [int(n) for n in spec["nc"]],
                                                 bool(spec.get("rechallenge")),
                                                 float(spec.get("timeout", 5)))}
        count = int(spec.get("count", 1))
        with self.lock:
            genieacs = spec.get("style", self.config["mode"]) == "genieacs"
        statuses = {}
        outcomes = {}
        errors = []
        started = now()
        for _ in range(count):
            try:
                if genieacs:
                    status = genieacs_connection_request(
                        spec["url"], spec.get("username", ""), spec.get("password", ""),
                        float(spec.get("timeout", 5)))
                else:
                    status = digest_get(spec["url"], spec.get("username", ""),
                                        spec.get("password", ""), float(spec.get("timeout", 5)))
            except (OSError, http.client.HTTPException, ValueError) as e:
                status = 0
                if len(errors) < 10:
                    errors.append(repr(e))
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            outcome = connection_request_outcome(status)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        result = {"statuses": statuses, "outcomes": outcomes, "errors": errors,
                  "seconds": now() - started}
        if count == 1:
            result["status"] = int(next(iter(statuses)))
            result["outcome"] = next(iter(outcomes))
        return result


def connection_request_outcome(status):
    """How GenieACS's lib/connection-request.ts reads the CPE's answer: 200/204 is done,
    503 or a refused/reset connection (status 0 here) is "Device is offline", a second
    401 is wrong credentials, anything else an error."""
    if status in (200, 204):
        return "ok"
    if status in (0, 503):
        return "offline"
    if status == 401:
        return "credentials"
    return "error"


def genieacs_connection_request(url, username, password, timeout):
    """A Connection Request the way GenieACS sends it: a GET without credentials, and on
    401 with a Digest challenge the same GET with digest credentials on the same
    keep-alive connection (one socket per request). Basic is not answered (GenieACS's
    default cwmp.connectionRequestAllowBasicAuth is false)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise ValueError("Invalid connection request URL or protocol")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "keep-alive"})
        reply = conn.getresponse()
        reply.read()
        challenge = reply.getheader("WWW-Authenticate", "")
        if reply.status != 401 or not challenge.lower().startswith("digest "):
            return reply.status
        authorization = digest_authorization("GET", path, challenge, username, password)
        if reply.will_close:
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        conn.request("GET", path, headers={"Connection": "keep-alive",
                                           "Authorization": authorization})
        reply = conn.getresponse()
        reply.read()
        return reply.status
    finally:
        conn.close()


def digest_authorization(method, path, challenge, username, password):
    """The Authorization header value answering a Digest `challenge` (RFC 2617, MD5)."""
    p = parse_auth_params(challenge[7:])
    if p.get("algorithm", "MD5").upper() != "MD5":
        raise ValueError(f"digest algorithm {p['algorithm']} not supported")
    realm, nonce = p.get("realm", ""), p.get("nonce", "")
    ha1 = md5hex(f"{username}:{realm}:{password}")
    ha2 = md5hex(f"{method}:{path}")
    cnonce = secrets.token_hex(8)
    fields = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"',
              f'uri="{path}"', "algorithm=MD5"]
    if "auth" in [q.strip() for q in p.get("qop", "").split(",")]:
        response = md5hex(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        fields += ["qop=auth", "nc=00000001", f'cnonce="{cnonce}"']
    else:
        response = md5hex(f"{ha1}:{nonce}:{ha2}")
    fields.append(f'response="{response}"')
    if "opaque" in p:
        fields.append(f'opaque="{p["opaque"]}"')
    return "Digest " + ", ".join(fields)


def digest_get(url, username, password, timeout):
    """A Connection Request as ACSs send it (TR-069 3.2.2): a GET, and after the 401 the
    same GET with digest credentials on a NEW connection, as some ACSs do; the CPE must
    accept a nonce issued on another connection."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    status, challenge = plain_get(parts, path, {}, timeout)
    if status != 401 or not challenge.lower().startswith("digest "):
        return status
    status, _ = plain_get(parts, path, {"Authorization": digest_authorization(
        "GET", path, challenge, username, password)}, timeout)
    return status


def plain_get(parts, path, headers, timeout):
    """One GET on a new connection: (status, WWW-Authenticate)."""
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers)
        reply = conn.getresponse()
        reply.read()
        return reply.status, reply.getheader("WWW-Authenticate", "")
    finally:
        conn.close()


def digest_get_nc(url, username, password, counts, rechallenge, timeout):
    """After one challenge, the same authenticated GET once per nonce count in `counts`
    (same nonce and cnonce, a new connection each), as a replaying attacker or a careless
    ACS would send them: the status of each. `rechallenge`: an unauthenticated GET before
    each, as an attacker may send to make the server issue the nonce again."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    status, challenge = plain_get(parts, path, {}, timeout)
    if status != 401 or not challenge.lower().startswith("digest "):
        return [status] * len(counts)
    p = parse_auth_params(challenge[7:])
    realm, nonce = p.get("realm", ""), p.get("nonce", "")
    ha1 = md5hex(f"{username}:{realm}:{password}")
    ha2 = md5hex(f"GET:{path}")
    cnonce = secrets.token_hex(8)
    statuses = []
    for n in counts:
        if rechallenge:
            plain_get(parts, path, {}, timeout)
        nc = f"{n:08x}"
        response = md5hex(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        fields = [f'username="{username}"', f'realm="{realm}"', f'nonce="{nonce}"',
                  f'uri="{path}"', "algorithm=MD5", "qop=auth", f"nc={nc}",
                  f'cnonce="{cnonce}"', f'response="{response}"']
        if "opaque" in p:
            fields.append(f'opaque="{p["opaque"]}"')
        statuses.append(plain_get(parts, path, {"Authorization": "Digest " + ", ".join(fields)},
                                  timeout)[0])
    return statuses


class AcsHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cwmpd-test-acs/1"

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def setup(self):
        super().setup()
        with self.server.acs.lock:
            self.server.acs.conn_counter += 1
            self.conn_id = self.server.acs.conn_counter

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length > 0 else b""

    def version_string(self):
        return GENIEACS_SERVER if getattr(self, "genieacs", False) else super().version_string()

    def send_response(self, code, message=None):
        if getattr(self, "genieacs", False) and code >= 400:
            # GenieACS's error answers carry only Connection, Content-Length and Date.
            self.log_request(code)
            self.send_response_only(code, message)
            self.send_header("Date", self.date_time_string())
            return
        super().send_response(code, message)

    def send(self, status, body="", headers=None, chunked=False):
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = dict(headers or {})
        genieacs = getattr(self, "genieacs", False)
        if genieacs and status in (200, 204):
            # GenieACS names itself twice; its 400s carry no Server and no Content-Type.
            headers.setdefault("SOAPServer", GENIEACS_SERVER)
        if getattr(self, "accept_gzip", False):
            headers.setdefault("Accept-Encoding", "gzip")
        if getattr(self, "gzip_response", False) and data and status == 200:
            data = zlib.compress(data, 6, wbits=16 + zlib.MAX_WBITS)
            headers["Content-Encoding"] = "gzip"
        xml = data.lstrip().startswith(b"<") or headers.get("Content-Encoding") == "gzip"
        if data and (xml or not genieacs) and \
                not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = 'text/xml; charset="utf-8"' if xml else "text/plain"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if chunked:
            for start in range(0, len(data), 65536):
                piece = data[start:start + 65536]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(data)
        if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers.items()):
            self.close_connection = True

    def do_POST(self):
        acs = self.server.acs
        received = now()
        raw = self.read_body()
        wire_bytes = len(raw)
        self.content_encoding = self.headers.get("Content-Encoding", "").strip().lower()
        self.gzip_error = None
        self.gzip_response = False
        if self.content_encoding == "gzip":
            try:
                raw = gunzip(raw)
            except (ValueError, zlib.error) as e:
                self.gzip_error = str(e)
        text = raw.decode("utf-8", errors="replace")
        entry = {
            "time": received,
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": text,
            "peer": f"{self.client_address[0]}:{self.client_address[1]}",
            "conn": self.conn_id,
            "tls": isinstance(self.connection, ssl.SSLSocket),
            "wire_bytes": wire_bytes,
        }
        status, note, body, headers, chunked = self.respond(acs, text)
        entry["status"] = status
        entry["note"] = note
        with acs.lock:
            entry["session"] = acs.sessions[-1]["id"] if acs.sessions else None
        # Recorded before the answer goes out: once the CPE has its answer, the test
        # may read the log and must find this request in it.
        acs.record(entry)
        if status == 0:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send(status, body, headers, chunked)

    def respond(self, acs, text):
        """Decides the answer: (status, note, body, headers, chunked); status 0 = drop."""
        with acs.lock:
            cfg = effective_config(acs.config)
        self.genieacs = cfg["mode"] == "genieacs"
        hops = int(cfg["redirect_hops"])
        hop = 0
        if self.path.startswith("/hop/"):
            hop = int(self.path.split("/")[2] or "0")
        if cfg["redirect_url"] and hop == 0:
            return (int(cfg["redirect_status"]), "redirect", "",
                    {"Location": cfg["redirect_url"]}, False)
        if hop < hops:
            host = self.headers.get("Host", "127.0.0.1")
            scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            return (int(cfg["redirect_status"]), "redirect", "",
                    {"Location": f"{scheme}://{host}/hop/{hop + 1}"}, False)
        self.accept_gzip = bool(cfg["accept_gzip"])
        challenge = acs.check_auth(self, cfg)
        if challenge is not None:
            return 401, "auth", "authentication required", challenge, False
        if self.content_encoding and self.content_encoding != "identity":
            # RFC 7694 section 3: a content coding the server does not take is a 415.
            if not self.accept_gzip or self.content_encoding != "gzip":
                return 415, "encoding", "unsupported content coding", {}, False
            if self.gzip_error:
                return 400, "encoding", self.gzip_error, {}, False
        self.gzip_response = bool(cfg["gzip_responses"]) and \
            "gzip" in self.headers.get("Accept-Encoding", "").lower()
        msg = Message(text)
        canned = acs.take_canned(msg.method)
        if canned is not None:
            if canned.get("hold"):
                acs.hold(str(canned["hold"]), float(canned.get("hold_timeout", 30)))
            if canned.get("delay"):
                time.sleep(float(canned["delay"]))
            if canned.get("drop"):
                return 0, "dropped", "", {}, False
            if canned.get("pass"):
                status, body, headers = acs.handle_cwmp(msg, self, cfg)
                headers = {**headers, **canned.get("headers", {})}
                return status, msg.method, body, headers, False
            body = canned.get("body", "")
            if "body_size" in canned:
                body = "x" * int(canned["body_size"])
            if "gzip_bomb" in canned:
                # A few kilobytes on the wire that inflate to gzip_bomb bytes.
                body = zlib.compress(b" " * int(canned["gzip_bomb"]), 9, wbits=16 + zlib.MAX_WBITS)
                headers = dict(canned.get("headers", {}))
                headers["Content-Encoding"] = "gzip"
                return int(canned.get("status", 200)), "canned", body, headers, False
            return (int(canned.get("status", 200)), "canned", body, canned.get("headers", {}),
                    bool(canned.get("chunked")))
        status, body, headers = acs.handle_cwmp(msg, self, cfg)
        return status, msg.method, body, headers, False

    def refuse(self):
        self.read_body()
        self.send(405, "", {"Allow": "POST"})
        self.server.acs.record({"time": now(), "method": self.command, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": "", "conn": self.conn_id, "status": 405})

    do_GET = refuse
    do_PUT = refuse
    do_HEAD = refuse


class AcsServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # connection-request floods and retries arrive in bursts

    def __init__(self, address, acs, tls_context):
        self.acs = acs
        self.tls_context = tls_context
        super().__init__(address, AcsHandler)

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (a CPE aborting an oversized body, a test
        # tearing down) is normal here: one line instead of a traceback.
        print(f"test ACS: connection from {client_address[0]}:{client_address[1]}: "
              f"{sys.exc_info()[1]!r}", file=sys.stderr)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, on the connection's own thread, so a client
        # that stalls or refuses our certificate blocks nobody else.
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(10)
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.acs.record({"time": now(), "event": "tls-error", "error": str(e),
                             "peer": f"{client_address[0]}:{client_address[1]}"})
            return
        try:
            tls.settimeout(None)
            super().finish_request(tls, client_address)
        finally:
            tls.close()


class ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 32

    def __init__(self, address, acs, acs_port):
        self.acs = acs
        self.acs_port = acs_port
        super().__init__(address, ControlHandler)


class ControlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        acs = self.server.acs
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        with acs.lock:
            if url.path == "/status":
                self.reply(200, {"port": self.server.acs_port, "requests": len(acs.requests),
                                 "sessions": len(acs.sessions), "pending_rpcs": len(acs.rpcs),
                                 "pending_responses": len(acs.responses),
                                 "config": acs.config})
            elif url.path == "/requests":
                self.reply(200, acs.requests[int(query.get("since", 0)):])
            elif url.path == "/sessions":
                self.reply(200, acs.sessions)
            elif url.path == "/results":
                self.reply(200, acs.results)
            elif url.path == "/wait":
                self.wait(acs, query)
            else:
                self.reply(404, {"error": "unknown path"})

    def wait(self, acs, query):
        """Blocks (up to `timeout` s) until a count reaches `count`; acs.lock is held."""
        what = query.get("what", "ended_sessions")
        count = int(query.get("count", 1))
        deadline = now() + float(query.get("timeout", 10))

        def current():
            if what == "requests":
                return len(acs.requests)
            if what == "sessions":
                return len(acs.sessions)
            if what == "results":
                return len(acs.results)
            if what == "held":
                return acs.held
            return sum(1 for s in acs.sessions if s["end"] == "204")

        while current() < count and now() < deadline:
            acs.lock.wait(max(0.0, deadline - now()))
        self.reply(200, {"ok": current() >= count, "what": what, "value": current()})

    def do_POST(self):
        acs = self.server.acs
        length = int(self.headers.get("Content-Length", "0") or "0")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as e:
            self.reply(400, {"error": str(e)})
            return
        if self.path == "/config":
            with acs.lock:
                unknown = [k for k in body if k not in DEFAULT_CONFIG]
                if unknown:
                    self.reply(400, {"error": f"unknown config keys {unknown}"})
                    return
                acs.config.update(body)
                self.reply(200, acs.config)
        elif self.path == "/rpcs":
            with acs.lock:
                acs.rpcs.extend(body.get("rpcs", []))
                self.reply(200, {"pending_rpcs": len(acs.rpcs)})
        elif self.path == "/responses":
            with acs.lock:
                acs.responses.extend(body.get("responses", []))
                self.reply(200, {"pending_responses": len(acs.responses)})
        elif self.path == "/release":
            with acs.lock:
                acs.released.add(str(body.get("name", "")))
                acs.lock.notify_all()
            self.reply(200, {})
        elif self.path == "/reset":
            acs.reset()
            self.reply(200, {})
        elif self.path == "/connection-request":
            self.reply(200, acs.connection_request(body))
        else:
            self.reply(404, {"error": "unknown path"})


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="ACS port (0 = ephemeral)")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--tls-cert", help="PEM server certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM key of --tls-cert")
    parser.add_argument("--tls-client-ca", help="require client certificates from this CA")
    parser.add_argument("--log", help="append every request as a JSON line to this file")
    parser.add_argument("--script", help="JSON file: {config:{}, rpcs:[], responses:[]}")
    args = parser.parse_args()

    acs = Acs(args.log)
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = json.load(f)
        acs.config.update(script.get("config", {}))
        acs.rpcs.extend(script.get("rpcs", []))
        acs.responses.extend(script.get("responses", []))

    tls_context = None
    if args.tls_cert:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            tls_context.verify_mode = ssl.CERT_REQUIRED
            tls_context.load_verify_locations(args.tls_client_ca)

    if ":" in args.address:
        AcsServer.address_family = socket.AF_INET6
    server = AcsServer((args.address, args.port), acs, tls_context)
    control = ControlServer(("127.0.0.1", args.control_port), acs, server.server_address[1])
    threading.Thread(target=control.serve_forever, daemon=True).start()
    # The one line a test waits for before it talks to us.
    print(json.dumps({"port": server.server_address[1],
                      "control_port": control.server_address[1],
                      "scheme": "https" if tls_context else "http"}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
