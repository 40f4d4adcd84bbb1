// Throwaway TLS material for the TLS tests, made at run time with the
// `openssl` command (Debian package openssl; no private key is checked in),
// and a way to run such tools (openssl, curl) without a shell.
//
// Thread-compatible.
#ifndef DUET_TESTS_SUPPORT_TLS_TEST_SUPPORT_H_
#define DUET_TESTS_SUPPORT_TLS_TEST_SUPPORT_H_

#include <filesystem>
#include <string>
#include <vector>

#include "duet/result.h"

namespace duet::testing {

struct ProgramRun {
  int exit_code = -1;  // 128 + signal when a signal ended it
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (found on the PATH) with stdin from /dev/null and waits.
// `scratch` is a folder for its captured output. Errors: kIOError when it
// cannot be started (the exit code of a program that ran is in ProgramRun).
Result<ProgramRun> RunProgram(const std::vector<std::string>& argv,
                              const std::filesystem::path& scratch);

// A certificate and its unencrypted private key, PEM files.
struct CertificateFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Certificates under one folder: CAs, and server certificates signed by a
// CA for 127.0.0.1 and localhost (subjectAltName), each with its own common
// name so a client can tell which one a server presents.
class TestPki {
 public:
  explicit TestPki(std::filesystem::path folder) : folder_(std::move(folder)) {}

  // A self-signed CA named `name` ("CN=<name>"). Errors: kIOError (openssl
  // failed; the message has its output).
  Result<CertificateFiles> MakeCa(const std::string& name);
  // A server certificate "CN=<name>" signed by `ca`.
  Result<CertificateFiles> MakeServerCert(const std::string& name, const CertificateFiles& ca);

 private:
  Status Openssl(std::vector<std::string> args);
  std::filesystem::path folder_;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_TLS_TEST_SUPPORT_H_
