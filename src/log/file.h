// The log's door to the operating system is the store's FileSystem seam
// (util/file_system.h); these names keep the log's code in its own namespace.
#ifndef DUET_LOG_FILE_H_
#define DUET_LOG_FILE_H_

#include "util/file_system.h"

namespace duet::log {

using ::duet::DefaultFileSystem;
using ::duet::File;
using ::duet::FileError;
using ::duet::FileSystem;
using ::duet::OpenMode;

}  // namespace duet::log

#endif  // DUET_LOG_FILE_H_
