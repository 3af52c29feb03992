// Command joy reads pcap and pcapng files and writes one JSON object per
// flow, accepting the original Joy tool's "name=value" option syntax:
//
//	joy bidir=1 capture.pcap > flows.json
//
// Output is plain JSON lines on standard output, or in output=FILE (under
// outdir=DIR); a FILE ending in ".gz" is written gzip-compressed. The first
// line is the configuration record, as the original prints it.
package main

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/anon"
	"github.com/gojoy/libjoy/joy/bytestats"
	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/config"
	"github.com/gojoy/libjoy/joy/label"
	"github.com/gojoy/libjoy/joy/logx"
)

const usage = `usage: joy [name=value ...] FILE.pcap [FILE ...]
       joy train|sleuth|plot ...   analysis tools (joy train -h, ...)

options (0 = off, 1 = on):
  bidir=1            merge the two directions of a flow into one record
  zeros=1            include zero-length packets in the packet list
  retrans=1          process TCP retransmissions as normal packets
  preemptive_timeout=1  print a flow as soon as it passes the active timeout
  output=FILE        write records to FILE instead of standard output
                     (FILE ending in .gz is gzip-compressed)
  outdir=DIR         directory for output=FILE
  verbosity=N        log level: 0 off, 1 debug, 2 info, 3 warning, 4 error, 5 critical
  dist=1             byte distribution with its mean and standard deviation
  cdist=FILE         compact byte distribution with the map in FILE ("byte<TAB>bucket" lines)
  entropy=1          entropy of the payload bytes
  idp=N              the first N bytes (at most 1500) of the initial data packet of each direction
  hd=N               header description over the first N payload bytes
  tls=1, dns=1, dhcp=1, http=1, ssh=1, ike=1  protocol metadata of those flows
  wht=1              Walsh-Hadamard transform of the payload bytes
  payload=N          the first 32 bytes of each direction's first payload
  salt=1, ppi=1      TCP sequence/acknowledgement lists, per-packet TCP information
  exe=1              for TCP flows of this host, the local process (name, path, SHA-256,
                     uptime) from /proc (Linux; absent otherwise)
  classify=1         score flows with the logistic-regression classifier ("p_malware")
  model=SPLT:BD      classifier parameter files (208 and 464 values, as "joy train" writes them)
  anon=FILE          anonymize addresses in the subnets listed in FILE (key: ./joy.bin,
                     created when missing)
  useranon=FILE      pseudonymize the user names listed in FILE in HTTP request URIs
  label=NAME:FILE    label addresses in the subnets listed in FILE with NAME (repeatable)
  ipfix_export_remote_host=H, ipfix_export_remote_port=P (or ipfix_export_port=P)
                     also export every flow over IPFIX/UDP to H:P (default 127.0.0.1:4739)
  ipfix_collect_port=P  run an IPFIX collector on UDP port P instead and print what
                     arrives as JSON lines (ipfix_collect_idle=S: stop after S idle seconds)
  max_records=N      at most N flow records in memory; the oldest flows are printed early
                     with "expire_type":"m" (default 800000, about 1 GB)
  num_pkts=N, type=1|2  accepted and shown in the configuration record
  cpuprofile=FILE    write a Go CPU profile of the run to FILE (go tool pprof)
`

// notYet lists the original's options whose features are not built yet:
// they are refused rather than silently ignored.
var notYet = map[string]bool{"bpf": true, "example": true, "interface": true}

func main() {
	// Flow state is long-lived and small; collecting less often costs a few
	// tens of MB and saves a fifth of the time with protocols on.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// A reader that goes away (joy ... | head) is a failed write like a
	// full disk: logged once, counted, exit status 1, and the input is
	// still read to the end, instead of a silent death by SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if code, ok := runAnalysis(args[0], args[1:], stdout, stderr); ok {
			return code
		}
	}
	cfg := joy.Config{Type: 1, Verbosity: 4}
	var files []string
	outdir := ""
	var collectPort, collectIdle uint
	cpuprofile := ""
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		name, value, ok := strings.Cut(a, "=")
		if !ok {
			files = append(files, a)
			continue
		}
		if notYet[name] {
			fmt.Fprintf(stderr, "joy: option %q is not supported yet\n", name)
			return 2
		}
		var err error
		switch name {
		case "bidir":
			cfg.Bidir, err = flag(value)
		case "zeros":
			cfg.Zeros, err = flag(value)
		case "retrans":
			cfg.Retrans, err = flag(value)
		case "preemptive_timeout":
			cfg.PreemptiveTimeout, err = flag(value)
		case "num_pkts":
			cfg.NumPkts, err = number(value)
		case "type":
			cfg.Type, err = number(value)
		case "verbosity":
			cfg.Verbosity, err = number(value)
		case "dist":
			cfg.Dist, err = flag(value)
		case "entropy":
			cfg.Entropy, err = flag(value)
		case "hd":
			cfg.HD, err = number(value)
		case "idp":
			cfg.IDP, err = number(value)
			cfg.ReportIDP = cfg.IDP > 0
			if cfg.IDP > config.MaxIDP {
				fmt.Fprintf(stderr, "joy: idp=%d is more than %d bytes; using %d\n", cfg.IDP, config.MaxIDP, config.MaxIDP)
			}
		case "cdist":
			cfg.CDist = value
			cfg.CompactMap, err = loadCompactMap(value)
		case "dns":
			cfg.DNS, err = flag(value)
		case "dhcp":
			cfg.DHCP, err = flag(value)
		case "tls":
			cfg.TLS, err = flag(value)
		case "ike":
			cfg.IKE, err = flag(value)
		case "http":
			cfg.HTTP, err = flag(value)
		case "ssh":
			cfg.SSH, err = flag(value)
		case "wht":
			cfg.WHT, err = flag(value)
		case "payload":
			cfg.Payload, err = number(value)
		case "salt":
			cfg.Salt, err = flag(value)
		case "ppi":
			cfg.PPI, err = flag(value)
		case "exe":
			cfg.Exe, err = flag(value)
		case "classify":
			cfg.Classify, err = flag(value)
		case "model":
			spltFile, bdFile, _ := strings.Cut(value, ":")
			m := classify.Default()
			if err = m.LoadFiles(spltFile, bdFile); err == nil {
				cfg.Model = m
			}
		case "anon":
			cfg.Anon = value
			err = addAnonSubnets(&cfg, value, stderr)
		case "useranon":
			cfg.UserAnon = value
			err = loadUsernames(&cfg, value, stderr)
		case "label":
			err = addLabel(&cfg, value)
		case "ipfix_export_remote_host":
			cfg.IPFIXExport, cfg.IPFIXHost = true, value
		case "ipfix_export_port", "ipfix_export_remote_port":
			cfg.IPFIXExport = true
			cfg.IPFIXPort, err = number(value)
		case "ipfix_collect_port":
			collectPort, err = number(value)
		case "ipfix_collect_idle":
			collectIdle, err = number(value)
		case "max_records":
			var n uint
			n, err = number(value)
			cfg.MaxRecords = int(n)
		case "output":
			cfg.Output = value
		case "outdir":
			outdir = value
			cfg.OutputDir = value
		case "cpuprofile":
			cpuprofile = value
		default:
			fmt.Fprintf(stderr, "joy: unknown option %q\n%s", name, usage)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "joy: option %s: %v\n", name, err)
			return 2
		}
	}
	if collectPort != 0 {
		return collect(collectPort, collectIdle, cfg.Output, outdir, stdout, stderr)
	}
	if len(files) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	log := logx.New(stderr, int(cfg.Verbosity))
	if cpuprofile != "" {
		stop, err := startProfile(cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "joy: cpuprofile: %v\n", err)
			return 1
		}
		defer stop()
	}

	out, closeOut, err := openOutput(stdout, outdir, cfg.Output)
	if err != nil {
		fmt.Fprintf(stderr, "joy: %v\n", err)
		return 1
	}
	ctx := joy.NewContext(&cfg, out, log)
	ctx.SetOutputBuffer(256 << 10)
	ctx.ExportWhilePrinting(cfg.IPFIXExport)
	ctx.WriteConfig(true)
	status := 0
	for _, f := range files {
		if err := ctx.ProcessCapture(f); err != nil {
			fmt.Fprintf(stderr, "joy: %s: %v\n", f, err)
			status = 1
		}
	}
	ctx.Flush()
	ctx.FlushExport()
	st, dropped := ctx.ExportStats()
	ctx.CloseExport()
	if cfg.IPFIXExport {
		fmt.Fprintf(stderr, "joy: IPFIX: %d records in %d messages sent, %d failed sends, %d flows not exported\n",
			st.Records, st.Messages, st.Errors, dropped)
	}
	// Any record that did not reach the output makes the exit status 1,
	// after every file has been processed.
	s := ctx.Stats()
	lines := s.FlowsPrinted + 1 // and the configuration line
	if err := closeOut(); err != nil {
		if errors.Is(err, joy.ErrOutputRemoved) {
			if s.WriteErrors == 0 {
				// Removed after the last write: nothing was counted yet.
				log.Logf(logx.Err, "output: %v", err)
			}
			s.RecordsLost = lines
		}
		fmt.Fprintf(stderr, "joy: closing output: %v\n", err)
		status = 1
	}
	if s.WriteErrors > 0 || s.RecordsLost > 0 {
		fmt.Fprintf(stderr, "joy: %d of %d output lines (records and the configuration line) were lost; %d writes failed\n",
			s.RecordsLost, lines, s.WriteErrors)
		status = 1
	}
	return status
}

// addAnonSubnets loads the key (./joy.bin, created when missing) and the
// subnets to anonymize.
func addAnonSubnets(cfg *joy.Config, path string, stderr io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	subnets, err := anon.ParseSubnets(f, true)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.AnonAddrs == nil {
		key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
		if err != nil {
			return err
		}
		if created {
			fmt.Fprintf(stderr, "joy: created a new anonymization key in %s\n", anon.DefaultKeyFile)
		}
		cfg.AnonAddrs = anon.NewAddresses(key, nil)
	}
	cfg.AnonAddrs.Add(subnets)
	return nil
}

// loadUsernames loads the key (./joy.bin, created when missing) and the
// user names to pseudonymize in HTTP requests.
func loadUsernames(cfg *joy.Config, path string, stderr io.Writer) error {
	key, created, err := anon.LoadOrCreateKey(anon.DefaultKeyFile)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "joy: created a new anonymization key in %s\n", anon.DefaultKeyFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	u, err := anon.LoadUsernames(f, key)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cfg.UserNames = u
	return nil
}

// addLabel takes "NAME:FILE" and labels every subnet in FILE with NAME.
func addLabel(cfg *joy.Config, value string) error {
	name, path, ok := strings.Cut(value, ":")
	if !ok || name == "" || path == "" {
		return fmt.Errorf("want label=NAME:FILE, got %q", value)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	subnets, err := anon.ParseSubnets(f, false)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.SubnetLabels == nil {
		cfg.SubnetLabels = label.New()
	}
	if err := cfg.SubnetLabels.Add(name, subnets); err != nil {
		return err
	}
	cfg.Labels = append(cfg.Labels, value)
	return nil
}

func loadCompactMap(path string) (*bytestats.CompactMap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bytestats.LoadCompactMap(f)
}

func flag(v string) (bool, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	return n != 0, err
}

func number(v string) (uint, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	return uint(n), err
}

// openOutput returns the record writer and a function that flushes and
// closes it. Plain outputs are written unbuffered: the context gathers
// whole records (SetOutputBuffer), so a failed write loses exactly the
// records it counts.
func openOutput(stdout io.Writer, dir, name string) (io.Writer, func() error, error) {
	if name == "" {
		if f, ok := stdout.(*os.File); ok {
			if stdoutClosed(f) {
				return joy.FailedOutput(joy.ErrOutputClosed), func() error { return nil }, nil
			}
			return joy.NewFile(f), func() error { return nil }, nil
		}
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, nil, err
	}
	out := joy.NewFile(f)
	// FILE.csv and FILE.parquet are written by their format's driver.
	if fw, finish, err := joy.NewOutput(out, "", name); err == nil && fw != io.Writer(out) {
		return fw, func() error {
			return firstErr(finish(), removed(out), f.Close())
		}, nil
	}
	if !strings.HasSuffix(name, ".gz") {
		return out, func() error {
			return firstErr(removed(out), f.Close())
		}, nil
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	zw := gzip.NewWriter(bw)
	return zw, func() error {
		return firstErr(zw.Close(), bw.Flush(), removed(out), f.Close())
	}, nil
}

// removed is the last look at an output file: removed during the run
// after the last write, its records are lost all the same.
func removed(out *joy.File) error {
	if out.Removed() {
		return joy.ErrOutputRemoved
	}
	return nil
}

// stdoutClosed reports whether the process was started with standard
// output closed. Go's runtime then puts /dev/null, opened read-write, on
// descriptor 1, so the records would vanish without an error. A shell's
// "> /dev/null" opens it write-only; to discard records on purpose with
// the descriptor read-write, use output=/dev/null.
func stdoutClosed(f *os.File) bool {
	if f.Fd() != 1 {
		return false
	}
	var st, null syscall.Stat_t
	if syscall.Fstat(1, &st) != nil || syscall.Stat(os.DevNull, &null) != nil {
		return false
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != null.Rdev {
		return false
	}
	fl, _, errno := syscall.Syscall(syscall.SYS_FCNTL, 1, syscall.F_GETFL, 0)
	return errno == 0 && fl&syscall.O_ACCMODE == syscall.O_RDWR
}

// startProfile starts a CPU profile written to path; the returned function
// stops it and closes the file.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
