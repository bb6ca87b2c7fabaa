// Element name of each message type, shared by the encoder and the decoder.
#pragma once

#include <string_view>

#include "cwmpd/core/soap/messages.hpp"

namespace cwmpd::core::soap::detail {

template <class T>
inline constexpr std::string_view kMethodName = {};

#define CWMPD_SOAP_METHOD(T) \
  template <>                \
  inline constexpr std::string_view kMethodName<T> = #T;
CWMPD_SOAP_METHOD(Fault)
CWMPD_SOAP_METHOD(GetRPCMethods)
CWMPD_SOAP_METHOD(SetParameterValues)
CWMPD_SOAP_METHOD(GetParameterValues)
CWMPD_SOAP_METHOD(GetParameterNames)
CWMPD_SOAP_METHOD(SetParameterAttributes)
CWMPD_SOAP_METHOD(GetParameterAttributes)
CWMPD_SOAP_METHOD(AddObject)
CWMPD_SOAP_METHOD(DeleteObject)
CWMPD_SOAP_METHOD(Reboot)
CWMPD_SOAP_METHOD(FactoryReset)
CWMPD_SOAP_METHOD(Download)
CWMPD_SOAP_METHOD(Upload)
CWMPD_SOAP_METHOD(ScheduleInform)
CWMPD_SOAP_METHOD(ScheduleDownload)
CWMPD_SOAP_METHOD(CancelTransfer)
CWMPD_SOAP_METHOD(GetQueuedTransfers)
CWMPD_SOAP_METHOD(GetAllQueuedTransfers)
CWMPD_SOAP_METHOD(ChangeDUState)
CWMPD_SOAP_METHOD(GetRPCMethodsResponse)
CWMPD_SOAP_METHOD(SetParameterValuesResponse)
CWMPD_SOAP_METHOD(GetParameterValuesResponse)
CWMPD_SOAP_METHOD(GetParameterNamesResponse)
CWMPD_SOAP_METHOD(SetParameterAttributesResponse)
CWMPD_SOAP_METHOD(GetParameterAttributesResponse)
CWMPD_SOAP_METHOD(AddObjectResponse)
CWMPD_SOAP_METHOD(DeleteObjectResponse)
CWMPD_SOAP_METHOD(RebootResponse)
CWMPD_SOAP_METHOD(FactoryResetResponse)
CWMPD_SOAP_METHOD(DownloadResponse)
CWMPD_SOAP_METHOD(UploadResponse)
CWMPD_SOAP_METHOD(ScheduleInformResponse)
CWMPD_SOAP_METHOD(ScheduleDownloadResponse)
CWMPD_SOAP_METHOD(CancelTransferResponse)
CWMPD_SOAP_METHOD(GetQueuedTransfersResponse)
CWMPD_SOAP_METHOD(GetAllQueuedTransfersResponse)
CWMPD_SOAP_METHOD(ChangeDUStateResponse)
CWMPD_SOAP_METHOD(Inform)
CWMPD_SOAP_METHOD(TransferComplete)
CWMPD_SOAP_METHOD(AutonomousTransferComplete)
CWMPD_SOAP_METHOD(RequestDownload)
CWMPD_SOAP_METHOD(Kicked)
CWMPD_SOAP_METHOD(DUStateChangeComplete)
CWMPD_SOAP_METHOD(AutonomousDUStateChangeComplete)
CWMPD_SOAP_METHOD(InformResponse)
CWMPD_SOAP_METHOD(TransferCompleteResponse)
CWMPD_SOAP_METHOD(AutonomousTransferCompleteResponse)
CWMPD_SOAP_METHOD(RequestDownloadResponse)
CWMPD_SOAP_METHOD(KickedResponse)
CWMPD_SOAP_METHOD(DUStateChangeCompleteResponse)
CWMPD_SOAP_METHOD(AutonomousDUStateChangeCompleteResponse)
#undef CWMPD_SOAP_METHOD

}  // namespace cwmpd::core::soap::detail
