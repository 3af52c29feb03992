// Package main is libjoy.so: the library guide's C API over the Go core.
// It is the only package that knows about C. Build with
//
//	go build -buildmode=c-shared -o build/libjoy.so ./capi
//
// The public C symbols live in shim.c and call the go* exports below,
// which convert arguments and call package joy. Every export recovers
// panics, so a bug never takes the host process down.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#include <stdio.h>
#include <stdlib.h>
#include "joy_api.h"

FILE *joy_c_stdout(void);
FILE *joy_c_stderr(void);
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/registry"
)

func main() {}

func init() {
	// Flow state is long-lived and small; collecting less often costs a few
	// tens of MB and saves a fifth of the time with protocols on. GOGC in
	// the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// library is the state joy_initialize sets up. It is replaced whole on
// re-initialization; each context inside is used by one thread at a time.
type library struct {
	cfg      config.Config
	outWatch *joy.RemovalWatch // notices a removed output file
	outErr   atomic.Bool       // the output's failure has been logged
	log      *logx.Logger
	out      *C.FILE
	outOwned bool
	// format writes the records in the output file's format when its
	// suffix names one (.csv, .parquet); nil: Joy JSON, as they are. It
	// is completed at exit (goJoyAtExit) or re-initialization.
	format   *joy.SharedOutput
	logf     *C.FILE
	logOwned bool
	ctx      [joy.MaxContexts]*joy.Context
}

var current atomic.Pointer[library]

// Internal errors (recovered panics) per context, and the packets they
// cost; they outlive re-initialization like the host's process does.
var (
	panics        [joy.MaxContexts]atomic.Uint64
	panicPackets  [joy.MaxContexts]atomic.Uint64
	panicsOutside atomic.Uint64 // in calls not tied to a context
)

// cFile writes through a C stdio stream, so records interleave correctly
// with the host's own output and are flushed by the C runtime at exit.
type cFile struct {
	f     *C.FILE
	flush bool              // flush after each write (the log)
	watch *joy.RemovalWatch // nil: not checked for removal
}

// Write reports a failure of the stream (full disk, closed descriptor) as
// an error with nothing written: stdio may have kept part of p in its
// buffer, or lost part of an earlier write, so "which lines" cannot be
// told exactly; the lines of p are what gets counted.
func (w cFile) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, errno := C.fwrite(unsafe.Pointer(&p[0]), 1, C.size_t(len(p)), w.f)
	if w.flush {
		C.fflush(w.f)
	}
	if int(n) < len(p) || C.ferror(w.f) != 0 {
		// Cleared so that the next failure is seen as one too.
		C.clearerr(w.f)
		return 0, fmt.Errorf("writing to the output stream: %s", errnoText(errno))
	}
	if w.watch.Removed(false) {
		return int(n), joy.ErrOutputRemoved
	}
	return int(n), nil
}

// stderrLog is where complaints go when there is no library yet.
func stderrLog() *logx.Logger {
	return logx.New(cFile{f: C.joy_c_stderr(), flush: true}, int(logx.Debug))
}

// lib returns the initialized library or logs why there is none.
func lib() *library {
	l := current.Load()
	if l == nil {
		stderrLog().Logf(logx.Crit, "Joy Library has not been initialized!")
	}
	return l
}

// context returns context index of l, or logs that it is out of range.
func (l *library) context(index uint) *joy.Context {
	if index >= joy.MaxContexts {
		l.log.Logf(logx.Crit, "Joy Library invalid context (%d) for packet processing!", index)
		return nil
	}
	return l.ctx[index]
}

// recoverPanic keeps a Go panic from crossing into the C host: the call
// is abandoned, logged with its context and counted, and the context stays
// usable.
func recoverPanic(what string, index int) {
	if r := recover(); r != nil {
		notePanic(what, index, r, "call abandoned")
	}
}

func notePanic(what string, index int, r any, outcome string) {
	if index >= 0 && index < joy.MaxContexts {
		panics[index].Add(1)
	} else {
		panicsOutside.Add(1)
	}
	log := stderrLog()
	if l := current.Load(); l != nil {
		log = l.log
	}
	log.Logf(logx.Crit, "internal error in %s (context %d), %s: %v", what, index, outcome, r)
}

//export goJoyInitialize
func goJoyInitialize(data *C.struct_joy_init, outputDir, outputFile, logfile *C.char) (rc C.int) {
	defer recoverPanic("joy_initialize", -1)
	if data == nil {
		stderrLog().Logf(logx.Err, "joy_initialize: init data is NULL")
		return 1
	}
	l := &library{}
	errLog := stderrLog()

	l.logf = C.joy_c_stderr()
	if logfile != nil {
		mode := C.CString("a")
		f, err := C.fopen(logfile, mode)
		C.free(unsafe.Pointer(mode))
		if f == nil {
			errLog.Logf(logx.Err, "joy_initialize: could not open log file %s: %v", C.GoString(logfile), errnoText(err))
			return 1
		}
		l.logf, l.logOwned = f, true
	}

	dir := "./"
	if outputDir != nil && C.GoString(outputDir) != "" {
		dir = C.GoString(outputDir)
		if !strings.HasSuffix(dir, "/") {
			dir += "/"
		}
	}
	l.out = C.joy_c_stdout()
	if outputFile != nil {
		path := dir + C.GoString(outputFile)
		if len(path) >= C.MAX_FILENAME_LEN {
			errLog.Logf(logx.Err, "joy_initialize: output path is longer than %d bytes", C.MAX_FILENAME_LEN-1)
			l.closeFiles()
			return 1
		}
		cpath, mode := C.CString(path), C.CString("w")
		f, err := C.fopen(cpath, mode)
		C.free(unsafe.Pointer(cpath))
		C.free(unsafe.Pointer(mode))
		if f == nil {
			errLog.Logf(logx.Err, "joy_initialize: could not open output file %s: %v", path, errnoText(err))
			l.closeFiles()
			return 1
		}
		l.out, l.outOwned = f, true
	}

	cfg := &l.cfg
	if t := int(data._type); t == 1 || t == 2 {
		cfg.Type = uint(t)
	}
	cfg.Verbosity = uint(uint32(data.verbosity))
	cfg.OutputDir = goStringOrEmpty(outputDir)
	cfg.Output = goStringOrEmpty(outputFile)
	cfg.Info = goStringOrEmpty(logfile)
	mask := uint32(data.bitmask)
	registry.ApplyBitmask(cfg, mask)
	l.log = logx.New(cFile{f: l.logf, flush: true}, int(int32(data.verbosity)))
	if data.idp > 0 {
		// The guide: idp sets how many bytes of the initial data packet
		// are reported (the original never reported them, QUIRK-2).
		cfg.ReportIDP = true
		cfg.IDP = uint(data.idp)
		if cfg.IDP > config.MaxIDP {
			l.log.Logf(logx.Err, "idp of %d bytes is more than %d; using %d", cfg.IDP, config.MaxIDP, config.MaxIDP)
		}
	}
	if cfg.IPFIXExport {
		cfg.IDP = C.DEFAULT_IDP_SIZE
		if data.idp > 0 {
			cfg.IDP = uint(data.idp)
		}
		cfg.IPFIXHost = "127.0.0.1"
		if data.ipfix_host != nil {
			cfg.IPFIXHost = C.GoString(data.ipfix_host)
		}
		cfg.IPFIXPort = C.DEFAULT_IPFIX_EXPORT_PORT
		if data.ipfix_port > 0 {
			cfg.IPFIXPort = uint(data.ipfix_port)
		}
	}
	l.outWatch = joy.NewRemovalWatch(int(C.fileno(l.out)))
	format, err := joy.NewSharedOutput(cFile{f: l.out, watch: l.outWatch}, cfg.Format, cfg.Output)
	if err != nil {
		errLog.Logf(logx.Err, "joy_initialize: %v", err)
		l.closeFiles()
		return 1
	}
	l.format = format
	for i := range l.ctx {
		var out io.Writer = cFile{f: l.out, watch: l.outWatch}
		if l.format != nil {
			out = l.format
		}
		l.ctx[i] = joy.NewContext(cfg, out, l.log)
		// The contexts share one output: its failure is one log line.
		l.ctx[i].ShareOutputErrorLog(&l.outErr)
	}

	// Replace any earlier library: its flows are dropped unprinted, as the
	// original does, but its files are closed rather than leaked.
	if old := current.Swap(l); old != nil {
		for _, c := range old.ctx {
			c.CloseExport()
			c.Discard()
		}
		_ = old.format.Close()
		old.closeFiles()
	}
	return 0
}

func (l *library) closeFiles() {
	if l.outOwned && l.out != nil {
		C.fclose(l.out)
	}
	if l.logOwned && l.logf != nil {
		C.fclose(l.logf)
	}
	l.outOwned, l.logOwned = false, false
}

func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	if err != nil {
		return err.Error()
	}
	return "unknown error"
}

//export goJoyPrintConfig
func goJoyPrintConfig(format C.int) {
	defer recoverPanic("joy_print_config", -1)
	l := lib()
	if l == nil {
		return
	}
	var b []byte
	if format != C.JOY_TERMINAL_FORMAT {
		b = registry.AppendConfigJSON(nil, &l.cfg)
	} else {
		var subnets []string
		if l.cfg.AnonAddrs != nil {
			for _, p := range l.cfg.AnonAddrs.Subnets() {
				subnets = append(subnets, p.String())
			}
		}
		b = registry.AppendConfigTerminal(nil, &l.cfg, subnets)
	}
	if l.format != nil {
		_, _ = l.format.Write(b)
		return
	}
	_, _ = cFile{f: l.out}.Write(b)
}

//export goJoyAnonSubnets
func goJoyAnonSubnets(file *C.char) C.int {
	defer recoverPanic("joy_anon_subnets", -1)
	l := lib()
	if l == nil {
		return 1
	}
	if file == nil {
		l.log.Logf(logx.Err, "could not initialize anonymization subnets - no file specified")
		return 1
	}
	path := C.GoString(file)
	subnets, err := readSubnets(path, true)
	if err != nil {
		l.log.Logf(logx.Err, "could not initialize anonymization subnets from file %s: %v", path, err)
		return 1
	}
	key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
	if err != nil {
		l.log.Logf(logx.Err, "could not initialize anonymization subnets from file %s: %v", path, err)
		return 1
	}
	if created {
		l.log.Logf(logx.Info, "created a new anonymization key in %s", anon.DefaultKeyFile)
	}
	// Subnets accumulate over calls; the set is replaced whole so that a
	// failed call leaves the earlier one in force.
	var all []netip.Prefix
	if l.cfg.AnonAddrs != nil {
		all = append(all, l.cfg.AnonAddrs.Subnets()...)
	}
	all = append(all, subnets...)
	a := anon.NewAddresses(key, all)
	for i, p := range all {
		l.log.Logf(logx.Info, "anon subnet %d: %s", i, p)
	}
	l.log.Logf(logx.Info, "configured %d subnets for anonymization", len(all))
	l.cfg.Anon = path
	l.cfg.AnonAddrs = a
	for _, c := range l.ctx {
		c.SetAnonymizer(a)
	}
	return 0
}

//export goJoyAnonUsernames
func goJoyAnonUsernames(file *C.char) C.int {
	defer recoverPanic("joy_anon_http_usernames", -1)
	l := lib()
	if l == nil {
		return 1
	}
	if file == nil {
		l.log.Logf(logx.Err, "could not initialize HTTP username anonymization - no file specified")
		return 1
	}
	path := C.GoString(file)
	key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
	if err != nil {
		l.log.Logf(logx.Err, "could not initialize HTTP username anonymization from file %s: %v", path, err)
		return 1
	}
	if created {
		l.log.Logf(logx.Info, "created a new anonymization key in %s", anon.DefaultKeyFile)
	}
	f, err := os.Open(path)
	if err != nil {
		// The original called exit() here (QUIRK-10).
		l.log.Logf(logx.Err, "could not initialize HTTP username anonymization from file %s: %v", path, err)
		return 1
	}
	defer f.Close()
	u, err := anon.LoadUsernames(f, key)
	if err != nil {
		l.log.Logf(logx.Err, "could not initialize HTTP username anonymization from file %s: %v", path, err)
		return 1
	}
	l.cfg.UserAnon = path
	l.cfg.UserNames = u
	return 0
}

//export goJoyLabelSubnets
func goJoyLabelSubnets(name *C.char, typ C.int, subnet *C.char) C.int {
	defer recoverPanic("joy_label_subnets", -1)
	l := lib()
	if l == nil {
		return 1
	}
	if name == nil || C.GoString(name) == "" {
		l.log.Logf(logx.Err, "could not add subnet label: the label is NULL or empty")
		return 1
	}
	labelName := C.GoString(name)
	if subnet == nil {
		l.log.Logf(logx.Err, "could not add labeled subnet for %s: no subnet given", labelName)
		return 1
	}
	arg := C.GoString(subnet)
	var subnets []netip.Prefix
	switch typ {
	case C.JOY_SINGLE_SUBNET:
		p, err := anon.ParseSubnet(arg, false)
		if err != nil {
			l.log.Logf(logx.Err, "could not add labeled subnet for %s: %v", labelName, err)
			return 1
		}
		subnets = []netip.Prefix{p}
	case C.JOY_FILE_SUBNET:
		var err error
		if subnets, err = readSubnets(arg, false); err != nil {
			l.log.Logf(logx.Err, "could not add labeled subnets from file %s: %v", arg, err)
			return 1
		}
	default:
		l.log.Logf(logx.Err, "could not add subnet label %s: type %d is neither JOY_SINGLE_SUBNET nor JOY_FILE_SUBNET", labelName, int(typ))
		return 1
	}
	labels := label.New()
	if old := l.cfg.SubnetLabels; old != nil {
		labels = old.Clone()
	}
	if err := labels.Add(labelName, subnets); err != nil {
		l.log.Logf(logx.Err, "could not add subnet label %s: %v", labelName, err)
		return 1
	}
	l.cfg.Labels = append(l.cfg.Labels, labelName)
	l.cfg.SubnetLabels = labels
	for _, c := range l.ctx {
		c.SetLabels(labels)
	}
	return 0
}

func readSubnets(path string, requirePrefix bool) ([]netip.Prefix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return anon.ParseSubnets(f, requirePrefix)
}

//export goJoyUpdateParams
func goJoyUpdateParams(splt, bd *C.char) C.int {
	defer recoverPanic("joy_update_splt_bd_params", -1)
	l := lib()
	if l == nil {
		return 1
	}
	if splt == nil || bd == nil {
		l.log.Logf(logx.Err, "could not update SPLT/BD parameters - missing update file(s)")
		return 1
	}
	// Load into a copy and swap it in whole: a bad file leaves the model
	// in force unchanged (the original half-loaded it and returned 0).
	m := classify.Default()
	if l.cfg.Model != nil {
		*m = *l.cfg.Model
	}
	if err := m.LoadFiles(C.GoString(splt), C.GoString(bd)); err != nil {
		l.log.Logf(logx.Err, "could not update SPLT/BD parameters: %v", err)
		return 1
	}
	l.cfg.Model = m
	if l.cfg.Classify {
		for _, c := range l.ctx {
			c.SetClassifier(m)
		}
	}
	return 0
}

//export goJoyGetCompactBD
func goJoyGetCompactBD(filename *C.char) C.int {
	defer recoverPanic("joy_get_compact_bd", -1)
	l := lib()
	if l == nil {
		return 1
	}
	if filename == nil {
		l.log.Logf(logx.Err, "couldn't update compact BD values - no file specified")
		return 1
	}
	path := C.GoString(filename)
	f, err := os.Open(path)
	if err != nil {
		l.log.Logf(logx.Err, "could not open compact BD file %s: %v", path, err)
		return 1
	}
	defer f.Close()
	m, err := bytestats.LoadCompactMap(f)
	if err != nil {
		l.log.Logf(logx.Err, "could not read compact BD file %s: %v", path, err)
		return 1
	}
	l.cfg.CDist = path
	l.cfg.CompactMap = m
	for _, c := range l.ctx {
		c.SetCompactMap(m)
	}
	return 0
}

//export goJoyBadPacket
func goJoyBadPacket(index C.uintptr_t, nullHeader, nullPacket C.int) {
	defer recoverPanic("joy_process_packet", -1)
	l := lib()
	if l == nil {
		return
	}
	switch {
	case uint64(index) >= joy.MaxContexts:
		l.log.Logf(logx.Crit, "Joy Library invalid context (%d) for packet processing!", uint64(index))
	case nullHeader != 0:
		l.log.Logf(logx.Err, "joy_process_packet: packet header is NULL (context %d)", uint64(index))
	case nullPacket != 0:
		l.log.Logf(logx.Err, "joy_process_packet: packet data is NULL (context %d)", uint64(index))
	}
}

//export goJoyProcessPacket
func goJoyProcessPacket(index C.uint, sec, usec C.int64_t, data *C.uchar, caplen C.uint32_t) {
	l := current.Load()
	if l == nil || uint(index) >= joy.MaxContexts {
		lib() // logs
		return
	}
	frame := unsafe.Slice((*byte)(unsafe.Pointer(data)), int(caplen))
	processOne(l.ctx[index], int(index), int64(sec)*1e6+int64(usec), frame)
}

//export goJoyProcessBatch
func goJoyProcessBatch(index, count C.uint, ts *C.int64_t, caplens *C.uint32_t, data *C.uchar) {
	l := current.Load()
	if l == nil || uint(index) >= joy.MaxContexts {
		return
	}
	c := l.ctx[index]
	times := unsafe.Slice((*int64)(unsafe.Pointer(ts)), int(count))
	lens := unsafe.Slice((*uint32)(unsafe.Pointer(caplens)), int(count))
	off := 0
	for i := range times {
		n := int(lens[i])
		frame := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(data), off)), n)
		processOne(c, int(index), times[i], frame)
		off += n
	}
}

// processOne handles one packet; a panic drops only that packet.
func processOne(c *joy.Context, index int, ts int64, frame []byte) {
	defer func() {
		if r := recover(); r != nil {
			panicPackets[index].Add(1)
			notePanic("joy_process_packet", index, r, "packet dropped")
		}
	}()
	c.ProcessPacket(ts, frame)
}

//export goJoyPrintFlowData
func goJoyPrintFlowData(index C.uint, typ C.int) {
	defer recoverPanic("joy_print_flow_data", int(index))
	l := lib()
	if l == nil {
		return
	}
	if c := l.context(uint(index)); c != nil {
		c.PrintFlows(typ != C.JOY_EXPIRED_FLOWS)
	}
}

var ipfixWarned atomic.Bool

//export goJoyExportFlowsIPFIX
func goJoyExportFlowsIPFIX(index C.uint, typ C.int) {
	defer recoverPanic("joy_export_flows_ipfix", int(index))
	l := lib()
	if l == nil {
		return
	}
	c := l.context(uint(index))
	if c == nil {
		return
	}
	if !l.cfg.IPFIXExport {
		// As in the original, the drained flows are dropped (QUIRK-12);
		// unlike it, the host is told once.
		if !ipfixWarned.Swap(true) {
			l.log.Logf(logx.Err, "joy_export_flows_ipfix: IPFIX export is not configured (JOY_IPFIX_EXPORT_ON); flows are dropped")
		}
		c.Discard()
		return
	}
	c.ExportFlows(typ != C.JOY_EXPIRED_FLOWS)
}

// goJoyAtExit completes a formatted output (Parquet's footer) when the
// host exits: contexts in several threads finish in any order, and only
// the process's end says that none will write again. shim.c registers it
// with atexit, which runs before stdio flushes the output.
//
//export goJoyAtExit
func goJoyAtExit() {
	defer recoverPanic("exit", -1)
	if l := current.Load(); l != nil {
		if err := l.format.Close(); err != nil {
			l.log.Logf(logx.Err, "output: completing the output file: %v", err)
		}
	}
}

// goJoyFormattedOutput reports whether the library writes a format that
// must be completed at exit.
//
//export goJoyFormattedOutput
func goJoyFormattedOutput() C.int {
	if l := current.Load(); l != nil && l.format != nil {
		return 1
	}
	return 0
}

//export goJoyCleanup
func goJoyCleanup(index C.uint) {
	defer recoverPanic("joy_cleanup", int(index))
	l := lib()
	if l == nil {
		return
	}
	if c := l.context(uint(index)); c != nil {
		c.CloseExport()
		c.Discard()
		// What stdio still held is written now; if that fails, or the
		// output file is gone, the host hears of it here.
		if rc, errno := C.fflush(l.out); rc != 0 {
			C.clearerr(l.out)
			c.OutputFailed(fmt.Errorf("flushing the output stream: %s", errnoText(errno)), 0)
		} else if !l.outErr.Load() && l.outWatch.Removed(true) {
			c.OutputFailed(joy.ErrOutputRemoved, 0)
		}
	}
}

//export goJoyGetCounters
func goJoyGetCounters(index C.uint, out *C.struct_joy_counters) C.int {
	defer recoverPanic("joy_get_counters", int(index))
	l := lib()
	if l == nil {
		return 1
	}
	c := l.context(uint(index))
	if c == nil {
		return 1
	}
	if out == nil {
		l.log.Logf(logx.Err, "joy_get_counters: counters is NULL")
		return 1
	}
	s := c.Stats()
	out.packets = C.uint64_t(s.Packets)
	out.flows_printed = C.uint64_t(s.FlowsPrinted)
	out.output_errors = C.uint64_t(s.WriteErrors)
	out.records_lost = C.uint64_t(s.RecordsLost)
	out.internal_errors = C.uint64_t(panics[index].Load())
	out.packets_dropped = C.uint64_t(panicPackets[index].Load())
	return 0
}

//export goJoySetLinkType
func goJoySetLinkType(index C.uint, dlt C.int) C.int {
	defer recoverPanic("joy_set_link_type", int(index))
	l := lib()
	if l == nil {
		return 1
	}
	c := l.context(uint(index))
	if c == nil {
		return 1
	}
	t := decode.LinkType(dlt)
	if !decode.Supported(t) {
		l.log.Logf(logx.Err, "joy_set_link_type: link type %d is not supported", int(dlt))
		return 1
	}
	c.SetLinkType(t)
	return 0
}
