// Validates CWMP messages against the official schemas (soap-envelope.xsd,
// soap-encoding.xsd and cwmp-1-x.xsd from the Broadband Forum) with Xerces-C, offline:
// an entity resolver maps every schema address to the local files and refuses the rest.
//
// The SOAP envelope schema checks Body content laxly (a misnamed element passes), so the
// validator also checks the Body's first element against the method the test expects.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace cwmpd::test {

// The folder with the BBF schemas: $CWMPD_BBF_DIR, else ../shared/bbf beside the source
// tree. Empty when it does not exist.
[[nodiscard]] std::string bbfDir();

struct SchemaCheck {
  bool valid = false;
  std::string errors;         // every schema error, one per line
  std::string bodyNamespace;  // namespace URI of the Body's first element
  std::string bodyElement;    // its local name
  std::string schemaFile;     // the cwmp-1-x.xsd used
};

class SchemaValidator {
 public:
  explicit SchemaValidator(std::string bbfDir);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // Validates `message` with the schema of its CWMP namespace (cwmp-1-0 -> cwmp-1-0.xsd,
  // cwmp-1-1 -> cwmp-1-1.xsd, cwmp-1-2 -> cwmp-1-4.xsd, which includes 1-3 and 1-2) and
  // checks that the Body holds `expectedMethod` ("Fault" means SOAP-ENV:Fault, anything
  // else cwmp:<expectedMethod>). `valid` is true only when both hold.
  [[nodiscard]] SchemaCheck validate(std::string_view message, std::string_view expectedMethod);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One validator per test process (loading the schemas takes a while).
SchemaValidator& sharedValidator();

// For EXPECT_TRUE(isValidCwmp(xml, "Inform")): the failure message lists the errors.
::testing::AssertionResult isValidCwmp(std::string_view message, std::string_view expectedMethod);

}  // namespace cwmpd::test

// Skips the current test, loudly, when the BBF schemas are not there.
#define CWMPD_REQUIRE_BBF_SCHEMAS()                                                           \
  do {                                                                                        \
    if (::cwmpd::test::bbfDir().empty()) {                                                    \
      std::fprintf(stderr,                                                                    \
                   "*** SKIPPED: BBF schemas not found; set CWMPD_BBF_DIR to the folder "     \
                   "with cwmp-1-x.xsd (../shared/bbf) ***\n");                                \
      GTEST_SKIP() << "BBF schemas not found: set CWMPD_BBF_DIR (schema validation skipped)"; \
    }                                                                                         \
  } while (false)
