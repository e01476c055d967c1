// The chat's /commands (like `ollama run`'s prompt) and the trimming of a
// conversation that outgrew the model's context.
#include "cli/chat.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

namespace rbee::cli {

namespace {

constexpr const char* chat_help =
  "  /set temperature X   sampling temperature (0: greedy)\n"
  "  /set top_p X         nucleus sampling\n"
  "  /set seed N          a fixed seed\n"
  "  /set max_tokens N    at most N tokens per answer (0: until the model stops)\n"
  "  /set system TEXT     the system prompt (kept when old turns are dropped)\n"
  "  /show                the settings\n"
  "  /clear               forget the conversation (keeps the system prompt)\n"
  "  /bye                 quit (or Ctrl-D)\n";

} // namespace

bool drop_oldest_turn(std::vector<message>& history) {
  auto first = std::find_if(history.begin(), history.end(), [](auto& m) { return m.role != "system"; });
  if (first == history.end() || first + 1 >= history.end()) return false;
  auto last = first + 1;
  if (last->role == "assistant" && last + 1 < history.end()) ++last;
  history.erase(first, last);
  return true;
}

bool chat_command(const std::string& line, std::vector<message>& history, sampling& sp) {
  std::istringstream in(line);
  std::string cmd, key, value;
  in >> cmd >> key;
  std::getline(in >> std::ws, value);
  auto number = [&](double lo, double hi) -> std::optional<double> {
    try {
      size_t used = 0;
      double v = std::stod(value, &used);
      if (used == value.size() && v >= lo && v <= hi) return v;
    } catch (...) {
    }
    std::fprintf(stderr, "%s must be a number from %g to %g\n", key.c_str(), lo, hi);
    return std::nullopt;
  };
  if (cmd == "/bye" || cmd == "/exit" || cmd == "/quit") return false;
  if (cmd == "/help" || cmd == "/?") {
    std::fprintf(stderr, "%s", chat_help);
  } else if (cmd == "/clear") {
    std::erase_if(history, [](auto& m) { return m.role != "system"; });
    std::fprintf(stderr, "cleared the conversation\n");
  } else if (cmd == "/show") {
    std::fprintf(stderr, "temperature %s, top_p %s, seed %s, max_tokens %d, %zu messages\n",
                 sp.temperature ? std::to_string(*sp.temperature).c_str() : "(the server's)",
                 sp.top_p ? std::to_string(*sp.top_p).c_str() : "(the server's)",
                 sp.seed ? std::to_string(*sp.seed).c_str() : "(random)", sp.max_tokens, history.size());
  } else if (cmd == "/set" && key == "temperature") {
    if (auto v = number(0, 10)) sp.temperature = *v;
  } else if (cmd == "/set" && key == "top_p") {
    if (auto v = number(0, 1)) sp.top_p = *v;
  } else if (cmd == "/set" && key == "seed") {
    if (auto v = number(0, 9e15)) sp.seed = static_cast<int64_t>(*v);
  } else if (cmd == "/set" && key == "max_tokens") {
    if (auto v = number(0, 1 << 20)) sp.max_tokens = static_cast<int>(*v);
  } else if (cmd == "/set" && key == "system") {
    std::erase_if(history, [](auto& m) { return m.role == "system"; });
    if (!value.empty()) history.insert(history.begin(), {"system", value});
    std::fprintf(stderr, value.empty() ? "removed the system prompt\n" : "set the system prompt\n");
  } else {
    std::fprintf(stderr, "unknown command '%s'; /help lists them\n", line.c_str());
  }
  return true;
}

} // namespace rbee::cli
