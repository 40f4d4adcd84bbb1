// The server's TLS context: certificate chain and private key from PEM files,
// TLS 1.2 at least. Built at start and again on each reload (SIGHUP); each
// connection keeps the context it was accepted with (util/tls_stream.h).
#ifndef DUET_SERVER_TLS_CONTEXT_H_
#define DUET_SERVER_TLS_CONTEXT_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "duet/result.h"

namespace duet::server {

// Loads `cert_file` (a PEM certificate chain, the server's certificate first)
// and `key_file` (its PEM private key, unencrypted). Errors:
// InvalidArgument("tls_cert") when the chain does not load,
// InvalidArgument("tls_key") when the key does not load or does not match
// the certificate; the message names the file and OpenSSL's reason.
Result<std::shared_ptr<boost::asio::ssl::context>> LoadServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

}  // namespace duet::server

#endif  // DUET_SERVER_TLS_CONTEXT_H_
