#!/usr/bin/env python3
"""Checks the plugins' data model documents against the official Broadband Forum models.

    python3 tools/dmcheck.py [--bbf-dir DIR] [DOCUMENT...]   (default: plugins/*/model.xml)

For every object and parameter that is not a vendor extension (no X_ segment in its path):
it exists in the official model of the document's <model> (service models against their
TR-104 file), with the same access, table bounds, notification attributes, base type,
list-ness, named data type and secrecy, and facets no wider than the official ones
(enumeration values a subset, sizes and ranges inside, the same patterns). Vendor items
get the structural checks only. Across documents: an object declared by several documents
has the same attributes everywhere, no parameter is declared twice, every object's parent
and every table's numEntriesParameter / enableParameter is declared somewhere.

Exit status: 0 all good, 1 problems found (each printed), 77 official files missing (skip).
"""

import argparse
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bbfdm  # noqa: E402
from bbfdm import DmError, is_vendor, local, parent_name, plain_attrs  # noqa: E402

SKIP = 77
ROOT_OBJECTS = ("Device.", "InternetGatewayDevice.", "Device.Services.",
                "InternetGatewayDevice.Services.")
OBJECT_DEFAULTS = {"access": "readOnly", "minEntries": "1", "maxEntries": "1"}
OBJECT_FACTS = ("access", "minEntries", "maxEntries", "numEntriesParameter", "enableParameter")
ALLOWED_SYNTAX_CHILDREN = set(bbfdm.BASE_TYPES) | {"list", "default"}
UNBOUNDED = float("inf")



def number(v, default):
    if v is None:
        return default
    return UNBOUNDED if v == "unbounded" else int(v)


class Checker:
    def __init__(self, bbf_dir):
        self.bbf_dir = bbf_dir
        self.errors = []
        # (context, object name) -> [(doc, attrs, param names)]; context is the model name
        # for root models and "<mount root>/<model name>" for service models.
        self.objects = {}
        self.model_params = {}   # context -> {name: doc}
        self.checked = 0

    def error(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))

    # ------------------------------------------------------------------ one document

    def check_document(self, path):
        try:
            root = bbfdm.parse_xml(path)
        except DmError as e:
            self.error(path, str(e))
            return
        if root.tag != "{%s}document" % bbfdm.DM_NS:
            self.error(path, "root element is not dm:document in namespace %s" % bbfdm.DM_NS)
            return
        if not (root.get("spec") or "").startswith("urn:cwmpd:plugin-"):
            self.error(path, "spec attribute must be urn:cwmpd:plugin-NAME")
        for child in root:
            if child.tag is bbfdm.ET.Comment:
                continue
            if local(child.tag) == "model":
                self.check_model(path, child)
            elif local(child.tag) != "dataType":
                self.error(path, "unexpected <%s> in the document" % local(child.tag))

    def check_model(self, path, model):
        name = model.get("name")
        where = "%s: model %s" % (path, name)
        try:
            official = bbfdm.official_model(self.bbf_dir, name)
        except DmError as e:
            self.error(where, str(e))
            return
        service = model.get("isService") == "true"
        if service != official.is_service:
            self.error(where, "isService must be %s" % str(official.is_service).lower())
        mount = None
        for c in model:
            if c.tag == "{%s}mount" % bbfdm.CWMPD_NS:
                mount = c.get("root")
                if not service or mount not in ("Device", "InternetGatewayDevice"):
                    self.error(where, "cwmpd:mount needs a service model and root="
                                      "Device|InternetGatewayDevice")
        context = "%s/%s" % (mount or "any", name) if service else name
        prefix = name.split(":")[0] + "."

        for c in model:
            tag = c.tag if c.tag is bbfdm.ET.Comment else local(c.tag)
            if tag is bbfdm.ET.Comment or tag == "mount":
                continue
            if tag == "parameter":
                if not service:
                    self.error(where, "model-level parameters belong to service models only")
                pname = c.get("name")
                self.check_parameter("%s: %s" % (where, pname), c, official, None,
                                     is_vendor(pname), False)
                seen = self.model_params.setdefault(context, {})
                if pname in seen:
                    self.error(where, "model-level parameter %s also declared by %s"
                               % (pname, seen[pname]))
                seen[pname] = path
            elif tag == "object":
                self.check_object(path, c, official, context, prefix)
            else:
                self.error(where, "unexpected <%s> in a model" % tag)

    def check_object(self, path, obj, official, context, prefix):
        name = obj.get("name") or ""
        where = "%s: %s" % (path, name)
        if not name.startswith(prefix) or not name.endswith("."):
            self.error(where, "object names in model %s start with %s and end with '.'"
                       % (official.name, prefix))
            return
        attrs = plain_attrs(obj)
        for k in ("access", "minEntries", "maxEntries"):
            if k not in attrs:
                self.error(where, "object without %s" % k)
        if attrs.get("access") not in ("readOnly", "readWrite"):
            self.error(where, "object access must be readOnly or readWrite")
        table = name.endswith(".{i}.")
        try:
            lo = number(attrs.get("minEntries"), 1)
            hi = number(attrs.get("maxEntries"), 1)
            if lo > hi or (not table and hi > 1):
                self.error(where, "minEntries/maxEntries %s/%s do not fit a %s"
                           % (lo, hi, "table" if table else "single object"))
        except ValueError:
            self.error(where, "minEntries/maxEntries are not numbers")

        vendor = is_vendor(name)
        off = None if vendor else official.objects.get(name)
        if not vendor and off is None:
            self.error(where, "no such object in %s" % official.file_name)
        if off is not None:
            off_attrs = dict(OBJECT_DEFAULTS, **plain_attrs(off))
            ours = dict(OBJECT_DEFAULTS, **attrs)
            for k in OBJECT_FACTS:
                if ours.get(k) != off_attrs.get(k):
                    self.error(where, "%s is %r, officially %r" % (k, ours.get(k),
                                                                   off_attrs.get(k)))

        params = []
        for c in obj:
            if c.tag is bbfdm.ET.Comment:
                continue
            tag = local(c.tag)
            if tag == "parameter":
                pname = c.get("name") or ""
                if not pname or "." in pname:
                    self.error(where, "bad parameter name %r" % pname)
                    continue
                if pname in params:
                    self.error(where, "parameter %s declared twice" % pname)
                params.append(pname)
                # Under an object the official model lacks, only the object is reported.
                self.check_parameter(where + pname, c, official, name,
                                     vendor or is_vendor(pname), off is None)
            elif tag == "uniqueKey":
                if c.get("functional") not in ("true", "false"):
                    self.error(where, "uniqueKey needs functional=true|false")
            elif tag == "event":
                self.check_event(where, c)
            elif tag == "description":
                pass
            else:
                self.error(where, "unexpected <%s> in an object" % tag)
        for uk in obj.findall("uniqueKey"):
            for r in uk.findall("parameter"):
                if r.get("ref") not in params:
                    self.error(where, "uniqueKey names %s, which the object does not declare"
                               % r.get("ref"))
        self.objects.setdefault((context, name), []).append((path, attrs, params))

    def check_event(self, where, ev):
        name = ev.get("name") or ""
        if not (name.startswith("X_") and name.endswith("!") and "." not in name):
            self.error(where, "event %r: only vendor events X_..._Name! are declared" % name)
        code = ev.get("{%s}code" % bbfdm.CWMPD_NS)
        if code is not None and not re.fullmatch(r"X [0-9A-Za-z.-]+ \S.*", code):
            self.error(where, "event code %r is not 'X <OUI or domain> <event>'" % code)

    # ------------------------------------------------------------------ parameters

    def check_parameter(self, where, p, official, obj_name, vendor, structure_only):
        """obj_name None: a model-level parameter (service models)."""
        self.checked += 1
        attrs = plain_attrs(p)
        if attrs.get("access") not in ("readOnly", "readWrite", "writeOnceReadOnly"):
            self.error(where, "access must be written: readOnly, readWrite or writeOnceReadOnly")
        if attrs.get("activeNotify", "normal") not in ("normal", "canDeny", "forceEnabled",
                                                       "forceDefaultEnabled"):
            self.error(where, "bad activeNotify %r" % attrs.get("activeNotify"))
        if attrs.get("forcedInform", "false") not in ("true", "false"):
            self.error(where, "bad forcedInform %r" % attrs.get("forcedInform"))
        syntaxes = p.findall("syntax")
        if len(syntaxes) != 1:
            self.error(where, "needs exactly one <syntax>")
            return
        syn_el = syntaxes[0]
        for c in syn_el:
            if c.tag is not bbfdm.ET.Comment and local(c.tag) not in ALLOWED_SYNTAX_CHILDREN:
                self.error(where, "<%s> in <syntax> is outside the subset (resolve data types)"
                           % local(c.tag))
                return
        if sum(1 for c in syn_el
               if c.tag is not bbfdm.ET.Comment and local(c.tag) in bbfdm.BASE_TYPES) != 1:
            self.error(where, "needs exactly one base type element in <syntax>")
            return
        for c in syn_el:
            if c.tag is bbfdm.ET.Comment or local(c.tag) not in bbfdm.BASE_TYPES:
                continue
            for f in c:
                if f.tag is not bbfdm.ET.Comment and \
                        local(f.tag) not in bbfdm.FACETS_OF_BASE[local(c.tag)]:
                    self.error(where, "<%s> is not a facet of <%s> in the schema"
                               % (local(f.tag), local(c.tag)))
        try:
            ours = bbfdm.read_syntax(syn_el, None)
        except DmError as e:
            self.error(where, str(e))
            return
        if vendor or structure_only:
            return
        off_p = official.parameter(obj_name, p.get("name"))
        if off_p is None:
            self.error(where, "no such parameter in %s" % official.file_name)
            return
        off_attrs = plain_attrs(off_p)
        for k, default in (("access", "readOnly"), ("activeNotify", "normal"),
                           ("forcedInform", "false")):
            if attrs.get(k, default) != off_attrs.get(k, default):
                self.error(where, "%s is %r, officially %r" % (k, attrs.get(k, default),
                                                               off_attrs.get(k, default)))
        try:
            theirs = bbfdm.read_syntax(off_p.find("syntax"), official.datatypes)
        except DmError as e:
            self.error(where, "official syntax not understood: %s" % e)
            return
        self.compare_syntax(where, ours, theirs)

    def compare_syntax(self, where, ours, theirs):
        if ours.base != theirs.base:
            self.error(where, "type is %s, officially %s" % (ours.base, theirs.base))
            return
        if (ours.list is None) != (theirs.list is None):
            self.error(where, "list-valued is %s, officially %s"
                       % (ours.list is not None, theirs.list is not None))
        if ours.data_type != theirs.data_type:
            self.error(where, "data type is %s, officially %s"
                       % (ours.data_type, theirs.data_type))
        secret = lambda s: bool(s.flags.get("hidden") or s.flags.get("secured"))  # noqa: E731
        if secret(ours) != secret(theirs):
            self.error(where, "secret (hidden/secured) is %s, officially %s"
                       % (secret(ours), secret(theirs)))
        off_enum = {a.get("value") for a in theirs.facets_of("enumeration")}
        for a in ours.facets_of("enumeration"):
            if a.get("value") not in off_enum:
                self.error(where, "enumeration value %r is not official" % a.get("value"))
        if theirs.facets_of("enumeration") and not ours.facets_of("enumeration"):
            self.error(where, "official enumeration missing")
        ours_pat = {a.get("value") for a in ours.facets_of("pattern")}
        off_pat = {a.get("value") for a in theirs.facets_of("pattern")}
        if ours_pat != off_pat:
            self.error(where, "patterns %s differ from the official %s"
                       % (sorted(ours_pat), sorted(off_pat)))
        self.within(where, "size", ours.facets_of("size"), theirs.facets_of("size"),
                    "minLength", "maxLength")
        self.within(where, "list size", [a for t, a in ours.list_facets if t == "size"],
                    [a for t, a in theirs.list_facets if t == "size"], "minLength", "maxLength")
        self.within(where, "range", ours.facets_of("range"), theirs.facets_of("range"),
                    "minInclusive", "maxInclusive")

    def within(self, where, what, ours, theirs, lo_key, hi_key):
        """Every one of our intervals must lie inside one of the official intervals."""
        if not theirs:
            return
        if not ours:
            self.error(where, "official %s restriction missing" % what)
            return
        for a in ours:
            lo, hi = number(a.get(lo_key), -UNBOUNDED), number(a.get(hi_key), UNBOUNDED)
            if not any(number(b.get(lo_key), -UNBOUNDED) <= lo and
                       hi <= number(b.get(hi_key), UNBOUNDED) for b in theirs):
                self.error(where, "%s %s..%s is wider than the official one" % (what, lo, hi))

    # ------------------------------------------------------------------ across documents

    def check_across(self):
        declared = {}   # context -> {object name: set(params)}
        for (context, name), decls in sorted(self.objects.items()):
            first = decls[0]
            for other in decls[1:]:
                if other[1] != first[1]:
                    self.error(other[0], "%s: attributes differ from %s's declaration"
                               % (name, first[0]))
            seen = {}
            for path, _, params in decls:
                for p in params:
                    if p in seen and seen[p] != path:
                        self.error(path, "%s%s is also declared by %s" % (name, p, seen[p]))
                    elif p in seen:
                        pass
                    seen[p] = path
            declared.setdefault(context, {})[name] = set(seen)

        for context, objs in declared.items():
            service = "/" in context
            model_params = set(self.model_params.get(context, {}))
            for name in objs:
                decl_path, attrs, _ = self.objects[(context, name)][0]
                where = "%s: %s" % (decl_path, name)
                parent = parent_name(name)
                top = parent is None or (not service and parent in ROOT_OBJECTS)
                if parent is not None and parent not in objs and not top:
                    self.error(where, "parent object %s is declared by no document" % parent)
                nep = attrs.get("numEntriesParameter")
                if nep:
                    if parent is None:
                        ok = nep in model_params
                    else:
                        ok = nep in objs.get(parent, set())
                    if not ok:
                        self.error(where, "numEntriesParameter %s is declared by no document"
                                   % nep)
                enp = attrs.get("enableParameter")
                if enp and enp not in objs[name]:
                    self.error(where, "enableParameter %s is declared by no document" % enp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("documents", nargs="*", help="default: plugins/*/model.xml")
    ap.add_argument("--bbf-dir", help="official files (default $CWMPD_BBF_DIR or ../shared/bbf)")
    args = ap.parse_args()
    bbf_dir = args.bbf_dir or bbfdm.default_bbf_dir()
    if not bbfdm.official_files_present(bbf_dir):
        bar = "*" * 78
        print("%s\nSKIPPED: the official Broadband Forum data models are not in\n  %s\n"
              "(set CWMPD_BBF_DIR). Nothing was checked.\n%s" % (bar, bbf_dir, bar))
        return SKIP
    docs = args.documents or sorted(glob.glob(os.path.join(bbfdm.repo_root(), "plugins", "*",
                                                           "model.xml")))
    if not docs:
        print("dmcheck: no documents to check")
        return 1
    checker = Checker(bbf_dir)
    for d in docs:
        checker.check_document(d)
    checker.check_across()
    for e in checker.errors:
        print("dmcheck: " + e)
    print("dmcheck: %d document(s), %d parameter(s) checked, %d problem(s)"
          % (len(docs), checker.checked, len(checker.errors)))
    return 1 if checker.errors else 0


if __name__ == "__main__":
    sys.exit(main())
