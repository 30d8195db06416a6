//go:build unix

package inputfile

import "syscall"

// nonBlock makes opening a FIFO return at once instead of waiting for a
// writer, so that Read can refuse it; a regular file reads as ever.
const nonBlock = syscall.O_NONBLOCK
