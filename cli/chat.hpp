#pragma once
// The interactive chat of `rbee run`: its conversation and its /commands.

#include "cli/app.hpp"

#include <string>
#include <vector>

namespace rbee::cli {

struct message {
  std::string role, content;
};

/// Drops the oldest turn (a user message and the answer after it), never a
/// system message nor the last message; false when nothing can go.
bool drop_oldest_turn(std::vector<message>& history);

/// A /command of the chat (/set, /show, /clear, /help, /bye); false to quit.
bool chat_command(const std::string& line, std::vector<message>& history, sampling& sp);

} // namespace rbee::cli
