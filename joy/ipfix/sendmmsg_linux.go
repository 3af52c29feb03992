//go:build linux && (amd64 || arm64)

package ipfix

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// mmsghdr is struct mmsghdr of sendmmsg(2) on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

// mmsgWriter sends several datagrams on a connected UDP socket with one
// sendmmsg(2).
type mmsgWriter struct {
	raw  syscall.RawConn
	iov  [batchMessages]syscall.Iovec
	hdrs [batchMessages]mmsghdr
}

// newMmsgWriter returns a batch writer for a UDP connection, or nil.
func newMmsgWriter(w io.Writer) *mmsgWriter {
	c, ok := w.(*net.UDPConn)
	if !ok {
		return nil
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	m := &mmsgWriter{raw: raw}
	for i := range m.hdrs {
		m.hdrs[i].hdr.Iov = &m.iov[i]
		m.hdrs[i].hdr.Iovlen = 1
	}
	return m
}

// write sends msgs (at most batchMessages) and reports each one's outcome
// to done, in order. A message the kernel refuses is reported and skipped.
func (m *mmsgWriter) write(msgs [][]byte, done func(i int, err error)) {
	for i, b := range msgs {
		m.iov[i].Base = unsafe.SliceData(b)
		m.iov[i].SetLen(len(b))
	}
	for i := 0; i < len(msgs); {
		var sent uintptr
		var errno syscall.Errno
		err := m.raw.Write(func(fd uintptr) bool {
			sent, _, errno = syscall.Syscall6(sysSendmmsg, fd, uintptr(unsafe.Pointer(&m.hdrs[i])),
				uintptr(len(msgs)-i), 0, 0, 0)
			return errno != syscall.EAGAIN
		})
		switch {
		case err != nil:
			for ; i < len(msgs); i++ {
				done(i, err)
			}
		case errno != 0:
			done(i, &net.OpError{Op: "write", Net: "udp", Err: errno})
			i++
		default:
			for k := 0; k < int(sent); k++ {
				done(i+k, nil)
			}
			i += int(sent)
			if sent == 0 {
				// Not expected from a datagram socket; do not spin.
				for ; i < len(msgs); i++ {
					done(i, syscall.EIO)
				}
			}
		}
	}
	for i := range msgs {
		m.iov[i].Base = nil
	}
}
