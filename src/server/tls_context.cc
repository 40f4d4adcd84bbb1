#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace duet::server {
namespace {

namespace ssl = boost::asio::ssl;

// Asio took OpenSSL's first (root) error into `ec` ("no start line", "key
// values mismatch"); the rest of the queue only names the layers that gave up.
std::string Reason(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

// OpenSSL reports a file it cannot open as "system lib"; errno says why.
Status CheckOpens(std::string_view setting, const std::string& path) {
  if (std::FILE* file = std::fopen(path.c_str(), "rb"); file != nullptr) {
    std::fclose(file);
    return Status::OK();
  }
  return Status::InvalidArgument(setting, path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::shared_ptr<ssl::context>> LoadServerTlsContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); 1.3 is negotiated when the
  // client offers it.
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  DUET_RETURN_IF_ERROR(CheckOpens("tls_cert", cert_file));
  DUET_RETURN_IF_ERROR(CheckOpens("tls_key", key_file));
  boost::system::error_code ec;
  ERR_clear_error();
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::InvalidArgument("tls_cert",
                                   cert_file + ": cannot load a PEM certificate: " + Reason(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec && ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    ERR_clear_error();
    return Status::InvalidArgument("tls_key",
                                   key_file + ": does not match the certificate in " + cert_file);
  }
  if (ec) {
    return Status::InvalidArgument("tls_key",
                                   key_file + ": cannot load a PEM private key: " + Reason(ec));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("tls_key",
                                   key_file + ": does not match the certificate in " + cert_file);
  }
  return context;
}

}  // namespace duet::server
