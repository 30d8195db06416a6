//go:build !unix

package safefile

// Without O_NOFOLLOW the type is checked after opening (Open's Stat).
const noFollow = 0

const nonBlock = 0

func isLoop(error) bool { return false }
