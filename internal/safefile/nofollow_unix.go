//go:build unix

package safefile

import (
	"errors"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// nonBlock makes opening a FIFO return at once (to be refused) instead of
// waiting for a writer; it changes nothing for a regular file.
const nonBlock = syscall.O_NONBLOCK

// isLoop is the error opening a symbolic link with O_NOFOLLOW gives.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
