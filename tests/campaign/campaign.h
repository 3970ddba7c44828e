// What every campaign of tests/campaign reads from the environment and how it
// reports (docs/reliability.md, "Campaigns"):
//   NOKV_CAMPAIGN_SEED        the random seed (default: from the clock)
//   NOKV_CAMPAIGN_ITERATIONS  the campaign's length (default: its smoke run)
//   NOKV_CAMPAIGN_REPORT      a file the figures row is appended to
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

namespace nokv::testing {

inline uint64_t CampaignSeed() {
  const char* seed = std::getenv("NOKV_CAMPAIGN_SEED");
  return seed != nullptr
             ? std::strtoull(seed, nullptr, 10)
             : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

inline int CampaignIterations(int smoke) {
  const char* iterations = std::getenv("NOKV_CAMPAIGN_ITERATIONS");
  return iterations != nullptr ? std::atoi(iterations) : smoke;
}

// Prints `header` and the markdown `row` of figures, and appends the row to
// $NOKV_CAMPAIGN_REPORT when set.
inline void ReportFigures(const std::string& header, const std::string& row) {
  std::cout << header << "\n" << row << "\n";
  if (const char* report = std::getenv("NOKV_CAMPAIGN_REPORT")) {
    std::ofstream(report, std::ios::app) << row << "\n";
  }
}

}  // namespace nokv::testing
