//go:build !(linux && (amd64 || arm64))

package ipfix

import "io"

// mmsgWriter is only built on 64-bit Linux; elsewhere every message is
// one Write.
type mmsgWriter struct{}

func newMmsgWriter(io.Writer) *mmsgWriter { return nil }

func (m *mmsgWriter) write([][]byte, func(int, error)) {}
