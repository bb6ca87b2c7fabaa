#!/usr/bin/env python3
"""Writes a cwmpd plugin data model document from an official Broadband Forum "full"
data model file and a small spec naming the objects and parameters the plugin serves.

    python3 tools/dmextract.py tools/dmspec/wifi.spec -o plugins/wifi/model.xml
    python3 tools/dmextract.py --all            # regenerate every spec in tools/dmspec/
    python3 tools/dmextract.py --all --check    # exit 1 if a committed document differs

Only facts are carried over (names, types, sizes, ranges, enumerations, patterns, access,
notification attributes, defaults); every <description> is dropped. Named data types are
resolved to their base type plus facets, the type's name kept in a cwmpd:dataType
attribute. See tools/README.md for the spec format and the document subset produced.
"""

import argparse
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bbfdm  # noqa: E402
from bbfdm import DmError, local, parent_name, plain_attrs  # noqa: E402

SPEC_DIR = os.path.join("tools", "dmspec")
OBJECT_ATTR_ORDER = ("name", "access", "minEntries", "maxEntries", "numEntriesParameter",
                     "enableParameter", "version", "status")
PARAM_ATTR_ORDER = ("name", "access", "activeNotify", "forcedInform", "version", "status")
RETIRED = ("deprecated", "obsoleted", "deleted")


# --------------------------------------------------------------------------- spec


class ObjectSpec:
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.params = []      # names, or "*"
        self.xml = []         # hand-written elements appended to the object
        self.notes = []


class ModelSpec:
    def __init__(self, name):
        self.name = name
        self.objects = []
        self.model_params = []
        self.xml = []         # hand-written vendor objects appended to the model
        self.notes = []
        self.mount_root = None  # service models: the root they mount under


class Spec:
    def __init__(self):
        self.document = None
        self.notes = []
        self.models = []


def parse_fragment(text, where):
    wrapped = '<fragment xmlns:cwmpd="%s">%s</fragment>' % (bbfdm.CWMPD_NS, text)
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        return list(ET.fromstring(wrapped, parser))
    except ET.ParseError as e:
        raise DmError("%s: bad xml block: %s" % (where, e))


def parse_spec(path):
    """Line-based spec; see tools/README.md."""
    spec = Spec()
    model = obj = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i]
        where = "%s:%d" % (path, i + 1)
        i += 1
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("note ") else raw.strip()
        if not line:
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "document":
            spec.document = rest
        elif word == "model":
            name, _, mount = rest.partition(" ")
            model = ModelSpec(name.strip())
            if mount.strip():
                if not re.fullmatch(r"root=(Device|InternetGatewayDevice)", mount.strip()):
                    raise DmError("%s: expected 'model NAME [root=Device|InternetGatewayDevice]'"
                                  % where)
                model.mount_root = mount.strip()[len("root="):]
            spec.models.append(model)
            obj = None
        elif word == "note":
            target = obj.notes if obj else (model.notes if model else spec.notes)
            target.append(rest)
        elif word == "object":
            if model is None:
                raise DmError("%s: object before model" % where)
            obj = ObjectSpec(rest, where)
            model.objects.append(obj)
        elif word == "parameters":
            if model is None:
                raise DmError("%s: parameters before model" % where)
            obj = None
            model.model_params.extend(rest.split())
        elif word == "xml":
            block = []
            while i < len(lines) and lines[i].strip() != "end":
                block.append(lines[i])
                i += 1
            if i == len(lines):
                raise DmError("%s: xml block without end" % where)
            i += 1
            elements = parse_fragment("\n".join(block), where)
            if rest == "model":
                model.xml.extend(elements)
                obj = None
            elif obj is not None:
                obj.xml.extend(elements)
            else:
                raise DmError("%s: 'xml' outside an object (use 'xml model')" % where)
        elif raw[:1] in (" ", "\t"):
            names = line.split()
            if obj is not None:
                obj.params.extend(names)
            elif model is not None and model.model_params is not None:
                model.model_params.extend(names)
            else:
                raise DmError("%s: parameter names outside an object" % where)
        else:
            raise DmError("%s: unknown keyword %r" % (where, word))
    if not spec.document or not re.fullmatch(r"[a-z0-9_]+", spec.document):
        raise DmError("%s: missing or bad 'document NAME'" % path)
    return spec


# --------------------------------------------------------------------------- building


def ordered(attrs, order):
    out = {k: attrs[k] for k in order if k in attrs}
    out.update({k: v for k, v in attrs.items() if k not in out})
    return out


def element(tag, attrs=None, children=()):
    el = ET.Element(tag, attrs or {})
    el.extend(children)
    return el


def build_syntax(syn):
    el = element("syntax", dict(syn.flags))
    if syn.list is not None:
        el.append(element("list", syn.list, [element(t, a) for t, a in syn.list_facets]))
    base_attrs = {bbfdm.DATATYPE_ATTR: syn.data_type} if syn.data_type else {}
    el.append(element(syn.base, base_attrs, [element(t, a) for t, a in syn.facets]))
    if syn.default is not None:
        el.append(element("default", syn.default))
    return el


def build_parameter(official_param, datatypes, where):
    attrs = plain_attrs(official_param)
    attrs.setdefault("access", "readOnly")
    if attrs.get("activeNotify") == "normal":
        del attrs["activeNotify"]
    if attrs.get("forcedInform") == "false":
        del attrs["forcedInform"]
    attrs.pop("id", None)
    if attrs.get("status") in RETIRED:
        warn("%s: %s is %s in the official model" % (where, attrs["name"], attrs["status"]))
    syntax_el = official_param.find("syntax")
    try:
        syn = bbfdm.read_syntax(syntax_el, datatypes)
    except DmError as e:
        raise DmError("%s: %s: %s" % (where, attrs["name"], e))
    return element("parameter", ordered(attrs, PARAM_ATTR_ORDER), [build_syntax(syn)])


def object_attrs(official_obj):
    attrs = plain_attrs(official_obj)
    attrs.setdefault("access", "readOnly")
    attrs.setdefault("minEntries", "1")
    attrs.setdefault("maxEntries", "1")
    attrs.pop("id", None)
    return ordered(attrs, OBJECT_ATTR_ORDER)



def select_params(official_obj, wanted, where):
    available = [p for p in official_obj.findall("parameter")]
    by_name = {p.get("name"): p for p in available}
    missing = [n for n in wanted if n != "*" and n not in by_name]
    if missing:
        raise DmError("%s: %s has no parameter(s) %s in the official model"
                      % (where, official_obj.get("name"), ", ".join(missing)))
    if "*" in wanted:
        keep = {p.get("name") for p in available if p.get("status") not in RETIRED}
        keep |= set(wanted) - {"*"}
    else:
        keep = set(wanted)
    if len(wanted) != len(set(wanted)):
        raise DmError("%s: a parameter is listed twice" % where)
    return [p for p in available if p.get("name") in keep]   # official order


def build_model(mspec, bbf_dir):
    official = bbfdm.official_model(bbf_dir, mspec.name)
    out = element("model", {"name": official.name})
    if official.is_service:
        out.set("isService", "true")
    out.append(ET.Comment(" Extracted from %s (%s) " % (official.file_name, official.name)))
    for n in mspec.notes:
        out.append(ET.Comment(" %s " % n))
    if mspec.mount_root:
        if not official.is_service:
            raise DmError("model %s: root= is for service models only" % mspec.name)
        # Schema-legal (the 1-14 schema's open content admits elements of other
        # namespaces): tells the core which root this service model is for.
        out.append(element(bbfdm.MOUNT_TAG, {"root": mspec.mount_root}))

    for p in official.model_params.values():
        if p.get("name") in mspec.model_params:
            out.append(build_parameter(p, official.datatypes, "model " + official.name))
    unknown = set(mspec.model_params) - set(official.model_params)
    if unknown:
        raise DmError("model %s has no model-level parameter(s) %s" % (mspec.name, unknown))

    wanted = {}
    for ospec in mspec.objects:
        if ospec.name in wanted:
            raise DmError("%s: object %s listed twice" % (ospec.line, ospec.name))
        if ospec.name not in official.objects:
            raise DmError("%s: no object %s in %s" % (ospec.line, ospec.name,
                                                      official.file_name))
        wanted[ospec.name] = ospec
    # Every official ancestor is declared too, so that the loader never meets an object
    # whose parent nobody defined. The model root (Device. / a service's top table) is the
    # core's, unless the spec lists it.
    vendor_names = [x.get("name") for x in mspec.xml if x.tag == "object"]
    for name in list(wanted) + vendor_names:
        p = parent_name(name)
        while p and p in official.objects and p not in wanted:
            if parent_name(p) is None:
                break
            wanted[p] = ObjectSpec(p, "ancestor of " + name)
            p = parent_name(p)

    for name in sorted(wanted, key=lambda n: official.order[n]):
        ospec = wanted[name]
        off = official.objects[name]
        for n in ospec.notes:
            out.append(ET.Comment(" %s " % n))
        obj = element("object", object_attrs(off))
        params = select_params(off, ospec.params, ospec.line)
        included = {p.get("name") for p in params}
        for uk in off.findall("uniqueKey"):
            refs = [r.get("ref") for r in uk.findall("parameter")]
            if all(r in included for r in refs):
                # Older models (TR-098) omit "functional"; their keys are functional ones.
                obj.append(element("uniqueKey", {"functional": uk.get("functional", "true")},
                                   [element("parameter", {"ref": r}) for r in refs]))
        for p in params:
            obj.append(build_parameter(p, official.datatypes, ospec.line))
        obj.extend(ospec.xml)
        out.append(obj)
    out.extend(mspec.xml)
    return out


def build_document(spec, bbf_dir, command):
    root = element("dm:document", {
        "xmlns:dm": bbfdm.DM_NS,
        "xmlns:cwmpd": bbfdm.CWMPD_NS,
        "spec": "urn:cwmpd:plugin-" + spec.document,
        "file": "plugins/%s/model.xml" % spec.document,
    })
    header = [
        "",
        "  cwmpd data model document of the '%s' plugin." % spec.document,
        "",
        "  GENERATED - do not edit. Edit the spec and regenerate with:",
        "    " + command,
        "",
        "  Names, types, ranges, enumerations, patterns, access and notification attributes",
        "  are facts taken from the Broadband Forum data models named before each <model>",
        "  (Copyright (c) Broadband Forum, BSD-3-Clause); their descriptions are not copied.",
    ]
    for n in spec.notes:
        header.append("  " + n)
    header.append("")
    comment = ET.Comment("\n".join(header))
    for m in spec.models:
        root.append(build_model(m, bbf_dir))
    return comment, root


# --------------------------------------------------------------------------- output


def escape(text, attr=False):
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        text = (text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
                .replace("\r", "&#13;"))
    return text


def attr_name(key):
    if key.startswith("{"):
        ns, name = key[1:].split("}", 1)
        if ns == bbfdm.CWMPD_NS:
            return "cwmpd:" + name
        raise DmError("attribute in unknown namespace %s" % ns)
    return key


def serialize(el, depth, out):
    pad = "  " * depth
    if el.tag is ET.Comment:
        out.append("%s<!--%s-->" % (pad, el.text))
        return
    attrs = "".join(' %s="%s"' % (attr_name(k), escape(v, True)) for k, v in el.attrib.items())
    children = list(el)
    text = " ".join((el.text or "").split())
    tag = el.tag if el.tag in ("dm:document", bbfdm.MOUNT_TAG) else local(el.tag)
    if not children and not text:
        out.append("%s<%s%s/>" % (pad, tag, attrs))
    elif not children:
        out.append("%s<%s%s>%s</%s>" % (pad, tag, attrs, escape(text), tag))
    else:
        if text:
            raise DmError("mixed content in <%s>" % tag)
        out.append("%s<%s%s>" % (pad, tag, attrs))
        previous = None
        for c in children:
            # A blank line between top-level blocks; a comment sticks to what follows it.
            block = c.tag in ("model", "object") or c.tag is ET.Comment
            if depth <= 1 and block and previous is not None and previous.tag is not ET.Comment:
                out.append("")
            serialize(c, depth + 1, out)
            previous = c
        out.append("%s</%s>" % (pad, tag))


def render(comment, root):
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    serialize(comment, 0, out)
    serialize(root, 0, out)
    return "\n".join(out) + "\n"


def warn(msg):
    print("dmextract: warning: " + msg, file=sys.stderr)


def generate(spec_path, bbf_dir):
    spec = parse_spec(spec_path)
    if os.path.basename(spec_path) != spec.document + ".spec":
        raise DmError("%s: the spec of document %s must be named %s.spec"
                      % (spec_path, spec.document, spec.document))
    # The canonical command, whatever paths this run was given, so that regenerating
    # from anywhere reproduces the committed document byte for byte.
    command = "python3 tools/dmextract.py %s/%s.spec -o plugins/%s/model.xml" % (
        SPEC_DIR, spec.document, spec.document)
    return render(*build_document(spec, bbf_dir, command))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec", nargs="?", help="spec file (tools/dmspec/NAME.spec)")
    ap.add_argument("-o", "--output", help="document to write (default: stdout)")
    ap.add_argument("--all", action="store_true",
                    help="every tools/dmspec/*.spec to plugins/NAME/model.xml")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 when a document differs from its spec")
    ap.add_argument("--bbf-dir", help="official files (default $CWMPD_BBF_DIR or ../shared/bbf)")
    args = ap.parse_args()
    bbf_dir = args.bbf_dir or bbfdm.default_bbf_dir()
    if not bbfdm.official_files_present(bbf_dir):
        print("dmextract: official BBF files not found in %s" % bbf_dir, file=sys.stderr)
        return 77

    root = bbfdm.repo_root()
    if args.all:
        jobs = []
        for sp in sorted(glob.glob(os.path.join(root, SPEC_DIR, "*.spec"))):
            name = os.path.splitext(os.path.basename(sp))[0]
            jobs.append((sp, os.path.join(root, "plugins", name, "model.xml")))
    elif args.spec:
        jobs = [(args.spec, args.output)]
    else:
        ap.error("give a spec file or --all")

    status = 0
    for spec_path, out_path in jobs:
        try:
            text = generate(spec_path, bbf_dir)
        except (DmError, OSError) as e:
            print("dmextract: error: %s" % e, file=sys.stderr)
            return 1
        if args.check:
            try:
                with open(out_path, encoding="utf-8") as f:
                    current = f.read()
            except OSError:
                current = None
            if current != text:
                print("dmextract: %s is not what %s generates" % (out_path, spec_path))
                status = 1
        elif out_path and out_path != "-":
            os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
            with open(out_path, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
