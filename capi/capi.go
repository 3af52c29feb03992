// Package main is libjoy.so: the library guide's C API over the Go core.
// It is the only package that knows about C. Build with
//
//	go build -buildmode=c-shared -o build/libjoy.so ./capi
//
// The public C symbols live in shim.c and call the go* exports below,
// which convert arguments and call package joy (joy.Library holds the
// policy: configuration, output, the configuration calls). Every export
// recovers panics, so a bug never takes the host process down.
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
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/logx"
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

// library is a joy.Library and the C streams it writes to. It is replaced
// whole on re-initialization; each context inside is used by one thread
// at a time.
type library struct {
	*joy.Library
	out, logf          *C.FILE
	outOwned, logOwned bool
}

var current atomic.Pointer[library]

// options are the joy_set_option calls before joy_initialize.
var options joy.Options

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
	flush bool // flush after each write (the log)
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
		log = l.Log()
	}
	log.Logf(logx.Crit, "internal error in %s (context %d), %s: %v", what, index, outcome, r)
}

// status is a C function's return value for err.
func status(err error) C.int {
	if err != nil {
		return 1
	}
	return 0
}

//export goJoySetOption
func goJoySetOption(name, value *C.char) C.int {
	defer recoverPanic("joy_set_option", -1)
	log := stderrLog()
	if l := current.Load(); l != nil {
		log = l.Log()
	}
	if name == nil || value == nil {
		log.Logf(logx.Err, "joy_set_option: option name or value is NULL")
		return 1
	}
	if err := options.Set(C.GoString(name), C.GoString(value)); err != nil {
		log.Logf(logx.Err, "joy_set_option: %v", err)
		return 1
	}
	return 0
}

//export goJoyInitialize
func goJoyInitialize(data *C.struct_joy_init, outputDir, outputFile, logfile *C.char) (rc C.int) {
	defer recoverPanic("joy_initialize", -1)
	if data == nil {
		stderrLog().Logf(logx.Err, "joy_initialize: init data is NULL")
		return 1
	}
	in := joy.LibraryInit{
		Type:      int(data._type),
		Verbosity: int(int32(data.verbosity)),
		IDP:       int(data.idp),
		IPFIXHost: goStringOrEmpty(data.ipfix_host),
		IPFIXPort: uint(data.ipfix_port),
		Bitmask:   uint32(data.bitmask),
		OutputDir: goStringOrEmpty(outputDir),
		Output:    goStringOrEmpty(outputFile),
		LogFile:   goStringOrEmpty(logfile),
	}
	l := &library{logf: C.joy_c_stderr(), out: C.joy_c_stdout()}
	errLog := stderrLog()
	if logfile != nil {
		f, err := fopen(in.LogFile, "a")
		if f == nil {
			errLog.Logf(logx.Err, "joy_initialize: could not open log file %s: %v", in.LogFile, errnoText(err))
			return 1
		}
		l.logf, l.logOwned = f, true
	}
	if outputFile != nil {
		path, err := in.OutputPath()
		if err != nil {
			errLog.Logf(logx.Err, "joy_initialize: %v", err)
			l.closeFiles()
			return 1
		}
		f, err := fopen(path, "w")
		if f == nil {
			errLog.Logf(logx.Err, "joy_initialize: could not open output file %s: %v", path, errnoText(err))
			l.closeFiles()
			return 1
		}
		l.out, l.outOwned = f, true
	}
	log := logx.New(cFile{f: l.logf, flush: true}, in.Verbosity)
	cfg := in.Config(&options, log)
	var err error
	l.Library, err = joy.NewLibrary(cfg, joy.MaxContexts, cFile{f: l.out}, int(C.fileno(l.out)), log)
	if err != nil {
		errLog.Logf(logx.Err, "joy_initialize: %v", err)
		l.closeFiles()
		return 1
	}
	// Replace any earlier library: its flows are dropped unprinted, as the
	// original does, but its files are closed rather than leaked.
	if old := current.Swap(l); old != nil {
		old.Close()
		old.closeFiles()
	}
	return 0
}

func fopen(path, mode string) (*C.FILE, error) {
	cpath, cmode := C.CString(path), C.CString(mode)
	defer C.free(unsafe.Pointer(cpath))
	defer C.free(unsafe.Pointer(cmode))
	f, err := C.fopen(cpath, cmode)
	return f, err
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
	if l := lib(); l != nil {
		l.WriteConfig(format != C.JOY_TERMINAL_FORMAT)
	}
}

// fileCall converts the file name argument of a configuration call: NULL
// is refused with missing in the log.
func fileCall(what string, file *C.char, missing string, call func(l *library, path string) error) C.int {
	defer recoverPanic(what, -1)
	l := lib()
	if l == nil {
		return 1
	}
	if file == nil {
		l.Log().Logf(logx.Err, "%s", missing)
		return 1
	}
	return status(call(l, C.GoString(file)))
}

//export goJoyAnonSubnets
func goJoyAnonSubnets(file *C.char) C.int {
	return fileCall("joy_anon_subnets", file, "could not initialize anonymization subnets - no file specified",
		func(l *library, path string) error { return l.AnonSubnets(path) })
}

//export goJoyAnonUsernames
func goJoyAnonUsernames(file *C.char) C.int {
	return fileCall("joy_anon_http_usernames", file, "could not initialize HTTP username anonymization - no file specified",
		func(l *library, path string) error { return l.AnonUsernames(path) })
}

//export goJoyGetCompactBD
func goJoyGetCompactBD(file *C.char) C.int {
	return fileCall("joy_get_compact_bd", file, "couldn't update compact BD values - no file specified",
		func(l *library, path string) error { return l.CompactBD(path) })
}

//export goJoyLabelSubnets
func goJoyLabelSubnets(name *C.char, typ C.int, subnet *C.char) C.int {
	defer recoverPanic("joy_label_subnets", -1)
	l := lib()
	if l == nil {
		return 1
	}
	log := l.Log()
	if name == nil || *name == 0 {
		log.Logf(logx.Err, "could not add subnet label: the label is NULL or empty")
		return 1
	}
	labelName := C.GoString(name)
	if subnet == nil {
		log.Logf(logx.Err, "could not add labeled subnet for %s: no subnet given", labelName)
		return 1
	}
	if typ != C.JOY_SINGLE_SUBNET && typ != C.JOY_FILE_SUBNET {
		log.Logf(logx.Err, "could not add subnet label %s: type %d is neither JOY_SINGLE_SUBNET nor JOY_FILE_SUBNET", labelName, int(typ))
		return 1
	}
	return status(l.LabelSubnets(labelName, typ == C.JOY_FILE_SUBNET, C.GoString(subnet)))
}

//export goJoyUpdateParams
func goJoyUpdateParams(splt, bd *C.char) C.int {
	defer recoverPanic("joy_update_splt_bd_params", -1)
	l := lib()
	if l == nil {
		return 1
	}
	if splt == nil || bd == nil {
		l.Log().Logf(logx.Err, "could not update SPLT/BD parameters - missing update file(s)")
		return 1
	}
	return status(l.UpdateParams(C.GoString(splt), C.GoString(bd)))
}

//export goJoyBadPacket
func goJoyBadPacket(index C.uintptr_t, nullHeader, nullPacket C.int) {
	defer recoverPanic("joy_process_packet", -1)
	if l := lib(); l != nil {
		l.BadPacket(uint64(index), nullHeader != 0, nullPacket != 0)
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
	processOne(l.At(int(index)), int(index), int64(sec)*1e6+int64(usec), frame)
}

//export goJoyProcessBatch
func goJoyProcessBatch(index, count C.uint, ts *C.int64_t, caplens *C.uint32_t, data *C.uchar) {
	l := current.Load()
	if l == nil || uint(index) >= joy.MaxContexts {
		return
	}
	c := l.At(int(index))
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
	if l := lib(); l != nil {
		if c := l.Context(uint(index)); c != nil {
			c.PrintFlows(typ != C.JOY_EXPIRED_FLOWS)
		}
	}
}

//export goJoyExportFlowsIPFIX
func goJoyExportFlowsIPFIX(index C.uint, typ C.int) {
	defer recoverPanic("joy_export_flows_ipfix", int(index))
	if l := lib(); l != nil {
		l.ExportFlows(uint(index), typ != C.JOY_EXPIRED_FLOWS)
	}
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
		l.CompleteOutput()
	}
}

// goJoyFormattedOutput reports whether the library writes a format that
// must be completed at exit.
//
//export goJoyFormattedOutput
func goJoyFormattedOutput() C.int {
	if l := current.Load(); l != nil && l.Formatted() {
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
	// What stdio still held is written now; if that fails, or the output
	// file is gone, the host hears of it here.
	l.Cleanup(uint(index), func() error {
		if rc, errno := C.fflush(l.out); rc != 0 {
			C.clearerr(l.out)
			return fmt.Errorf("flushing the output stream: %s", errnoText(errno))
		}
		return nil
	})
}

//export goJoyGetCounters
func goJoyGetCounters(index C.uint, out *C.struct_joy_counters) C.int {
	defer recoverPanic("joy_get_counters", int(index))
	l := lib()
	if l == nil {
		return 1
	}
	c := l.Context(uint(index))
	if c == nil {
		return 1
	}
	if out == nil {
		l.Log().Logf(logx.Err, "joy_get_counters: counters is NULL")
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
	return status(l.SetLinkType(uint(index), int(dlt)))
}
