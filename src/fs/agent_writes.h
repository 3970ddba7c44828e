// The write verbs of the agent surface (AGENT_TOOLS.md, "write profile"):
// write, append, edit, mkdir, move, remove and snapshot, over the
// Filesystem API so they work embedded and against a server alike.
//
// Each verb is one metadata commit (a recursive remove of a large tree is
// the exception: the Filesystem removes it a batch at a time), confined to
// the scope's root with symbolic links resolved, and returns evidence of
// what it wrote. Body writes take an expected generation; a stale one is a
// "conflict" error naming the generation the file is at now. Argument and
// result shapes are schemas/<verb>.input.json and .output.json.
//
// Thread-safety: CallWriteVerb may run concurrently from any number of
// threads; concurrent writers to one file are serialized by the generation
// checks of the metadata commit, never by a lock here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "fs/filesystem.h"
#include "query/call.h"

namespace nokv::fs {

// "write", "append", "edit", "mkdir", "move", "remove", "snapshot".
const std::vector<std::string>& WriteVerbNames();
bool IsWriteVerb(std::string_view name);

// Runs write verb `verb` with `args` on `fs`, confined to `scope.root`, or
// when `roots` is given to those subtrees instead (the client's roots
// intersected with scope.root: query::IntersectRoots; empty: nothing).
// Returns the verb's result object or {"error": {code, message, hint,
// current_generation?}}. A scope with a snapshot serves a frozen view: every
// write verb is then permission_denied. Never throws.
nlohmann::json CallWriteVerb(Filesystem* fs, std::string_view verb, const nlohmann::json& args,
                             const query::ServiceOptions& scope,
                             const std::vector<std::string>* roots = nullptr);

}  // namespace nokv::fs
