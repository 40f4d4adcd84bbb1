#include "server/http_headers.h"

#include <zlib.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace duet::server {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The q of one Accept-Encoding element's parameters ("q=0.5"); 1 without one.
// An unparsable q counts as 0: the client did not clearly accept it.
double QualityOf(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    const std::string value(Trim(param.substr(2)));
    char* end = nullptr;
    const double q = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(q >= 0 && q <= 1)) return 0;
    return q;
  }
  return 1;
}

}  // namespace

std::string HttpDate(int64_t seconds_since_epoch) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(seconds_since_epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[static_cast<size_t>(tm.tm_wday)], tm.tm_mday,
                kMonths[static_cast<size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

std::string HttpDateNow() {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (now != cached_second) {
    cached = HttpDate(now);
    cached_second = now;
  }
  return cached;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  double gzip = -1;  // not listed
  double any = -1;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const size_t semi = element.find(';');
    const std::string_view coding = Trim(element.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1.0 : QualityOf(element.substr(semi + 1));
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
      gzip = std::max(gzip, q);
    } else if (coding == "*") {
      any = std::max(any, q);
    }
  }
  if (gzip >= 0) return gzip > 0;
  return any > 0;
}

Status GzipCompress(std::string_view data, std::string* out) {
  z_stream zs{};
  // windowBits 15 + 16: gzip framing (header and CRC-32) instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Status::IOError("zlib: deflateInit2 failed");
  }
  out->resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  const int result = deflate(&zs, Z_FINISH);
  const size_t written = zs.total_out;
  deflateEnd(&zs);
  if (result != Z_STREAM_END) return Status::IOError("zlib: deflate did not finish");
  out->resize(written);
  return Status::OK();
}

bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag) {
  auto opaque = [](std::string_view tag) {
    tag = Trim(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  const std::string_view wanted = opaque(etag);
  if (Trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    const size_t comma = if_none_match.find(',');
    if (opaque(if_none_match.substr(0, comma)) == wanted) return true;
    if_none_match =
        comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
  }
  return false;
}

std::string DigestHex(std::string_view data) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

Status ValidateOrigin(std::string_view origin) {
  std::string_view rest;
  if (origin.starts_with("http://")) {
    rest = origin.substr(7);
  } else if (origin.starts_with("https://")) {
    rest = origin.substr(8);
  } else {
    return Status::InvalidArgument(
        "cors_origins", "an origin is http:// or https:// and a host: " + std::string(origin));
  }
  if (rest.empty() || rest.find_first_of("/?#@ \t*,") != std::string_view::npos) {
    return Status::InvalidArgument(
        "cors_origins",
        "an origin is scheme://host[:port] with no path or wildcard: " + std::string(origin));
  }
  for (char c : rest) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      // Browsers send origins in lower case: a capital would never match.
      return Status::InvalidArgument("cors_origins",
                                     "write the origin in lower case: " + std::string(origin));
    }
  }
  return Status::OK();
}

std::string_view HostName(std::string_view host_header) {
  host_header = Trim(host_header);
  if (host_header.starts_with('[')) {
    const size_t close = host_header.find(']');
    return close == std::string_view::npos ? host_header : host_header.substr(1, close - 1);
  }
  return host_header.substr(0, host_header.find(':'));
}

bool IsLoopbackHostName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // "localhost." is absolute
  if (EqualsIgnoreCase(name, "localhost")) return true;
  constexpr std::string_view kSuffix = ".localhost";
  if (name.size() > kSuffix.size() &&
      EqualsIgnoreCase(name.substr(name.size() - kSuffix.size()), kSuffix)) {
    return true;
  }
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(std::string(name), ec);
  return !ec && address.is_loopback();
}

}  // namespace duet::server
