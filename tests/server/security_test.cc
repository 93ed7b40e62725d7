// TLS, mutual TLS and bearer tokens on a real server over loopback: accepted, rejected and
// missing credentials. Certificates are made per run with the openssl command-line tool.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hrnn/v1/recommender.grpc.pb.h"
#include "httplib.h"
#include "server/recommender_server.h"
#include "server/token_authenticator.h"
#include "tests/testing/model_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hrnn {
namespace {

using ::hrnn::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kToken[] = "s3cret-token-0123456789";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// A CA, a server certificate for 127.0.0.1 / localhost and a client certificate, all signed by
// the CA, plus a second CA the server does not trust.
void MakeCertificates(const std::filesystem::path& dir) {
  const std::string d = dir.string();
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string script = absl::StrCat(
      "set -e; cd '", d, "';", "openssl req -x509 ", key,
      " -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca;", "openssl req -x509 ", key,
      " -keyout other.key -out other.pem -days 2 -subj /CN=other;", "openssl req ", key,
      " -keyout server.key -out server.csr -subj /CN=localhost;",
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext;",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial",
      " -out server.pem -days 2 -extfile san.ext;", "openssl req ", key,
      " -keyout client.key -out client.csr -subj /CN=client;",
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial",
      " -out client.pem -days 2;",
      "openssl x509 -req -in client.csr -CA other.pem -CAkey other.key -CAcreateserial",
      " -out stranger.pem -days 2");
  ASSERT_EQ(std::system(absl::StrCat("(", script, ") >/dev/null 2>&1").c_str()), 0)
      << "openssl failed in " << d;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir();
    MakeCertificates(dir_);
    config_.model_dir = (dir_ / "models" / "shop").string();
    config_.port = 0;
    config_.metrics_port = 0;
    testing::WriteRandomModel(config_.model_dir, 1);
  }

  void Start() {
    auto server = RecommenderServer::Start(config_);
    ASSERT_OK(server.status());
    server_ = *std::move(server);
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& client_cert = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(dir_ / "ca.pem");
    if (!client_cert.empty()) {
      options.pem_private_key = ReadFile(dir_ / "client.key");
      options.pem_cert_chain = ReadFile(dir_ / client_cert);
    }
    return grpc::SslCredentials(options);
  }

  // A GetModelInfo call with `credentials` and an optional bearer token.
  grpc::Status Call(std::shared_ptr<grpc::ChannelCredentials> credentials,
                    const std::string& token = "") {
    auto stub = v1::Recommender::NewStub(grpc::CreateChannel(server_->address(), credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token.empty()) context.AddMetadata("authorization", token);
    v1::ModelInfo info;
    return stub->GetModelInfo(&context, v1::GetModelInfoRequest(), &info);
  }

  grpc::Status Health(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub =
        grpc::health::v1::Health::NewStub(grpc::CreateChannel(server_->address(), credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, {}, &response);
  }

  std::filesystem::path dir_;
  ServerConfig config_;
  std::unique_ptr<RecommenderServer> server_;
};

TEST_F(SecurityTest, TlsAcceptsTrustingClientsAndRefusesPlaintext) {
  config_.tls_cert_file = (dir_ / "server.pem").string();
  config_.tls_key_file = (dir_ / "server.key").string();
  Start();
  EXPECT_TRUE(Call(Tls()).ok());
  EXPECT_EQ(Call(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, MutualTlsNeedsAClientCertificateFromTheTrustedCa) {
  config_.tls_cert_file = (dir_ / "server.pem").string();
  config_.tls_key_file = (dir_ / "server.key").string();
  config_.tls_client_ca_file = (dir_ / "ca.pem").string();
  Start();
  EXPECT_TRUE(Call(Tls("client.pem")).ok());
  EXPECT_FALSE(Call(Tls()).ok()) << "no client certificate";
  EXPECT_FALSE(Call(Tls("stranger.pem")).ok()) << "certificate from another CA";
}

TEST_F(SecurityTest, TheHttpApiSpeaksTlsWithTheGrpcPortsCertificates) {
  config_.tls_cert_file = (dir_ / "server.pem").string();
  config_.tls_key_file = (dir_ / "server.key").string();
  config_.http_port = 0;
  Start();
  httplib::SSLClient https("127.0.0.1", server_->http_port());
  https.set_ca_cert_path((dir_ / "ca.pem").string().c_str());
  https.enable_server_certificate_verification(true);
  httplib::Result model = https.Get("/v1/model");
  ASSERT_TRUE(model) << httplib::to_string(model.error());
  EXPECT_EQ(model->status, 200);
  EXPECT_THAT(model->body, HasSubstr("\"num_items\""));
  // Plaintext HTTP gets no answer from a TLS port.
  httplib::Client plain("127.0.0.1", server_->http_port());
  plain.set_connection_timeout(2);
  plain.set_read_timeout(2);
  EXPECT_FALSE(plain.Get("/v1/model"));
}

TEST_F(SecurityTest, TheHttpApiNeedsAClientCertificateWithMutualTls) {
  config_.tls_cert_file = (dir_ / "server.pem").string();
  config_.tls_key_file = (dir_ / "server.key").string();
  config_.tls_client_ca_file = (dir_ / "ca.pem").string();
  config_.http_port = 0;
  Start();
  const std::string ca = (dir_ / "ca.pem").string();
  httplib::SSLClient with_cert("127.0.0.1", server_->http_port(), (dir_ / "client.pem").string(),
                               (dir_ / "client.key").string());
  with_cert.set_ca_cert_path(ca.c_str());
  with_cert.enable_server_certificate_verification(true);
  httplib::Result ok = with_cert.Get("/v1/model");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  httplib::SSLClient without_cert("127.0.0.1", server_->http_port());
  without_cert.set_ca_cert_path(ca.c_str());
  without_cert.enable_server_certificate_verification(true);
  EXPECT_FALSE(without_cert.Get("/v1/model"));
}

TEST_F(SecurityTest, BearerTokensGuardTheServiceButNotHealth) {
  const std::string tokens = (dir_ / "tokens.txt").string();
  std::ofstream(tokens) << "# ops team\n" << kToken << "\n\nanother-token-abcdefghij\n";
  config_.auth_tokens_file = tokens;
  Start();
  const auto insecure = grpc::InsecureChannelCredentials();
  EXPECT_TRUE(Call(insecure, absl::StrCat("Bearer ", kToken)).ok());
  EXPECT_TRUE(Call(insecure, "Bearer another-token-abcdefghij").ok());
  const grpc::Status missing = Call(insecure);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("authorization: missing"));
  const grpc::Status wrong = Call(insecure, "Bearer not-the-token-at-all");
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.error_message(), ::testing::Not(HasSubstr("not-the-token")));
  EXPECT_EQ(Call(insecure, kToken).error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "the Bearer scheme is required";
  EXPECT_TRUE(Health(insecure).ok()) << "probes need no token";

  // Streams are guarded too.
  auto stub = v1::Recommender::NewStub(grpc::CreateChannel(server_->address(), insecure));
  grpc::ClientContext context;
  v1::PutEventsResponse response;
  auto writer = stub->StreamEvents(&context, &response);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecurityTest, BadSecuritySettingsStopTheStart) {
  ServerConfig config = config_;
  config.tls_cert_file = (dir_ / "server.pem").string();
  EXPECT_THAT(RecommenderServer::Start(config).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "--tls_key_file"));
  config.tls_key_file = (dir_ / "missing.key").string();
  EXPECT_THAT(RecommenderServer::Start(config).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "--tls_key_file: cannot read"));
  config = config_;
  config.tls_client_ca_file = (dir_ / "ca.pem").string();
  EXPECT_THAT(RecommenderServer::Start(config).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "--tls_client_ca_file"));
  config = config_;
  config.auth_tokens_file = (dir_ / "no-such-file").string();
  EXPECT_THAT(RecommenderServer::Start(config).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "--auth_tokens_file"));
}

TEST(TokenAuthenticatorTest, ParsesTheFileAndRefusesWeakTokens) {
  ASSERT_OK_AND_ASSIGN(auto authenticator,
                       TokenAuthenticator::FromContents("# c\n\n  tok-0123456789abcdef  \n", "t"));
  EXPECT_EQ(authenticator->size(), 1);
  EXPECT_OK(authenticator->Check("Bearer tok-0123456789abcdef"));
  EXPECT_THAT(authenticator->Check("Bearer tok-0123456789abcdeF"),
              StatusIs(absl::StatusCode::kUnauthenticated, "not accepted"));
  EXPECT_THAT(authenticator->Check("Basic dXNlcjpwYXNz"),
              StatusIs(absl::StatusCode::kUnauthenticated, "not a Bearer"));
  EXPECT_THAT(TokenAuthenticator::FromContents("short\n", "t").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "t:1: token shorter than 16"));
  EXPECT_THAT(TokenAuthenticator::FromContents("# only comments\n", "t").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "holds no token"));
  EXPECT_THAT(TokenAuthenticator::FromContents("aaaaaaaa bbbbbbbbbbbb\n", "t").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "whitespace"));
}

}  // namespace
}  // namespace hrnn
