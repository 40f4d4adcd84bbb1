#include "tests/support/tls_test_support.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace duet::testing {

Result<ProgramRun> RunProgram(const std::vector<std::string>& argv,
                              const std::filesystem::path& scratch) {
  const std::string output_path = (scratch / "program-output.txt").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Status::IOError("cannot start " + argv[0] + ": " + std::strerror(spawned));
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  ProgramRun run;
  run.exit_code = WIFEXITED(wait_status)     ? WEXITSTATUS(wait_status)
                  : WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status)
                                             : -1;
  std::ifstream in(output_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  run.output = text.str();
  return run;
}

Status TestPki::Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  DUET_ASSIGN_OR_RETURN(ProgramRun run, RunProgram(args, folder_));
  if (run.exit_code != 0) {
    return Status::IOError("openssl " + args[1] + " failed (" + std::to_string(run.exit_code) +
                           "): " + run.output);
  }
  return Status::OK();
}

Result<CertificateFiles> TestPki::MakeCa(const std::string& name) {
  CertificateFiles ca{folder_ / (name + ".pem"), folder_ / (name + ".key")};
  DUET_RETURN_IF_ERROR(
      Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-days", "2", "-subj", "/CN=" + name, "-keyout", ca.key.string(), "-out",
               ca.cert.string()}));
  return ca;
}

Result<CertificateFiles> TestPki::MakeServerCert(const std::string& name,
                                                 const CertificateFiles& ca) {
  CertificateFiles server{folder_ / (name + ".pem"), folder_ / (name + ".key")};
  const std::string request = (folder_ / (name + ".csr")).string();
  const std::filesystem::path extensions = folder_ / (name + ".ext");
  std::ofstream(extensions) << "subjectAltName = IP:127.0.0.1, DNS:localhost\n";
  DUET_RETURN_IF_ERROR(
      Openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-subj", "/CN=" + name, "-keyout", server.key.string(), "-out", request}));
  DUET_RETURN_IF_ERROR(Openssl({"x509", "-req", "-in", request, "-CA", ca.cert.string(), "-CAkey",
                                ca.key.string(), "-CAcreateserial", "-days", "2", "-extfile",
                                extensions.string(), "-out", server.cert.string()}));
  return server;
}

}  // namespace duet::testing
