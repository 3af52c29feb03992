// Package bpffilter runs classic BPF programs over the frames of capture
// files, with golang.org/x/net/bpf's virtual machine, so that bpf= means
// the same on file input as on a live interface (where the kernel runs
// the program). Programs are compiled per link type by a Compiler, for
// example pcapbpf.Compile (libpcap's pcap_compile, tcpdump syntax).
package bpffilter

import (
	"fmt"
	"sync"

	"github.com/gojoy/libjoy/joy/decode"
	"golang.org/x/net/bpf"
)

// Compiler compiles expr for frames of link type link (a pcap DLT number)
// of at most snaplen bytes.
type Compiler func(link, snaplen int, expr string) ([]bpf.RawInstruction, error)

// Snaplen is the capture length programs are compiled for.
const Snaplen = 262144

// Filter is one expression, compiled for each link type on first use. It
// is safe for concurrent use.
type Filter struct {
	expr    string
	compile Compiler
	mu      sync.Mutex
	progs   map[decode.LinkType]match
}

type match struct {
	fn  func([]byte) bool
	err error
}

// New returns the filter for expr. It compiles expr for Ethernet at once,
// so that a syntax error is reported before any packet is read.
func New(expr string, compile Compiler) (*Filter, error) {
	f := &Filter{expr: expr, compile: compile, progs: map[decode.LinkType]match{}}
	if _, err := f.ForLink(decode.LinkEthernet); err != nil {
		return nil, err
	}
	return f, nil
}

// Expr returns the filter's expression.
func (f *Filter) Expr() string { return f.expr }

// Program compiles the expression for link (for a live capture, whose
// kernel runs it).
func (f *Filter) Program(link decode.LinkType) ([]bpf.RawInstruction, error) {
	raw, err := f.compile(int(link), Snaplen, f.expr)
	if err != nil {
		return nil, fmt.Errorf("bpf %q: %v", f.expr, err)
	}
	return raw, nil
}

// ForLink returns the function that tells whether a frame of link type
// link passes the filter, or why the expression cannot filter that link
// type.
func (f *Filter) ForLink(link decode.LinkType) (func(frame []byte) bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.progs[link]; ok {
		return m.fn, m.err
	}
	var m match
	raw, err := f.Program(link)
	if err == nil {
		var vm *bpf.VM
		vm, err = NewVM(raw)
		if err == nil {
			m.fn = func(frame []byte) bool {
				n, err := vm.Run(frame)
				return err == nil && n > 0
			}
		} else {
			err = fmt.Errorf("bpf %q: %v", f.expr, err)
		}
	}
	m.err = err
	f.progs[link] = m
	return m.fn, m.err
}

// NewVM returns a virtual machine running the raw program.
func NewVM(raw []bpf.RawInstruction) (*bpf.VM, error) {
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		return nil, fmt.Errorf("the program has an instruction the Go BPF machine does not run")
	}
	return bpf.NewVM(ins)
}
