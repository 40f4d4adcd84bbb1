// The web console's routes (server/console_routes.h) through the request
// path without sockets: the files compiled in, their headers (CSP, caching,
// ETag and 304, gzip), the /ui redirect and the names that are refused.
#include "server/console_routes.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "server/console_assets.h"
#include "server/request_dispatch.h"
#include "tests/support/gunzip.h"

namespace duet::server {
namespace {

namespace json = boost::json;

class ConsoleRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddConsoleRoutes(&router_);
    dispatcher_ = std::make_unique<RequestDispatcher>(&router_, &authority_, HttpLimits{});
  }

  HttpResponse Get(std::string_view target, std::string_view extra_headers = "",
                   std::string_view method = "GET") {
    const std::string bytes = std::string(method) + " " + std::string(target) +
                              " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra_headers) +
                              "\r\n";
    std::optional<HttpResponse> response = dispatcher_->Handle(bytes);
    EXPECT_TRUE(response.has_value()) << target;
    return response.value_or(HttpResponse{});
  }

  // The problem document's code, "" when the body is not one.
  static std::string ProblemCode(const HttpResponse& response) {
    if (response.content_type != "application/problem+json") return "";
    return std::string(json::parse(response.body).at("code").as_string());
  }

  Router router_;
  TokenAuthority authority_;  // no tokens: the console's files are open anyway
  std::unique_ptr<RequestDispatcher> dispatcher_;
};

TEST_F(ConsoleRoutesTest, UiWithoutSlashRedirectsToTheIndex) {
  HttpResponse response = Get("/ui");
  EXPECT_EQ(response.status, 301u);
  EXPECT_EQ(response.Header("location"), "/ui/");
  EXPECT_TRUE(response.body.empty());
}

TEST_F(ConsoleRoutesTest, IndexIsServedWithItsSecurityAndCachingHeaders) {
  HttpResponse response = Get("/ui/");
  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("<script type=\"module\" src=\"app.js\"></script>"),
            std::string::npos);
  EXPECT_EQ(response.Header("content-security-policy"), kConsoleContentSecurityPolicy);
  EXPECT_EQ(response.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(response.Header("cache-control"), "no-cache");
  const std::string_view etag = response.Header("etag");
  ASSERT_GE(etag.size(), 18u);
  EXPECT_EQ(etag.front(), '"') << "a strong ETag: " << etag;
  EXPECT_EQ(Get("/ui/index.html").body, response.body);
}

// The CSP allows no inline script or style: the files must not need any.
TEST_F(ConsoleRoutesTest, NoFileHoldsInlineScriptsStylesOrHandlers) {
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (!asset.name.ends_with(".html")) continue;
    const std::string text(asset.bytes);
    for (std::string_view forbidden :
         {"<style", " style=", " onclick=", " onload=", "javascript:"}) {
      EXPECT_EQ(text.find(forbidden), std::string::npos) << asset.name << " has " << forbidden;
    }
    for (size_t at = text.find("<script"); at != std::string::npos;
         at = text.find("<script", at + 1)) {
      const std::string tag = text.substr(at, text.find('>', at) - at);
      EXPECT_NE(tag.find(" src="), std::string::npos) << asset.name << ": inline " << tag;
    }
  }
}

TEST_F(ConsoleRoutesTest, EveryFileIsServedWithItsTypeAndTag) {
  ASSERT_FALSE(ConsoleAssets().empty());
  bool saw_module = false;
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    HttpResponse response = Get("/ui/" + std::string(asset.name));
    ASSERT_EQ(response.status, 200u) << asset.name;
    EXPECT_EQ(response.body, asset.bytes) << asset.name;
    EXPECT_EQ(response.content_type, asset.content_type) << asset.name;
    EXPECT_EQ(response.Header("etag"), asset.etag) << asset.name;
    EXPECT_FALSE(asset.bytes.empty()) << asset.name;
    if (asset.name == "app.js") {
      saw_module = true;
      EXPECT_EQ(asset.content_type, "text/javascript; charset=utf-8");
    }
  }
  EXPECT_TRUE(saw_module) << "app.js, the console's entry module, is not compiled in";
}

TEST_F(ConsoleRoutesTest, ARevalidationWithTheTagIs304WithoutABody) {
  const std::string etag(Get("/ui/style.css").Header("etag"));
  HttpResponse response = Get("/ui/style.css", "If-None-Match: " + etag + "\r\n");
  EXPECT_EQ(response.status, 304u);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(Get("/ui/style.css", "If-None-Match: \"0000000000000000\"\r\n").status, 200u);
}

// A strong tag names exact bytes: once gzipped, the tag is weak, and a
// revalidation with either form still gets its 304.
TEST_F(ConsoleRoutesTest, AGzippedFileCarriesAWeakTagThatStillRevalidates) {
  HttpResponse plain = Get("/ui/app.js");
  HttpResponse zipped = Get("/ui/app.js", "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(zipped.Header("content-encoding"), "gzip") << "app.js is over kGzipMinBytes";
  EXPECT_EQ(duet::testing::Gunzip(zipped.body), plain.body);
  EXPECT_EQ(zipped.Header("etag"), "W/" + std::string(plain.Header("etag")));
  const std::string weak(zipped.Header("etag"));
  EXPECT_EQ(Get("/ui/app.js", "Accept-Encoding: gzip\r\nIf-None-Match: " + weak + "\r\n").status,
            304u);
  EXPECT_EQ(
      Get("/ui/app.js", "If-None-Match: " + std::string(plain.Header("etag")) + "\r\n").status,
      304u);
}

TEST_F(ConsoleRoutesTest, HeadSendsTheHeadersAlone) {
  HttpResponse response = Get("/ui/", "", "HEAD");
  EXPECT_EQ(response.status, 200u);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(response.head_length, Get("/ui/").body.size());
  EXPECT_EQ(response.Header("content-security-policy"), kConsoleContentSecurityPolicy);
}

TEST_F(ConsoleRoutesTest, AnUnknownFileIs404) {
  HttpResponse response = Get("/ui/nope.js");
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(ProblemCode(response), "not_found");
}

// Names that try to leave the console's flat folder: refused with a problem
// document, never looked up anywhere else.
TEST_F(ConsoleRoutesTest, DotSegmentsEncodedSlashesAndNulBytesAreRefused) {
  for (std::string_view target :
       {"/ui/%2e%2e", "/ui/..", "/ui/.", "/ui/..%2fmetrics", "/ui/%2e%2e%2F%2e%2e%2fetc%2fpasswd",
        "/ui/a%5cb", "/ui/..%5c..%5cwin.ini"}) {
    HttpResponse response = Get(target);
    EXPECT_EQ(response.status, 400u) << target;
    EXPECT_EQ(ProblemCode(response), "invalid_argument") << target;
  }
  // A NUL escape does not decode into a capture at all: no route.
  for (std::string_view target : {"/ui/%00", "/ui/app.js%00.html", "/ui/../metrics"}) {
    HttpResponse response = Get(target);
    EXPECT_EQ(response.status, 404u) << target;
    EXPECT_EQ(ProblemCode(response), "not_found") << target;
  }
}

TEST_F(ConsoleRoutesTest, OnlyGetAndHeadAreServed) {
  HttpResponse response = Get("/ui/", "", "DELETE");
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.Header("allow"), "GET, HEAD, OPTIONS");
}

}  // namespace
}  // namespace duet::server
