package ppi

import "github.com/gojoy/libjoy/joy/tcpopt"

// appendOptions appends the TCP options o as the original lists them.
func appendOptions(b []byte, o []byte) []byte { return tcpopt.AppendJSON(b, o) }
