package main

import (
	"net"
	"syscall"
)

// growReadBuffer gives the collector's socket a receive buffer of n bytes,
// beyond net.core.rmem_max with SO_RCVBUFFORCE where allowed (root or
// CAP_NET_ADMIN), and returns the size the kernel reports (twice the
// payload it accounts for), or 0.
func growReadBuffer(c *net.UDPConn, n int) int {
	raw, err := c.SyscallConn()
	if err != nil {
		_ = c.SetReadBuffer(n)
		return 0
	}
	var forceErr error
	_ = raw.Control(func(fd uintptr) {
		forceErr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, n)
	})
	if forceErr != nil {
		_ = c.SetReadBuffer(n)
	}
	got := 0
	_ = raw.Control(func(fd uintptr) { got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) })
	return got
}
