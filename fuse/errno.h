// The one place a Status becomes an errno for the kernel (docs/fuse.md,
// "Errors").
#pragma once

#include "common/status.h"

namespace nokv::fuse {

// The errno a failed `status` is reported as (0 for OK).
int ToErrno(const Status& status);

}  // namespace nokv::fuse
