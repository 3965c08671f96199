//go:build unix

package main

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileOwner returns the user id owning the file st describes.
func fileOwner(st fs.FileInfo) (uid int, known bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(s.Uid), true
}

// diskSpace returns the bytes free to an unprivileged user and the size of
// the file system holding dir.
func diskSpace(dir string) (free, total uint64, err error) {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return 0, 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	bsize := uint64(s.Bsize)
	return s.Bavail * bsize, s.Blocks * bsize, nil
}
