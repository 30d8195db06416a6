//go:build unix

package safefile

import (
	"errors"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// isLoop is the error opening a symbolic link with O_NOFOLLOW gives.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
