#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>

namespace duet::server {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's reason for the last failure (its error queue), else `ec`'s.
std::string Reason(const boost::system::error_code& ec) {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return ec.message();
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : ec.message();
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
  boost::system::error_code ec;
  ERR_clear_error();
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::InvalidArgument("tls_cert",
                                   cert_file + ": cannot load a PEM certificate: " + Reason(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
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
