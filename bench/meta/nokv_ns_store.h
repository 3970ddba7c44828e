// NoKV's MetaService behind NsStore (L0-meta: in-process, MemoryStore bodies).
#pragma once

#include "holt/engine.h"
#include "ns_store.h"

namespace nokv::bench {

// MetaService with engine durability `durability` and otherwise default options.
// Creates: one file through MetaService::Create (one command); several
// through PublishMany with empty manifests (one command for the batch).
NsSpec NokvMetaSpec(holt::Durability durability);

}  // namespace nokv::bench
