// `rbee completion bash|zsh`: shell completion generated from the command
// line's own definition, so it never drifts from what rbee accepts.
#include "cli/app.hpp"
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

namespace rbee::cli {

namespace {

/// "/catalog/serve" -> the words completing after it (subcommands and flags).
void collect(const CLI::App* app, const std::string& key, std::map<std::string, std::string>& out) {
  std::string words;
  for (const auto* sub : app->get_subcommands({})) {
    words += sub->get_name() + " ";
    collect(sub, key + "/" + sub->get_name(), out);
  }
  for (const auto* opt : app->get_options({}))
    for (auto& n : opt->get_lnames()) words += "--" + n + " ";
  if (!words.empty()) words.pop_back();
  out[key] = words;
}

} // namespace

int cmd_completion(const CLI::App& app, const std::string& shell) {
  if (shell != "bash" && shell != "zsh") {
    std::fprintf(stderr, "rbee: completion for bash or zsh, not '%s'\n", shell.c_str());
    return usage;
  }
  std::map<std::string, std::string> words;
  collect(&app, "", words);
  std::string known;
  for (auto& [key, w] : words)
    if (!key.empty()) known += (known.empty() ? "" : "|") + key;
  if (shell == "zsh") std::printf("#compdef rbee\nautoload -U +X bashcompinit && bashcompinit\n");
  std::printf("# rbee %s completion (rbee completion %s)\n_rbee() {\n", shell.c_str(), shell.c_str());
  std::printf("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" key=\"\" w i words\n");
  std::printf("  for ((i = 1; i < COMP_CWORD; i++)); do\n    w=\"${COMP_WORDS[i]}\"\n");
  std::printf("    case \"$key/$w\" in\n      %s) key=\"$key/$w\" ;;\n    esac\n  done\n", known.c_str());
  std::printf("  case \"$key\" in\n");
  for (auto& [key, w] : words) std::printf("    \"%s\") words=\"%s\" ;;\n", key.c_str(), w.c_str());
  std::printf("  esac\n  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\ncomplete -o default -F _rbee rbee\n");
  return ok;
}

namespace {

const bool registered = register_command({210, [](CLI::App& app, common_flags&, command_runs& runs) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand("completion", "print the shell completion script: source <(rbee completion bash)");
  completion->add_option("shell", *shell, "bash or zsh")->required();
  runs.emplace_back(completion, [&app, shell](command_context&) { return cmd_completion(app, *shell); });
}});

} // namespace

} // namespace rbee::cli
