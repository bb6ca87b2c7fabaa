// One realistic instance of every CWMP message type, for round-trip and schema tests.
// Values respect the schemas' restrictions (CommandKey <= 32 chars, event code and file
// type patterns, UUID format) and carry characters that need escaping.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core::soap::testing {

struct Sample {
  std::string label;
  Body body;
};

inline OpResultStruct opResult(bool autonomous) {
  OpResultStruct r;
  r.uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  r.deploymentUnitRef = "Device.SoftwareModules.DeploymentUnit.1";
  r.version = "1.0.2";
  r.currentState = "Installed";
  r.resolved = true;
  r.executionUnitRefList = "Device.SoftwareModules.ExecutionUnit.1";
  r.startTime = "2026-11-25T10:00:00Z";
  r.completeTime = "2026-11-25T10:00:05Z";
  r.fault = {0, ""};
  if (autonomous) r.operationPerformed = "Install";
  return r;
}

inline std::vector<Sample> allSamples() {
  std::vector<Sample> s;
  s.push_back({"GetRPCMethods", GetRPCMethods{}});
  s.push_back({"SetParameterValues",
               SetParameterValues{
                   {{"Device.WiFi.SSID.1.SSID", "Caf\xC3\xA9 <&>\"' 5G", "xsd:string"},
                    {"Device.WiFi.SSID.1.Enable", "true", "xsd:boolean"},
                    {"Device.ManagementServer.PeriodicInformInterval", "3600", "xsd:unsignedInt"},
                    {"Device.Time.LocalTimeZone", "", "xsd:string"},
                    {"Device.ManagementServer.PeriodicInformTime", "2026-01-02T03:04:05.000Z",
                     "xsd:dateTime"}},
                   "key&1"}});
  s.push_back({"GetParameterValues",
               GetParameterValues{{"Device.DeviceInfo.", "Device.ManagementServer.URL", ""}}});
  s.push_back({"GetParameterNames", GetParameterNames{"Device.WiFi.", true}});
  s.push_back({"SetParameterAttributes",
               SetParameterAttributes{{{"Device.WiFi.SSID.1.SSID", true, 2, true, {"Subscriber"}},
                                       {"Device.DeviceInfo.", false, 0, false, {}}}}});
  s.push_back({"GetParameterAttributes",
               GetParameterAttributes{{"Device.WiFi.SSID.1.SSID", "Device.DeviceInfo."}}});
  s.push_back({"AddObject", AddObject{"Device.NAT.PortMapping.", "pk-7"}});
  s.push_back({"DeleteObject", DeleteObject{"Device.NAT.PortMapping.3.", ""}});
  s.push_back({"Reboot", Reboot{"reboot-42"}});
  s.push_back({"FactoryReset", FactoryReset{}});
  s.push_back(
      {"Download", Download{"dl-1", "1 Firmware Upgrade Image",
                            "http://files.example.net/fw.bin?a=1&b=2", "user", "p<ss>", 123456,
                            "fw.bin", 5, "http://ok.example.net/", "http://ko.example.net/"}});
  s.push_back({"Upload", Upload{"ul-1", "1 Vendor Configuration File",
                                "http://files.example.net/up", "", "", 0}});
  s.push_back({"ScheduleInform", ScheduleInform{600, "si-1"}});
  s.push_back({"ScheduleDownload",
               ScheduleDownload{"sd-1",
                                "1 Firmware Upgrade Image",
                                "http://files.example.net/fw",
                                "",
                                "",
                                1000,
                                "fw.bin",
                                {{0, 3600, "1 At Any Time", "", -1},
                                 {7200, 10800, "4 Confirmation Needed", "Upgrade tonight?", 2}}}});
  s.push_back({"CancelTransfer", CancelTransfer{"dl-1"}});
  s.push_back({"GetQueuedTransfers", GetQueuedTransfers{}});
  s.push_back({"GetAllQueuedTransfers", GetAllQueuedTransfers{}});
  s.push_back(
      {"ChangeDUState", ChangeDUState{{InstallOp{"http://files.example.net/app.ipk",
                                                 "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "u", "p",
                                                 "Device.SoftwareModules.ExecEnv.1"},
                                       UpdateOp{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "2.0",
                                                "http://files.example.net/app2.ipk", "", ""},
                                       UninstallOp{"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "2.0",
                                                   "Device.SoftwareModules.ExecEnv.1"}},
                                      "du-1"}});
  s.push_back(
      {"VendorMethod", VendorMethod{"X_0000C0_Ping", {{"Host", "10.0.0.1"}, {"Count", "3"}}}});

  s.push_back(
      {"GetRPCMethodsResponse",
       GetRPCMethodsResponse{{"GetRPCMethods", "SetParameterValues", "GetParameterValues"}}});
  s.push_back({"SetParameterValuesResponse", SetParameterValuesResponse{1}});
  s.push_back({"GetParameterValuesResponse",
               GetParameterValuesResponse{
                   {{"Device.DeviceInfo.UpTime", "4242", "xsd:unsignedInt"},
                    {"Device.DeviceInfo.Description", "a < b & c", "xsd:string"},
                    {"Device.X_0000C0_Blob", "AAECAwQ=", "xsd:base64Binary"},
                    {"Device.X_0000C0_Neg", "-17", "xsd:int"},
                    {"Device.X_0000C0_Big", "18446744073709551615", "xsd:unsignedLong"},
                    {"Device.X_0000C0_Hex", "0aff", "xsd:hexBinary"}},
                   {},
                   0}});
  s.push_back({"GetParameterNamesResponse",
               GetParameterNamesResponse{{{"Device.WiFi.", false},
                                          {"Device.WiFi.SSID.", true},
                                          {"Device.WiFi.RadioNumberOfEntries", false}},
                                         {},
                                         0}});
  s.push_back({"SetParameterAttributesResponse", SetParameterAttributesResponse{}});
  s.push_back({"GetParameterAttributesResponse",
               GetParameterAttributesResponse{{{"Device.WiFi.SSID.1.SSID", 2, {"Subscriber"}},
                                               {"Device.DeviceInfo.UpTime", 0, {}}}}});
  s.push_back({"AddObjectResponse", AddObjectResponse{7, 0}});
  s.push_back({"DeleteObjectResponse", DeleteObjectResponse{1}});
  s.push_back({"RebootResponse", RebootResponse{}});
  s.push_back({"FactoryResetResponse", FactoryResetResponse{}});
  s.push_back(
      {"DownloadResponse", DownloadResponse{1, "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"}});
  s.push_back(
      {"UploadResponse", UploadResponse{0, "2026-11-25T10:00:00Z", "2026-11-25T10:00:03Z"}});
  s.push_back({"ScheduleInformResponse", ScheduleInformResponse{}});
  s.push_back({"ScheduleDownloadResponse", ScheduleDownloadResponse{}});
  s.push_back({"CancelTransferResponse", CancelTransferResponse{}});
  s.push_back(
      {"GetQueuedTransfersResponse", GetQueuedTransfersResponse{{{"dl-1", 2}, {"dl-2", 1}}}});
  s.push_back(
      {"GetAllQueuedTransfersResponse",
       GetAllQueuedTransfersResponse{{{"dl-1", 2, true, "1 Firmware Upgrade Image", 1000, "fw.bin"},
                                      {"ul-1", 1, false, "4 Vendor Log File 1", 0, ""}}}});
  s.push_back({"ChangeDUStateResponse", ChangeDUStateResponse{}});
  s.push_back(
      {"VendorMethodResponse", VendorMethodResponse{"X_0000C0_PingResponse", {{"Result", "ok"}}}});

  Inform inform;
  inform.deviceId = {"ACME & Sons", "0000C0", "HG<1>", "SN0001"};
  inform.events = {
      {"0 BOOTSTRAP", ""}, {"1 BOOT", ""}, {"M Reboot", "reboot-42"}, {"X 0000C0 BIND", ""}};
  inform.maxEnvelopes = 1;
  inform.currentTime = "2026-11-25T12:00:00+01:00";
  inform.retryCount = 2;
  inform.parameterList = {{"Device.DeviceInfo.SoftwareVersion", "1.2.3", "xsd:string"},
                          {"Device.ManagementServer.ConnectionRequestURL",
                           "http://192.0.2.1:7547/cr?x=1&y=2", "xsd:string"},
                          {"Device.DeviceInfo.ProvisioningCode", "", "xsd:string"}};
  s.push_back({"Inform", inform});
  TransferComplete tc;
  tc.commandKey = "dl-1";
  tc.fault.faultCode = 9010;
  tc.fault.faultString = "Download failure: 404";
  tc.startTime = "2026-11-25T10:00:00Z";
  tc.completeTime = "2026-11-25T10:00:09Z";
  s.push_back({"TransferComplete", tc});
  AutonomousTransferComplete atc;
  atc.announceUrl = "http://acs.example.net/announce";
  atc.transferUrl = "http://files.example.net/fw.bin";
  atc.isDownload = true;
  atc.fileType = "1 Firmware Upgrade Image";
  atc.fileSize = 2048;
  atc.targetFileName = "fw.bin";
  atc.startTime = "2026-11-25T10:00:00Z";
  atc.completeTime = "2026-11-25T10:00:09Z";
  s.push_back({"AutonomousTransferComplete", atc});
  s.push_back(
      {"RequestDownload", RequestDownload{"2 Web Content", {{"Version", "1.0"}, {"Lang", "fr"}}}});
  s.push_back({"Kicked", Kicked{"redirect", "http://portal.example.net/", "a=1&b=2",
                                "http://portal.example.net/next"}});
  s.push_back({"DUStateChangeComplete", DUStateChangeComplete{{opResult(false)}, "du-1"}});
  s.push_back({"AutonomousDUStateChangeComplete",
               AutonomousDUStateChangeComplete{{opResult(true), opResult(true)}}});

  s.push_back({"InformResponse", InformResponse{1}});
  s.push_back({"TransferCompleteResponse", TransferCompleteResponse{}});
  s.push_back({"AutonomousTransferCompleteResponse", AutonomousTransferCompleteResponse{}});
  s.push_back({"RequestDownloadResponse", RequestDownloadResponse{}});
  s.push_back({"KickedResponse", KickedResponse{"http://portal.example.net/done"}});
  s.push_back({"DUStateChangeCompleteResponse", DUStateChangeCompleteResponse{}});
  s.push_back(
      {"AutonomousDUStateChangeCompleteResponse", AutonomousDUStateChangeCompleteResponse{}});

  Fault fault;
  fault.faultcode = "Client";
  fault.code = 9003;
  fault.message = "Invalid arguments";
  fault.setParameterValuesFaults = {
      {"Device.WiFi.SSID.1.SSID", 9007, "Invalid parameter value"},
      {"Device.DeviceInfo.UpTime", 9008, "Attempt to set a non-writable parameter"}};
  s.push_back({"Fault", fault});
  return s;
}

}  // namespace cwmpd::core::soap::testing
