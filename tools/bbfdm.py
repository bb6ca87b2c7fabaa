"""Shared helpers for dmextract.py and dmcheck.py: reading Broadband Forum cwmp-datamodel
documents (the official "full" files and our plugin documents) with xml.etree only.

Both tools reduce a parameter's <syntax> to the same plain structure (`Syntax`), with
named data types (TR-106 IPAddress, StatsCounter64, ...) resolved to their base type and
facets, so that what the extractor writes and what the checker compares are computed by
one piece of code.
"""

import os
import xml.etree.ElementTree as ET

DM_NS = "urn:broadband-forum-org:cwmp:datamodel-1-14"
# Our own attributes (schema-legal: the base type elements accept ##other attributes).
CWMPD_NS = "urn:cwmpd:datamodel-extensions-1"
DATATYPE_ATTR = "{%s}dataType" % CWMPD_NS
MOUNT_TAG = "cwmpd:mount"  # as written; ElementTree reads it back as "{CWMPD_NS}mount"

BASE_TYPES = ("string", "int", "unsignedInt", "long", "unsignedLong", "boolean", "dateTime",
              "base64", "hexBinary")
# Facets whose kind, when restated by a derived type, replaces the base type's ones.
FACETS = ("size", "range", "enumeration", "pattern", "units", "pathRef", "instanceRef",
          "enumerationRef")

# The facets cwmp-datamodel-1-14.xsd admits inside each base type element.
FACETS_OF_BASE = {
    "string": ("size", "pathRef", "enumeration", "enumerationRef", "pattern"),
    "int": ("instanceRef", "range", "units"),
    "unsignedInt": ("instanceRef", "range", "units"),
    "long": ("range", "units"),
    "unsignedLong": ("range", "units"),
    "base64": ("size",),
    "hexBinary": ("size",),
    "boolean": (),
    "dateTime": (),
}

# Which official file defines which model, and how each model is rooted.
OFFICIAL_FILES = {
    "Device:2.17": "tr-181-2-17-0-cwmp-full.xml",
    "InternetGatewayDevice:1.14": "tr-098-1-8-0-full.xml",
    "VoiceService:2.0": "tr-104-2-0-2-cwmp-full.xml",
    "VoiceService:1.1": "tr-104-1-1-0-full.xml",
}


class DmError(Exception):
    pass


def local(tag):
    """Element tag without namespace."""
    return tag.rsplit("}", 1)[-1]


def plain_attrs(el):
    """Attributes without a namespace (drops dmr:* report annotations)."""
    return {k: v for k, v in el.attrib.items() if not k.startswith("{")}


def is_vendor(path):
    """True when any segment of a path is a vendor extension (X_...)."""
    return any(seg.startswith("X_") for seg in path.split("."))


def parent_name(name):
    """"Device.IP.Interface.{i}.Stats." -> "Device.IP.Interface.{i}."; a table's parent is
    the object holding it ("Device.IP.Interface.{i}." -> "Device.IP."); None at the top."""
    segs = name.rstrip(".").split(".")
    segs = segs[:-2] if segs[-1] == "{i}" else segs[:-1]
    return ".".join(segs) + "." if segs else None


class Syntax:
    """A parameter's syntax with data types resolved. Facets keep document order."""

    def __init__(self):
        self.base = None          # one of BASE_TYPES
        self.data_type = None     # named type the syntax referred to, if any
        self.list = None          # dict of <list> attributes, or None when scalar
        self.list_facets = []     # [(tag, attrs)] inside <list> (its <size>)
        self.facets = []          # [(tag, attrs)]
        self.default = None       # dict of <default> attributes
        self.flags = {}           # hidden / secured / command, only when "true"

    def facets_of(self, kind):
        return [a for t, a in self.facets if t == kind]


def merge_facets(base, derived):
    """Facet kinds the derived type restates replace the base's (BBF restriction)."""
    kinds = {t for t, _ in derived}
    return [f for f in base if f[0] not in kinds] + list(derived)


def facet_list(el):
    return [(local(c.tag), plain_attrs(c)) for c in el if local(c.tag) in FACETS]


class DataTypes:
    """Named data type definitions of one document (<dataType name=...>)."""

    def __init__(self, root):
        self.defs = {dt.get("name"): dt for dt in root.findall("dataType")}

    def resolve(self, name, seen=()):
        """-> (base, list_attrs, list_facets, facets) for a named type."""
        if name in seen:
            raise DmError("data type loop at %s" % name)
        dt = self.defs.get(name)
        if dt is None:
            raise DmError("unknown data type %s" % name)
        list_attrs, list_facets = None, []
        lst = dt.find("list")
        if lst is not None:
            list_attrs, list_facets = plain_attrs(lst), facet_list(lst)
        if dt.get("base"):
            base, b_list, b_list_facets, facets = self.resolve(dt.get("base"), seen + (name,))
            if list_attrs is None:
                list_attrs, list_facets = b_list, b_list_facets
            return base, list_attrs, list_facets, merge_facets(facets, facet_list(dt))
        for c in dt:
            if local(c.tag) in BASE_TYPES:
                return local(c.tag), list_attrs, list_facets, facet_list(c)
        raise DmError("data type %s has no base type I understand" % name)


def read_syntax(syntax_el, datatypes):
    """Reads an official or our <syntax> element into a Syntax."""
    s = Syntax()
    for k in ("hidden", "secured", "command"):
        if syntax_el.get(k) == "true":
            s.flags[k] = "true"
    for c in syntax_el:
        if c.tag is ET.Comment:
            continue
        tag = local(c.tag)
        if tag == "list":
            s.list, s.list_facets = plain_attrs(c), facet_list(c)
        elif tag in BASE_TYPES:
            s.base = tag
            s.data_type = c.get(DATATYPE_ATTR)
            s.facets = facet_list(c)
        elif tag == "dataType":
            name = c.get("ref") or c.get("base")
            base, list_attrs, list_facets, facets = datatypes.resolve(name)
            s.base, s.data_type = base, name
            s.facets = merge_facets(facets, facet_list(c))
            if s.list is None and list_attrs is not None:
                s.list, s.list_facets = list_attrs, list_facets
        elif tag == "default":
            s.default = plain_attrs(c)
        elif tag == "description":
            pass
        else:
            raise DmError("unsupported syntax element <%s>" % tag)
    if s.base is None:
        raise DmError("syntax without a base type")
    return s


class Model:
    """One <model> of a document: objects by name (document order) and model-level
    parameters (service models put e.g. VoiceServiceNumberOfEntries there)."""

    def __init__(self, model_el, datatypes, file_name):
        self.el = model_el
        self.name = model_el.get("name")
        self.is_service = model_el.get("isService") == "true"
        self.datatypes = datatypes
        self.file_name = file_name
        self.objects = {}
        self.order = {}
        for i, o in enumerate(model_el.findall("object")):
            self.objects[o.get("name")] = o
            self.order[o.get("name")] = i
        self.model_params = {p.get("name"): p for p in model_el.findall("parameter")}

    def parameter(self, obj_name, param_name):
        if obj_name is None:
            return self.model_params.get(param_name)
        o = self.objects.get(obj_name)
        if o is None:
            return None
        for p in o.findall("parameter"):
            if p.get("name") == param_name:
                return p
        return None


def parse_xml(path):
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        return ET.parse(path, parser).getroot()
    except ET.ParseError as e:
        raise DmError("%s: not well-formed: %s" % (path, e))


_official_cache = {}


def official_model(bbf_dir, model_name):
    """The official Model for a model name of OFFICIAL_FILES (parsed once)."""
    file_name = OFFICIAL_FILES.get(model_name)
    if file_name is None:
        raise DmError("no official file known for model %s" % model_name)
    path = os.path.join(bbf_dir, file_name)
    if path not in _official_cache:
        root = ET.parse(path).getroot()
        models = [m for m in root.findall("model") if m.get("name") == model_name]
        if not models:
            raise DmError("%s defines no model %s" % (file_name, model_name))
        _official_cache[path] = Model(models[0], DataTypes(root), file_name)
    return _official_cache[path]


def official_files_present(bbf_dir):
    return bbf_dir and all(os.path.isfile(os.path.join(bbf_dir, f))
                           for f in OFFICIAL_FILES.values())


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_bbf_dir():
    return os.environ.get("CWMPD_BBF_DIR") or os.path.join(repo_root(), "..", "shared", "bbf")
