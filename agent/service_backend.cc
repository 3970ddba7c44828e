// The production VerbBackend: forwards to query::Service, the one place the
// seven verbs are implemented.
#include <utility>

#include "agent/backend.h"

namespace nokv::agent {
namespace {

class ServiceBackend : public VerbBackend {
 public:
  explicit ServiceBackend(std::unique_ptr<query::Service> service) : service_(std::move(service)) {}

  nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                      const query::CallControl& control) override {
    return service_->Call(name, args, control);
  }

 private:
  std::unique_ptr<query::Service> service_;
};

}  // namespace

std::unique_ptr<VerbBackend> NewServiceBackend(std::unique_ptr<query::Service> service) {
  return std::make_unique<ServiceBackend>(std::move(service));
}

}  // namespace nokv::agent
