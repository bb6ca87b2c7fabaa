#!/usr/bin/env python3
"""Tests of tools/dmcheck.py and tools/dmextract.py against the real official models:
the checker must report each kind of deviation (and accept a faithful document), and the
extractor must carry facts over, resolve data types and drop descriptions.

Exits 77 (ctest: Skipped) when the official files are absent.
"""

import os
import sys
import tempfile
import textwrap
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import bbfdm  # noqa: E402
import dmcheck  # noqa: E402
import dmextract  # noqa: E402

BBF_DIR = bbfdm.default_bbf_dir()

DOC = """<?xml version="1.0" encoding="UTF-8"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14"
    xmlns:cwmpd="urn:cwmpd:datamodel-extensions-1" spec="urn:cwmpd:plugin-t" file="t.xml">
  <model name="{model}"{service}>
{body}
  </model>
</dm:document>
"""

DEVICEINFO = """
    <object name="Device.DeviceInfo." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Manufacturer" access="{access}">
        <syntax><string><size maxLength="64"/></string></syntax>
      </parameter>
      <parameter name="UpTime" access="readOnly" activeNotify="canDeny">
        <syntax><{uptime_type}><units value="seconds"/></{uptime_type}></syntax>
      </parameter>
      {extra}
    </object>"""


class Workspace:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.count = 0

    def doc(self, body, model="Device:2.17", service=False):
        self.count += 1
        path = os.path.join(self.dir.name, "doc%d.xml" % self.count)
        with open(path, "w", encoding="utf-8") as f:
            f.write(DOC.format(model=model, body=body,
                               service=' isService="true"' if service else ""))
        return path


def check(*paths):
    checker = dmcheck.Checker(BBF_DIR)
    for p in paths:
        checker.check_document(p)
    checker.check_across()
    return checker.errors


def deviceinfo(access="readOnly", uptime_type="unsignedInt", extra=""):
    return DEVICEINFO.format(access=access, uptime_type=uptime_type, extra=extra)


class CheckerTest(unittest.TestCase):
    def setUp(self):
        self.ws = Workspace()

    def tearDown(self):
        self.ws.dir.cleanup()

    def assertReports(self, errors, *fragments):
        for frag in fragments:
            self.assertTrue(any(frag in e for e in errors),
                            "expected a problem mentioning %r, got %r" % (frag, errors))

    def test_accepts_a_document_that_follows_the_official_model(self):
        self.assertEqual(check(self.ws.doc(deviceinfo())), [])

    def test_reports_a_parameter_whose_access_differs(self):
        errors = check(self.ws.doc(deviceinfo(access="readWrite")))
        self.assertReports(errors, "Device.DeviceInfo.Manufacturer: access is 'readWrite'")

    def test_reports_a_parameter_whose_base_type_differs(self):
        errors = check(self.ws.doc(deviceinfo(uptime_type="string")))
        self.assertReports(errors, "UpTime: type is string, officially unsignedInt")

    def test_reports_names_the_official_model_does_not_have(self):
        extra = '<parameter name="Manufacturr" access="readOnly"><syntax><string/></syntax></parameter>'
        body = deviceinfo(extra=extra) + """
    <object name="Device.DeviceInfo.Nonsense." access="readOnly" minEntries="1" maxEntries="1"/>"""
        errors = check(self.ws.doc(body))
        self.assertReports(errors, "Manufacturr: no such parameter", "Nonsense.: no such object")

    def test_accepts_vendor_parameters_but_checks_their_structure(self):
        good = '<parameter name="X_00005E_Foo" access="readWrite"><syntax><int/></syntax></parameter>'
        self.assertEqual(check(self.ws.doc(deviceinfo(extra=good))), [])
        bad = '<parameter name="X_00005E_Foo" access="readWrite"><syntax><float/></syntax></parameter>'
        self.assertReports(check(self.ws.doc(deviceinfo(extra=bad))), "X_00005E_Foo")

    def test_reports_a_password_that_is_not_secret(self):
        body = """
    <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Password" access="readWrite">
        <syntax><string><size maxLength="256"/></string></syntax>
      </parameter>
    </object>"""
        self.assertReports(check(self.ws.doc(body)), "Password: secret (hidden/secured) is False")

    def test_reports_facets_wider_than_the_official_ones(self):
        body = """
    <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="InstanceMode" access="readWrite">
        <syntax><string><enumeration value="InstanceNumber"/><enumeration value="Fancy"/></string></syntax>
      </parameter>
      <parameter name="CWMPRetryIntervalMultiplier" access="readWrite">
        <syntax><unsignedInt><range minInclusive="1" maxInclusive="65535"/></unsignedInt></syntax>
      </parameter>
    </object>"""
        errors = check(self.ws.doc(body))
        self.assertReports(errors, "enumeration value 'Fancy' is not official",
                           "range 1..65535 is wider")

    def test_reports_table_bounds_that_differ(self):
        body = """
    <object name="Device.Ethernet." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="InterfaceNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="Device.Ethernet.Interface.{i}." access="readWrite" minEntries="0" maxEntries="unbounded" numEntriesParameter="InterfaceNumberOfEntries"/>"""
        self.assertReports(check(self.ws.doc(body)), "Interface.{i}.: access is 'readWrite'")

    def test_checks_service_models_against_their_own_tr104_issue(self):
        body = """
    <object name="VoiceService.{i}." access="readOnly" minEntries="0" maxEntries="unbounded" numEntriesParameter="VoiceServiceNumberOfEntries">
      <parameter name="VoiceProfileNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
    </object>
    <object name="VoiceService.{i}.VoiceProfile.{i}." access="readWrite" minEntries="0" maxEntries="unbounded" numEntriesParameter="VoiceProfileNumberOfEntries" enableParameter="Enable">
      <parameter name="Enable" access="readWrite">
        <syntax><string><enumeration value="Disabled"/><enumeration value="Quiescent"/><enumeration value="Enabled"/></string></syntax>
      </parameter>
    </object>"""
        count = '<parameter name="VoiceServiceNumberOfEntries" access="readOnly"><syntax><unsignedInt/></syntax></parameter>'
        issue1 = self.ws.doc(count + body, model="VoiceService:1.1", service=True)
        self.assertEqual(check(issue1), [])
        issue2 = self.ws.doc(count + body, model="VoiceService:2.0", service=True)
        self.assertReports(check(issue2), "VoiceService.{i}.VoiceProfile.{i}.: no such object")

    def test_reports_a_parameter_declared_by_two_documents(self):
        errors = check(self.ws.doc(deviceinfo()), self.ws.doc(deviceinfo()))
        self.assertReports(errors, "Device.DeviceInfo.Manufacturer is also declared by")

    def test_reports_an_object_whose_parent_nobody_declares(self):
        body = """
    <object name="Device.DeviceInfo.MemoryStatus." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Total" access="readOnly"><syntax><unsignedInt><units value="KiB"/></unsignedInt></syntax></parameter>
    </object>"""
        self.assertReports(check(self.ws.doc(body)),
                           "parent object Device.DeviceInfo. is declared by no document")

    def test_reports_facets_the_schema_does_not_admit_on_a_base_type(self):
        extra = """<parameter name="X_00005E_Label" access="readOnly">
        <syntax><string><units value="seconds"/></string></syntax></parameter>"""
        self.assertReports(check(self.ws.doc(deviceinfo(extra=extra))),
                           "<units> is not a facet of <string>")

    def test_refuses_data_type_elements_outside_the_subset(self):
        body = """
    <object name="Device.ManagementServer." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="URL" access="readWrite"><syntax><dataType ref="URL"/></syntax></parameter>
    </object>"""
        self.assertReports(check(self.ws.doc(body)), "<dataType> in <syntax> is outside the subset")


class ExtractorTest(unittest.TestCase):
    def extract(self, spec_text):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.spec")
            with open(path, "w", encoding="utf-8") as f:
                f.write(textwrap.dedent(spec_text))
            spec = dmextract.parse_spec(path)
            comment, root = dmextract.build_document(spec, BBF_DIR, "cmd")
            text = dmextract.render(comment, root)
        return text, ET.fromstring(text.encode("utf-8"))

    def param(self, doc, obj, name):
        for o in doc.iter("object"):
            if o.get("name") == obj:
                for p in o.findall("parameter"):
                    if p.get("name") == name:
                        return p
        self.fail("%s%s not in the output" % (obj, name))

    def test_resolves_named_types_keeping_their_name(self):
        _, doc = self.extract("""
            document t
            model Device:2.17
            object Device.IP.Interface.{i}.IPv4Address.{i}.
              IPAddress
            """)
        base = self.param(doc, "Device.IP.Interface.{i}.IPv4Address.{i}.", "IPAddress").find(
            "syntax/string")
        self.assertEqual(base.get("{%s}dataType" % bbfdm.CWMPD_NS), "IPv4Address")
        self.assertEqual(base.find("size").get("maxLength"), "15")
        self.assertIn("", [p.get("value") for p in base.findall("pattern")])

    def test_drops_descriptions_and_adds_missing_ancestors(self):
        text, doc = self.extract("""
            document t
            model Device:2.17
            object Device.IP.Interface.{i}.Stats.
              BytesSent
            """)
        self.assertNotIn("<description", text)
        names = [o.get("name") for o in doc.iter("object")]
        self.assertEqual(names, ["Device.IP.", "Device.IP.Interface.{i}.",
                                 "Device.IP.Interface.{i}.Stats."])
        counter = self.param(doc, "Device.IP.Interface.{i}.Stats.", "BytesSent")
        self.assertIsNotNone(counter.find("syntax/unsignedLong"))

    def test_output_passes_the_checker(self):
        text, _ = self.extract("""
            document t
            model Device:2.17
            object Device.WiFi.
              AccessPointNumberOfEntries
            object Device.WiFi.AccessPoint.{i}.
              Enable
            object Device.WiFi.AccessPoint.{i}.Security.
              ModeEnabled KeyPassphrase
            """)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.assertEqual(check(path), [])

    def test_refuses_a_parameter_the_official_model_lacks(self):
        with self.assertRaisesRegex(bbfdm.DmError, "no parameter.*Bogus"):
            self.extract("""
                document t
                model Device:2.17
                object Device.DeviceInfo.
                  Manufacturer Bogus
                """)


if __name__ == "__main__":
    if not bbfdm.official_files_present(BBF_DIR):
        print("*" * 78)
        print("SKIPPED: official Broadband Forum files not found in %s (set CWMPD_BBF_DIR)"
              % BBF_DIR)
        print("*" * 78)
        sys.exit(77)
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
